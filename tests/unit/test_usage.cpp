// Holds and charges from job records (UsageAccountant) and the in-memory view
// the submit path reads (UsageTracker): what is held while jobs are live or
// not yet charged, exactly one charge per run (requeues included), and the
// approvals that bridge the gap until a job shows up.
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cmocka.h"
#include "core/domain/update_pass.h"
#include "core/domain/usage.h"
#include "core/policy/policy_loader.h"

using grants::AwardTally;
using grants::AwardUsageView;
using grants::ChargeRecord;
using grants::ChargeTotals;
using grants::JobObservation;
using grants::JobShape;
using grants::PassResult;
using grants::Policy;
using grants::Ticks;
using grants::ticks_of;
using grants::UsageAccountant;
using grants::UsageSnapshot;
using grants::UsageTracker;
using Phase = grants::JobObservation::Phase;

namespace {

// trn1/trn2/trn3 enforced (trn3 has no dollar rate); spot is priced but not enforced.
const char kPolicy[] = R"(version: 1
enforce:
  partitions: [trn1, trn2, trn3]
partitions:
  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.34 }
  trn2: { chips_per_node: 16, usd_per_chip_hour: 2.10, gres: neuron }
  trn3: { chips_per_node: 8 }
  spot: { chips_per_node: 1 }
awards:
  CH:
    members: { users: [alice, bob] }
    budget: { chip_hours: 1000 }
  USD:
    members: { users: [alice] }
    budget: { usd: 1000 }
    partitions: [trn1, trn2]
)";

std::shared_ptr<const Policy> load(const std::string& text) {
    auto l = grants::load_policy_text(text, "grants.yaml");
    for (const auto& e : l.errors) print_error("%s\n", e.to_string().c_str());
    assert_non_null(l.policy.get());
    return l.policy;
}

const Policy& policy() {
    static std::shared_ptr<const Policy> p = load(kPolicy);
    return *p;
}

JobObservation job(std::uint32_t id, Phase phase, std::int64_t start = 0, const char* award = "CH",
                   const char* partition = "trn1", const char* user = "alice") {
    JobObservation j;
    j.job_id = id;
    j.user_id = 1000;
    j.user = user;
    j.account = "nlp";
    j.award = award;
    j.partition = partition;
    j.phase = phase;
    j.start_time = start;
    j.time_limit_minutes = 60;
    j.requeue_time = 1;  // submit time
    return j;
}

JobObservation finished(std::uint32_t id, std::int64_t start, std::int64_t end, const char* award = "CH",
                        const char* partition = "trn1") {
    JobObservation j = job(id, Phase::Finished, start, award, partition);
    j.end_time = end;
    return j;
}

// A run of 16 chips for 1000 s: 4.444... chip-h, $5.9555... at $1.34; exact in ticks.
constexpr Ticks kThousandSeconds = 16LL * 1000 * 1'000'000;
constexpr Ticks kThousandSecondsUsd = 16LL * 1000 * 1'340'000;

const AwardTally& tally(const PassResult& r, const std::string& award) {
    auto it = r.snapshot.awards.find(award);
    if (it == r.snapshot.awards.end()) print_error("no tally for award %s\n", award.c_str());
    assert_true(it != r.snapshot.awards.end());
    return it->second;
}

Ticks held_of(const PassResult& r, const std::string& award) {
    auto it = r.snapshot.awards.find(award);
    return it == r.snapshot.awards.end() ? 0 : it->second.held;
}

void expect_charge(const ChargeRecord& c, std::uint32_t job_id, std::int64_t run_start, std::int64_t chips,
                   std::int64_t seconds, Ticks chip_hours, Ticks usd) {
    bool ok = c.job_id == job_id && c.run_start == run_start && c.chips == chips && c.seconds == seconds &&
              c.chip_hours == chip_hours && c.usd == usd;
    if (!ok) {
        print_error("charge: job %u run %lld chips %lld seconds %lld chip_hours %lld usd %lld\n"
                    "  want: job %u run %lld chips %lld seconds %lld chip_hours %lld usd %lld\n",
                    c.job_id, static_cast<long long>(c.run_start), static_cast<long long>(c.chips),
                    static_cast<long long>(c.seconds), static_cast<long long>(c.chip_hours),
                    static_cast<long long>(c.usd), job_id, static_cast<long long>(run_start),
                    static_cast<long long>(chips), static_cast<long long>(seconds),
                    static_cast<long long>(chip_hours), static_cast<long long>(usd));
        fail();
    }
}

// ---------------------------------------------------------------- holds of live jobs

void test_live_jobs_held(void** /*state*/) {
    UsageAccountant acc("clu");
    std::vector<JobObservation> jobs;
    // Pending, may get 2 nodes: 32 chips x 1 h.
    JobObservation a = job(1, Phase::Pending);
    a.shape.max_nodes = 2;
    a.approval = 7;
    jobs.push_back(a);
    // Running on 1 node for at most 30 min: 16 chips x 0.5 h.
    JobObservation b = job(2, Phase::Running, 1000, "CH", "trn1", "bob");
    b.time_limit_minutes = 30;
    jobs.push_back(b);
    // An array's pending meta record: 10 tasks x 16 chips x 6 min.
    JobObservation c = job(3, Phase::Pending);
    c.shape.array_tasks = 10;
    c.time_limit_minutes = 6;
    jobs.push_back(c);
    // A dollar award on trn2: 16 chips x 1 h x $2.10.
    jobs.push_back(job(4, Phase::Pending, 0, "USD", "trn2"));

    PassResult r = acc.pass(policy(), jobs, 2000);
    assert_true(r.charges.empty());
    const AwardTally& ch = tally(r, "CH");
    assert_int_equal(ch.held, ticks_of(32'000'000 + 8'000'000 + 16'000'000));
    assert_int_equal(ch.live_jobs, 1 + 1 + 10);
    assert_int_equal(ch.live_chips, 32 + 16 + 160);
    assert_int_equal(ch.running_jobs, 1);
    assert_int_equal(ch.pending_jobs, 11);
    assert_int_equal(ch.users.size(), 2);
    assert_int_equal(ch.users.at("alice").live_jobs, 11);
    assert_int_equal(ch.users.at("alice").live_chips, 192);
    assert_int_equal(ch.users.at("bob").live_jobs, 1);
    assert_int_equal(ch.users.at("bob").live_chips, 16);
    const AwardTally& usd = tally(r, "USD");
    assert_int_equal(usd.held, ticks_of(33'600'000));
    assert_int_equal(usd.live_jobs, 1);
    assert_int_equal(usd.live_chips, 16);
    assert_int_equal(r.approvals_seen.size(), 1);
    assert_true(r.approvals_seen.count(7) == 1);
}

void test_running_uses_allocated_nodes(void** /*state*/) {
    UsageAccountant acc("clu");
    // Asked for 2-4 nodes; once running, min_nodes is the allocated count (3).
    JobObservation j = job(1, Phase::Running, 1000);
    j.shape.min_nodes = 3;
    j.shape.max_nodes = 4;
    PassResult r = acc.pass(policy(), {j}, 2000);
    assert_int_equal(tally(r, "CH").held, ticks_of(48'000'000));
    assert_int_equal(tally(r, "CH").live_chips, 48);
    // While pending it holds the most it may get.
    j.phase = Phase::Pending;
    j.start_time = 0;
    j.shape.min_nodes = 2;
    UsageAccountant fresh("clu");
    r = fresh.pass(policy(), {j}, 2000);
    assert_int_equal(tally(r, "CH").held, ticks_of(64'000'000));
}

// A queued job without a maximum node count (Slurm's 0, left by a forged
// update) may get every node of its partition: held so, not at min_nodes;
// a maximum above the partition's size is held at that size, as submitted.
void test_pending_without_maximum_held_at_partition_size(void** /*state*/) {
    JobObservation j = job(1, Phase::Pending, 0);
    j.start_time = 0;
    j.shape.min_nodes = 1;
    j.shape.max_nodes = grants::kNoMaxNodes;
    j.partition_nodes = 3;
    UsageAccountant acc("clu");
    PassResult r = acc.pass(policy(), {j}, 2000);
    assert_int_equal(tally(r, "CH").held, ticks_of(48'000'000));
    assert_int_equal(tally(r, "CH").live_chips, 48);
    j.shape.max_nodes = 8;
    UsageAccountant capped("clu");
    assert_int_equal(tally(capped.pass(policy(), {j}, 2000), "CH").held, ticks_of(48'000'000));
    // The partition grew (a node added): priced again, not from the remembered price.
    auto shared = load(kPolicy);
    UsageAccountant remembered("clu");
    assert_int_equal(tally(remembered.pass(shared, {j}, 2000), "CH").held, ticks_of(48'000'000));
    j.partition_nodes = 5;
    assert_int_equal(tally(remembered.pass(shared, {j}, 2100), "CH").held, ticks_of(80'000'000));
}

// A running job shrunk from 2 nodes to 1 (`scontrol update NumNodes=1`) is
// held and charged for the 2 nodes it held, for the whole run; a new run
// (requeue) starts from its own allocation. With remembered prices too.
void test_shrunk_run_charged_for_largest_allocation(void** /*state*/) {
    for (bool remember : {false, true}) {
        UsageAccountant acc("clu");
        auto shared = load(kPolicy);
        auto pass = [&](const JobObservation& j, std::int64_t now) {
            return remember ? acc.pass(shared, {j}, now) : acc.pass(*shared, {j}, now);
        };
        JobObservation j = job(20, Phase::Running, 1000);
        j.shape.min_nodes = 2;
        j.shape.max_nodes = 2;
        PassResult r = pass(j, 1100);
        assert_int_equal(tally(r, "CH").held, ticks_of(32'000'000));
        j.shape.min_nodes = 1;  // shrunk
        j.shape.max_nodes = 1;
        r = pass(j, 1200);
        assert_int_equal(tally(r, "CH").held, ticks_of(32'000'000));
        assert_int_equal(tally(r, "CH").live_chips, 32);
        JobObservation done = j;
        done.phase = Phase::Finished;
        done.end_time = 4600;
        r = pass(done, 5000);
        assert_int_equal(r.charges.size(), 1);
        expect_charge(r.charges[0], 20, 1000, 32, 3600, ticks_of(32'000'000), ticks_of(42'880'000));
    }
    // Another job's later run on 1 node is its own allocation.
    UsageAccountant acc("clu");
    JobObservation j = job(21, Phase::Running, 1000);
    j.shape.min_nodes = 2;
    acc.pass(policy(), {j}, 1100);
    JobObservation again = job(21, Phase::Running, 3000);
    again.shape.min_nodes = 1;
    again.requeue_time = 2500;
    PassResult r = acc.pass(policy(), {again}, 3100);
    assert_int_equal(tally(r, "CH").live_chips, 16);
}

void test_several_partitions_most_expensive(void** /*state*/) {
    // A pending job that may run on trn1 or trn2 holds what the dearer one costs:
    // the same 16 chips cost $2.10/h on trn2 but $1.34/h on trn1.
    UsageAccountant acc("clu");
    PassResult r = acc.pass(policy(), {job(1, Phase::Pending, 0, "USD", "trn1,trn2")}, 2000);
    assert_int_equal(tally(r, "USD").held, ticks_of(33'600'000));
    r = acc.pass(policy(), {job(1, Phase::Pending, 0, "USD", "trn2,trn1")}, 2000);
    assert_int_equal(tally(r, "USD").held, ticks_of(33'600'000));
    // With 4 neuron chips per node, trn1's whole node (16 chips) is dearer than trn2's 4.
    JobObservation g = job(2, Phase::Pending, 0, "CH", "trn2,trn1");
    g.shape.tres_per_node = "gres:neuron:4";
    r = acc.pass(policy(), {g}, 2000);
    assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000));
    assert_int_equal(tally(r, "CH").live_chips, 16);
    g.partition = "trn2";
    r = acc.pass(policy(), {g}, 2000);
    assert_int_equal(tally(r, "CH").held, ticks_of(4'000'000));
    assert_int_equal(tally(r, "CH").live_chips, 4);
    // Partitions outside enforcement are skipped in the list.
    r = acc.pass(policy(), {job(3, Phase::Pending, 0, "CH", "spot,cpu,trn3")}, 2000);
    assert_int_equal(tally(r, "CH").held, ticks_of(8'000'000));
}

// ---------------------------------------------------------------- charges

void test_finished_charged_once(void** /*state*/) {
    UsageAccountant acc("clu");
    JobObservation running = job(10, Phase::Running, 1000);
    running.shape.min_nodes = 2;
    running.time_limit_minutes = 120;
    PassResult r = acc.pass(policy(), {running}, 1100);
    assert_true(r.charges.empty());
    assert_int_equal(tally(r, "CH").held, ticks_of(64'000'000));

    JobObservation done = running;
    done.phase = Phase::Finished;
    done.end_time = 4600;
    r = acc.pass(policy(), {done}, 5000);
    assert_int_equal(r.charges.size(), 1);
    const ChargeRecord& c = r.charges[0];
    expect_charge(c, 10, 1000, 32, 3600, ticks_of(32'000'000), ticks_of(42'880'000));
    assert_string_equal(c.cluster.c_str(), "clu");
    assert_string_equal(c.award.c_str(), "CH");
    assert_string_equal(c.user.c_str(), "alice");
    assert_string_equal(c.account.c_str(), "nlp");
    assert_string_equal(c.partition.c_str(), "trn1");
    assert_int_equal(c.recorded_at, 5000);
    // Held (at its charge: the run is over) until the ledger has it; no longer live.
    assert_int_equal(tally(r, "CH").held, ticks_of(32'000'000));
    assert_int_equal(tally(r, "CH").live_jobs, 0);
    assert_int_equal(tally(r, "CH").live_chips, 0);

    // The ledger write failed: the next pass offers it again, still held.
    r = acc.pass(policy(), {done}, 5100);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 10, 1000, 32, 3600, ticks_of(32'000'000), ticks_of(42'880'000));
    assert_int_equal(held_of(r, "CH"), ticks_of(32'000'000));

    acc.mark_charged(r.charges);
    for (std::int64_t now : {5200, 5300, 9000}) {
        r = acc.pass(policy(), {done}, now);
        assert_true(r.charges.empty());
        assert_int_equal(held_of(r, "CH"), 0);
    }
}

// Federation: the origin holds a job until it starts; when it starts on a
// sibling the origin's copy is revoked (PENDING|REVOKED with the sibling's
// start time, then REVOKED|COMPLETED with end = start) and the sibling holds
// and charges it. Neither a revoked copy nor a sibling's pending copy of a
// job submitted elsewhere is held or charged here.
void test_federated_copies_elsewhere_are_neither_held_nor_charged(void** /*state*/) {
    UsageAccountant origin("alpha"), sibling("beta");
    JobObservation pending = job(67108865, Phase::Pending);
    JobObservation copy = pending;
    copy.elsewhere = true;  // beta's copy: its origin is alpha
    PassResult a = origin.pass(policy(), {pending}, 1000);
    PassResult b = sibling.pass(policy(), {copy}, 1000);
    assert_int_equal(held_of(a, "CH"), ticks_of(16'000'000));
    assert_int_equal(held_of(b, "CH"), 0);
    assert_true(b.snapshot.awards.empty());  // not even a live job there

    // It starts on beta: alpha's copy is revoked with beta's start time.
    JobObservation revoked = pending;
    revoked.elsewhere = true;
    revoked.start_time = 1100;
    JobObservation running = job(67108865, Phase::Running, 1100);
    a = origin.pass(policy(), {revoked}, 1200);
    b = sibling.pass(policy(), {running}, 1200);
    assert_int_equal(held_of(a, "CH"), 0);
    assert_int_equal(held_of(b, "CH"), ticks_of(16'000'000));

    // It ends: alpha's copy becomes REVOKED|COMPLETED (end = start); beta charges the run once.
    JobObservation revoked_done = finished(67108865, 1100, 1100);
    revoked_done.elsewhere = true;
    a = origin.pass(policy(), {revoked_done}, 1300);
    b = sibling.pass(policy(), {finished(67108865, 1100, 1250)}, 1300);
    assert_true(a.charges.empty());
    assert_int_equal(b.charges.size(), 1);
    expect_charge(b.charges[0], 67108865, 1100, 16, 150, 16LL * 150 * 1'000'000,
                  16LL * 150 * 1'340'000);
    assert_string_equal(b.charges[0].cluster.c_str(), "beta");
    // Without the flag the origin would charge its copy too: the rule matters.
    UsageAccountant naive("alpha");
    naive.pass(policy(), {job(67108865, Phase::Running, 1100)}, 1200);
    assert_int_equal(naive.pass(policy(), {finished(67108865, 1100, 1100)}, 1300).charges.size(), 1);
}

void test_charge_amounts(void** /*state*/) {
    UsageAccountant acc("clu");
    std::vector<JobObservation> jobs;
    // 4 neuron chips per node on 2 nodes, 4000 s with 400 s suspended.
    JobObservation g = finished(1, 1000, 5000, "CH", "trn2");
    g.shape.min_nodes = 2;
    g.shape.tres_per_node = "gres:neuron:4";
    g.suspended_seconds = 400;
    jobs.push_back(g);
    // 601 s on one trn1 node: 9616 chip-s, exact in both units (2.6711... chip-h, $3.5792...).
    jobs.push_back(finished(2, 1000, 1601));
    // trn3 has no dollar rate.
    jobs.push_back(finished(3, 1000, 1900, "CH", "trn3"));
    // Still running at an end_time of 0: charged up to now.
    jobs.push_back(finished(4, 1000, 0));
    PassResult r = acc.pass(policy(), jobs, 2800);
    assert_int_equal(r.charges.size(), 4);
    expect_charge(r.charges[0], 1, 1000, 8, 3600, ticks_of(8'000'000), ticks_of(16'800'000));
    expect_charge(r.charges[1], 2, 1000, 16, 601, 9616LL * 1'000'000, 9616LL * 1'340'000);
    expect_charge(r.charges[2], 3, 1000, 8, 900, ticks_of(2'000'000), -1);
    expect_charge(r.charges[3], 4, 1000, 16, 1800, ticks_of(8'000'000), ticks_of(10'720'000));
    assert_string_equal(r.charges[0].partition.c_str(), "trn2");
}

void test_nothing_charged(void** /*state*/) {
    UsageAccountant acc("clu");
    std::vector<JobObservation> jobs = {
        // Cancelled while pending: never started.
        finished(1, 0, 0),
        // Not an enforced partition (priced or not).
        finished(2, 1000, 2000, "CH", "spot"),
        finished(3, 1000, 2000, "CH", "cpu"),
        job(4, Phase::Running, 1000, "CH", "spot"),
        job(5, Phase::Pending, 0, "CH", "cpu"),
        // Untagged.
        finished(6, 1000, 2000, "", "trn1"),
        job(7, Phase::Running, 1000, "", "trn1"),
    };
    for (int pass = 0; pass < 2; ++pass) {
        PassResult r = acc.pass(policy(), jobs, 3000 + pass);
        assert_true(r.charges.empty());
        assert_int_equal(held_of(r, "CH"), 0);
        auto it = r.snapshot.awards.find("CH");
        if (it != r.snapshot.awards.end()) {
            assert_int_equal(it->second.live_jobs, 0);
            assert_int_equal(it->second.live_chips, 0);
        }
        assert_true(r.snapshot.awards.find("") == r.snapshot.awards.end());
    }
}

void test_award_gone_from_policy_still_charged(void** /*state*/) {
    // A run tagged with an award the policy no longer has is still recorded.
    UsageAccountant acc("clu");
    PassResult r = acc.pass(policy(), {finished(1, 1000, 4600, "GONE")}, 5000);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 1, 1000, 16, 3600, ticks_of(16'000'000), ticks_of(21'440'000));
    assert_string_equal(r.charges[0].award.c_str(), "GONE");
}

// ---------------------------------------------------------------- requeue

void test_requeue_two_runs(void** /*state*/) {
    UsageAccountant acc("clu");
    JobObservation j = job(20, Phase::Running, 1000);
    j.suspended_seconds = 100;
    PassResult r = acc.pass(policy(), {j}, 1500);
    assert_true(r.charges.empty());

    // Requeued at 2000: pending again, the run wiped from the record.
    j.phase = Phase::Pending;
    j.start_time = 0;
    j.suspended_seconds = 0;
    j.requeue_time = 2000;
    r = acc.pass(policy(), {j}, 2100);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 20, 1000, 16, 900, ticks_of(4'000'000), ticks_of(5'360'000));  // 2000 - 1000 - 100 s
    // Pending again holds its maximum, plus the ended run until the ledger has it.
    assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000 + 4'000'000));
    assert_int_equal(tally(r, "CH").live_jobs, 1);
    acc.mark_charged(r.charges);
    std::vector<ChargeRecord> all = r.charges;

    r = acc.pass(policy(), {j}, 2200);
    assert_true(r.charges.empty());
    assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000));

    // Second run.
    j.phase = Phase::Running;
    j.start_time = 2500;
    r = acc.pass(policy(), {j}, 2600);
    assert_true(r.charges.empty());

    j.phase = Phase::Finished;
    j.end_time = 3100;
    r = acc.pass(policy(), {j}, 3200);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 20, 2500, 16, 600, 16LL * 600 * 1'000'000, 16LL * 600 * 1'340'000);
    acc.mark_charged(r.charges);
    all.push_back(r.charges[0]);

    r = acc.pass(policy(), {j}, 3300);
    assert_true(r.charges.empty());
    assert_int_equal(held_of(r, "CH"), 0);
    // Two runs, two records, distinct keys.
    assert_int_equal(all.size(), 2);
    assert_true(all[0].run_start != all[1].run_start);
}

// ---------------------------------------------------------------- cloud nodes

// A policy whose trn2 charges boot time (boot_time: charged); trn1 is free.
const Policy& boot_policy() {
    static std::shared_ptr<const Policy> p = load(R"(version: 1
enforce:
  partitions: [trn1, trn2]
partitions:
  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.00 }
  trn2: { chips_per_node: 16, usd_per_chip_hour: 1.00, boot_time: charged }
awards:
  CH:
    members: { users: [alice] }
    budget: { chip_hours: 1000 }
)");
    return *p;
}

// Allocated at 1000, nodes booting (CONFIGURING) until Slurm resets the
// start to 1300; the run ends at 1400. One charge, keyed by the settled
// start; boot free on trn1, charged (one row) on trn2.
void test_boot_is_part_of_one_run(void** /*state*/) {
    for (const char* part : {"trn1", "trn2"}) {
        UsageAccountant acc("clu");
        JobObservation j = job(60, Phase::Running, 1000, "CH", part);
        j.configuring = true;
        PassResult r = acc.pass(boot_policy(), {j}, 1100);
        assert_true(r.charges.empty());
        assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000));  // held like a running job
        assert_int_equal(tally(r, "CH").live_jobs, 1);
        j.configuring = false;
        j.start_time = 1300;  // the nodes are up: Slurm settles the start
        r = acc.pass(boot_policy(), {j}, 1310);
        assert_true(r.charges.empty());  // the boot is not a run that ended
        j.phase = Phase::Finished;
        j.end_time = 1400;
        r = acc.pass(boot_policy(), {j}, 1410);
        assert_int_equal(r.charges.size(), 1);
        const bool charged = std::string(part) == "trn2";
        assert_int_equal(r.charges[0].run_start, 1300);
        assert_int_equal(r.charges[0].seconds, charged ? 400 : 100);
        acc.mark_charged(r.charges);
        r = acc.pass(boot_policy(), {j}, 1500);
        assert_true(r.charges.empty());
    }
}

// Charged boot time counts within the time limit the job held.
void test_charged_boot_within_the_limit(void** /*state*/) {
    UsageAccountant acc("clu");
    JobObservation j = job(61, Phase::Running, 1000, "CH", "trn2");
    j.time_limit_minutes = 10;
    j.configuring = true;
    acc.pass(boot_policy(), {j}, 1100);
    j.configuring = false;
    j.start_time = 1300;
    acc.pass(boot_policy(), {j}, 1310);
    j.phase = Phase::Finished;
    j.end_time = 1300 + 600;  // ran its whole limit after a 300 s boot
    PassResult r = acc.pass(boot_policy(), {j}, 1910);
    assert_int_equal(r.charges.size(), 1);
    assert_int_equal(r.charges[0].seconds, 600);
}

// A launch that fails: Slurm marks the node down at ResumeTimeout and
// requeues the job with its allocation's start still in the record. No
// run: nothing charged, on either partition; the job is held while it waits,
// and its retry (a new allocation, another boot) is charged once.
void test_failed_launch_costs_nothing(void** /*state*/) {
    for (const char* part : {"trn1", "trn2"}) {
        UsageAccountant acc("clu");
        JobObservation j = job(62, Phase::Running, 1000, "CH", part);
        j.configuring = true;
        acc.pass(boot_policy(), {j}, 1010);
        // The requeue in progress: finished-looking, same start, an end time.
        j.phase = Phase::Finished;
        j.end_time = 1031;
        PassResult r = acc.pass(boot_policy(), {j}, 1032);
        assert_true(r.charges.empty());
        assert_int_equal(held_of(r, "CH"), 0);
        // Pending again: one hold, no charge.
        j.phase = Phase::Pending;
        j.start_time = 0;
        j.end_time = 0;
        j.configuring = false;
        j.requeue_time = 1031;
        r = acc.pass(boot_policy(), {j}, 1040);
        assert_true(r.charges.empty());
        assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000));
        assert_int_equal(tally(r, "CH").live_jobs, 1);
        // A second failed launch of the retry: still nothing.
        j.phase = Phase::Running;
        j.start_time = 1200;
        j.configuring = true;
        acc.pass(boot_policy(), {j}, 1210);
        j.phase = Phase::Finished;
        j.end_time = 1231;
        r = acc.pass(boot_policy(), {j}, 1232);
        assert_true(r.charges.empty());
        // The third attempt boots and runs: one charge.
        j.phase = Phase::Running;
        j.start_time = 1400;
        j.end_time = 0;
        acc.pass(boot_policy(), {j}, 1410);
        j.configuring = false;
        j.start_time = 1450;
        acc.pass(boot_policy(), {j}, 1460);
        j.phase = Phase::Finished;
        j.end_time = 1500;
        r = acc.pass(boot_policy(), {j}, 1510);
        assert_int_equal(r.charges.size(), 1);
        assert_int_equal(r.charges[0].run_start, 1450);
        assert_int_equal(r.charges[0].seconds, std::string(part) == "trn2" ? 100 : 50);
    }
}

// Cancelled while the nodes boot: the record shows the allocation's start
// and the cancel time; no run, no charge, also where boot time is charged.
void test_cancelled_while_booting_costs_nothing(void** /*state*/) {
    for (const char* part : {"trn1", "trn2"}) {
        UsageAccountant acc("clu");
        JobObservation j = job(63, Phase::Running, 1000, "CH", part);
        j.configuring = true;
        acc.pass(boot_policy(), {j}, 1010);
        j.phase = Phase::Finished;
        j.end_time = 1020;
        PassResult r = acc.pass(boot_policy(), {j}, 1021);
        assert_true(r.charges.empty());
        assert_int_equal(held_of(r, "CH"), 0);
    }
}

// slurmctld restarted (a new accountant) while the job was booting: the
// record still shows CONFIGURING with the allocation's start; once settled
// the run is charged once, from its settled start (boot free).
void test_restart_while_booting(void** /*state*/) {
    UsageAccountant before("clu");
    JobObservation j = job(64, Phase::Running, 1000, "CH", "trn1");
    j.configuring = true;
    before.pass(boot_policy(), {j}, 1010);
    UsageAccountant after("clu");
    PassResult r = after.pass(boot_policy(), {j}, 1100);
    assert_true(r.charges.empty());
    j.configuring = false;
    j.start_time = 1300;
    after.pass(boot_policy(), {j}, 1310);
    j.phase = Phase::Finished;
    j.end_time = 1350;
    r = after.pass(boot_policy(), {j}, 1360);
    assert_int_equal(r.charges.size(), 1);
    assert_int_equal(r.charges[0].run_start, 1300);
    assert_int_equal(r.charges[0].seconds, 50);
}

// Cancelled while its nodes boot, and slurmctld restarted while Slurm still
// keeps the cancelled job: the record shows the allocation's start and the
// cancel time, not CONFIGURING any more. Only the spooled boot (booting_jobs,
// restore_boots) tells the new controller that this start is a boot's: no
// run, no charge. A new accountant without it charges the boot as a run.
void test_cancelled_while_booting_across_a_restart(void** /*state*/) {
    for (const char* part : {"trn1", "trn2"}) {
        UsageAccountant before("clu");
        JobObservation j = job(66, Phase::Running, 1000, "CH", part);
        j.configuring = true;
        before.pass(boot_policy(), {j}, 1010);
        const std::vector<grants::BootRecord> spooled = before.booting_jobs();
        assert_int_equal(spooled.size(), 1);
        assert_int_equal(spooled[0].job_id, 66);
        assert_int_equal(spooled[0].allocated, 1000);
        j.configuring = false;
        j.phase = Phase::Finished;
        j.end_time = 1020;
        // The pass that sees it cancelled still spools the boot: the job is
        // in Slurm's records until it is purged.
        assert_true(before.pass(boot_policy(), {j}, 1021).charges.empty());
        assert_true(before.booting_jobs() == spooled);

        UsageAccountant after("clu");
        after.restore_boots(spooled);
        PassResult r = after.pass(boot_policy(), {j}, 1100);
        assert_true(r.charges.empty());
        assert_int_equal(held_of(r, "CH"), 0);
        assert_true(after.booting_jobs() == spooled);
        // Purged: forgotten, nothing left to spool.
        after.pass(boot_policy(), {}, 1400);
        assert_true(after.booting_jobs().empty());

        UsageAccountant forgetful("clu");  // what a restart did before boots were spooled
        r = forgetful.pass(boot_policy(), {j}, 1100);
        assert_int_equal(r.charges.size(), 1);
        assert_int_equal(r.charges[0].seconds, 20);
    }
}

// A boot spooled across a restart, and the run Slurm settled since: with
// boot_time: charged the run still pays from the allocation (one row), and
// once the run is seen the boot is no longer spooled.
void test_charged_boot_across_a_restart(void** /*state*/) {
    UsageAccountant before("clu");
    JobObservation j = job(67, Phase::Running, 1000, "CH", "trn2");
    j.configuring = true;
    before.pass(boot_policy(), {j}, 1010);
    UsageAccountant after("clu");
    after.restore_boots(before.booting_jobs());
    j.configuring = false;
    j.start_time = 1300;
    after.pass(boot_policy(), {j}, 1310);
    assert_true(after.booting_jobs().empty());
    j.phase = Phase::Finished;
    j.end_time = 1350;
    PassResult r = after.pass(boot_policy(), {j}, 1360);
    assert_int_equal(r.charges.size(), 1);
    assert_int_equal(r.charges[0].run_start, 1300);
    assert_int_equal(r.charges[0].seconds, 350);
}

void test_requeue_restarted_between_passes(void** /*state*/) {
    // Requeued at 2000 and already running again (start 2500) when next seen.
    UsageAccountant acc("clu");
    JobObservation j = job(21, Phase::Running, 1000);
    acc.pass(policy(), {j}, 1500);
    j.start_time = 2500;
    j.requeue_time = 2000;
    PassResult r = acc.pass(policy(), {j}, 2600);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 21, 1000, 16, 1000, kThousandSeconds, kThousandSecondsUsd);
    // No requeue time after the run started: charged up to now.
    UsageAccountant acc2("clu");
    JobObservation k = job(22, Phase::Running, 1000);
    acc2.pass(policy(), {k}, 1500);
    k.phase = Phase::Pending;
    k.start_time = 0;
    k.requeue_time = 500;
    r = acc2.pass(policy(), {k}, 1900);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 22, 1000, 16, 900, ticks_of(4'000'000), ticks_of(5'360'000));
}

void test_requeue_charge_retried_until_recorded(void** /*state*/) {
    UsageAccountant acc("clu");
    JobObservation j = job(23, Phase::Running, 1000);
    acc.pass(policy(), {j}, 1500);
    j.phase = Phase::Pending;
    j.start_time = 0;
    j.requeue_time = 2000;
    PassResult r = acc.pass(policy(), {j}, 2100);
    assert_int_equal(r.charges.size(), 1);
    // The ledger write failed (no mark_charged): the run must not be lost.
    r = acc.pass(policy(), {j}, 2200);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 23, 1000, 16, 1000, kThousandSeconds, kThousandSecondsUsd);
    assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000) + kThousandSeconds);
    // Not even when Slurm purges the job meanwhile.
    r = acc.pass(policy(), {}, 2300);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 23, 1000, 16, 1000, kThousandSeconds, kThousandSecondsUsd);
    assert_int_equal(held_of(r, "CH"), kThousandSeconds);
    acc.mark_charged(r.charges);
    r = acc.pass(policy(), {}, 2400);
    assert_true(r.charges.empty());
    assert_int_equal(held_of(r, "CH"), 0);
}

void test_requeue_after_charge_not_charged_twice(void** /*state*/) {
    // A finished, charged job that is requeued (scontrol requeue of a completed job).
    UsageAccountant acc("clu");
    JobObservation j = finished(24, 1000, 2000);
    PassResult r = acc.pass(policy(), {j}, 2100);
    assert_int_equal(r.charges.size(), 1);
    acc.mark_charged(r.charges);
    j.phase = Phase::Pending;
    j.start_time = 0;
    j.end_time = 0;
    j.requeue_time = 3000;
    r = acc.pass(policy(), {j}, 3100);
    assert_true(r.charges.empty());
    assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000));
}

void test_usd_hold_of_ended_run(void** /*state*/) {
    // An ended run of a dollar award is held in dollars.
    UsageAccountant acc("clu");
    JobObservation j = job(25, Phase::Running, 1000, "USD", "trn1");
    acc.pass(policy(), {j}, 1500);
    j.phase = Phase::Pending;
    j.start_time = 0;
    j.requeue_time = 4600;
    PassResult r = acc.pass(policy(), {j}, 4700);
    assert_int_equal(r.charges.size(), 1);
    assert_int_equal(tally(r, "USD").held, ticks_of(21'440'000 + 21'440'000));
}

// ---------------------------------------------------------------- purge

void test_purged_jobs_forgotten(void** /*state*/) {
    UsageAccountant acc("clu");
    PassResult r = acc.pass(policy(), {finished(30, 1000, 2000)}, 2100);
    assert_int_equal(r.charges.size(), 1);
    acc.mark_charged(r.charges);
    r = acc.pass(policy(), {finished(30, 1000, 2000)}, 2200);
    assert_true(r.charges.empty());
    // Purged by Slurm: forgotten (the ledger's key keeps the charge unique if it came back).
    r = acc.pass(policy(), {}, 2300);
    assert_true(r.charges.empty());
    assert_true(r.snapshot.awards.empty());
    r = acc.pass(policy(), {finished(30, 1000, 2000)}, 2400);
    assert_int_equal(r.charges.size(), 1);

    // A run of a purged job id is forgotten too: a new job with that id is not a requeue.
    UsageAccountant acc2("clu");
    acc2.pass(policy(), {job(31, Phase::Running, 1000)}, 1500);
    acc2.pass(policy(), {}, 1600);
    JobObservation again = job(31, Phase::Pending);
    again.requeue_time = 1700;
    r = acc2.pass(policy(), {again}, 1800);
    assert_true(r.charges.empty());
}

// A finished run whose charge the ledger could not take (locked, full,
// read-only) is charged every pass and held at its charge until it is
// recorded, even after Slurm purges the finished job (MinJobAge).
void test_finished_charge_kept_after_purge(void** /*state*/) {
    UsageAccountant acc("clu");
    PassResult r = acc.pass(policy(), {finished(40, 1000, 2000)}, 2100);
    assert_int_equal(r.charges.size(), 1);
    assert_int_equal(tally(r, "CH").held, kThousandSeconds);
    // No mark_charged: the ledger write failed. Slurm purges the job.
    r = acc.pass(policy(), {}, 2200);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 40, 1000, 16, 1000, kThousandSeconds, kThousandSecondsUsd);
    assert_int_equal(held_of(r, "CH"), kThousandSeconds);
    assert_int_equal(acc.uncommitted().size(), 1);
    acc.mark_charged(r.charges);
    r = acc.pass(policy(), {}, 2300);
    assert_true(r.charges.empty());
    assert_int_equal(held_of(r, "CH"), 0);
    assert_true(acc.uncommitted().empty());
}

// Charges spooled by an earlier slurmctld are charged and held by the next
// one, once, even when their jobs are gone; a run the ledger confirms is not
// restored twice.
void test_restored_charges_charged_and_held(void** /*state*/) {
    UsageAccountant first("clu");
    PassResult r = first.pass(policy(), {finished(41, 1000, 2000), finished(42, 1000, 1500)}, 2100);
    const std::vector<ChargeRecord> spooled = first.uncommitted();
    assert_int_equal(spooled.size(), 2);
    UsageAccountant next("clu");
    next.restore_uncommitted(spooled);
    next.restore_uncommitted(spooled);
    r = next.pass(policy(), {}, 3000);
    assert_int_equal(r.charges.size(), 2);
    assert_int_equal(held_of(r, "CH"), kThousandSeconds + kThousandSeconds / 2);
    next.mark_charged(r.charges);
    r = next.pass(policy(), {}, 3100);
    assert_true(r.charges.empty());
    assert_int_equal(held_of(r, "CH"), 0);
}

// Slurm lets a job run past its time limit by OverTimeLimit (even
// UNLIMITED); the hold covers the limit only, so the run is charged at most
// its time limit and the award never pays more than it held.
void test_run_past_time_limit_charged_up_to_limit(void** /*state*/) {
    UsageAccountant acc("clu");
    JobObservation j = job(43, Phase::Running, 1000);
    j.time_limit_minutes = 10;
    PassResult r = acc.pass(policy(), {j}, 1100);
    const Ticks held = tally(r, "CH").held;
    assert_int_equal(held, 16LL * 600 * 1'000'000);
    JobObservation done = j;
    done.phase = Phase::Finished;
    done.end_time = 1000 + 600 + 300;  // five minutes over
    r = acc.pass(policy(), {done}, 2000);
    assert_int_equal(r.charges.size(), 1);
    expect_charge(r.charges[0], 43, 1000, 16, 600, held, 16LL * 600 * 1'340'000);
    // Within the limit: what it ran.
    UsageAccountant acc2("clu");
    JobObservation k = job(44, Phase::Running, 1000);
    acc2.pass(policy(), {k}, 1100);
    k.phase = Phase::Finished;
    k.end_time = 2000;
    r = acc2.pass(policy(), {k}, 2100);
    expect_charge(r.charges[0], 44, 1000, 16, 1000, kThousandSeconds, kThousandSecondsUsd);
}

// A run pays for the time it ran, whatever happens to its limit afterwards:
// a limit lowered while it runs (the job's own `scontrol update
// TimeLimit=1` after 75 s) caps only what is left. The cap is the largest
// limit the run had; it never goes down, and the run stays held for it.
void test_lowered_limit_caps_only_what_is_left(void** /*state*/) {
    for (bool remember : {false, true}) {
        UsageAccountant acc("clu");
        auto shared = load(kPolicy);
        auto pass = [&](const JobObservation& j, std::int64_t now) {
            return remember ? acc.pass(shared, {j}, now) : acc.pass(*shared, {j}, now);
        };
        JobObservation j = job(45, Phase::Running, 1000);
        j.time_limit_minutes = 10;
        PassResult r = pass(j, 1010);
        const Ticks ten_minutes = 16LL * 600 * 1'000'000;
        assert_int_equal(tally(r, "CH").held, ten_minutes);
        assert_true(acc.capped_runs().empty());
        j.time_limit_minutes = 1;  // lowered at 75 s, from inside the job
        r = pass(j, 1076);
        assert_int_equal(tally(r, "CH").held, ten_minutes);  // still held for what it may be charged
        const auto capped = acc.capped_runs();
        assert_int_equal(capped.size(), 1);
        assert_int_equal(capped[0].job_id, 45);
        assert_int_equal(capped[0].run_start, 1000);
        assert_int_equal(capped[0].seconds, 600);
        JobObservation done = j;
        done.phase = Phase::Finished;
        done.end_time = 1087;  // Slurm ended it after 87 s
        r = pass(done, 1090);
        assert_int_equal(r.charges.size(), 1);
        expect_charge(r.charges[0], 45, 1000, 16, 87, 16LL * 87 * 1'000'000, 16LL * 87 * 1'340'000);
        assert_true(acc.capped_runs().empty());  // ended: its charge (spooled until recorded) has it
    }
    // Raised (the raise was checked against the budget), then lowered: the
    // largest limit caps it. Past every limit it had: the largest one.
    UsageAccountant acc("clu");
    JobObservation j = job(46, Phase::Running, 1000);
    j.time_limit_minutes = 10;
    acc.pass(policy(), {j}, 1010);
    j.time_limit_minutes = 20;
    acc.pass(policy(), {j}, 1020);
    j.time_limit_minutes = 5;
    acc.pass(policy(), {j}, 1030);
    j.phase = Phase::Finished;
    j.end_time = 1000 + 1500;
    PassResult r = acc.pass(policy(), {j}, 2600);
    expect_charge(r.charges[0], 46, 1000, 16, 1200, 16LL * 1200 * 1'000'000, 16LL * 1200 * 1'340'000);
}

// The largest limit of a run whose limit was lowered survives a controller
// restart (the spool keeps it, the job record shows only the lower one).
void test_lowered_limit_restored_after_restart(void** /*state*/) {
    UsageAccountant before("clu");
    JobObservation j = job(47, Phase::Running, 1000);
    j.time_limit_minutes = 60;
    before.pass(policy(), {j}, 1010);
    j.time_limit_minutes = 1;
    before.pass(policy(), {j}, 1100);
    const auto caps = before.capped_runs();
    assert_int_equal(caps.size(), 1);
    UsageAccountant after("clu");
    after.restore_caps(caps);
    assert_int_equal(after.capped_runs().size(), 1);  // kept until the run is seen again
    PassResult r = after.pass(policy(), {j}, 1200);
    assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000));
    assert_int_equal(after.capped_runs().size(), 1);  // its limit is still the lower one
    j.phase = Phase::Finished;
    j.end_time = 1000 + 1800;
    r = after.pass(policy(), {j}, 3000);
    expect_charge(r.charges[0], 47, 1000, 16, 1800, ticks_of(8'000'000), ticks_of(10'720'000));
    // Without it, the run would be charged 60 s; a restored cap of another
    // run (another start) does not apply, and is forgotten with its job.
    UsageAccountant other("clu");
    other.restore_caps({grants::RunCap{47, 999, 3600}});
    JobObservation k = job(47, Phase::Finished, 1000);
    k.time_limit_minutes = 1;
    k.end_time = 1000 + 1800;
    r = other.pass(policy(), {k}, 3000);
    expect_charge(r.charges[0], 47, 1000, 16, 60, 16LL * 60 * 1'000'000, 16LL * 60 * 1'340'000);
    other.pass(policy(), {}, 3100);
    assert_true(other.capped_runs().empty());
}

// ---------------------------------------------------------------- re-runs

// A requeued job (Slurm's restart count above 0) waiting to run again holds
// nothing until the budget admits its new run, is reported for admission
// every pass until then, and holds nothing while it is held; a first run,
// held or not, holds as before (job_submit checked it).
void test_rerun_held_only_once_admitted(void** /*state*/) {
    for (bool remember : {false, true}) {
        UsageAccountant acc("clu");
        auto shared = load(kPolicy);
        auto pass = [&](const std::vector<JobObservation>& jobs, std::int64_t now) {
            return remember ? acc.pass(shared, jobs, now) : acc.pass(*shared, jobs, now);
        };
        JobObservation j = finished(50, 1000, 1600);
        PassResult r = pass({j}, 1700);
        acc.mark_charged(r.charges);
        // Requeued by its owner: pending again, restart count 1.
        j.phase = Phase::Pending;
        j.start_time = j.end_time = 0;
        j.attempt = 1;
        j.requeue_time = 1800;
        JobObservation first = job(51, Phase::Pending);
        first.held = true;  // a user's hold of a first run: still held for
        r = pass({j, first}, 1801);
        assert_true(r.charges.empty());
        assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000));  // job 51 only
        assert_int_equal(tally(r, "CH").pending_jobs, 2);           // both still count as jobs
        assert_int_equal(r.reruns.size(), 1);
        assert_int_equal(r.reruns[0].job_id, 50);
        assert_int_equal(r.reruns[0].attempt, 1);
        assert_int_equal(r.reruns[0].cost, ticks_of(16'000'000));
        assert_int_equal(r.reruns[0].chips, 16);
        assert_int_equal(r.reruns[0].queued_at, 1800);
        assert_string_equal(r.reruns[0].award.c_str(), "CH");
        r = pass({j, first}, 1802);
        assert_int_equal(r.reruns.size(), 1);  // until admitted or held
        acc.admit_rerun(50, 1);
        r = pass({j, first}, 1803);
        assert_true(r.reruns.empty());
        assert_int_equal(tally(r, "CH").held, ticks_of(32'000'000));
        // Held (by its owner, or because it did not fit): holds nothing.
        j.held = true;
        r = pass({j, first}, 1804);
        assert_true(r.reruns.empty());
        assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000));
        // Released (job_modify checked it): the admitted attempt holds again.
        j.held = false;
        r = pass({j, first}, 1805);
        assert_int_equal(tally(r, "CH").held, ticks_of(32'000'000));
        // Runs, ends, is requeued again: another attempt, not admitted yet.
        j.phase = Phase::Running;
        j.start_time = 2000;
        pass({j, first}, 2001);
        j.phase = Phase::Pending;
        j.start_time = 0;
        j.attempt = 2;
        j.requeue_time = 2600;
        r = pass({j, first}, 2601);
        assert_int_equal(r.charges.size(), 1);  // the second run
        expect_charge(r.charges[0], 50, 2000, 16, 600, 16LL * 600 * 1'000'000, 16LL * 600 * 1'340'000);
        assert_int_equal(r.reruns.size(), 1);
        assert_int_equal(r.reruns[0].attempt, 2);
        // The second run's charge is held until the ledger has it; the waiting re-run is not.
        assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000) + 16LL * 600 * 1'000'000);
    }
}

// A requeue that restarted the job before any pass saw it pending (a
// running job requeued and started again within a second) starts a run the
// pass could not gate: it is held and charged like any run.
void test_rerun_seen_running_is_held_and_charged(void** /*state*/) {
    UsageAccountant acc("clu");
    JobObservation j = job(52, Phase::Running, 1000);
    acc.pass(policy(), {j}, 1100);
    j.start_time = 1300;
    j.attempt = 1;
    j.requeue_time = 1200;
    PassResult r = acc.pass(policy(), {j}, 1400);
    assert_true(r.reruns.empty());
    assert_int_equal(r.charges.size(), 1);
    assert_int_equal(tally(r, "CH").held, ticks_of(16'000'000) + 16LL * 200 * 1'000'000);
}

// A run is priced with the policy in force when it started: a rate raised or
// cut mid-run, or its partition leaving enforce.partitions, changes neither
// what it holds nor what it is charged. A run that starts after the change
// pays the new price.
void test_run_priced_with_policy_at_start(void** /*state*/) {
    const std::string dearer = std::string(kPolicy).replace(std::string(kPolicy).find("1.34"), 4, "9.99");
    std::string unenforced = kPolicy;
    unenforced.replace(unenforced.find("[trn1, trn2, trn3]"), 18, "[trn2, trn3]");
    unenforced.replace(unenforced.find("partitions: [trn1, trn2]"), 24, "partitions: [trn2]");
    for (bool remember : {false, true}) {
        for (const std::string& later : {dearer, unenforced}) {
            UsageAccountant acc("clu");
            auto before = load(kPolicy);
            auto after = load(later);
            auto pass = [&](const std::shared_ptr<const Policy>& p, const std::vector<JobObservation>& jobs,
                            std::int64_t now) { return remember ? acc.pass(p, jobs, now) : acc.pass(*p, jobs, now); };
            JobObservation j = job(50, Phase::Running, 1000, "USD");
            PassResult r = pass(before, {j}, 1100);
            const Ticks held = tally(r, "USD").held;
            assert_int_equal(held, 16LL * 3600 * 1'340'000);
            r = pass(after, {j}, 1200);
            assert_int_equal(tally(r, "USD").held, held);
            JobObservation done = j;
            done.phase = Phase::Finished;
            done.end_time = 2000;
            r = pass(after, {done}, 2100);
            assert_int_equal(r.charges.size(), 1);
            expect_charge(r.charges[0], 50, 1000, 16, 1000, kThousandSeconds, kThousandSecondsUsd);
            // A later run (requeue) is priced with the policy of its own start.
            JobObservation again = job(50, Phase::Running, 3000, "USD");
            again.requeue_time = 2500;
            acc.mark_charged(r.charges);
            r = pass(after, {again}, 3100);
            if (later == dearer) {
                assert_int_equal(tally(r, "USD").held, 16LL * 3600 * 9'990'000);
            } else {
                assert_int_equal(held_of(r, "USD"), 0);
            }
        }
    }
}

// ---------------------------------------------------------------- UsageTracker

void expect_view(const AwardUsageView& v, Ticks charged, Ticks held, std::int64_t jobs, std::int64_t chips,
                 std::int64_t user_jobs, std::int64_t user_chips) {
    bool ok = v.charged == charged && v.held == held && v.live_jobs == jobs && v.live_chips == chips &&
              v.user_live_jobs == user_jobs && v.user_live_chips == user_chips;
    if (!ok) {
        print_error("view: charged %lld held %lld jobs %lld chips %lld user %lld/%lld\n"
                    "want: charged %lld held %lld jobs %lld chips %lld user %lld/%lld\n",
                    static_cast<long long>(v.charged), static_cast<long long>(v.held),
                    static_cast<long long>(v.live_jobs), static_cast<long long>(v.live_chips),
                    static_cast<long long>(v.user_live_jobs), static_cast<long long>(v.user_live_chips),
                    static_cast<long long>(charged), static_cast<long long>(held), static_cast<long long>(jobs),
                    static_cast<long long>(chips), static_cast<long long>(user_jobs),
                    static_cast<long long>(user_chips));
        fail();
    }
}

UsageSnapshot snapshot_with(const std::string& award, Ticks held, const std::string& user, std::int64_t jobs,
                            std::int64_t chips) {
    UsageSnapshot s;
    AwardTally& t = s.awards[award];
    t.held = held;
    t.live_jobs = jobs;
    t.live_chips = chips;
    t.users[user].live_jobs = jobs;
    t.users[user].live_chips = chips;
    return s;
}

void test_tracker_approvals(void** /*state*/) {
    UsageTracker t;
    expect_view(t.view(policy(), "CH", "alice"), 0, 0, 0, 0, 0, 0);
    std::uint64_t m1 = t.approve("CH", "alice", ticks_of(5'000'000), 2, 32, 100);
    std::uint64_t m2 = t.approve("CH", "bob", ticks_of(1'000'000), 1, 16, 110);
    assert_true(m1 != 0 && m2 != 0 && m1 != m2);
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(6'000'000), 3, 48, 2, 32);
    expect_view(t.view(policy(), "CH", "bob"), 0, ticks_of(6'000'000), 3, 48, 1, 16);
    expect_view(t.view(policy(), "CH", "carol"), 0, ticks_of(6'000'000), 3, 48, 0, 0);
    expect_view(t.view(policy(), "USD", "alice"), 0, 0, 0, 0, 0, 0);

    // A snapshot that has not seen the jobs yet: both count.
    t.publish(snapshot_with("CH", ticks_of(10'000'000), "bob", 1, 16), {}, 120);
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(16'000'000), 4, 64, 2, 32);
    expect_view(t.view(policy(), "CH", "bob"), 0, ticks_of(16'000'000), 4, 64, 2, 32);

    // The snapshot saw alice's job (its marker): her approval is dropped, the snapshot counts it.
    t.publish(snapshot_with("CH", ticks_of(15'000'000), "alice", 2, 32), {m1}, 130);
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(16'000'000), 3, 48, 2, 32);
    expect_view(t.view(policy(), "CH", "bob"), 0, ticks_of(16'000'000), 3, 48, 1, 16);
    t.publish(snapshot_with("CH", ticks_of(15'000'000), "alice", 2, 32), {m2}, 140);
    expect_view(t.view(policy(), "CH", "bob"), 0, ticks_of(15'000'000), 2, 32, 0, 0);
    assert_int_equal(t.snapshot().awards.at("CH").held, ticks_of(15'000'000));
}

void test_tracker_approval_expiry(void** /*state*/) {
    UsageTracker t;
    t.approve("CH", "alice", ticks_of(5'000'000), 1, 16, 100);
    t.publish({}, {}, 160);  // 60 s old: kept
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(5'000'000), 1, 16, 1, 16);
    t.publish({}, {}, 161);  // older than max_age: its job never appeared
    expect_view(t.view(policy(), "CH", "alice"), 0, 0, 0, 0, 0, 0);
    t.approve("CH", "alice", ticks_of(5'000'000), 1, 16, 200);
    t.publish({}, {}, 205, 5);
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(5'000'000), 1, 16, 1, 16);
    t.publish({}, {}, 206, 5);
    expect_view(t.view(policy(), "CH", "alice"), 0, 0, 0, 0, 0, 0);
}

// A pass that copied no job (nothing changed in slurmctld) only expires
// approvals by age; the snapshot and the younger approvals stay.
void test_tracker_expire_approvals_keeps_snapshot(void** /*state*/) {
    UsageTracker t;
    t.publish(snapshot_with("CH", ticks_of(10'000'000), "bob", 1, 16), {}, 90);
    t.approve("CH", "alice", ticks_of(5'000'000), 1, 16, 100);
    t.approve("CH", "alice", ticks_of(2'000'000), 1, 16, 150);
    t.expire_approvals(160);  // both at most 60 s old
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(17'000'000), 3, 48, 2, 32);
    t.expire_approvals(161);  // the first one's job never appeared
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(12'000'000), 2, 32, 1, 16);
    expect_view(t.view(policy(), "CH", "bob"), 0, ticks_of(12'000'000), 2, 32, 1, 16);
    t.expire_approvals(215, 5);
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(10'000'000), 1, 16, 0, 0);
    assert_int_equal(t.snapshot().awards.at("CH").held, ticks_of(10'000'000));
}

void test_tracker_total_in_unit(void** /*state*/) {
    UsageTracker t;
    std::map<std::string, ChargeTotals> totals;
    totals["CH"] = ChargeTotals{ticks_of(7'000'000), ticks_of(9'000'000)};
    totals["USD"] = ChargeTotals{ticks_of(1'000'000), ticks_of(2'000'000)};
    totals["GONE"] = ChargeTotals{ticks_of(3'000'000), ticks_of(3'000'000)};
    t.set_totals(totals);
    expect_view(t.view(policy(), "CH", "alice"), ticks_of(7'000'000), 0, 0, 0, 0, 0);   // chip-hours
    expect_view(t.view(policy(), "USD", "alice"), ticks_of(2'000'000), 0, 0, 0, 0, 0);  // dollars
    expect_view(t.view(policy(), "GONE", "alice"), 0, 0, 0, 0, 0, 0);         // not in the policy
    assert_int_equal(grants::total_in_unit(totals["USD"], grants::Budget::Unit::Usd), ticks_of(2'000'000));
    assert_int_equal(grants::total_in_unit(totals["USD"], grants::Budget::Unit::ChipHours), ticks_of(1'000'000));

    ChargeRecord a;
    a.award = "CH";
    a.chip_hours = ticks_of(1'000'000);
    a.usd = ticks_of(1'340'000);
    ChargeRecord b;
    b.award = "USD";
    b.chip_hours = ticks_of(500'000);
    b.usd = ticks_of(1'050'000);
    ChargeRecord norate;
    norate.award = "CH";
    norate.chip_hours = ticks_of(250'000);
    norate.usd = -1;  // no rate: no dollars
    ChargeRecord fresh;
    fresh.award = "NEW";
    fresh.chip_hours = 1;
    fresh.usd = 2;
    t.add_charges({a, b, norate, fresh});
    expect_view(t.view(policy(), "CH", "alice"), ticks_of(8'250'000), 0, 0, 0, 0, 0);
    expect_view(t.view(policy(), "USD", "alice"), ticks_of(3'050'000), 0, 0, 0, 0, 0);
    auto now = t.totals();
    assert_int_equal(now["CH"].chip_hours, ticks_of(8'250'000));
    assert_int_equal(now["CH"].usd, ticks_of(10'340'000));
    assert_int_equal(now["USD"].chip_hours, ticks_of(1'500'000));
    assert_int_equal(now["NEW"].chip_hours, 1);
    assert_int_equal(now["NEW"].usd, 2);

    // set_totals replaces (a reload from the ledger), it does not add.
    t.set_totals({{"CH", ChargeTotals{1, 1}}});
    expect_view(t.view(policy(), "CH", "alice"), 1, 0, 0, 0, 0, 0);
    expect_view(t.view(policy(), "USD", "alice"), 0, 0, 0, 0, 0, 0);
}

void test_tracker_from_accountant(void** /*state*/) {
    // End to end: approve, the pass sees the job with its marker, publish.
    UsageTracker t;
    UsageAccountant acc("clu");
    std::uint64_t m = t.approve("CH", "alice", ticks_of(16'000'000), 1, 16, 1000);
    JobObservation j = job(40, Phase::Pending);
    j.approval = m;
    PassResult r = acc.pass(policy(), {j}, 1001);
    t.publish(std::move(r.snapshot), r.approvals_seen, 1001);
    // Counted once (by the snapshot), not twice.
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(16'000'000), 1, 16, 1, 16);
}

void test_tracker_exact_and_saturating(void** /*state*/) {
    // Three approvals of 16 chips x 10 min (8/3 chip-h) hold exactly 8 chip-h.
    const Ticks ten_minutes = 16LL * 600 * 1'000'000;
    UsageTracker t;
    for (int i = 0; i < 3; ++i) t.approve("CH", "alice", ten_minutes, 1, 16, 100);
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(8'000'000), 3, 48, 3, 48);
    // So do three such pending jobs in a pass.
    UsageAccountant acc("clu");
    std::vector<JobObservation> jobs;
    for (std::uint32_t id = 1; id <= 3; ++id) {
        JobObservation j = job(id, Phase::Pending);
        j.time_limit_minutes = 10;
        jobs.push_back(j);
    }
    PassResult r = acc.pass(policy(), jobs, 100);
    assert_int_equal(tally(r, "CH").held, ticks_of(8'000'000));
    // Charges in ticks add up exactly as well: 3 x (16 chips x 600 s) on trn1.
    std::vector<ChargeRecord> charges(3);
    for (ChargeRecord& c : charges) {
        c.award = "USD";
        c.chip_hours = ten_minutes;
        c.usd = 16LL * 600 * 1'340'000;
    }
    UsageTracker charged;
    charged.add_charges(charges);
    expect_view(charged.view(policy(), "USD", "alice"), ticks_of(10'720'000), 0, 0, 0, 0, 0);  // $10.72
    assert_int_equal(charged.totals()["USD"].chip_hours, ticks_of(8'000'000));

    // Saturated holds (an absurd job) stay saturated: never wrap around to cheap.
    UsageTracker s;
    s.approve("CH", "alice", grants::kSaturatedTicks, 1, 16, 100);
    s.approve("CH", "bob", grants::kSaturatedTicks, 1, 16, 100);
    s.approve("CH", "bob", ten_minutes, 1, 16, 100);
    expect_view(s.view(policy(), "CH", "alice"), 0, grants::kSaturatedTicks, 3, 48, 1, 16);
    s.publish(snapshot_with("CH", grants::kSaturatedTicks, "carol", 1, 16), {}, 100);
    expect_view(s.view(policy(), "CH", "alice"), 0, grants::kSaturatedTicks, 4, 64, 1, 16);
    JobObservation absurd = job(9, Phase::Pending);
    absurd.time_limit_minutes = grants::kSaturatedCount;
    UsageAccountant acc2("clu");
    r = acc2.pass(policy(), {absurd, absurd, job(10, Phase::Pending)}, 100);
    assert_int_equal(tally(r, "CH").held, grants::kSaturatedTicks);
}

// An accepted update's extra hold counts at once and ends with the first
// pass that copied the jobs after it (that pass holds the changed job
// itself); a pass that copied before it leaves it in place. A marker naming
// it (forged by a job) does not drop it.
void test_tracker_update_hold_until_next_pass(void** /*state*/) {
    UsageTracker t;
    const std::uint64_t copied_before = t.next_marker();
    t.hold_until_next_pass("CH", "alice", ticks_of(7'000'000), 0, 16, 100);
    const std::uint64_t forged = t.next_marker() - 1;
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(7'000'000), 0, 16, 0, 16);
    t.publish(snapshot_with("CH", ticks_of(2'000'000), "alice", 1, 16), {forged}, 101, 60, copied_before);
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(9'000'000), 1, 32, 1, 32);
    const std::uint64_t copied_after = t.next_marker();
    t.publish(snapshot_with("CH", ticks_of(9'000'000), "alice", 1, 32), {}, 102, 60, copied_after);
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(9'000'000), 1, 32, 1, 32);
    // An ordinary approval is not ended by a pass, only by its job's marker.
    const std::uint64_t m = t.approve("CH", "bob", ticks_of(1'000'000), 1, 16, 103);
    t.publish(snapshot_with("CH", ticks_of(9'000'000), "alice", 1, 32), {}, 104, 60, t.next_marker());
    expect_view(t.view(policy(), "CH", "bob"), 0, ticks_of(10'000'000), 2, 48, 1, 16);
    t.publish(snapshot_with("CH", ticks_of(10'000'000), "alice", 2, 48), {m}, 105, 60, t.next_marker());
    expect_view(t.view(policy(), "CH", "bob"), 0, ticks_of(10'000'000), 2, 48, 0, 0);
}

// Why accepted updates need not make a full pass run at once (update_pass.h):
// passes that copy nothing (deferred by the rate limit, or idle) never end an
// update hold, only a pass that copied the jobs after the update does (or
// 60 s without one; any accepted update moves last_job_update, so a full pass comes
// within kBusyPassEvery seconds). Until then the raise stays held.
void test_update_hold_survives_deferred_passes(void** /*state*/) {
    UsageTracker t;
    t.publish(snapshot_with("CH", ticks_of(2'000'000), "alice", 1, 16), {}, 100, 60, t.next_marker());
    t.hold_until_next_pass("CH", "alice", ticks_of(7'000'000), 0, 16, 100);
    for (std::int64_t now = 100; now <= 100 + 2 * grants::UpdatePassThrottle::kEvery; ++now) {
        t.expire_approvals(now);  // what a pass that copied nothing does
        expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(9'000'000), 1, 32, 1, 32);
    }
    // The first pass that copied the changed job holds it itself.
    t.publish(snapshot_with("CH", ticks_of(9'000'000), "alice", 1, 32), {}, 111, 60, t.next_marker());
    expect_view(t.view(policy(), "CH", "alice"), 0, ticks_of(9'000'000), 1, 32, 1, 32);
}

// An approval marker in an untagged job can only be forged (job_submit sets
// it when it tags a job): it must not drop another job's approval.
// Re-runs admitted by the pass or by job_modify, shared through the
// tracker: per job, the attempt; a later attempt is not admitted; purged
// jobs are forgotten.
void test_tracker_admitted_reruns(void** /*state*/) {
    UsageTracker t;
    assert_false(t.rerun_admitted(7, 1));
    t.admit_rerun(7, 1);
    t.admit_rerun(8, 3);
    assert_true(t.rerun_admitted(7, 1));
    assert_false(t.rerun_admitted(7, 2));
    assert_int_equal(t.admitted_reruns().size(), 2);
    t.forget_reruns([](std::uint32_t id) { return id == 8; });
    assert_false(t.rerun_admitted(7, 1));
    assert_true(t.rerun_admitted(8, 3));
}

void test_untagged_job_marker_ignored(void** /*state*/) {
    for (bool remember : {false, true}) {
        UsageAccountant acc("clu");
        auto shared = load(kPolicy);
        JobObservation forged = job(60, Phase::Pending, 0, "", "cpu");
        forged.approval = 5;
        JobObservation tagged = job(61, Phase::Pending);
        tagged.approval = 6;
        PassResult r = remember ? acc.pass(shared, {forged, tagged}, 100) : acc.pass(*shared, {forged, tagged}, 100);
        assert_int_equal(r.approvals_seen.size(), 1);
        assert_true(r.approvals_seen.count(6) == 1);
    }
}

// Allocated, not requested (trn2 counts the neuron GRES): a pending job whose
// per-task count waits for Slurm's task count holds whole nodes; once it
// runs, it holds and pays for the GRES Slurm allocated (tres_alloc); an
// exclusive job holds and pays for whole nodes whatever it named.
void test_charged_for_allocated_chips(void** /*state*/) {
    UsageAccountant acc("clu");
    JobObservation j = job(70, Phase::Pending, 0, "CH", "trn2");
    j.shape.tres_per_task = "gres:neuron:1";
    PassResult r = acc.pass(policy(), {j}, 900);
    assert_int_equal(tally(r, "CH").live_chips, 16);
    j.phase = Phase::Running;
    j.start_time = 1000;
    j.tres_alloc = "cpu=4,node=1,billing=4,gres/neuron=4";
    r = acc.pass(policy(), {j}, 1100);
    assert_int_equal(tally(r, "CH").live_chips, 4);
    assert_int_equal(tally(r, "CH").held, ticks_of(4'000'000));
    j.phase = Phase::Finished;
    j.end_time = 2000;
    r = acc.pass(policy(), {j}, 2100);
    expect_charge(r.charges[0], 70, 1000, 4, 1000, 4LL * 1000 * 1'000'000, 4LL * 1000 * 2'100'000);
    acc.mark_charged(r.charges);

    JobObservation x = job(71, Phase::Running, 1000, "CH", "trn2");
    x.shape.tres_per_node = "gres:neuron:2";
    x.shape.exclusive = true;
    x.tres_alloc = "cpu=4,node=1,gres/neuron=2";
    r = acc.pass(policy(), {x}, 1100);
    assert_int_equal(tally(r, "CH").live_chips, 16);
    x.phase = Phase::Finished;
    x.end_time = 2000;
    r = acc.pass(policy(), {x}, 2100);
    expect_charge(r.charges[0], 71, 1000, 16, 1000, kThousandSeconds, 16LL * 1000 * 2'100'000);
}

// A shrunk run's largest allocation survives a controller restart through
// shrunk_runs / restore_shrunk: the new slurmctld charges the run for it.
void test_shrunk_run_restored_after_restart(void** /*state*/) {
    UsageAccountant before("clu");
    JobObservation j = job(80, Phase::Running, 1000);
    j.shape.min_nodes = 2;
    before.pass(policy(), {j}, 1100);
    assert_true(before.shrunk_runs().empty());
    j.shape.min_nodes = 1;
    before.pass(policy(), {j}, 1200);
    const auto shrunk = before.shrunk_runs();
    assert_int_equal(shrunk.size(), 1);
    assert_int_equal(shrunk[0].job_id, 80);
    assert_int_equal(shrunk[0].run_start, 1000);
    assert_int_equal(shrunk[0].chips, 32);
    UsageAccountant after("clu");
    after.restore_shrunk(shrunk);
    assert_int_equal(after.shrunk_runs().size(), 1);  // kept until the run is seen again
    PassResult r = after.pass(policy(), {j}, 1300);
    assert_int_equal(tally(r, "CH").live_chips, 32);
    JobObservation done = j;
    done.phase = Phase::Finished;
    done.end_time = 4600;
    r = after.pass(policy(), {done}, 5000);
    expect_charge(r.charges[0], 80, 1000, 32, 3600, ticks_of(32'000'000), ticks_of(42'880'000));
    // A restored run whose job is gone is forgotten.
    UsageAccountant gone("clu");
    gone.restore_shrunk(shrunk);
    gone.pass(policy(), {}, 1300);
    assert_true(gone.shrunk_runs().empty());
}

}  // namespace

// ---------------------------------------------------------------- remembered prices

void expect_same_snapshot(const UsageSnapshot& want, const UsageSnapshot& got, int pass) {
    bool same = want.awards.size() == got.awards.size();
    for (const auto& [award, w] : want.awards) {
        auto it = got.awards.find(award);
        if (it == got.awards.end()) {
            same = false;
            break;
        }
        const AwardTally& g = it->second;
        same = same && w.held == g.held && w.live_jobs == g.live_jobs && w.live_chips == g.live_chips &&
               w.running_jobs == g.running_jobs && w.pending_jobs == g.pending_jobs && w.users.size() == g.users.size();
        for (const auto& [user, wu] : w.users) {
            auto u = g.users.find(user);
            same = same && u != g.users.end() && u->second.live_jobs == wu.live_jobs &&
                   u->second.live_chips == wu.live_chips;
        }
    }
    if (!same) print_error("pass %d: remembered prices give another snapshot than pricing every job\n", pass);
    assert_true(same);
}

void expect_same_charges(const std::vector<ChargeRecord>& want, const std::vector<ChargeRecord>& got, int pass) {
    assert_int_equal(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (want[i].job_id != got[i].job_id || want[i].run_start != got[i].run_start || want[i].award != got[i].award ||
            want[i].chips != got[i].chips || want[i].seconds != got[i].seconds ||
            want[i].chip_hours != got[i].chip_hours || want[i].usd != got[i].usd) {
            print_error("pass %d: charge %zu of job %u differs\n", pass, i, want[i].job_id);
            fail();
        }
    }
}

// The accounting thread's pass remembers each job's price until one of its
// priced fields or the policy changes. A random walk over 60 jobs (every
// field a price depends on changes at random, jobs start, end, are requeued
// and purged, the policy is replaced by an equal one and by one with other
// prices) must give exactly what pricing every job every pass gives; each
// approval marker is reported the first time its job is seen, once.
void test_remembered_prices_match_pricing_every_pass(void** /*state*/) {
    std::string cheaper = kPolicy;
    cheaper.replace(cheaper.find("trn1: { chips_per_node: 16"), 26, "trn1: { chips_per_node: 8");
    const std::vector<std::shared_ptr<const Policy>> policies{load(kPolicy), load(kPolicy), load(cheaper)};
    const char* partitions[] = {"trn1", "trn2", "trn1,trn2", "spot", "trn3,trn1", "trn2,trn3"};
    const char* gres[] = {"", "gres:neuron:4", "gres/neuron:16", "gres:neuron:2k"};
    const char* awards[] = {"CH", "USD", "", "GONE"};
    const char* users[] = {"alice", "bob"};
    std::uint64_t seed = 12345;
    auto rnd = [&seed](std::uint64_t n) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::size_t>((seed >> 33) % n);
    };
    UsageAccountant ref("clu"), remembered("clu");
    std::map<std::uint32_t, JobObservation> jobs;
    std::uint32_t next_id = 1;
    std::uint64_t next_approval = 1;
    std::set<std::uint64_t> reported_ref, reported;
    std::size_t policy_index = 0;
    for (int pass = 0; pass < 400; ++pass) {
        const std::int64_t now = 10'000 + pass * 10;
        if (pass % 97 == 96) policy_index = (policy_index + 1) % policies.size();
        while (jobs.size() < 60) {
            JobObservation j = job(next_id++, Phase::Pending, 0, awards[rnd(4)], partitions[rnd(6)], users[rnd(2)]);
            j.approval = rnd(4) ? next_approval++ : 0;
            jobs[j.job_id] = j;
        }
        for (auto it = jobs.begin(); it != jobs.end();) {
            JobObservation& j = it->second;
            switch (rnd(24)) {
                case 0: j.time_limit_minutes = 1 + static_cast<std::int64_t>(rnd(300)); break;
                case 1: j.partition = partitions[rnd(6)]; break;
                case 2: j.shape.tres_per_node = gres[rnd(4)]; break;
                case 3: j.shape.tres_per_job = gres[rnd(4)]; break;
                case 4: j.shape.min_nodes = 1 + static_cast<std::int64_t>(rnd(4)); break;
                case 5: j.shape.max_nodes = 1 + static_cast<std::int64_t>(rnd(8)); break;
                case 6: j.shape.array_tasks = 1 + static_cast<std::int64_t>(rnd(5)); break;
                case 7: j.award = awards[rnd(4)]; break;
                case 8: j.user = users[rnd(2)]; break;
                case 9: j.shape.tasks = 1 + static_cast<std::int64_t>(rnd(64)); break;
                case 10: case 11:
                    if (j.phase == Phase::Pending) {
                        j.phase = Phase::Running;
                        j.start_time = now;
                        j.shape.min_nodes = j.shape.max_nodes.value_or(j.shape.min_nodes);
                        j.shape.max_nodes = j.shape.min_nodes;
                    } else if (j.phase == Phase::Running) {
                        j.phase = Phase::Finished;
                        j.end_time = now;
                    }
                    break;
                case 12:  // requeued: the run is wiped from the record
                    if (j.phase != Phase::Pending) {
                        j.phase = Phase::Pending;
                        j.start_time = 0;
                        j.end_time = 0;
                        j.requeue_time = now;
                    }
                    break;
                case 13:
                    if (j.phase == Phase::Finished) {  // purged
                        it = jobs.erase(it);
                        continue;
                    }
                    break;
                default: break;
            }
            ++it;
        }
        std::vector<JobObservation> observed;
        for (const auto& [id, j] : jobs) observed.push_back(j);
        PassResult want = ref.pass(*policies[policy_index], observed, now);
        PassResult got = remembered.pass(policies[policy_index], observed, now);
        expect_same_snapshot(want.snapshot, got.snapshot, pass);
        expect_same_charges(want.charges, got.charges, pass);
        reported_ref.insert(want.approvals_seen.begin(), want.approvals_seen.end());
        for (std::uint64_t a : got.approvals_seen) {
            assert_true(want.approvals_seen.count(a));  // only markers of jobs in this pass
            if (!reported.insert(a).second) {
                print_error("pass %d: approval %llu reported twice\n", pass, static_cast<unsigned long long>(a));
                fail();
            }
        }
        assert_true(reported == reported_ref);  // every marker seen so far, reported
        ref.mark_charged(want.charges);
        remembered.mark_charged(got.charges);
    }
    assert_true(reported.size() > 200);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_jobs_held),
        cmocka_unit_test(test_running_uses_allocated_nodes),
        cmocka_unit_test(test_pending_without_maximum_held_at_partition_size),
        cmocka_unit_test(test_shrunk_run_charged_for_largest_allocation),
        cmocka_unit_test(test_several_partitions_most_expensive),
        cmocka_unit_test(test_finished_charged_once),
        cmocka_unit_test(test_federated_copies_elsewhere_are_neither_held_nor_charged),
        cmocka_unit_test(test_charge_amounts),
        cmocka_unit_test(test_nothing_charged),
        cmocka_unit_test(test_award_gone_from_policy_still_charged),
        cmocka_unit_test(test_requeue_two_runs),
        cmocka_unit_test(test_boot_is_part_of_one_run),
        cmocka_unit_test(test_charged_boot_within_the_limit),
        cmocka_unit_test(test_failed_launch_costs_nothing),
        cmocka_unit_test(test_cancelled_while_booting_costs_nothing),
        cmocka_unit_test(test_cancelled_while_booting_across_a_restart),
        cmocka_unit_test(test_charged_boot_across_a_restart),
        cmocka_unit_test(test_restart_while_booting),
        cmocka_unit_test(test_requeue_restarted_between_passes),
        cmocka_unit_test(test_requeue_charge_retried_until_recorded),
        cmocka_unit_test(test_requeue_after_charge_not_charged_twice),
        cmocka_unit_test(test_usd_hold_of_ended_run),
        cmocka_unit_test(test_purged_jobs_forgotten),
        cmocka_unit_test(test_finished_charge_kept_after_purge),
        cmocka_unit_test(test_restored_charges_charged_and_held),
        cmocka_unit_test(test_run_past_time_limit_charged_up_to_limit),
        cmocka_unit_test(test_lowered_limit_caps_only_what_is_left),
        cmocka_unit_test(test_lowered_limit_restored_after_restart),
        cmocka_unit_test(test_rerun_held_only_once_admitted),
        cmocka_unit_test(test_rerun_seen_running_is_held_and_charged),
        cmocka_unit_test(test_run_priced_with_policy_at_start),
        cmocka_unit_test(test_charged_for_allocated_chips),
        cmocka_unit_test(test_shrunk_run_restored_after_restart),
        cmocka_unit_test(test_tracker_approvals),
        cmocka_unit_test(test_tracker_approval_expiry),
        cmocka_unit_test(test_tracker_update_hold_until_next_pass),
        cmocka_unit_test(test_update_hold_survives_deferred_passes),
        cmocka_unit_test(test_untagged_job_marker_ignored),
        cmocka_unit_test(test_tracker_admitted_reruns),
        cmocka_unit_test(test_tracker_expire_approvals_keeps_snapshot),
        cmocka_unit_test(test_tracker_total_in_unit),
        cmocka_unit_test(test_tracker_from_accountant),
        cmocka_unit_test(test_tracker_exact_and_saturating),
        cmocka_unit_test(test_remembered_prices_match_pricing_every_pass),
    };
    return cmocka_run_group_tests_name("usage", tests, nullptr, nullptr);
}
