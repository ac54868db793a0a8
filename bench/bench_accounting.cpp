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
#include "core/admin_comment.h"
#include "core/identity_cache.h"
#include "core/policy_loader.h"
#include "core/policy_store.h"
#include "core/usage.h"
#include "fake_slurmctld.h"
#include "slurmctld_bridge.h"

using Clock = std::chrono::steady_clock;

namespace {

using namespace grants;
using namespace grants::bench;

constexpr int kAwards = 10000;
constexpr int kUsers = 100000;
constexpr std::uint32_t kUidBase = 100000;

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

}  // namespace

int main(int argc, char** argv) {
    const bool idle_mode = argc > 1 && std::string(argv[1]) == "idle";
    const int passes = argc > 1 && !idle_mode ? std::atoi(argv[1]) : 10;
    auto loaded = load_policy_text(generate_policy(kAwards, kUsers), "generated.yaml");
    if (!loaded.policy) {
        std::fprintf(stderr, "policy did not load\n");
        return 1;
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
