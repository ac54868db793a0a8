// The accounting pass's state machine (core/domain/pass_schedule.h, and the
// ledger's status in core/domain/ledger_health.h): when a pass may skip copying
// slurmctld's jobs, what gaining and losing control forget and restore, and
// what a takeover makes unknown. Timings on real daemons are proved by
// tests/integration/test-quota.sh, test-faults.sh and test-ha.sh.
#include <cstdint>
#include <memory>

#include "cmocka.h"
#include "core/domain/ledger_health.h"
#include "core/domain/pass_schedule.h"

using grants::ControlChange;
using grants::JobListChange;
using grants::JobListStamp;
using grants::kBusyPassEvery;
using grants::kFullPassEvery;
using grants::kSettle;
using grants::LedgerStatus;
using grants::PassInputs;
using grants::PassKind;
using grants::PolicyState;
using grants::SettledPass;

namespace {

constexpr std::int64_t kAt = 1'700'000'000;  // when the settled full pass ran
constexpr std::uintptr_t kList = 0x1000;

// What slurmctld showed the full pass: last set well before it was read.
JobListStamp stamp_at_full_pass() {
    JobListStamp s;
    s.list = kList;
    s.last_update = kAt - 10;
    s.read_at = kAt;
    s.started = 4;
    s.completed = 3;
    s.canceled = 2;
    s.failed = 1;
    s.recovered = true;
    return s;
}

struct Scene {
    std::shared_ptr<const PolicyState> policy = std::make_shared<const PolicyState>();
    SettledPass last = grants::after_full_pass(stamp_at_full_pass(), policy, kAt, false);

    // A pass at now that sees stamp, usage known, no request.
    PassInputs at(std::int64_t now, const JobListStamp& stamp) const {
        PassInputs in;
        in.state = policy.get();
        in.stamp = stamp;
        in.now = now;
        in.usage_known = true;
        return in;
    }
    PassInputs at(std::int64_t now) const { return at(now, stamp_at_full_pass()); }
};

// A later stamp showing only new submissions: last_job_update moved, no
// counter did.
JobListStamp after_submissions() {
    JobListStamp s = stamp_at_full_pass();
    s.last_update = kAt + 1;
    s.read_at = kAt + 2;
    return s;
}

void test_skipped_only_when_nothing_changed(void**) {
    Scene scene;
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + 1)) == PassKind::OnlySubmissions);
    // Past kBusyPassEvery the unchanged list is an idle pass, not a deferred one.
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + kBusyPassEvery)) == PassKind::Idle);
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + kFullPassEvery - 1)) == PassKind::Idle);
    assert_true(grants::nothing_changed(scene.last, scene.policy.get(), stamp_at_full_pass(), kAt + 1));
}

void test_full_pass_every_kFullPassEvery(void**) {
    Scene scene;
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + kFullPassEvery)) == PassKind::Full);
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + 10 * kFullPassEvery)) == PassKind::Full);
    // A clock stepped back proves nothing.
    assert_true(grants::decide_pass(scene.last, scene.at(kAt - 1)) == PassKind::Full);
}

void test_full_pass_after_policy_change(void**) {
    Scene scene;
    const auto reloaded = std::make_shared<const PolicyState>();
    PassInputs in = scene.at(kAt + 1);
    in.state = reloaded.get();
    assert_true(grants::decide_pass(scene.last, in) == PassKind::Full);
    in.now = kAt + kBusyPassEvery + 1;
    assert_true(grants::decide_pass(scene.last, in) == PassKind::Full);
}

void test_full_pass_after_job_list_change(void**) {
    Scene scene;
    const std::int64_t later = kAt + kBusyPassEvery + 1;  // past the busy window
    JobListStamp s = stamp_at_full_pass();
    s.last_update = kAt + 3;  // any job changed
    assert_true(grants::decide_pass(scene.last, scene.at(later, s)) == PassKind::Full);
    s = stamp_at_full_pass();
    s.list = kList + 1;  // another controller's list
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + 1, s)) == PassKind::Full);
    assert_true(grants::decide_pass(scene.last, scene.at(later, s)) == PassKind::Full);
}

void test_full_pass_when_last_update_not_settled(void**) {
    Scene scene;
    JobListStamp unsettled = stamp_at_full_pass();
    unsettled.last_update = unsettled.read_at - kSettle + 1;  // set within kSettle s of the copy
    scene.last = grants::after_full_pass(unsettled, scene.policy, kAt, false);
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + kBusyPassEvery, unsettled)) == PassKind::Full);
    JobListStamp settled = stamp_at_full_pass();
    settled.last_update = settled.read_at - kSettle;
    scene.last = grants::after_full_pass(settled, scene.policy, kAt, false);
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + kBusyPassEvery, settled)) == PassKind::Idle);
}

void test_full_pass_when_requested_or_usage_unknown(void**) {
    Scene scene;
    PassInputs in = scene.at(kAt + 1);
    in.full_requested = true;
    assert_true(grants::decide_pass(scene.last, in) == PassKind::Full);
    in = scene.at(kAt + 1);
    in.usage_known = false;
    assert_true(grants::decide_pass(scene.last, in) == PassKind::Full);
}

void test_pass_with_charges_left_is_no_base(void**) {
    Scene scene;
    scene.last = grants::after_full_pass(stamp_at_full_pass(), scene.policy, kAt, true);
    assert_false(scene.last.valid);
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + 1)) == PassKind::Full);
    assert_true(grants::decide_pass(SettledPass{}, scene.at(kAt + 1)) == PassKind::Full);
}

void test_submissions_only_passes(void**) {
    Scene scene;
    const JobListStamp burst = after_submissions();
    for (std::int64_t t = kAt; t < kAt + kBusyPassEvery; ++t) {
        assert_true(grants::decide_pass(scene.last, scene.at(t, burst)) == PassKind::OnlySubmissions);
    }
    // The burst goes on: a full pass kBusyPassEvery after the last.
    assert_true(grants::decide_pass(scene.last, scene.at(kAt + kBusyPassEvery, burst)) == PassKind::Full);
    // A start, an end, a cancellation or a failure: full at once.
    for (int counter = 0; counter < 4; ++counter) {
        JobListStamp s = burst;
        std::uint32_t* moved[] = {&s.started, &s.completed, &s.canceled, &s.failed};
        ++*moved[counter];
        assert_true(grants::decide_pass(scene.last, scene.at(kAt + 1, s)) == PassKind::Full);
    }
}

void test_losing_control_forgets(void**) {
    const ControlChange lost = grants::follow_control(true, true, false);  // the heartbeat names another
    assert_false(lost.in_control);
    assert_true(lost.forget);
    assert_false(lost.restore_spool);
    const ControlChange recovering = grants::follow_control(true, false, true);
    assert_false(recovering.in_control);
    assert_true(recovering.forget);
    // A standby forgets nothing, again and again.
    const ControlChange standby = grants::follow_control(false, true, false);
    assert_false(standby.in_control);
    assert_false(standby.forget);
    assert_false(standby.restore_spool);
}

void test_regaining_control_restores_the_spool_once(void**) {
    bool in_control = false;
    int restored = 0;
    // Recovering, then in control for three passes, then standby, then back.
    const bool named[] = {true, true, true, true, false, true, true};
    const bool recovered[] = {false, true, true, true, true, true, true};
    const bool expected[] = {false, true, true, true, false, true, true};
    for (int i = 0; i < 7; ++i) {
        const ControlChange c = grants::follow_control(in_control, recovered[i], named[i]);
        assert_int_equal(c.in_control, expected[i]);
        restored += c.restore_spool ? 1 : 0;
        if (i == 1 || i == 5) assert_true(c.restore_spool);
        in_control = c.in_control;
    }
    assert_int_equal(restored, 2);
}

void test_takeover_marks_usage_unknown(void**) {
    const JobListChange first = grants::notice_job_list(0, kList);
    assert_true(first.changed);
    assert_false(first.taken_over);
    const JobListChange same = grants::notice_job_list(kList, kList);
    assert_false(same.changed);
    assert_false(same.taken_over);
    const JobListChange takeover = grants::notice_job_list(kList, kList + 0x40);
    assert_true(takeover.changed);
    assert_true(takeover.taken_over);
}

void test_ledger_status(void**) {
    LedgerStatus status;
    assert_false(status.usable());  // until the ledger opens
    assert_false(status.mark_usable());
    assert_true(status.usable());
    // A problem is logged once, and its end once.
    assert_true(status.report_problem("the file is missing (deleted?)"));
    assert_false(status.usable());
    assert_false(status.report_problem("the file is missing (deleted?)"));
    assert_true(status.mark_usable());
    assert_false(status.mark_usable());
    // Refused charges keep it unusable however healthy the file looks.
    assert_true(status.charges_refused("database is locked"));
    assert_false(status.charges_refused("database is locked"));
    assert_false(status.mark_usable());
    assert_false(status.usable());
    assert_true(status.charges_failing());
    assert_true(status.charges_recorded());
    assert_true(status.usable());
    assert_false(status.charges_failing());
    assert_false(status.charges_recorded());
    status.cannot_record();
    assert_false(status.usable());
    // Losing control forgets the failure: the next controller's ledger is another matter.
    assert_true(status.charges_refused("disk I/O error"));
    status.forget();
    assert_false(status.usable());
    assert_false(status.charges_failing());
    assert_false(status.mark_usable());
    assert_true(status.usable());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skipped_only_when_nothing_changed),
        cmocka_unit_test(test_full_pass_every_kFullPassEvery),
        cmocka_unit_test(test_full_pass_after_policy_change),
        cmocka_unit_test(test_full_pass_after_job_list_change),
        cmocka_unit_test(test_full_pass_when_last_update_not_settled),
        cmocka_unit_test(test_full_pass_when_requested_or_usage_unknown),
        cmocka_unit_test(test_pass_with_charges_left_is_no_base),
        cmocka_unit_test(test_submissions_only_passes),
        cmocka_unit_test(test_losing_control_forgets),
        cmocka_unit_test(test_regaining_control_restores_the_spool_once),
        cmocka_unit_test(test_takeover_marks_usage_unknown),
        cmocka_unit_test(test_ledger_status),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
