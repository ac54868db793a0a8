// Item 4 of docs/PERFORMANCE.md: the accounting pass over a large queue.
//
// Runs the real slurmctld_bridge::observe_jobs (the code that holds
// slurmctld's job + partition read locks) over a job_list of real
// job_record_t built with Slurm's own list and xmalloc (libslurmfull), then
// the rest of AccountingThread::pass outside the lock (user names,
// UsageAccountant::pass, UsageTracker::publish). The slurmctld symbols the
// bridge needs are defined in fake_slurmctld.c (C: Slurm's internal headers
// are not valid C++ from 23.11): lock_slurmctld/unlock_slurmctld take a real
// rwlock and record how long it was held.
//
//   bench_accounting [PASSES]      queues of 1,000 / 10,000 / 100,000 jobs, interleaved
//   bench_accounting idle [SECONDS] [JOBS]
//                                  the real AccountingThread (its own ledger in a
//                                  temporary directory, one pass per second) over a
//                                  queue of JOBS (100,000) in which nothing changes:
//                                  CPU per second and time under the read lock
//   bench_accounting power [NODES] [ROUNDS] [WINDOWS] [SECONDS]
//                                  the power-state observation of every pass
//                                  (slurmctld_bridge::node_power_changes, then
//                                  InstanceTracker::observe) over 0, NODES/10 and NODES
//                                  (10,000) cloud nodes, interleaved over ROUNDS (300):
//                                  nothing changed, 10 nodes changed, a full listing;
//                                  then the real AccountingThread over an idle
//                                  100,000-job queue with 0 and NODES nodes, alternating
//                                  WINDOWS (5) times, SECONDS (10) measured each
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "accounting_thread.h"
#include "bench_common.h"
#include "core/domain/admin_comment.h"
#include "core/domain/identity_cache.h"
#include "core/domain/instance_time.h"
#include "core/domain/usage.h"
#include "core/policy/policy_loader.h"
#include "core/policy/policy_store.h"
#include "fake_slurmctld.h"
#include "job_desc_request.h"
#include "slurmctld_bridge.h"

using Clock = std::chrono::steady_clock;

namespace {

using namespace grants;
using namespace grants::bench;

constexpr int kAwards = 10000;
constexpr int kUsers = 100000;
constexpr std::uint32_t kUidBase = 100000;
std::int64_t g_award_end = 0;  // every generated award's end (valid.until 2035-12-31), local time

std::optional<UnixIdentity> fake_lookup(std::uint32_t uid) {
    if (uid < kUidBase || uid >= kUidBase + kUsers) return std::nullopt;
    int u = static_cast<int>(uid - kUidBase);
    return UnixIdentity{user_name(u), {"users", "grp" + std::to_string(u % kAwards)}};
}

// A queued or running job as slurmctld keeps it after an sbatch through job_submit/grants.
void append_job(fake_ctld_job_list* list, std::uint32_t id) {
    const int user = static_cast<int>((id * 7919u) % kUsers);
    const std::string account = "acct" + std::to_string(user % kAwards);
    const std::string admin_comment = "award=" + award_id(user % kAwards);
    const std::string approval = "SLURM_GRANTS_APPROVAL=" + std::to_string(id);
    const char* const spank_env[] = {"_SLURM_SPANK_OPTION_grants_award=x", "SLURM_SPANK_FOO=1", approval.c_str()};
    fake_ctld_job job{};
    job.job_id = id;
    job.user_id = kUidBase + static_cast<std::uint32_t>(user);
    job.account = account.c_str();
    job.admin_comment = admin_comment.c_str();
    job.partition = id % 2 ? "trn1" : "trn1,trn2";
    job.time_limit = 60 * (1 + id % 24);
    job.min_nodes = 1 + id % 4;
    job.max_nodes = job.min_nodes;
    job.submit_time = 1'700'000'000;
    // Pending jobs' deadlines are where the accounting thread moved them (the
    // award's end), as after the first pass of a real controller.
    job.deadline = id % 10 == 0 ? 0 : g_award_end;
    job.running = id % 10 == 0;  // a full cluster: most of the queue waits
    if (job.running) {
        job.start_time = 1'700'000'100;
        job.nodes = "trn1-node[001-004]";
        job.total_nodes = job.min_nodes;
        job.node_cnt = job.min_nodes;
    }
    job.spank_job_env = spank_env;
    job.spank_job_env_size = 3;
    fake_ctld_list_append_job(list, &job);
}

fake_ctld_lock_stats lock_stats() {
    fake_ctld_lock_stats s{};
    fake_ctld_get_lock_stats(&s);
    return s;
}

template <class T>
T median(std::vector<T> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
}

struct Queue {
    int jobs;
    fake_ctld_job_list* list = nullptr;
    UsageAccountant accountant{"bench"};
    UsageTracker tracker;
    std::vector<JobObservation> observed;  // reused, as AccountingThread does
    std::vector<double> locked_ms, outside_ms, total_ms;
};

double cpu_ms() {
    struct timespec ts {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

// The real AccountingThread over a queue nobody touches (an idle cluster, or
// a full one between events): what it costs per second.
int idle(std::shared_ptr<const Policy> policy, int seconds, int jobs) {
    char dir[] = "/tmp/bench-accounting-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    IdentityCache identities(fake_lookup);
    PolicyStore store;
    auto state = std::make_shared<PolicyState>();
    state->policy = std::move(policy);
    store.replace(state);
    UsageTracker tracker;
    fake_ctld_job_list* list = fake_ctld_list_create();
    for (int i = 1; i <= jobs; ++i) append_job(list, static_cast<std::uint32_t>(i));
    fake_ctld_use_job_list(list);
    fake_ctld_set_last_job_update(std::time(nullptr) - 60);  // the last change, a minute ago
    std::printf("# item 4: idle accounting, real AccountingThread (1 pass/s), %d jobs (10%% running), nothing "
                "changes; %d s measured after 3 s of warm-up\n", jobs, seconds);
    {
        std::mutex decide;  // job_submit's decision lock: nobody submits here
        slurmctld::AccountingThread thread(store, tracker, identities, std::string(dir) + "/ledger.db", "bench",
                                           /*first_start=*/true, decide);
        thread.start(std::chrono::milliseconds(1000));
        std::this_thread::sleep_for(std::chrono::seconds(3));
        const fake_ctld_lock_stats before = lock_stats();
        const double cpu0 = cpu_ms(), held0 = before.total_ms;
        const long locks0 = before.locks;
        const std::size_t passes0 = thread.passes();
        fake_ctld_reset_lock_max();
        const auto t0 = Clock::now();
        std::this_thread::sleep_for(std::chrono::seconds(seconds));
        const double wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
        const fake_ctld_lock_stats after = lock_stats();
        const double cpu = cpu_ms() - cpu0, held = after.total_ms - held0;
        const long locks = after.locks - locks0;
        const std::size_t passes = thread.passes() - passes0;
        thread.stop();
        std::printf("%-8s %8s %14s %16s %14s %12s\n", "jobs", "passes", "cpu_ms_per_s", "locked_ms_per_s",
                    "locked_ms_max", "locks_per_s");
        std::printf("%-8d %8zu %14.2f %16.3f %14.3f %12.2f\n", jobs, passes, cpu / wall_s, held / wall_s,
                    after.max_ms, static_cast<double>(locks) / wall_s);
    }
    const std::string rm = std::string("rm -rf '") + dir + "'";
    return std::system(rm.c_str()) == 0 ? 0 : 1;
}

// ------------------------------------------------------------ power mode
// What AccountingThread::observe_instances does every pass: the bridge's
// node_power_changes (grants_ctld_node_power_changes under the node and
// partition read locks, one byte compared per node; the changed nodes copied
// out), then InstanceTracker::observe over what it returned.

template <class T>
T percentile(std::vector<T> v, double q) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

struct PowerTable {
    int nodes;
    fake_ctld_node_table* table;
    InstanceTracker tracker;  // each table's own, as one controller's
    // per call, in microseconds: the bridge call, the read lock inside it, InstanceTracker::observe
    std::vector<double> none_us, none_lock_us, none_observe_us;
    std::vector<double> ten_us, ten_lock_us, ten_observe_us;
    std::vector<double> full_us, full_lock_us, full_observe_us;
    std::size_t open = 0;  // segments open after a full listing
};

struct PowerCall {
    double bridge_us, lock_us, observe_us;
    std::size_t listed;
    bool complete;
};

PowerCall power_call(InstanceTracker& tracker, const Policy& policy, bool full) {
    bool complete = false;
    const auto t0 = Clock::now();
    auto nodes = slurmctld::node_power_changes(full, &complete);
    const auto t1 = Clock::now();
    const double lock_us = lock_stats().last_ms * 1000.0;
    if (!nodes) {
        std::fprintf(stderr, "node_power_changes: out of memory\n");
        std::exit(1);
    }
    InstanceChanges changes = tracker.observe(policy, nullptr, *nodes, std::time(nullptr), complete);
    const auto t2 = Clock::now();
    (void) changes;
    return {std::chrono::duration<double, std::micro>(t1 - t0).count(), lock_us,
            std::chrono::duration<double, std::micro>(t2 - t1).count(), nodes->size(), complete};
}

void expect(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "power: %s\n", what);
        std::exit(1);
    }
}

// A node whose power state (the byte slurmctld_internals.c compares) differs
// from the one it was created in: busy nodes go idle, the others busy.
fake_ctld_node_state other_state(int index) {
    const fake_ctld_node_state s = fake_ctld_cloud_state(index);
    return s == FAKE_NODE_ALLOCATED || s == FAKE_NODE_MIXED ? FAKE_NODE_IDLE : FAKE_NODE_ALLOCATED;
}

void power_calls(const Policy& policy, std::vector<std::unique_ptr<PowerTable>>& tables, int rounds) {
    for (int r = 0; r < rounds; ++r) {
        for (std::size_t k = 0; k < tables.size(); ++k) {
            PowerTable& t = *tables[(k + static_cast<std::size_t>(r)) % tables.size()];  // rotate the order
            fake_ctld_use_nodes(t.table);
            // (c) a full listing (start, policy change; also what another node table forces)
            PowerCall c = power_call(t.tracker, policy, true);
            expect(c.complete && c.listed == static_cast<std::size_t>(t.nodes), "a full listing lists every node");
            t.open = t.tracker.open().size();
            if (r > 0) {  // round 0 warms up (and opens every segment)
                t.full_us.push_back(c.bridge_us);
                t.full_lock_us.push_back(c.lock_us);
                t.full_observe_us.push_back(c.observe_us);
            }
            // (a) nothing changed: every pass of an idle cluster
            for (int i = 0; i < 3; ++i) {
                c = power_call(t.tracker, policy, false);
                expect(!c.complete && c.listed == 0, "nothing changed, nothing listed");
                if (r > 0) {
                    t.none_us.push_back(c.bridge_us);
                    t.none_lock_us.push_back(c.lock_us);
                    t.none_observe_us.push_back(c.observe_us);
                }
            }
            // (b) 10 nodes changed (spread over the table), then back
            if (t.nodes < 10) continue;
            int changed[10];
            for (int j = 0; j < 10; ++j) changed[j] = (j * (t.nodes / 10) + r) % t.nodes;
            for (int back = 0; back < 2; ++back) {
                for (int j : changed) fake_ctld_node_set_state(t.table, j, back ? fake_ctld_cloud_state(j) : other_state(j));
                c = power_call(t.tracker, policy, false);
                expect(c.listed == 10, "10 nodes changed, 10 listed");
                if (r > 0) {
                    t.ten_us.push_back(c.bridge_us);
                    t.ten_lock_us.push_back(c.lock_us);
                    t.ten_observe_us.push_back(c.observe_us);
                }
            }
        }
    }
}

struct Window {
    int nodes;
    double seconds, cpu_ms, locked_ms, locked_max_ms;
    std::size_t passes, full_passes;
    long locks;
};

// The real AccountingThread over an idle queue, one window: warm-up, then
// what the process spends per second (only the accounting thread works).
Window idle_window(PolicyStore& store, IdentityCache& identities, const std::string& ledger, int nodes,
                   int seconds) {
    UsageTracker tracker;
    std::mutex decide;
    slurmctld::AccountingThread thread(store, tracker, identities, ledger, "bench", /*first_start=*/true, decide);
    thread.start(std::chrono::milliseconds(1000));
    // The first passes are full ones (usage unknown, then the 2 s settle rule),
    // and the first one with nodes opens their segments in the ledger.
    std::this_thread::sleep_for(std::chrono::seconds(5));
    const fake_ctld_lock_stats before = lock_stats();
    fake_ctld_reset_lock_max();
    const std::size_t passes0 = thread.passes(), full0 = thread.full_passes();
    const double cpu0 = cpu_ms();
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    Window w{};
    w.nodes = nodes;
    w.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    w.cpu_ms = cpu_ms() - cpu0;
    const fake_ctld_lock_stats after = lock_stats();
    w.locked_ms = after.total_ms - before.total_ms;
    w.locked_max_ms = after.max_ms;
    w.locks = after.locks - before.locks;
    w.passes = thread.passes() - passes0;
    w.full_passes = thread.full_passes() - full0;
    thread.stop();
    return w;
}

int power(std::shared_ptr<const Policy> policy, int nodes, int rounds, int windows, int seconds) {
    fake_ctld_log_errors_only();
    std::vector<std::unique_ptr<PowerTable>> tables;
    for (int n : {0, nodes / 10, nodes}) {
        auto t = std::make_unique<PowerTable>();
        t->nodes = n;
        t->table = fake_ctld_nodes_create(n);
        tables.push_back(std::move(t));
    }
    std::printf("# issue 25: the power-state observation of each accounting pass (AccountingThread::observe_instances:\n"
                "# slurmctld_bridge::node_power_changes -> grants_ctld_node_power_changes under the node+partition read\n"
                "# locks, then InstanceTracker::observe), over cloud nodes in trn1 (40%% powered down, 35%% allocated,\n"
                "# 5%% mixed, 10%% idle, 5%% booting, 5%% down); tables interleaved, %d rounds (the first dropped)\n",
                rounds);
    std::printf("# per call, microseconds: call = node_power_changes (the C walk, its lock, the copy of what changed);\n"
                "# lock = the read lock held inside it; observe = InstanceTracker::observe on the result\n");
    power_calls(*policy, tables, rounds);
    const auto row = [](const char* what, const PowerTable& t, const std::vector<double>& call,
                        const std::vector<double>& lock, const std::vector<double>& obs) {
        if (call.empty()) return;
        std::printf("%-14s %7d %6zu %10.2f %10.2f %10.2f %10.2f %11.2f %10.3f\n", what, t.nodes, call.size(),
                    median(call), percentile(call, 0.9), median(lock), percentile(lock, 0.9), median(obs),
                    t.nodes ? 1000.0 * median(lock) / t.nodes : 0.0);
    };
    std::printf("%-14s %7s %6s %10s %10s %10s %10s %11s %10s\n", "case", "nodes", "calls", "call_med", "call_p90",
                "lock_med", "lock_p90", "observe_med", "ns_per_node");
    for (auto& t : tables) row("nothing", *t, t->none_us, t->none_lock_us, t->none_observe_us);
    for (auto& t : tables) row("10-changed", *t, t->ten_us, t->ten_lock_us, t->ten_observe_us);
    for (auto& t : tables) row("full-listing", *t, t->full_us, t->full_lock_us, t->full_observe_us);
    const PowerTable& none0 = *tables.front();
    const PowerTable& big = *tables.back();
    std::printf("# open segments after a full listing: %zu of %d nodes\n", big.open, big.nodes);
    const double extra_us = median(big.none_us) - median(none0.none_us);
    std::printf("# nothing changed, %d nodes vs 0: %.2f vs %.2f us per call (x%.1f); %.2f us more per pass = %.4f%% of "
                "the 1 s between passes\n",
                big.nodes, median(big.none_us), median(none0.none_us), median(big.none_us) / median(none0.none_us),
                extra_us, extra_us / 1e4);
    if (windows <= 0) return 0;

    // (d) the real thread, idle 100,000-job queue, 0 vs NODES nodes in alternating windows
    const int jobs = 100000;
    char dir[] = "/tmp/bench-accounting-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    IdentityCache identities(fake_lookup);
    PolicyStore store;
    auto state = std::make_shared<PolicyState>();
    state->policy = policy;
    store.replace(state);
    fake_ctld_job_list* list = fake_ctld_list_create();
    for (int i = 1; i <= jobs; ++i) append_job(list, static_cast<std::uint32_t>(i));
    fake_ctld_use_job_list(list);
    fake_ctld_set_last_job_update(std::time(nullptr) - 60);
    std::printf("# the real AccountingThread (1 pass/s, its own ledger per table), %d jobs (10%% running), nothing "
                "changes; windows of %d s after 5 s of warm-up, 0 and %d nodes alternating (ABBA), %d each\n",
                jobs, seconds, big.nodes, windows);
    std::printf("%-7s %7s %7s %6s %13s %16s %15s %11s\n", "window", "nodes", "passes", "full", "cpu_ms_per_s",
                "locked_us_per_s", "locked_us_max", "locks_per_s");
    std::vector<Window> results;
    for (int r = 0; r < windows; ++r) {
        for (int k = 0; k < 2; ++k) {
            const PowerTable& t = (r % 2 == 0) == (k == 0) ? none0 : big;
            fake_ctld_use_nodes(t.table);
            const std::string ledger = std::string(dir) + "/ledger-" + std::to_string(t.nodes) + ".db";
            Window w = idle_window(store, identities, ledger, t.nodes, seconds);
            std::printf("%-7zu %7d %7zu %6zu %13.3f %16.1f %15.1f %11.2f\n", results.size() + 1, w.nodes, w.passes,
                        w.full_passes, w.cpu_ms / w.seconds, 1000.0 * w.locked_ms / w.seconds,
                        1000.0 * w.locked_max_ms, static_cast<double>(w.locks) / w.seconds);
            std::fflush(stdout);
            results.push_back(w);
        }
    }
    std::vector<double> cpu[2], locked[2], per_pass[2], locked_pass[2];
    for (const Window& w : results) {
        const int i = w.nodes ? 1 : 0;
        cpu[i].push_back(w.cpu_ms / w.seconds);
        locked[i].push_back(1000.0 * w.locked_ms / w.seconds);
        if (w.passes) {
            per_pass[i].push_back(w.cpu_ms / static_cast<double>(w.passes));
            locked_pass[i].push_back(1000.0 * w.locked_ms / static_cast<double>(w.passes));
        }
    }
    std::printf("# medians: CPU %.3f ms/s with 0 nodes, %.3f ms/s with %d (x%.3f; per pass %.3f vs %.3f ms); "
                "read lock held %.1f vs %.1f us/s (per pass %.1f vs %.1f us, every lock of the pass)\n",
                median(cpu[0]), median(cpu[1]), big.nodes, median(cpu[1]) / median(cpu[0]), median(per_pass[0]),
                median(per_pass[1]), median(locked[0]), median(locked[1]), median(locked_pass[0]),
                median(locked_pass[1]));
    std::printf("# CPU ms/s spread over windows: 0 nodes %.3f-%.3f, %d nodes %.3f-%.3f\n",
                *std::min_element(cpu[0].begin(), cpu[0].end()), *std::max_element(cpu[0].begin(), cpu[0].end()),
                big.nodes, *std::min_element(cpu[1].begin(), cpu[1].end()),
                *std::max_element(cpu[1].begin(), cpu[1].end()));
    const std::string rm = std::string("rm -rf '") + dir + "'";
    return std::system(rm.c_str()) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const bool idle_mode = argc > 1 && std::string(argv[1]) == "idle";
    const bool power_mode = argc > 1 && std::string(argv[1]) == "power";
    const int passes = argc > 1 && !idle_mode && !power_mode ? std::atoi(argv[1]) : 10;
    auto loaded = load_policy_text(generate_policy(kAwards, kUsers), "generated.yaml");
    if (!loaded.policy) {
        std::fprintf(stderr, "policy did not load\n");
        return 1;
    }
    const Award* any = loaded.policy->find_award(award_id(0));
    if (!any || !any->valid.until) {
        std::fprintf(stderr, "the generated awards have no end\n");
        return 1;
    }
    g_award_end = slurmctld::local_day_end(*any->valid.until);
    if (power_mode) {
        const auto arg = [&](int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; };
        return power(loaded.policy, arg(2, 10000), arg(3, 300), arg(4, 5), arg(5, 10));
    }
    if (idle_mode) {
        return idle(loaded.policy, argc > 2 ? std::atoi(argv[2]) : 10, argc > 3 ? std::atoi(argv[3]) : 100000);
    }
    const Policy& policy = *loaded.policy;
    const char* every = std::getenv("BENCH_PRICE_EVERY_PASS");
    const bool price_every_pass = every && std::string(every) == "1";
    IdentityCache identities(fake_lookup);
    std::vector<std::unique_ptr<Queue>> queues;
    for (int n : {1000, 10000, 100000}) {
        auto q = std::make_unique<Queue>();
        q->jobs = n;
        q->list = fake_ctld_list_create();
        for (int i = 1; i <= n; ++i) append_job(q->list, static_cast<std::uint32_t>(i));
        queues.push_back(std::move(q));
    }
    std::printf("# item 4: accounting pass (AccountingThread::pass without the ledger write), %d passes per queue, "
                "queues interleaved\n", passes);
    std::printf("# every job tagged (in scope): 10%% running, 90%% pending; 10,000 awards\n");
    std::printf("# prices: %s\n", price_every_pass ? "every job every pass (BENCH_PRICE_EVERY_PASS=1)" : "remembered between passes (as the accounting thread)");
    for (int p = 0; p < passes; ++p) {
        for (auto& q : queues) {
            fake_ctld_use_job_list(q->list);
            auto t0 = Clock::now();
            // = AccountingThread::pass(): copy under the lock, the rest outside it.
            std::vector<JobObservation>& jobs = q->observed;
            if (!slurmctld::observe_jobs(slurmctld::kApprovalMarker, &jobs)) {
                std::fprintf(stderr, "observe_jobs: the copy under the lock was cut short (out of memory)\n");
                return 1;
            }
            const double held = lock_stats().last_ms;
            const std::int64_t now = std::time(nullptr);
            for (auto& job : jobs) {
                auto award = award_in_admin_comment(job.award);
                job.award = award ? *award : "";
                if (!job.award.empty()) {
                    auto who = identities.get(job.user_id);
                    job.user = who ? who->user : "uid " + std::to_string(job.user_id);
                }
            }
            // As the thread: prices remembered between passes (only new or changed jobs are priced);
            // BENCH_PRICE_EVERY_PASS=1 prices every job every pass (the method before).
            PassResult result = price_every_pass ? q->accountant.pass(policy, jobs, now)
                                                 : q->accountant.pass(loaded.policy, jobs, now);
            q->tracker.publish(std::move(result.snapshot), result.approvals_seen, now);
            const double total = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            if (p > 0) {  // the first pass warms caches (and the identity cache)
                q->locked_ms.push_back(held);
                q->total_ms.push_back(total);
                q->outside_ms.push_back(total - held);
            }
        }
    }
    std::printf("%-10s %16s %16s %16s %14s\n", "jobs", "locked_ms_med", "locked_ms_max", "outside_ms_med",
                "us_per_job_lock");
    for (auto& q : queues) {
        std::printf("%-10d %16.2f %16.2f %16.2f %14.3f\n", q->jobs, median(q->locked_ms),
                    *std::max_element(q->locked_ms.begin(), q->locked_ms.end()), median(q->outside_ms),
                    1000.0 * median(q->locked_ms) / q->jobs);
    }
    std::printf("# one pass per second (kAccountingInterval = 1000 ms): the read lock is held for locked_ms every second\n");
    return 0;
}
