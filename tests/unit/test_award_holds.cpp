// Which queued jobs are held because their award is gone (award_holds.h):
// removed from the policy or ended; running, out-of-scope and untagged jobs
// are left alone.
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/award_holds.h"
#include "core/policy/policy_loader.h"

using grants::JobObservation;
using grants::jobs_to_hold;
using Phase = grants::JobObservation::Phase;

namespace {

const char kPolicy[] = R"(version: 1
enforce:
  partitions: [trn1]
partitions:
  trn1: { chips_per_node: 16 }
  cpu: { chips_per_node: 1 }
awards:
  LIVE:
    members: { users: [alice] }
    budget: { chip_hours: 10 }
    valid: { until: 2026-06-30 }
  OPEN:
    members: { users: [alice] }
    budget: { chip_hours: 10 }
)";

JobObservation job(std::uint32_t id, const char* award, Phase phase = Phase::Pending, const char* part = "trn1") {
    JobObservation j;
    j.job_id = id;
    j.award = award;
    j.phase = phase;
    j.partition = part;
    return j;
}

void test_removed_and_ended_awards(void** /*state*/) {
    auto l = grants::load_policy_text(kPolicy, "grants.yaml");
    assert_non_null(l.policy.get());
    const std::vector<JobObservation> jobs{
        job(1, "LIVE"), job(2, "GONE"), job(3, "GONE", Phase::Running), job(4, "GONE", Phase::Pending, "cpu"),
        job(5, ""), job(6, "GONE", Phase::Pending, "cpu,trn1"),
    };
    auto held = jobs_to_hold(*l.policy, jobs, grants::day_number(2026, 6, 30));
    assert_int_equal(held.size(), 2);
    assert_int_equal(held[0].job_id, 2);
    assert_string_equal(held[0].reason.c_str(),
                        "award GONE is no longer in the grant policy, so this job cannot start; ask your PI or the "
                        "cluster admins");
    assert_int_equal(held[1].job_id, 6);
    // The day after LIVE's last day, its queued job is held too.
    held = jobs_to_hold(*l.policy, jobs, grants::day_number(2026, 7, 1));
    assert_int_equal(held.size(), 3);
    assert_int_equal(held[0].job_id, 1);
    assert_string_equal(held[0].reason.c_str(),
                        "award LIVE ended on 2026-06-30, so this job cannot start on it; ask your PI or the cluster "
                        "admins");
}

// The award's end moved: queued jobs' deadlines follow it. A deadline the
// plugin set (tagged) moves either way; none, or a later one, is pulled in;
// a user's own earlier deadline stays; an award that no longer ends drops
// the plugin's deadline; ended awards and running jobs are left alone.
void test_deadlines_follow_the_award_end(void** /*state*/) {
    auto l = grants::load_policy_text(kPolicy, "grants.yaml");
    assert_non_null(l.policy.get());
    const std::int64_t end = (static_cast<std::int64_t>(grants::day_number(2026, 6, 30)) + 1) * 86400;  // UTC
    auto with = [](JobObservation j, std::int64_t deadline, std::int64_t tag) {
        j.shape.deadline = deadline;
        j.tagged_deadline = tag;
        return j;
    };
    const std::vector<JobObservation> jobs{
        with(job(1, "LIVE"), end, end),                       // already right
        with(job(2, "LIVE"), end - 86400, end - 86400),       // ours, from an earlier end: extended
        with(job(3, "LIVE"), end - 3600, 0),                  // the user's own, earlier: stays
        with(job(4, "LIVE"), 0, 0),                           // none: gets the end
        with(job(5, "LIVE"), end + 86400, 0),                 // later: pulled in
        with(job(6, "LIVE", Phase::Running), end - 86400, end - 86400),  // running: left
        with(job(7, "OPEN"), end, end),                       // ours, but OPEN no longer ends: removed
        with(job(8, "OPEN"), end, 0),                         // the user's own: stays
        with(job(9, "GONE"), 0, 0),                           // no such award: held, not moved
        with(job(10, "LIVE", Phase::Pending, "cpu"), 0, 0),   // out of scope
    };
    auto moves = grants::deadlines_to_move(*l.policy, jobs, grants::day_number(2026, 6, 1), nullptr);
    assert_int_equal(moves.size(), 4);
    assert_int_equal(moves[0].job_id, 2);
    assert_int_equal(moves[0].deadline, end);
    assert_int_equal(moves[1].job_id, 4);
    assert_int_equal(moves[1].deadline, end);
    assert_int_equal(moves[2].job_id, 5);
    assert_int_equal(moves[2].deadline, end);
    assert_int_equal(moves[3].job_id, 7);
    assert_int_equal(moves[3].deadline, 0);
    // After the award ended its jobs are held, not given a past deadline.
    moves = grants::deadlines_to_move(*l.policy, jobs, grants::day_number(2026, 7, 1), nullptr);
    assert_int_equal(moves.size(), 1);
    assert_int_equal(moves[0].job_id, 7);
    // The controller's local day end is used when given.
    moves = grants::deadlines_to_move(*l.policy, {with(job(1, "LIVE"), 0, 0)}, grants::day_number(2026, 6, 1),
                                      [](grants::DayNumber) -> std::int64_t { return 77; });
    assert_int_equal(moves[0].deadline, 77);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_removed_and_ended_awards),
        cmocka_unit_test(test_deadlines_follow_the_award_end),
    };
    return cmocka_run_group_tests_name("award_holds", tests, nullptr, nullptr);
}
