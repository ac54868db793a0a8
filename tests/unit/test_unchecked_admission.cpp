// Which degraded case tags what (core/domain/unchecked_admission.h): with a usable
// policy, a job let through while budgets are unknown (ledger unusable, usage
// not yet known) keeps its award; refusals that need no usage stand; with no
// policy at all, nothing can be tagged.
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "cmocka.h"
#include "core/base/text.h"
#include "core/domain/admin_comment.h"
#include "core/domain/submission.h"
#include "core/domain/unchecked_admission.h"
#include "core/policy/policy_loader.h"

using grants::admit;
using grants::Admission;
using grants::AwardUsageView;
using grants::BudgetsUnknown;
using grants::Decision;
using grants::JobRequest;
using grants::Policy;
using grants::UsageLookup;
using Verdict = grants::Decision::Verdict;

namespace {

const char kPolicy[] = R"(version: 1
enforce:
  partitions: [trn1]
  on_error: open
partitions:
  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.00 }
awards:
  A:
    members: { users: [alice] }
    budget: { chip_hours: 100 }
  TINY:
    members: { users: [alice] }
    budget: { chip_hours: 1 }
  ENDED:
    members: { users: [alice] }
    valid: { until: 2020-01-01 }
    budget: { chip_hours: 100 }
)";

std::shared_ptr<const Policy> load(const std::string& text) {
    auto l = grants::load_policy_text(text, "grants.yaml");
    if (!l.policy) fail_msg("policy: %s", l.errors.empty() ? "?" : l.errors[0].to_string().c_str());
    return l.policy;
}

std::string closed(std::string text) {
    const auto at = text.find("on_error: open");
    return text.replace(at, 14, "on_error: closed");
}

// alice, one trn1 node for 60 minutes (16 chip-h), on award.
JobRequest job(const std::string& user, const std::string& award, std::optional<std::int64_t> minutes = 60) {
    JobRequest j;
    j.who.user = user;
    j.partitions = {"trn1"};
    if (!award.empty()) {
        j.requested.award = award;
        j.requested.values = {award};
    }
    j.shape.min_nodes = 1;
    j.shape.time_limit_minutes = minutes;
    j.facts["trn1"].total_nodes = 4;
    j.today = grants::day_number(2025, 6, 1);
    return j;
}

// An award that is full: what a known usage would refuse.
UsageLookup full() {
    return [](const std::string&, const std::string&) {
        AwardUsageView v;
        v.charged = grants::ticks_of(100'000'000);  // 100 chip-h: nothing left
        return v;
    };
}

void test_known_budgets_decide_as_always(void**) {
    auto p = load(kPolicy);
    Admission a = admit(*p, job("alice", "A"), full(), BudgetsUnknown::No);
    assert_int_equal(static_cast<int>(a.decision.verdict), static_cast<int>(Verdict::Reject));
    assert_false(a.unchecked);
    assert_true(a.unchecked_because.empty());
    a = admit(*p, job("alice", "A"), UsageLookup{}, BudgetsUnknown::No);
    assert_int_equal(static_cast<int>(a.decision.verdict), static_cast<int>(Verdict::Accept));
    assert_false(a.unchecked);
}

void test_open_tags_the_award(void**) {
    auto p = load(kPolicy);
    for (BudgetsUnknown why : {BudgetsUnknown::LedgerUnusable, BudgetsUnknown::UsageNotYetKnown}) {
        // The usage (a full award) is not trusted: the job is accepted on its award.
        Admission a = admit(*p, job("alice", "A"), full(), why);
        assert_int_equal(static_cast<int>(a.decision.verdict), static_cast<int>(Verdict::Accept));
        assert_true(a.unchecked);
        assert_string_equal(a.decision.award.c_str(), "A");
        assert_int_equal(a.decision.hold, grants::ticks_of(16'000'000));  // 16 chip-h, held as usual
        assert_int_equal(a.decision.chips, 16);
        assert_true(a.decision.set_max_nodes.has_value());
        assert_false(a.unchecked_because.empty());
        assert_non_null(strstr(a.decision.message.c_str(), "award A: "));
        assert_non_null(strstr(a.decision.message.c_str(), "accepted without a budget check. It holds 16.0 chip-h"));
        assert_non_null(strstr(a.decision.message.c_str(), why == BudgetsUnknown::LedgerUnusable
                                                               ? "the grant ledger is unavailable"
                                                               : "budgets are not known yet"));
        // What submit writes into AdminComment: the tag and the mark.
        const std::string comment = grants::with_unchecked_mark(grants::with_award_tag("", a.decision.award));
        assert_string_equal(grants::award_in_admin_comment(comment)->c_str(), "A");
        assert_true(grants::has_unchecked_mark(comment));
    }
    // No time limit given: the partition's default is still written back.
    JobRequest j = job("alice", "A", std::nullopt);
    j.facts["trn1"].default_time_minutes = 30;
    Admission a = admit(*p, j, full(), BudgetsUnknown::LedgerUnusable);
    assert_true(a.unchecked);
    assert_int_equal(a.decision.set_time_limit_minutes.value_or(0), 30);
}

void test_refusals_that_need_no_usage_stand(void**) {
    auto p = load(kPolicy);
    for (BudgetsUnknown why : {BudgetsUnknown::LedgerUnusable, BudgetsUnknown::UsageNotYetKnown}) {
        Admission a = admit(*p, job("bob", "A"), full(), why);  // not a member
        assert_int_equal(static_cast<int>(a.decision.verdict), static_cast<int>(Verdict::Reject));
        assert_non_null(strstr(a.decision.message.c_str(), "not a member"));
        assert_false(a.unchecked);
        assert_true(a.unchecked_because.empty());
        a = admit(*p, job("alice", "NOPE"), full(), why);
        assert_non_null(strstr(a.decision.message.c_str(), "does not exist"));
        a = admit(*p, job("alice", "ENDED"), full(), why);
        assert_int_equal(static_cast<int>(a.decision.verdict), static_cast<int>(Verdict::Reject));
        assert_false(a.unchecked);
        // Larger than the whole award: no usage could make it fit.
        a = admit(*p, job("alice", "TINY"), full(), why);
        assert_int_equal(static_cast<int>(a.decision.verdict), static_cast<int>(Verdict::Reject));
        assert_non_null(strstr(a.decision.message.c_str(), "award TINY has 1.0 of 1 chip-h left"));
        assert_false(a.unchecked);
    }
}

void test_closed_refuses(void**) {
    auto p = load(closed(kPolicy));
    Admission a = admit(*p, job("alice", "A"), full(), BudgetsUnknown::LedgerUnusable);
    assert_int_equal(static_cast<int>(a.decision.verdict), static_cast<int>(Verdict::Reject));
    assert_string_equal(a.decision.message.c_str(), grants::kLedgerUnusableRefusal);
    assert_false(a.unchecked);
    assert_string_equal(a.unchecked_because.c_str(), "the ledger is unusable");
    a = admit(*p, job("alice", "A"), full(), BudgetsUnknown::UsageNotYetKnown);
    assert_string_equal(a.decision.message.c_str(), grants::kUsageUnknownRefusal);
    // A non-member is still told why, not "try again later".
    a = admit(*p, job("bob", "A"), full(), BudgetsUnknown::LedgerUnusable);
    assert_non_null(strstr(a.decision.message.c_str(), "not a member"));
}

void test_no_policy_cannot_tag(void**) {
    // With no usable policy no award can be resolved: open accepts untagged.
    auto p = load(kPolicy);
    Decision d = grants::decide_without_policy(grants::scope_of(*p), job("alice", "A"));
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::AcceptUntagged));
    assert_true(d.award.empty());
    auto c = load(closed(kPolicy));
    d = grants::decide_without_policy(grants::scope_of(*c), job("alice", "A"));
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Reject));
}

// Usage not yet known wins over an unusable ledger: right after a takeover
// the ledger is opened a moment after usage is claimed unknown.
void test_budgets_unknown_order(void**) {
    assert_true(grants::budgets_unknown(true, true) == BudgetsUnknown::No);
    assert_true(grants::budgets_unknown(true, false) == BudgetsUnknown::LedgerUnusable);
    assert_true(grants::budgets_unknown(false, false) == BudgetsUnknown::UsageNotYetKnown);
    assert_true(grants::budgets_unknown(false, true) == BudgetsUnknown::UsageNotYetKnown);
}

// The submit path's verdicts and log lines (core/domain/submission.h), what
// slurmctld logs for each degraded case.
void test_submission_without_policy_logs_why(void**) {
    auto p = load(kPolicy);
    grants::PolicyState open_state;
    open_state.fallback = grants::scope_of(*p);
    open_state.problem = "grants.yaml:3:1: bad";
    auto v = grants::decide_submission_without_policy(open_state, job("alice", "A"), 1001);
    assert_int_equal(static_cast<int>(v.decision.verdict), static_cast<int>(Verdict::AcceptUntagged));
    assert_true(v.log_is_error);
    assert_string_equal(v.log.c_str(), "on_error=open: job of uid 1001 accepted WITHOUT an award check: no usable "
                                       "grant policy (grants.yaml:3:1: bad)");
    grants::PolicyState closed_state = open_state;
    closed_state.fallback = grants::scope_of(*load(closed(kPolicy)));
    v = grants::decide_submission_without_policy(closed_state, job("alice", "A"), 1001);
    assert_int_equal(static_cast<int>(v.decision.verdict), static_cast<int>(Verdict::Reject));
    assert_string_equal(v.log.c_str(), "job of uid 1001 refused: no usable grant policy (grants.yaml:3:1: bad)");
    // Out of scope: untouched, nothing logged.
    JobRequest other = job("alice", "A");
    other.partitions = {"cpu"};
    v = grants::decide_submission_without_policy(closed_state, other, 1001);
    assert_int_equal(static_cast<int>(v.decision.verdict), static_cast<int>(Verdict::Untouched));
    assert_true(v.log.empty());
}

void test_submission_logs_and_unit(void**) {
    auto p = load(kPolicy);
    // Known budgets, accepted: nothing to log; the award's unit is known.
    auto v = grants::decide_submission(*p, job("alice", "A"), 1001, BudgetsUnknown::No, UsageLookup{});
    assert_int_equal(static_cast<int>(v.decision.verdict), static_cast<int>(Verdict::Accept));
    assert_true(v.log.empty());
    assert_false(v.unchecked);
    assert_true(v.unit == grants::Budget::Unit::ChipHours);
    // Known budgets, refused: logged as an ordinary rejection (not an error).
    v = grants::decide_submission(*p, job("alice", "A"), 1001, BudgetsUnknown::No, full());
    assert_int_equal(static_cast<int>(v.decision.verdict), static_cast<int>(Verdict::Reject));
    assert_false(v.log_is_error);
    assert_string_equal(v.log.c_str(), ("rejected job of alice: " + v.decision.message).c_str());
    // Open, ledger unusable: accepted unchecked, and the error log says so.
    v = grants::decide_submission(*p, job("alice", "A"), 1001, BudgetsUnknown::LedgerUnusable, full());
    assert_int_equal(static_cast<int>(v.decision.verdict), static_cast<int>(Verdict::Accept));
    assert_true(v.unchecked);
    assert_true(v.log_is_error);
    assert_non_null(strstr(v.log.c_str(), "on_error=open: job of uid 1001 accepted on award A WITHOUT a budget check ("));
    // Closed: refused, and the error log says why.
    auto c = load(closed(kPolicy));
    v = grants::decide_submission(*c, job("alice", "A"), 1001, BudgetsUnknown::UsageNotYetKnown, UsageLookup{});
    assert_int_equal(static_cast<int>(v.decision.verdict), static_cast<int>(Verdict::Reject));
    assert_true(v.log_is_error);
    assert_non_null(strstr(v.log.c_str(), "job of uid 1001 refused: "));
    // The log names the user bounded (loggable), then the user's sentence.
    JobRequest longname = job(std::string(200, 'x'), "NOPE");
    v = grants::decide_submission(*p, longname, 1001, BudgetsUnknown::No, UsageLookup{});
    assert_int_equal(static_cast<int>(v.decision.verdict), static_cast<int>(Verdict::Reject));
    assert_string_equal(v.log.c_str(),
                        ("rejected job of " + grants::loggable(std::string(200, 'x')) + ": " + v.decision.message).c_str());
    assert_null(strstr(v.log.substr(0, v.log.find(':')).c_str(), std::string(200, 'x').c_str()));
}

void test_unreadable_submission_is_refused(void**) {
    auto v = grants::refuse_unreadable_submission("the --award option is malformed.");
    assert_int_equal(static_cast<int>(v.decision.verdict), static_cast<int>(Verdict::Reject));
    assert_string_equal(v.decision.message.c_str(), "the --award option is malformed.");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_budgets_decide_as_always),
        cmocka_unit_test(test_open_tags_the_award),
        cmocka_unit_test(test_refusals_that_need_no_usage_stand),
        cmocka_unit_test(test_closed_refuses),
        cmocka_unit_test(test_no_policy_cannot_tag),
        cmocka_unit_test(test_budgets_unknown_order),
        cmocka_unit_test(test_submission_without_policy_logs_why),
        cmocka_unit_test(test_submission_logs_and_unit),
        cmocka_unit_test(test_unreadable_submission_is_refused),
    };
    return cmocka_run_group_tests_name("unchecked_admission", tests, nullptr, nullptr);
}
