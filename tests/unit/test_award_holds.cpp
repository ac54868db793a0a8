// Which queued jobs are held because their award is gone (award_holds.h):
// removed from the policy or ended; running, out-of-scope and untagged jobs
// are left alone.
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/award_holds.h"
#include "core/policy_loader.h"

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

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_removed_and_ended_awards),
    };
    return cmocka_run_group_tests_name("award_holds", tests, nullptr, nullptr);
}
