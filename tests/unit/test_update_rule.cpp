// The update rule (core/domain/update_rule.h): what `scontrol update` of an existing
// job may change, re-validated against the policy and the award's usage, and
// how much more the job holds at once when the change is accepted.
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "cmocka.h"
#include "core/domain/admin_comment.h"
#include "core/domain/update_pass.h"
#include "core/domain/update_rule.h"
#include "core/policy/policy_loader.h"

using grants::AwardUsageView;
using grants::decide_update;
using grants::EnforceScope;
using grants::JobUpdate;
using grants::OnError;
using grants::Policy;
using grants::PolicyState;
using grants::Ticks;
using grants::ticks_of;
using grants::UpdateVerdict;

namespace {

// trn1 (1 chip per node, to keep the numbers small) is enforced; cpu is not.
const char kPolicy[] = R"(version: 1
enforce:
  partitions: [trn1]
partitions:
  trn1: { chips_per_node: 1 }
awards:
  A:
    members: { users: [alice] }
    budget: { chip_hours: 20 }
  B:
    members: { users: [alice] }
    budget: { chip_hours: 100 }
  OTHER:
    members: { users: [bob] }
    budget: { chip_hours: 100 }
)";

PolicyState with_policy() {
    auto l = grants::load_policy_text(kPolicy, "grants.yaml");
    for (const auto& e : l.errors) print_error("%s\n", e.to_string().c_str());
    assert_non_null(l.policy.get());
    PolicyState s;
    s.policy = l.policy;
    return s;
}

PolicyState without_policy(OnError on_error) {
    PolicyState s;
    EnforceScope scope;
    scope.partitions.insert("trn1");
    scope.on_error = on_error;
    s.fallback = scope;
    s.problem = "grants.yaml:3:1: broken";
    return s;
}

// alice's pending job of award A on trn1: tasks array tasks, 1 node, minutes.
JobUpdate job(std::int64_t tasks = 1, std::int64_t minutes = 60) {
    JobUpdate u;
    u.job_id = 42;
    u.changed_by = 1001;
    u.before.who.user = "alice";
    u.before.partitions = {"trn1"};
    u.before.shape.time_limit_minutes = minutes;
    u.before.shape.array_tasks = tasks;
    u.before.today = grants::day_number(2026, 6, 1);
    u.award = "A";
    u.partitions = u.before.partitions;
    u.shape = u.before.shape;
    return u;
}

// The award's usage as the accounting pass would show it with this job (and
// `others` chip-hours held by other jobs) in it.
grants::UsageLookup usage(const JobUpdate& u, Ticks others = 0) {
    const std::int64_t tasks = u.before.shape.array_tasks;
    const Ticks own = ticks_of(1'000'000) * tasks * u.before.shape.time_limit_minutes.value_or(0) / 60;
    return [=](const std::string& award, const std::string&) {
        AwardUsageView v;
        if (award == "A") {
            v.held = own + others;
            v.live_jobs = v.user_live_jobs = tasks;
            v.live_chips = v.user_live_chips = tasks;
        }
        return v;
    };
}

void expect_refused(const UpdateVerdict& v, const char* text) {
    assert_true(v.refused);
    if (v.message.find(text) == std::string::npos) {
        print_error("message '%s' lacks '%s'\n", v.message.c_str(), text);
        fail();
    }
}

void test_time_limit_raise_held_at_once(void** /*state*/) {
    JobUpdate u = job();
    u.touches_cost = true;
    u.shape.time_limit_minutes = 180;  // 1 -> 3 chip-h
    UpdateVerdict v = decide_update(with_policy(), true, true, u, usage(u, ticks_of(15'000'000)));
    assert_false(v.refused);
    assert_string_equal(v.award.c_str(), "A");
    assert_false(v.award_changed);
    assert_int_equal(v.extra_hold, ticks_of(2'000'000));
    assert_int_equal(v.extra_jobs, 0);
    assert_int_equal(v.extra_chips, 0);
    // 15 held by others + 6 > 20: refused, with the numbers.
    u.shape.time_limit_minutes = 360;
    v = decide_update(with_policy(), true, true, u, usage(u, ticks_of(15'000'000)));
    expect_refused(v, "update of job 42 refused: award A has");
    // A shorter limit holds nothing more.
    u.shape.time_limit_minutes = 30;
    v = decide_update(with_policy(), true, true, u, usage(u, ticks_of(15'000'000)));
    assert_false(v.refused);
    assert_int_equal(v.extra_hold, 0);
}

// A pending array's update applies to every task it still covers: priced per task.
void test_array_update_priced_per_task(void** /*state*/) {
    JobUpdate u = job(4, 60);  // holds 4 chip-h
    u.touches_cost = true;
    u.shape.time_limit_minutes = 240;  // 4 x 4 = 16 chip-h <= 20
    UpdateVerdict v = decide_update(with_policy(), true, true, u, usage(u));
    assert_false(v.refused);
    assert_int_equal(v.extra_hold, ticks_of(12'000'000));
    u.shape.time_limit_minutes = 360;  // 4 x 6 = 24 chip-h > 20 (one task would be 6)
    v = decide_update(with_policy(), true, true, u, usage(u));
    expect_refused(v, "award A has");
}

void test_award_change_by_operator(void** /*state*/) {
    JobUpdate u = job();
    u.touches_cost = true;
    u.wanted = "OTHER";
    expect_refused(decide_update(with_policy(), true, true, u, usage(u)), "not a member");
    // An operator's choice gets the precise reason (no probing to guard against).
    u.wanted = "NO-SUCH";
    expect_refused(decide_update(with_policy(), true, true, u, usage(u)), "award NO-SUCH does not exist (");
    u.wanted = "B";
    UpdateVerdict v = decide_update(with_policy(), true, true, u, usage(u));
    assert_false(v.refused);
    assert_true(v.award_changed);
    assert_string_equal(v.award.c_str(), "B");
    assert_int_equal(v.extra_hold, ticks_of(1'000'000));  // all of it: B held nothing for it
    assert_int_equal(v.extra_jobs, 1);
    assert_int_equal(v.extra_chips, 1);
    assert_true(v.log.find("award changed to B by uid 1001") != std::string::npos);
}

void test_scope_and_untagged_jobs(void** /*state*/) {
    // Moving out of scope, or any update outside it: allowed, nothing held.
    JobUpdate u = job();
    u.touches_cost = true;
    u.partitions = {"cpu"};
    UpdateVerdict v = decide_update(with_policy(), true, true, u, usage(u));
    assert_false(v.refused);
    assert_true(v.award.empty());
    // An untagged job moved into trn1 is refused; releasing one (accepted
    // unchecked under on_error=open) is not.
    u = job();
    u.award.reset();
    u.before.partitions = {"cpu"};
    u.touches_cost = true;
    v = decide_update(with_policy(), true, true, u, usage(u));
    assert_true(v.refused);
    assert_true(v.message.find("job 42 cannot move to partition") != std::string::npos);
    assert_true(v.message.find("it carries no award; resubmit it with --award=ID.") != std::string::npos);
    u.touches_cost = false;
    v = decide_update(with_policy(), true, true, u, usage(u));
    assert_false(v.refused);
}

// Without a usable policy, before usage is known, or with the ledger
// unusable, a cost-touching update follows enforce.on_error; other updates
// (hold, release, comment) go through.
void test_on_error_when_budgets_cannot_be_checked(void** /*state*/) {
    JobUpdate u = job();
    u.touches_cost = true;
    u.shape.time_limit_minutes = 120;
    expect_refused(decide_update(without_policy(OnError::Closed), true, true, u, {}), "grant policy is unavailable");
    assert_false(decide_update(without_policy(OnError::Open), true, true, u, {}).refused);
    expect_refused(decide_update(with_policy(), false, true, u, usage(u)), "still reading what each award holds");
    expect_refused(decide_update(with_policy(), true, false, u, usage(u)), "grant ledger is unavailable");
    u.touches_cost = false;
    u.shape = u.before.shape;
    assert_false(decide_update(without_policy(OnError::Closed), true, true, u, {}).refused);
    assert_false(decide_update(with_policy(), false, false, u, usage(u)).refused);
}

// Releasing a requeued job that waits to run again (held because its new
// run did not fit, or requeued held) lets it start: the new run must fit,
// like a submission. It holds nothing while held, so nothing of its own is
// taken off the award's holds, and once accepted it holds its whole cost.
void test_rerun_release_must_fit(void** /*state*/) {
    JobUpdate u = job();
    u.rerun_start = true;
    // Others hold 19.5 of 20 chip-h; the re-run (1 chip-h) is not in the holds.
    auto others_only = [](Ticks others) {
        return [=](const std::string& award, const std::string&) {
            AwardUsageView v;
            if (award == "A") {
                v.held = others;
                v.live_jobs = v.user_live_jobs = 1;  // the held job still counts as a job
                v.live_chips = v.user_live_chips = 1;
            }
            return v;
        };
    };
    UpdateVerdict v = decide_update(with_policy(), true, true, u, others_only(ticks_of(19'500'000)));
    expect_refused(v, "update of job 42 refused: award A has 0.5 of 20 chip-h left");
    // Room for it: released, and held whole at once until the next pass.
    v = decide_update(with_policy(), true, true, u, others_only(ticks_of(19'000'000)));
    assert_false(v.refused);
    assert_string_equal(v.award.c_str(), "A");
    assert_int_equal(v.extra_hold, ticks_of(1'000'000));
    assert_int_equal(v.extra_jobs, 0);  // it was a job all along
    // The same release of a job that holds its cost already (a first run the
    // user held) takes its own hold off: it fits.
    // (20 held with it, 19 without it: it fits.) Were it a re-run, it would
    // be counted twice: refused, the safe side.
    u.rerun_start = false;
    v = decide_update(with_policy(), true, true, u, usage(u, ticks_of(19'000'000)));
    assert_false(v.refused);
    assert_int_equal(v.extra_hold, 0);
    u.rerun_start = true;
    assert_true(decide_update(with_policy(), true, true, u, usage(u, ticks_of(19'000'000))).refused);
    // Budgets cannot be checked: enforce.on_error (closed here) refuses it,
    // as it would a submission; a plain release still goes through.
    u.rerun_start = true;
    expect_refused(decide_update(with_policy(), true, false, u, others_only(0)), "grant ledger is unavailable");
    expect_refused(decide_update(with_policy(), false, true, u, others_only(0)), "still reading");
    expect_refused(decide_update(without_policy(OnError::Closed), true, true, u, {}), "grant policy is unavailable");
    u.rerun_start = false;
    assert_false(decide_update(with_policy(), true, false, u, others_only(0)).refused);
}

// A forged update with max_nodes=0, which Slurm stores as "no maximum": the
// node cap the job was submitted with is gone, so the job is priced at every
// node of its partition (4 here), as Slurm may now give it.
void test_max_nodes_zero_is_no_maximum(void** /*state*/) {
    JobUpdate u = job(1, 240);  // 1 node x 4 h: holds 4 of A's 20 chip-h
    u.before.shape.max_nodes = 1;
    u.before.facts["trn1"].total_nodes = 4;
    u.shape = u.before.shape;
    u.touches_cost = true;
    grants::apply_node_counts(u.shape, std::nullopt, 0u);
    assert_true(u.shape.max_nodes == grants::kNoMaxNodes);
    UpdateVerdict v = decide_update(with_policy(), true, true, u, usage(u));
    assert_false(v.refused);
    assert_int_equal(v.extra_hold, ticks_of(12'000'000));  // 4 nodes x 4 h - the 4 it held
    assert_int_equal(v.extra_chips, 3);
    // With 8 more chip-h held by other jobs, 16 + 8 > 20: refused.
    expect_refused(decide_update(with_policy(), true, true, u, usage(u, ticks_of(8'000'000))), "award A has");
    // Without the partition's size: refused, never priced as 1 node.
    u.before.facts.clear();
    expect_refused(decide_update(with_policy(), true, true, u, usage(u)), "award A has");

    // Other counts as Slurm stores them: a maximum, a minimum, no change.
    grants::JobShape s;
    grants::apply_node_counts(s, 3u, 5u);
    assert_int_equal(s.min_nodes, 3);
    assert_true(s.max_nodes == 5);
    grants::apply_node_counts(s, 0u, std::nullopt);  // Slurm refuses a minimum of 0 for a queued job
    assert_int_equal(s.min_nodes, 3);
    assert_true(s.max_nodes == 5);
    grants::apply_node_counts(s, std::nullopt, 0xfffffff0u);
    assert_true(s.max_nodes == 0xfffffff0LL);
}

// Which accepted updates ask for a full pass (update_pass.h): none that
// cannot change a hold (a loop of `scontrol update Comment=x` used to make
// one every second), and at most one per kEvery seconds of the others.
void test_update_pass_requests(void** /*state*/) {
    grants::UpdatePassThrottle throttle;
    constexpr std::int64_t every = grants::UpdatePassThrottle::kEvery;
    for (std::int64_t now = 1000; now < 1000 + 3 * every; ++now) assert_false(throttle.should_request(false, now));
    assert_int_equal(throttle.requested(), 0);
    assert_int_equal(throttle.declined(), 0);
    // A cost-touching update asks; the next ones inside the period do not.
    assert_true(throttle.should_request(true, 2000));
    for (std::int64_t now = 2000; now < 2000 + every; ++now) {
        assert_false(throttle.should_request(true, now));
        assert_false(throttle.should_request(false, now));
    }
    assert_true(throttle.should_request(true, 2000 + every));
    // A loop of cost-touching updates, ten a second for a minute: at most
    // one request per period.
    std::size_t granted = 0;
    for (std::int64_t tick = 0; tick < 600; ++tick) granted += throttle.should_request(true, 3000 + tick / 10);
    assert_int_equal(granted, 60 / every);
    assert_int_equal(throttle.requested(), 2 + 60 / every);
    assert_int_equal(throttle.declined(), every + 600 - 60 / every);
    // A clock stepped back starts a new period rather than silencing requests.
    assert_true(throttle.should_request(true, 100));
    assert_false(throttle.should_request(true, 101));
}

// Which updates let a requeued job's new run start sooner (job_modify then
// checks it as above): releasing a held re-run, or moving the begin time of
// one not admitted yet earlier; nothing for a first run, and an admitted,
// unheld re-run's earlier begin time is an ordinary update.
void test_which_updates_let_a_rerun_start(void** /*state*/) {
    using grants::lets_rerun_start;
    using grants::PendingRerun;
    const std::int64_t begin = 1'000'121;
    assert_true(lets_rerun_start(PendingRerun{1, true, begin, false}, true, 0));
    assert_true(lets_rerun_start(PendingRerun{1, true, begin, true}, true, 0));  // held: holds nothing
    assert_false(lets_rerun_start(PendingRerun{1, true, begin, false}, false, 1'000'000));  // still held
    assert_true(lets_rerun_start(PendingRerun{2, false, begin, false}, false, 1'000'000));
    assert_false(lets_rerun_start(PendingRerun{2, false, begin, true}, false, 1'000'000));
    assert_false(lets_rerun_start(PendingRerun{2, false, begin, false}, false, begin + 60));  // later
    assert_false(lets_rerun_start(PendingRerun{2, false, begin, false}, true, 0));  // a release of nothing
    assert_false(lets_rerun_start(PendingRerun{0, true, begin, false}, true, 1'000'000));  // a first run
}


// `scontrol update EndTime=` moves a running job's limit by the same amount,
// rounded to whole minutes as job_mgr.c does, never below 0.
void test_end_time_moves_the_limit(void**) {
    assert_int_equal(grants::limit_after_end_time_change(60, 10'000, 10'000 + 1800), 90);
    // Slurm's (delta + 30) / 60 truncates toward zero: 30 minutes earlier is 29.
    assert_int_equal(grants::limit_after_end_time_change(60, 10'000, 10'000 - 1800), 31);
    assert_int_equal(grants::limit_after_end_time_change(60, 10'000, 10'000 + 29), 60);
    assert_int_equal(grants::limit_after_end_time_change(60, 10'000, 10'000 + 30), 61);
    assert_int_equal(grants::limit_after_end_time_change(60, 10'000, 10'000 - 7200), 0);
}

// What an accepted update writes back (core update_write_back).
void test_update_write_back(void**) {
    JobUpdate u;
    u.award = "A";
    UpdateVerdict v;
    v.award = "A";
    // Nothing changed: nothing written.
    auto w = grants::update_write_back(v, u, "award=A grants_deadline=500", nullptr, false, false);
    assert_false(w.admin_comment.has_value());
    assert_false(w.deadline.has_value());
    // An operator rewrites the comment: the plugin's tags are kept.
    w = grants::update_write_back(v, u, "award=A grants_deadline=500", "ticket 42", false, false);
    assert_true(w.admin_comment.has_value());
    assert_string_equal(w.admin_comment->c_str(),
                        grants::keeping_plugin_tags("ticket 42", "award=A grants_deadline=500", "A").c_str());
    assert_non_null(strstr(w.admin_comment->c_str(), "award=A"));
    // ... unless the new comment names another award (then it is the change).
    JobUpdate to_b = u;
    to_b.wanted = "B";
    UpdateVerdict vb;
    vb.award = "B";
    vb.award_changed = true;
    vb.set_deadline = 900;
    w = grants::update_write_back(vb, to_b, "award=A grants_deadline=500", "award=B", false, false);
    assert_true(w.deadline.has_value());
    assert_int_equal(*w.deadline, 900);
    assert_string_equal(w.admin_comment->c_str(), grants::with_deadline_tag("award=B", 900).c_str());
    // The same change to a running job: no deadline (Slurm takes none for it).
    w = grants::update_write_back(vb, to_b, "award=A", "award=B", true, false);
    assert_false(w.deadline.has_value());
    assert_false(w.admin_comment.has_value());
    // A changed award without a written comment is tagged on the old comment.
    UpdateVerdict changed = vb;
    changed.set_deadline.reset();
    w = grants::update_write_back(changed, u, "ticket 42 award=A", nullptr, false, false);
    assert_string_equal(w.admin_comment->c_str(), grants::with_award_tag("ticket 42 award=A", "B").c_str());
    // An operator's later Deadline= on the same award: the award's end again.
    UpdateVerdict same = v;
    same.set_deadline = 700;
    w = grants::update_write_back(same, u, "award=A grants_deadline=500", nullptr, false, true);
    assert_int_equal(*w.deadline, 700);
    assert_string_equal(w.admin_comment->c_str(), "award=A grants_deadline=700");
    // Out of scope or unchecked (no award): only the tag keeping applies.
    UpdateVerdict none;
    none.set_deadline = 700;
    w = grants::update_write_back(none, u, "award=A", nullptr, false, true);
    assert_false(w.admin_comment.has_value());
    assert_false(w.deadline.has_value());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_limit_raise_held_at_once),
        cmocka_unit_test(test_array_update_priced_per_task),
        cmocka_unit_test(test_award_change_by_operator),
        cmocka_unit_test(test_scope_and_untagged_jobs),
        cmocka_unit_test(test_on_error_when_budgets_cannot_be_checked),
        cmocka_unit_test(test_rerun_release_must_fit),
        cmocka_unit_test(test_max_nodes_zero_is_no_maximum),
        cmocka_unit_test(test_update_pass_requests),
        cmocka_unit_test(test_which_updates_let_a_rerun_start),
        cmocka_unit_test(test_end_time_moves_the_limit),
        cmocka_unit_test(test_update_write_back),
    };
    return cmocka_run_group_tests_name("update_rule", tests, nullptr, nullptr);
}
