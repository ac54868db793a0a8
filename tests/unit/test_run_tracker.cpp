// What the accounting pass remembers of runs (core/domain/run_tracker.h) and which
// re-runs of requeued jobs fit their award (core/domain/rerun_admission.h): a run's
// cap never goes down, a run found again keeps what an earlier controller
// knew of it, and each re-run attempt must be admitted by the budget, in the
// order Slurm requeued them, before it counts or starts.
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/rerun_admission.h"
#include "core/domain/run_tracker.h"
#include "core/policy/policy_loader.h"

using grants::admit_reruns;
using grants::AttemptGate;
using grants::AwardUsageView;
using grants::Policy;
using grants::Run;
using grants::RunCap;
using grants::RunTracker;
using grants::RerunVerdict;
using grants::ShrunkRun;
using grants::Ticks;
using grants::ticks_of;
using grants::WaitingRerun;

namespace {

// ------------------------------------------------------------------ runs

void test_cap_never_goes_down(void** /*state*/) {
    Run run;
    run.start = 1000;
    run.see_limit(600);
    assert_int_equal(run.cap_seconds, 600);
    assert_false(run.limit_lowered);
    run.see_limit(60);  // lowered: caps only what is left
    assert_int_equal(run.cap_seconds, 600);
    assert_true(run.limit_lowered);
    run.see_limit(1200);  // raised (job_modify checked it)
    assert_int_equal(run.cap_seconds, 1200);
    assert_false(run.limit_lowered);
    // Charged what it ran, less suspended time, at most the cap.
    run.suspended = 30;
    assert_int_equal(run.charged_seconds(1000 + 117), 87);
    assert_int_equal(run.charged_seconds(1000 + 5000), 1200);
    assert_int_equal(run.charged_seconds(900), 0);
    // Chips: the most it held.
    run.see_chips(32);
    run.see_chips(16);
    assert_int_equal(run.chips, 32);
    assert_true(run.shrunk);
}

void test_runs_found_replaced_and_restored(void** /*state*/) {
    RunTracker t;
    assert_null(t.find(7, 1000));
    t.restore({ShrunkRun{7, 1000, 32}}, {RunCap{7, 1000, 3600}, RunCap{8, 500, 60}});
    Run& run = t.begin(7, 1000);
    assert_int_equal(run.chips, 32);
    assert_int_equal(run.cap_seconds, 3600);
    run.see_limit(60);
    run.see_chips(16);
    assert_ptr_equal(t.find(7, 1000), &run);
    assert_null(t.find(7, 2000));
    const std::vector<RunCap> caps = t.capped_runs();  // job 7's run, and job 8's still waiting to be seen
    assert_int_equal(caps.size(), 2);
    assert_true(caps[0] == (RunCap{7, 1000, 3600}));
    assert_true(caps[1] == (RunCap{8, 500, 60}));
    assert_true(t.shrunk_runs() == (std::vector<ShrunkRun>{ShrunkRun{7, 1000, 32}}));
    // The job record shows the same start: nothing replaced. Another start
    // (0 while pending again): the old run is handed over and forgotten.
    assert_false(t.take_replaced(7, 1000).has_value());
    auto old = t.take_replaced(7, 0);
    assert_true(old.has_value());
    assert_int_equal(old->start, 1000);
    assert_int_equal(old->cap_seconds, 3600);
    assert_null(t.find(7, 1000));
    assert_false(t.take_replaced(7, 0).has_value());
    // Purged jobs are forgotten, restored memory included.
    t.forget_absent([](std::uint32_t) { return false; });
    assert_true(t.capped_runs().empty());
    // A restored cap of another run of the job does not apply to this one.
    t.restore({}, {RunCap{9, 100, 3600}});
    assert_int_equal(t.begin(9, 200).cap_seconds, 0);
}

void test_attempt_gates(void** /*state*/) {
    RunTracker t;
    // First runs count, held or not: job_submit checked them.
    assert_true(t.gate(1, 0, false) == AttemptGate::Counted);
    assert_true(t.gate(1, 0, true) == AttemptGate::Counted);
    // A re-run waits for the budget; held, it waits for a release.
    assert_true(t.gate(1, 1, false) == AttemptGate::Waiting);
    assert_true(t.gate(1, 1, true) == AttemptGate::Held);
    t.admit(1, 1);
    assert_true(t.gate(1, 1, false) == AttemptGate::Counted);
    assert_true(t.gate(1, 1, true) == AttemptGate::Held);  // held again by its owner: holds nothing
    // The next requeue is another attempt: admitted anew.
    assert_true(t.gate(1, 2, false) == AttemptGate::Waiting);
    assert_true(t.gate(2, 1, false) == AttemptGate::Waiting);  // per job
    // Forgotten with the job.
    t.forget_absent([](std::uint32_t id) { return id != 1; });
    assert_true(t.gate(1, 1, false) == AttemptGate::Waiting);
}

// ------------------------------------------------------------------ admission

const char kPolicy[] = R"(version: 1
enforce:
  partitions: [trn1]
partitions:
  trn1: { chips_per_node: 16 }
awards:
  A:
    members: { users: [alice] }
    budget: { chip_hours: 10 }
  B:
    members: { users: [alice] }
    budget: { chip_hours: 10 }
  ENDED:
    members: { users: [alice] }
    valid: { from: 2025-01-01, until: 2025-12-31 }
    budget: { chip_hours: 10 }
)";

std::shared_ptr<const Policy> policy() {
    static std::shared_ptr<const Policy> p = [] {
        auto l = grants::load_policy_text(kPolicy, "grants.yaml");
        for (const auto& e : l.errors) print_error("%s\n", e.to_string().c_str());
        assert_non_null(l.policy.get());
        return l.policy;
    }();
    return p;
}

WaitingRerun rerun(std::uint32_t id, const char* award, std::int64_t chip_hours, std::int64_t queued_at) {
    WaitingRerun r;
    r.job_id = id;
    r.attempt = 1;
    r.award = award;
    r.user = "alice";
    r.cost = ticks_of(chip_hours * 1'000'000);
    r.chips = 16;
    r.queued_at = queued_at;
    return r;
}

const grants::DayNumber kToday = grants::day_number(2026, 6, 1);

// In requeue order, each admitted one taking its room: on A (10 chip-h,
// 4 charged, 2 held) job 3 (queued first) takes 3 of the 4 left, job 1
// (later) does not fit in the 1 left, job 2 (later still, 1) does.
void test_reruns_admitted_in_requeue_order(void** /*state*/) {
    int asked = 0;
    auto usage = [&](const std::string& award, const std::string&) {
        ++asked;
        AwardUsageView v;
        if (award == "A") {
            v.charged = ticks_of(4'000'000);
            v.held = ticks_of(2'000'000);
        }
        return v;
    };
    std::vector<RerunVerdict> out =
        admit_reruns(*policy(), {rerun(1, "A", 2, 200), rerun(2, "A", 1, 300), rerun(3, "A", 3, 100),
                                 rerun(4, "B", 10, 400)},
                     usage, kToday);
    assert_int_equal(out.size(), 4);
    assert_int_equal(out[0].rerun.job_id, 3);
    assert_true(out[0].fits);
    assert_int_equal(out[1].rerun.job_id, 1);
    assert_false(out[1].fits);
    assert_int_equal(out[2].rerun.job_id, 2);
    assert_true(out[2].fits);
    assert_int_equal(out[3].rerun.job_id, 4);  // B is untouched: exactly its budget
    assert_true(out[3].fits);
    assert_int_equal(asked, 2);  // once per award
    assert_string_equal(out[1].reason.c_str(),
                        "requeued, and award A has 1.0 of 10 chip-h left while this run needs up to 2.0 chip-h, "
                        "so it is held and does not run; release it (scontrol release 1) once the award has room, "
                        "or ask your PI");
    assert_true(out[0].reason.empty());
    // Same requeue time: by job ID.
    out = admit_reruns(*policy(), {rerun(9, "A", 3, 100), rerun(8, "A", 3, 100)}, usage, kToday);
    assert_int_equal(out[0].rerun.job_id, 8);
    assert_true(out[0].fits);
    assert_false(out[1].fits);
}

// An award with tranches or deposits: what its active ones allow.
void test_rerun_room_of_funded_award(void** /*state*/) {
    auto funding = std::make_shared<grants::Funding>();
    funding->budget = ticks_of(3'000'000);
    funding->charged = ticks_of(1'000'000);
    auto usage = [&](const std::string&, const std::string&) {
        AwardUsageView v;
        v.funding = funding;
        v.charged = funding->charged;
        return v;
    };
    std::vector<RerunVerdict> out = admit_reruns(*policy(), {rerun(1, "A", 3, 100)}, usage, kToday);
    assert_false(out[0].fits);
    assert_true(out[0].reason.find("has 2.0 of 3 chip-h left") != std::string::npos);
    out = admit_reruns(*policy(), {rerun(1, "A", 2, 100)}, usage, kToday);
    assert_true(out[0].fits);
}

// Re-runs of an award gone from the policy or ended are left to
// award_holds.h (held with its own reason), not admitted here.
void test_reruns_of_gone_or_ended_awards_left_out(void** /*state*/) {
    auto usage = [](const std::string&, const std::string&) { return AwardUsageView{}; };
    std::vector<RerunVerdict> out =
        admit_reruns(*policy(), {rerun(1, "GONE", 1, 100), rerun(2, "ENDED", 1, 100), rerun(3, "A", 1, 100)}, usage,
                     kToday);
    assert_int_equal(out.size(), 1);
    assert_int_equal(out[0].rerun.job_id, 3);
    assert_true(admit_reruns(*policy(), {}, usage, kToday).empty());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_never_goes_down),
        cmocka_unit_test(test_runs_found_replaced_and_restored),
        cmocka_unit_test(test_attempt_gates),
        cmocka_unit_test(test_reruns_admitted_in_requeue_order),
        cmocka_unit_test(test_rerun_room_of_funded_award),
        cmocka_unit_test(test_reruns_of_gone_or_ended_awards_left_out),
    };
    return cmocka_run_group_tests_name("run_tracker", tests, nullptr, nullptr);
}
