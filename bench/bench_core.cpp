// In-process benchmarks of the submit decision, the policy loader and the
// ledger (docs/PERFORMANCE.md items 1, 2 and 4). Not a test: it asserts
// nothing, it prints numbers.
//
//   bench_core gen-policy AWARDS USERS FILE [EXTRA]  write a generated grants.yaml (EXTRA: "alice, bob" join award 0)
//   bench_core gen-lua POLICY.yaml OUT.lua       the policy as Lua tables (bench/job_submit.lua)
//   bench_core decision [ROUNDS [PER_ROUND]]    item 1: translation + decision
//   bench_core policy-load FILE [RUNS]           item 2: parse + validate, peak RSS (one child per run)
//   bench_core ledger FILE [CHARGES [ROUNDS]]    item 4: a CHARGES-row ledger, start-up query and reports
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

extern "C" {
#include <slurm/slurm.h>
}

#include "core/base/date.h"
#include "core/domain/admin_comment.h"
#include "core/domain/charge_book.h"
#include "core/domain/decision.h"
#include "core/domain/identity_cache.h"
#include "core/domain/report.h"
#include "core/domain/usage.h"
#include "core/policy/policy_loader.h"
#include "core/policy/policy_store.h"
#include "core/storage/book_loader.h"
#include "core/storage/ledger.h"
#include "slurm/job_submit/job_desc_request.h"
#include "bench_common.h"

using namespace grants;
using namespace grants::bench;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

template <class T>
T percentile(std::vector<T> v, double p) {
    if (v.empty()) return T{};
    std::size_t k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

std::shared_ptr<const Policy> load_or_die(const std::string& text) {
    auto l = load_policy_text(text, "generated.yaml");
    if (!l.policy) {
        for (const auto& e : l.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
        std::exit(1);
    }
    return l.policy;
}

// ------------------------------------------------------------ item 1: decision
constexpr int kAwards = 10000;
constexpr int kUsers = 100000;
constexpr std::uint32_t kUidBase = 100000;

// The identity service: 100,000 users, each in its award's group.
std::optional<UnixIdentity> fake_lookup(std::uint32_t uid) {
    if (uid < kUidBase || uid >= kUidBase + kUsers) return std::nullopt;
    int u = static_cast<int>(uid - kUidBase);
    return UnixIdentity{user_name(u), {"users", "grp" + std::to_string(u % kAwards)}};
}

// slurmctld's answers: partitions have no DefaultTime and 64 nodes.
PartitionFacts fake_facts(const std::string&) {
    PartitionFacts f;
    f.total_nodes = 64;
    return f;
}
std::string fake_default_partition() { return "cpu"; }

// How the award is chosen, as users submit.
enum class Mode { Explicit, Default, Sole };
const char* mode_name(Mode m) { return m == Mode::Explicit ? "--award" : m == Mode::Default ? "default_award" : "sole award"; }

// A job_desc_msg_t filled the way sbatch fills it (slurm_init_job_desc_msg,
// then the options), with a 40-variable environment and the SPANK option.
struct OwnedJobDesc {
    job_desc_msg_t desc;
    std::vector<std::string> storage;
    std::vector<char*> env, spank;
    Mode mode;
};

std::unique_ptr<OwnedJobDesc> make_job_desc(int user, Mode mode, std::mt19937& rng) {
    auto j = std::make_unique<OwnedJobDesc>();
    slurm_init_job_desc_msg(&j->desc);
    j->mode = mode;
    j->storage.reserve(64);
    auto keep = [&](std::string s) -> char* {
        j->storage.push_back(std::move(s));
        return j->storage.back().data();
    };
    job_desc_msg_t& d = j->desc;
    d.name = keep("train-" + std::to_string(user));
    d.partition = keep(rng() % 2 ? "trn1" : "trn1,trn2");
    if (user % kAwards % 2 == 1) d.partition = keep("trn1");  // awards restricted to trn1
    d.time_limit = 60 * (1 + rng() % 24);
    d.min_nodes = 1 + rng() % 4;
    if (rng() % 4 == 0) d.max_nodes = d.min_nodes + 2;
    if (rng() % 8 == 0) d.array_inx = keep("0-15%4");
    d.user_id = kUidBase + static_cast<std::uint32_t>(user);
    d.group_id = d.user_id;
    d.account = rng() % 3 == 0 ? keep("acct" + std::to_string(user % kAwards)) : nullptr;
    d.work_dir = keep("/home/" + user_name(user) + "/run");
    d.std_out = keep("/home/" + user_name(user) + "/run/slurm-%j.out");
    d.script = keep("#!/bin/bash\n#SBATCH -p trn1\nsrun python train.py --config big.yaml\n");
    for (int i = 0; i < 40; ++i) j->env.push_back(keep("VAR" + std::to_string(i) + "=value-" + std::to_string(i)));
    d.environment = j->env.data();
    d.env_size = static_cast<std::uint32_t>(j->env.size());
    j->spank.push_back(keep("SLURM_SPANK_X=1"));
    if (mode == Mode::Explicit) j->spank.push_back(keep(std::string(kSpankOptionVariable) + "=" + award_id(user % kAwards)));
    d.spank_job_env = j->spank.data();
    d.spank_job_env_size = static_cast<std::uint32_t>(j->spank.size());
    return j;
}

// The live jobs of a queue of `live` jobs, spread over every award, as the
// accounting pass publishes them.
UsageSnapshot snapshot_with(const Policy& policy, int live) {
    std::vector<JobObservation> jobs;
    jobs.reserve(static_cast<std::size_t>(live));
    for (int i = 0; i < live; ++i) {
        JobObservation o;
        o.job_id = static_cast<std::uint32_t>(i + 1);
        int user = (i * 7919) % kUsers;
        o.user_id = kUidBase + static_cast<std::uint32_t>(user);
        o.user = user_name(user);
        o.award = award_id(user % kAwards);
        o.partition = "trn1";
        o.phase = i % 3 == 0 ? JobObservation::Phase::Running : JobObservation::Phase::Pending;
        if (o.phase == JobObservation::Phase::Running) o.start_time = 1'700'000'000;
        o.time_limit_minutes = 60;
        o.shape.time_limit_minutes = 60;
        jobs.push_back(std::move(o));
    }
    UsageAccountant accountant("bench");
    return accountant.pass(policy, jobs, 1'700'000'100).snapshot;
}

struct Size {
    int live;
    UsageSnapshot snapshot;
    std::unique_ptr<UsageTracker> tracker;
    std::vector<std::uint32_t> ns;  // per decision
    std::map<Mode, std::vector<std::uint32_t>> by_mode;
    std::vector<double> round_medians;
    std::size_t accepted = 0, total = 0;
};

// One submission through the adapter's path in job_submit_grants.cpp
// (submit()): scope, translation, decision, tag, approval. Only the writes
// into Slurm-owned memory (xstrdup, the spank env marker) are left out.
bool one_submission(PolicyStore& store, IdentityCache& ids, UsageTracker& tracker, job_desc_msg_t* d) {
    JobRequest request;
    request.partitions = slurmctld::job_partitions(d->partition, fake_default_partition);
    auto current = store.current();
    const Policy* policy = current->policy.get();
    if (!in_scope(*policy, request)) return false;
    const std::time_t now = std::time(nullptr);
    std::string error;
    if (!slurmctld::fill_request(d, 0, ids, fake_facts, now, &request, &error)) return false;
    UsageLookup lookup = [&](const std::string& award, const std::string& user) {
        return tracker.view(*policy, award, user);
    };
    Decision dec = decide_submit(*policy, request, lookup);
    if (dec.verdict != Decision::Verdict::Accept) return false;
    std::string tag = with_award_tag(d->admin_comment ? d->admin_comment : "", dec.award);
    const std::int64_t jobs = std::max<std::int64_t>(request.shape.array_tasks, 1);
    std::uint64_t marker = tracker.approve(dec.award, request.who.user, dec.hold, jobs, dec.chips * jobs, now);
    std::string marker_text = std::to_string(marker);
    return !tag.empty() && !marker_text.empty();
}

int run_decision(int rounds, int per_round) {
    std::printf("# item 1: decision latency (translation of a job_desc_msg_t + core decision + approval)\n");
    std::printf("# %d awards, %d users, live jobs 1,000 / 10,000 / 100,000; %d rounds x %d decisions per size, "
                "sizes interleaved\n", kAwards, kUsers, rounds, per_round);
    auto t0 = Clock::now();
    PolicyStore store;
    auto state = std::make_shared<PolicyState>();
    state->policy = load_or_die(generate_policy(kAwards, kUsers));
    store.replace(state);
    const Policy& policy = *state->policy;
    std::printf("# setup: policy loaded in %.0f ms\n", ms_since(t0));

    IdentityCache ids(fake_lookup);
    for (int u = 0; u < kUsers; ++u) ids.get(kUidBase + static_cast<std::uint32_t>(u));  // warm, as in steady state

    std::mt19937 rng(42);
    std::vector<std::unique_ptr<OwnedJobDesc>> pool;
    for (int i = 0; i < 8192; ++i) {
        int user = static_cast<int>(rng() % kUsers);
        unsigned r = rng() % 10;
        Mode mode = r < 6 ? Mode::Explicit : (user % 2 == 0 ? Mode::Default : Mode::Sole);
        pool.push_back(make_job_desc(user, mode, rng));
    }

    std::vector<Size> sizes;
    for (int live : {1000, 10000, 100000}) {
        Size s;
        s.live = live;
        s.snapshot = snapshot_with(policy, live);
        s.tracker = std::make_unique<UsageTracker>();
        s.tracker->publish(s.snapshot, {}, std::time(nullptr));
        sizes.push_back(std::move(s));
    }
    std::printf("# setup done in %.1f s\n", ms_since(t0) / 1000);

    // The accounting thread publishes once a second; at a sustained 200
    // submissions/s that is every 200 approvals. As in slurmctld, the new
    // snapshot is built (here: copied) and published on another thread while
    // submissions go on, so the decisions feel the publish only through the
    // tracker's mutex and the caches. BENCH_PUBLISH_THREAD=0: publish inline,
    // between two timed decisions (the method of the first measurements).
    const int kPublishEvery = getenv("BENCH_PUBLISH_EVERY") ? atoi(getenv("BENCH_PUBLISH_EVERY")) : 200;
    const bool publish_thread = !getenv("BENCH_PUBLISH_THREAD") || atoi(getenv("BENCH_PUBLISH_THREAD")) != 0;
    std::printf("# publish: every %d decisions, %s\n", kPublishEvery,
                publish_thread ? "on a publisher thread (as the accounting thread)" : "inline, untimed");
    struct Publisher {
        std::mutex m;
        std::condition_variable cv;
        Size* pending = nullptr;
        bool busy = false, stop = false;
        std::thread t;
    } pub;
    if (publish_thread) {
        pub.t = std::thread([&pub] {
            std::unique_lock<std::mutex> lock(pub.m);
            for (;;) {
                pub.cv.wait(lock, [&] { return pub.stop || pub.pending; });
                if (pub.stop) return;
                Size* s = pub.pending;
                pub.pending = nullptr;
                lock.unlock();
                UsageSnapshot copy = s->snapshot;  // the pass builds a new one every second
                s->tracker->publish(std::move(copy), {}, std::time(nullptr) + 3600);
                lock.lock();
                pub.busy = false;
                pub.cv.notify_all();
            }
        });
    }
    auto publish = [&](Size& s) {
        if (!publish_thread) {
            s.tracker->publish(s.snapshot, {}, std::time(nullptr) + 3600);
            return;
        }
        std::lock_guard<std::mutex> lock(pub.m);
        if (pub.busy) return;  // the previous one is still being built: skip, as a late pass would
        pub.busy = true;
        pub.pending = &s;
        pub.cv.notify_all();
    };
    auto publish_idle = [&] {
        std::unique_lock<std::mutex> lock(pub.m);
        pub.cv.wait(lock, [&] { return !pub.busy; });
    };
    std::size_t next = 0;
    for (int round = 0; round < rounds; ++round) {
        for (auto& s : sizes) {
            publish_idle();
            std::vector<std::uint32_t> mine;
            mine.reserve(static_cast<std::size_t>(per_round));
            for (int i = 0; i < per_round; ++i) {
                if (i % kPublishEvery == 0) publish(s);
                OwnedJobDesc& j = *pool[next++ % pool.size()];
                auto a = Clock::now();
                bool ok = one_submission(store, ids, *s.tracker, &j.desc);
                auto b = Clock::now();
                auto ns = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
                mine.push_back(ns);
                s.by_mode[j.mode].push_back(ns);
                s.accepted += ok;
                ++s.total;
            }
            s.round_medians.push_back(percentile(mine, 0.5) / 1000.0);
            s.ns.insert(s.ns.end(), mine.begin(), mine.end());
        }
    }
    publish_idle();
    std::printf("%-10s %10s %10s %10s %10s  %s\n", "live_jobs", "median_us", "p99_us", "max_us", "accepted",
                "round medians (us)");
    for (auto& s : sizes) {
        std::string rm;
        for (double m : s.round_medians) {
            char b[16];
            std::snprintf(b, sizeof b, "%s%.2f", rm.empty() ? "" : " ", m);
            rm += b;
        }
        std::printf("%-10d %10.2f %10.2f %10.1f %9.1f%%  %s\n", s.live, percentile(s.ns, 0.5) / 1000.0,
                    percentile(s.ns, 0.99) / 1000.0, *std::max_element(s.ns.begin(), s.ns.end()) / 1000.0,
                    100.0 * static_cast<double>(s.accepted) / static_cast<double>(s.total), rm.c_str());
    }
    std::printf("# by how the award is chosen (all sizes):\n%-14s %10s %10s\n", "mode", "median_us", "p99_us");
    for (Mode m : {Mode::Explicit, Mode::Default, Mode::Sole}) {
        std::vector<std::uint32_t> all;
        for (auto& s : sizes) all.insert(all.end(), s.by_mode[m].begin(), s.by_mode[m].end());
        std::printf("%-14s %10.2f %10.2f\n", mode_name(m), percentile(all, 0.5) / 1000.0, percentile(all, 0.99) / 1000.0);
    }
    // Where the time goes (10,000 live jobs): each phase alone, same requests.
    {
        Size& s = sizes[1];
        std::vector<std::uint32_t> t_translate, t_decide, t_approve;
        const Policy* p = store.current()->policy.get();
        for (int i = 0; i < per_round; ++i) {
            if (i % kPublishEvery == 0) publish(s);
            OwnedJobDesc& j = *pool[next++ % pool.size()];
            auto a = Clock::now();
            JobRequest request;
            request.partitions = slurmctld::job_partitions(j.desc.partition, fake_default_partition);
            std::string error;
            slurmctld::fill_request(&j.desc, 0, ids, fake_facts, std::time(nullptr), &request, &error);
            auto b = Clock::now();
            UsageLookup lookup = [&](const std::string& award, const std::string& user) {
                return s.tracker->view(*p, award, user);
            };
            Decision dec = decide_submit(*p, request, lookup);
            auto c = Clock::now();
            if (dec.verdict == Decision::Verdict::Accept) {
                s.tracker->approve(dec.award, request.who.user, dec.hold, 1, dec.chips, std::time(nullptr));
            }
            auto e = Clock::now();
            auto ns = [](Clock::time_point x, Clock::time_point y) {
                return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(y - x).count());
            };
            t_translate.push_back(ns(a, b));
            t_decide.push_back(ns(b, c));
            t_approve.push_back(ns(c, e));
        }
        std::printf("# breakdown at 10,000 live jobs (median / p99 us): translation %.2f / %.2f, decision %.2f / %.2f, "
                    "approval %.2f / %.2f\n",
                    percentile(t_translate, 0.5) / 1000.0, percentile(t_translate, 0.99) / 1000.0,
                    percentile(t_decide, 0.5) / 1000.0, percentile(t_decide, 0.99) / 1000.0,
                    percentile(t_approve, 0.5) / 1000.0, percentile(t_approve, 0.99) / 1000.0);
    }
    publish_idle();
    if (publish_thread) {
        {
            std::lock_guard<std::mutex> lock(pub.m);
            pub.stop = true;
        }
        pub.cv.notify_all();
        pub.t.join();
    }
    double r = static_cast<double>(percentile(sizes.back().ns, 0.5)) / static_cast<double>(percentile(sizes.front().ns, 0.5));
    std::printf("# median ratio 100,000 / 1,000 live jobs: %.2f\n", r);
    return 0;
}

// ------------------------------------------------------------ item 2: policy load
long max_rss_kib() {
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int run_policy_load(const std::string& file, int runs) {
    std::printf("# item 2: policy load of %s (read + parse + validate), one fresh process per run\n", file.c_str());
    std::printf("%-5s %10s %14s %14s %14s\n", "run", "load_ms", "rss_before_MB", "peak_rss_MB", "growth_MB");
    std::vector<double> times, peaks, growths;
    for (int run = 0; run < runs; ++run) {
        int fd[2];
        if (pipe(fd) != 0) return 1;
        pid_t pid = fork();
        if (pid == 0) {
            close(fd[0]);
            long before = max_rss_kib();
            auto t0 = Clock::now();
            PolicyLoad l = load_policy_file(file);
            double ms = ms_since(t0);
            long after = max_rss_kib();
            char buf[128];
            int n = std::snprintf(buf, sizeof buf, "%d %f %ld %ld %zu\n", l.policy ? 1 : 0, ms, before, after,
                                  l.policy ? l.policy->awards.size() : 0);
            if (write(fd[1], buf, static_cast<std::size_t>(n)) != n) _exit(1);
            _exit(0);
        }
        close(fd[1]);
        char buf[128] = {};
        ssize_t n = read(fd[0], buf, sizeof buf - 1);
        close(fd[0]);
        waitpid(pid, nullptr, 0);
        int ok = 0;
        double ms = 0;
        long before = 0, after = 0;
        std::size_t awards = 0;
        if (n <= 0 || std::sscanf(buf, "%d %lf %ld %ld %zu", &ok, &ms, &before, &after, &awards) != 5 || !ok) {
            std::fprintf(stderr, "policy-load: the policy did not load\n");
            return 1;
        }
        std::printf("%-5d %10.1f %14.1f %14.1f %14.1f   (%zu awards)\n", run + 1, ms, before / 1024.0, after / 1024.0,
                    (after - before) / 1024.0, awards);
        times.push_back(ms);
        peaks.push_back(after / 1024.0);
        growths.push_back((after - before) / 1024.0);
    }
    std::printf("median: load %.1f ms, peak RSS %.1f MB (of which the load added %.1f MB)\n", percentile(times, 0.5),
                percentile(peaks, 0.5), percentile(growths, 0.5));
    return 0;
}

// ------------------------------------------------------------ item 4: ledger
// Charges from..to (exclusive) of a synthetic ledger, 10,000 per transaction
// as an accounting pass of 10,000 ended jobs would write them: shape sets
// each one's award, user, account, partition and chips; the rest follows.
bool fill_ledger(Ledger& ledger, long from, long to, const std::function<void(long, ChargeRecord&)>& shape) {
    constexpr long kBatch = 10000;
    std::vector<ChargeRecord> batch, inserted;
    std::string error;
    for (long i = from; i < to; i += kBatch) {
        batch.clear();
        for (long k = i; k < std::min(to, i + kBatch); ++k) {
            ChargeRecord c;
            c.cluster = "grantstest";
            c.job_id = static_cast<std::uint32_t>(k + 1);
            c.run_start = 1'700'000'000 + k * 30;
            shape(k, c);
            c.seconds = 600 + k % 7200;
            c.chip_hours = c.chips * c.seconds * 1'000'000;
            c.usd = c.chip_hours / 1000 * 1340;
            c.recorded_at = c.run_start + c.seconds;
            batch.push_back(std::move(c));
        }
        if (!ledger.record_charges(batch, &inserted, &error)) {
            std::fprintf(stderr, "ledger: %s\n", error.c_str());
            return false;
        }
    }
    return true;
}

int run_ledger(const std::string& path, long charges, int rounds) {
    std::printf("# item 4: ledger with %ld charges (%s)\n", charges, path.c_str());
    std::string error;
    {
        auto ledger = Ledger::open(path, &error);
        if (!ledger) {
            std::fprintf(stderr, "ledger: %s\n", error.c_str());
            return 1;
        }
        sqlite3* db = nullptr;
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "SELECT count(*) FROM charges", -1, &st, nullptr);
        long have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        sqlite3_close(db);
        if (have < charges) {
            auto t0 = Clock::now();
            const bool built = fill_ledger(*ledger, have, charges, [](long k, ChargeRecord& c) {
                const int user = static_cast<int>((k * 7919) % kUsers);
                c.award = award_id(user % 1000);  // 1,000 awards with charges
                c.user = user_name(user);
                c.account = "acct" + std::to_string(user % 1000);
                c.partition = k % 2 ? "trn1" : "trn2";
                c.chips = 16 * (1 + k % 4);
            });
            if (!built) return 1;
            std::printf("# built: %ld charges inserted in %.1f s (batches of 10,000)\n", charges - have,
                        ms_since(t0) / 1000);
        }
    }
    struct Row {
        const char* what;
        std::vector<double> ms;
        std::size_t rows = 0;
    };
    std::vector<Row> table = {{"open (schema + integrity count)", {}},
                              {"totals() per award [controller start-up]", {}},
                              {"charges() all rows [API today]", {}},
                              {"charges() then filter award [API today]", {}},
                              {"SQL award = ? (indexed)", {}},
                              {"SQL user = ? (charges_user)", {}},
                              {"SQL recorded_at in 1 day (charges_recorded_at)", {}},
                              {"SQL per-user totals of one award", {}}};
    auto sql_rows = [&](const char* sql, const char* arg, std::int64_t a, std::int64_t b) -> std::size_t {
        sqlite3* db = nullptr;
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
            std::fprintf(stderr, "sql: %s\n", sqlite3_errmsg(db));
            std::exit(1);
        }
        if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
        if (!arg && a) {
            sqlite3_bind_int64(st, 1, a);
            sqlite3_bind_int64(st, 2, b);
        }
        std::size_t n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) ++n;
        sqlite3_finalize(st);
        sqlite3_close(db);
        return n;
    };
    const std::string one_award = award_id(7);
    const std::string one_user = user_name(7919 * 5 % kUsers);
    for (int r = 0; r < rounds; ++r) {
        auto t0 = Clock::now();
        auto ledger = Ledger::open(path, &error, true);
        table[0].ms.push_back(ms_since(t0));
        t0 = Clock::now();
        std::map<std::string, ChargeTotals> totals;
        ledger->totals(&totals, &error);
        table[1].ms.push_back(ms_since(t0));
        table[1].rows = totals.size();
        t0 = Clock::now();
        std::vector<ChargeRecord> all;
        ledger->charges(&all, &error);
        table[2].ms.push_back(ms_since(t0));
        table[2].rows = all.size();
        all.clear();
        all.shrink_to_fit();
        t0 = Clock::now();
        ledger->charges(&all, &error);
        std::size_t n = static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const ChargeRecord& c) { return c.award == one_award; }));
        table[3].ms.push_back(ms_since(t0));
        table[3].rows = n;
        const char* cols = "cluster, job_id, run_start, award, user, account, partition, chips, seconds, chip_hours_ticks";
        t0 = Clock::now();
        table[4].rows = sql_rows((std::string("SELECT ") + cols + " FROM charges WHERE award = ?").c_str(), one_award.c_str(), 0, 0);
        table[4].ms.push_back(ms_since(t0));
        t0 = Clock::now();
        table[5].rows = sql_rows((std::string("SELECT ") + cols + " FROM charges WHERE user = ?").c_str(), one_user.c_str(), 0, 0);
        table[5].ms.push_back(ms_since(t0));
        t0 = Clock::now();
        table[6].rows = sql_rows((std::string("SELECT ") + cols + " FROM charges WHERE recorded_at >= ? AND recorded_at < ?").c_str(),
                                 nullptr, 1'700'000'000 + 500'000 * 30, 1'700'000'000 + 500'000 * 30 + 86400);
        table[6].ms.push_back(ms_since(t0));
        t0 = Clock::now();
        table[7].rows = sql_rows("SELECT user, sum(chip_hours_ticks) FROM charges WHERE award = ? GROUP BY user", one_award.c_str(), 0, 0);
        table[7].ms.push_back(ms_since(t0));
    }
    std::printf("%-44s %10s %10s %10s %9s\n", "query", "median_ms", "min_ms", "max_ms", "rows");
    for (auto& row : table) {
        std::printf("%-44s %10.1f %10.1f %10.1f %9zu\n", row.what, percentile(row.ms, 0.5),
                    *std::min_element(row.ms.begin(), row.ms.end()), *std::max_element(row.ms.begin(), row.ms.end()),
                    row.rows);
    }
    return 0;
}

// ------------------------------------------------------------ the Lua baseline's copy of a policy
// The same policy as Lua tables for bench/job_submit.lua (loaded once with
// dofile), so job_submit/lua enforces exactly what job_submit/grants does.
std::string lua_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}
std::string lua_set(const NameSet& names) {
    std::string out = "{";
    for (const auto& n : names) out += "[" + lua_string(n) + "]=true,";
    return out + "}";
}
template <class T>
std::string lua_opt(const std::optional<T>& v) {
    return v ? std::to_string(*v) : "nil";
}

int export_lua(const std::string& yaml, const std::string& out_path) {
    PolicyLoad l = load_policy_file(yaml);
    if (!l.policy) {
        for (const auto& e : l.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
        return 1;
    }
    const Policy& p = *l.policy;
    std::string o = "-- generated by bench_core gen-lua from " + yaml + "\nreturn {\n";
    o += "enforced = " + lua_set(p.enforced_partitions) + ",\npartitions = {\n";
    for (const auto& [name, part] : p.partitions) {
        o += "  [" + lua_string(name) + "] = {chips_per_node=" + std::to_string(part.chips_per_node) +
             ", usd=" + (part.usd_per_chip_hour ? std::to_string(static_cast<double>(*part.usd_per_chip_hour) / 1e6) : "nil") +
             ", gres=" + (part.gres.empty() ? "nil" : lua_string(part.gres)) + "},\n";
    }
    o += "},\nawards = {\n";
    for (const auto& [id, a] : p.awards) {
        const Limits& lim = a.limits;
        o += "  [" + lua_string(id) + "] = {users=" + lua_set(a.members.users) + ", groups=" + lua_set(a.members.groups) +
             ", accounts=" + lua_set(a.members.accounts) +
             ", from=" + (a.valid.from ? lua_string(format_date(*a.valid.from)) : "nil") +
             ", until_=" + (a.valid.until ? lua_string(format_date(*a.valid.until)) : "nil") +
             ", unit=" + (a.budget.unit == Budget::Unit::Usd ? "\"usd\"" : "\"chip_hours\"") +
             ", budget=" + std::to_string(static_cast<double>(a.budget.amount) / 1e6) +
             ", partitions=" + (a.partitions.empty() ? std::string("nil") : lua_set(a.partitions)) +
             ", max_chips_per_job=" + lua_opt(lim.max_chips_per_job) +
             ", max_walltime=" + (lim.max_walltime_seconds ? std::to_string(*lim.max_walltime_seconds / 60) : "nil") +
             ", max_running_chips=" + lua_opt(lim.max_running_chips) + ", max_jobs=" + lua_opt(lim.max_jobs) +
             ", user_max_running_chips=" + lua_opt(lim.per_user.max_running_chips) +
             ", user_max_jobs=" + lua_opt(lim.per_user.max_jobs) + "},\n";
    }
    o += "},\ndefaults = {\n";
    for (const auto& [user, settings] : p.users) {
        if (!settings.default_award.empty()) o += "  [" + lua_string(user) + "] = " + lua_string(settings.default_award) + ",\n";
    }
    o += "},\n}\n";
    std::ofstream out(out_path);
    out << o;
    return out.good() ? 0 : 1;
}

// ------------------------------------------------------------ the charge book (PIs' views)
long rss_kib() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return 0;
}

// An award's charges per (UTC) day from first on. ChargeBook::daily took a
// time and a day function before it kept running sums per day (issue 26):
// bench-at-rev.sh builds this file against older src/ too.
template <class Book>
auto book_daily(const Book& book, const std::string& id, DayNumber first, int)
    -> decltype(book.daily(id, Budget::Unit::ChipHours, first)) {
    return book.daily(id, Budget::Unit::ChipHours, first);
}
template <class Book>
auto book_daily(const Book& book, const std::string& id, DayNumber first, long)
    -> decltype(book.daily(id, Budget::Unit::ChipHours, std::int64_t{0}, std::function<DayNumber(std::int64_t)>())) {
    return book.daily(id, Budget::Unit::ChipHours, static_cast<std::int64_t>(first) * 86400,
                      [](std::int64_t t) { return static_cast<DayNumber>(t / 86400); });
}

// What slurmctld's charge book costs with AWARDS awards and CHARGES charges:
// the load (once per ledger re-read, in the accounting thread), its memory,
// and what a PI's question costs (under the book's mutex, in an RPC thread).
// The ledger at path, filled with CHARGES charges over AWARDS awards of 20
// members each when it is empty (kept between runs: 18 s to build).
std::unique_ptr<Ledger> open_book_ledger(const std::string& path, long charges, int awards) {
    std::string error;
    auto ledger = Ledger::open(path, &error);
    if (!ledger) {
        std::fprintf(stderr, "ledger: %s\n", error.c_str());
        return nullptr;
    }
    std::map<std::string, ChargeTotals> totals;
    ledger->totals(&totals, &error);
    if (totals.empty()) {
        auto t0 = Clock::now();
        const bool built = fill_ledger(*ledger, 0, charges, [awards](long k, ChargeRecord& c) {
            // 20 members per award, as a lab's award has.
            const int award = static_cast<int>(k % awards);
            c.award = award_id(award);
            c.user = user_name(award * 20 + static_cast<int>((k / awards) % 20));
            c.account = "acct";
            c.partition = "trn1";
            c.chips = 16;
        });
        if (!built) return nullptr;
        std::printf("# built the ledger in %.1f s\n", ms_since(t0) / 1000);
    }
    return ledger;
}

int run_charge_book(const std::string& path, long charges, int awards) {
    std::printf("# charge book: %ld charges over %d awards (%s)\n", charges, awards, path.c_str());
    std::string error;
    auto ledger = open_book_ledger(path, charges, awards);
    if (!ledger) return 1;
    const long rss_before = rss_kib();
    ChargeBook book;
    auto t0 = Clock::now();
    ChargeBook::Contents contents;
    if (!load_charge_book(*ledger, &contents, &error)) {
        std::fprintf(stderr, "load: %s\n", error.c_str());
        return 1;
    }
    book.replace(std::move(contents));
    const double load_ms = ms_since(t0);
    const long rss_after = rss_kib();
    std::printf("load_charge_book: %.0f ms; %zu charges; bytes() %.1f MB; RSS growth %.1f MB (%.0f bytes/charge)\n",
                load_ms, book.charges(), static_cast<double>(book.bytes()) / 1e6,
                static_cast<double>(rss_after - rss_before) / 1024.0,
                static_cast<double>(rss_after - rss_before) * 1024.0 / static_cast<double>(book.charges()));
    std::vector<double> members_us, daily_us, report_us, metrics_ms;
    const auto day_of = [](std::int64_t t) { return static_cast<DayNumber>(t / 86400); };
    const DayNumber today = day_of(1'700'000'000 + charges * 30);
    // What `grantctl metrics` asks of the book: every award's 14-day window.
    for (int round = 0; round < 5; ++round) {
        auto t = Clock::now();
        std::size_t days = 0;
        for (int a = 0; a < awards; ++a) days += book_daily(book, award_id(a), today - 13, 0).size();
        metrics_ms.push_back(ms_since(t));
        if (days == 0) return 1;
    }
    for (int i = 0; i < 1000; ++i) {
        const std::string id = award_id((i * 7) % awards);
        auto t = Clock::now();
        auto m = book.members(id, Budget::Unit::ChipHours);
        members_us.push_back(ms_since(t) * 1000);
        t = Clock::now();
        auto d = book_daily(book, id, today - 13, 0);
        daily_us.push_back(ms_since(t) * 1000);
        t = Clock::now();
        ReportInput in;
        in.group = ReportGroup::Job;
        in.day_of = day_of;
        book.award_entries(id, {}, &in.charges, &in.adjustments);
        auto r = build_report(in);
        report_us.push_back(ms_since(t) * 1000);
        if (m.empty() || r.empty()) return 1;
    }
    std::printf("%-34s %10s %10s\n", ("1,000 questions (" + std::to_string(charges / awards) + " charges/award)").c_str(),
                "p50_us", "p99_us");
    std::printf("%-34s %10.1f %10.1f\n", "members (balance per member)", percentile(members_us, 0.5), percentile(members_us, 0.99));
    std::printf("%-34s %10.1f %10.1f\n", "daily (forecast)", percentile(daily_us, 0.5), percentile(daily_us, 0.99));
    std::printf("%-34s %10.1f %10.1f\n", "report --by job", percentile(report_us, 0.5), percentile(report_us, 0.99));
    std::printf("%-34s %10.1f us in all (min %.1f, max %.1f, 5 rounds)\n",
                ("metrics: " + std::to_string(awards) + " forecasts").c_str(), percentile(metrics_ms, 0.5) * 1000,
                *std::min_element(metrics_ms.begin(), metrics_ms.end()) * 1000,
                *std::max_element(metrics_ms.begin(), metrics_ms.end()) * 1000);
    return 0;
}

// ------------------------------------------------------------ hostile input: an award flood
// What job_submit does with a forged job whose spank environment carries N
// award options (docs/SECURITY.md D1): read the request (under the
// plugin's mutex and slurmctld's job read lock), then the decision's
// refusal, whose sentence also goes to slurmctld.log. Builds against older
// src/ too (bench-at-rev.sh): only award_request_from_env and decide_submit.
int run_award_flood(const std::vector<long>& counts) {
    std::printf("# award flood: a job's spank environment with N award options (distinct, or N copies of one)\n");
    const auto policy = load_or_die(
        "version: 1\nenforce: { partitions: [trn1] }\npartitions:\n  trn1: { chips_per_node: 16 }\n"
        "awards:\n  A-1: { members: { users: [alice] }, budget: { chip_hours: 100 } }\n");
    std::printf("%-10s %-9s %12s %12s %12s\n", "N", "values", "read_ms", "decide_ms", "sentence_B");
    for (long n : counts) {
        for (bool distinct : {true, false}) {
            std::vector<std::string> storage;
            storage.reserve(static_cast<std::size_t>(n));
            for (long i = 0; i < n; ++i) {
                storage.push_back(std::string(kSpankOptionVariable) + "=FLOOD-" + (distinct ? std::to_string(i) : "0"));
            }
            std::vector<const char*> env;
            for (const auto& e : storage) env.push_back(e.c_str());
            auto t = Clock::now();
            JobRequest job;
            job.requested = award_request_from_env(env.data(), env.size());
            const double read_ms = ms_since(t);
            job.who.user = "alice";
            job.partitions = {"trn1"};
            t = Clock::now();
            const Decision d = decide_submit(*policy, job, [](const std::string&, const std::string&) {
                return AwardUsageView{};
            });
            const double decide_ms = ms_since(t);
            std::printf("%-10ld %-9s %12.3f %12.3f %12zu\n", n, distinct ? "distinct" : "same", read_ms, decide_ms,
                        d.message.size());
        }
    }
    return 0;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Issue 30: what the accounting thread spends on the charge book after
// another writer's change (one `grantctl adjust`), reading the whole ledger
// (load_charge_book and replace, as before) or only what was appended
// (update_charge_book), interleaved: adjust, whole, adjust, incremental, ...
int run_book_reload(const std::string& path, long charges, int awards, int pairs) {
    std::printf("# charge book reload after one adjustment: %ld charges over %d awards (%s), %d pairs\n", charges,
                awards, path.c_str(), pairs);
    auto ledger = open_book_ledger(path, charges, awards);
    std::string error;
    auto other = ledger ? Ledger::open(path, &error) : nullptr;  // grantctl adjust's connection
    if (!other) return 1;
    ChargeBook book;
    const auto whole = [&] {
        ChargeBook::Contents contents;
        if (!load_charge_book(*ledger, &contents, &error)) return false;
        book.replace(std::move(contents));
        return true;
    };
    const auto adjust = [&](int i) {
        return other->record_adjustment(Adjustment{award_id(i % awards), "chip_hours", kMicrosPerUnit, "bench", "root",
                                                   1'700'000'000 + i},
                                        &error);
    };
    if (!whole()) {
        std::fprintf(stderr, "load: %s\n", error.c_str());
        return 1;
    }
    std::vector<double> full_ms, incremental_ms;
    std::printf("%-5s %12s %16s %10s\n", "pair", "whole_ms", "incremental_ms", "charges");
    for (int i = 0; i < pairs; ++i) {
        if (!adjust(2 * i)) break;
        auto t0 = Clock::now();
        if (!whole()) break;
        full_ms.push_back(ms_since(t0));
        if (!adjust(2 * i + 1)) break;
        t0 = Clock::now();
        const BookUpdate u = update_charge_book(*ledger, &book, &error);
        incremental_ms.push_back(ms_since(t0));
        if (u != BookUpdate::Updated) {
            std::fprintf(stderr, "update_charge_book did not update (%s)\n", error.c_str());
            return 1;
        }
        std::printf("%-5d %12.1f %16.2f %10zu\n", i + 1, full_ms.back(), incremental_ms.back(), book.charges());
    }
    if (static_cast<int>(incremental_ms.size()) != pairs) {
        std::fprintf(stderr, "stopped: %s\n", error.c_str());
        return 1;
    }
    const double a = median(full_ms), b = median(incremental_ms);
    std::printf("median: whole %.1f ms, incremental %.2f ms, ratio %.0fx\n", a, b, b > 0 ? a / b : 0.0);
    return 0;
}

int usage() {
    std::fprintf(stderr,
                 "usage: bench_core gen-policy AWARDS USERS FILE [EXTRA_MEMBERS] | gen-lua POLICY.yaml OUT.lua | decision [ROUNDS [PER_ROUND]] |\n"
                 "       policy-load FILE [RUNS] | ledger FILE [CHARGES [ROUNDS]] | charge-book FILE [CHARGES [AWARDS]] |\n"
                 "       book-reload FILE [CHARGES [AWARDS [PAIRS]]] | award-flood [N...]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    std::string cmd = argv[1];
    if (cmd == "gen-policy" && (argc == 5 || argc == 6)) {
        std::ofstream out(argv[4]);
        out << generate_policy(std::atoi(argv[2]), std::atoi(argv[3]), argc == 6 ? argv[5] : "");
        return out.good() ? 0 : 1;
    }
    if (cmd == "gen-lua" && argc == 4) return export_lua(argv[2], argv[3]);
    if (cmd == "decision") return run_decision(argc > 2 ? std::atoi(argv[2]) : 5, argc > 3 ? std::atoi(argv[3]) : 20000);
    if (cmd == "policy-load" && argc >= 3) return run_policy_load(argv[2], argc > 3 ? std::atoi(argv[3]) : 5);
    if (cmd == "ledger" && argc >= 3) {
        return run_ledger(argv[2], argc > 3 ? std::atol(argv[3]) : 1'000'000, argc > 4 ? std::atoi(argv[4]) : 5);
    }
    if (cmd == "award-flood") {
        std::vector<long> counts;
        for (int i = 2; i < argc; ++i) counts.push_back(std::atol(argv[i]));
        if (counts.empty()) counts = {1'000, 10'000, 100'000};
        return run_award_flood(counts);
    }
    if (cmd == "book-reload" && argc >= 3) {
        return run_book_reload(argv[2], argc > 3 ? std::atol(argv[3]) : 1'000'000, argc > 4 ? std::atoi(argv[4]) : kAwards,
                               argc > 5 ? std::atoi(argv[5]) : 7);
    }
    if (cmd == "charge-book" && argc >= 3) {
        return run_charge_book(argv[2], argc > 3 ? std::atol(argv[3]) : 1'000'000, argc > 4 ? std::atoi(argv[4]) : kAwards);
    }
    return usage();
}
