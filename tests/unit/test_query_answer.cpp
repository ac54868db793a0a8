// How slurmctld answers grantctl's questions (core/wire/query_answer.h): who may
// see a report, a statement, metrics and members' shares; which awards a
// balance lists; the order of refusals (unknown question, no policy,
// unreadable parameters, book not loaded), every sentence word for word.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "charge_fixture.h"
#include "cmocka.h"
#include "core/domain/charge_book.h"
#include "core/domain/cost_model.h"
#include "core/domain/funding.h"
#include "core/domain/submission.h"
#include "core/domain/usage.h"
#include "core/policy/policy_store.h"
#include "core/wire/query.h"
#include "core/wire/query_answer.h"

using namespace grants;

namespace {

// PI carol, manager mona, members alice and dave. B-2: PI dave,
// member bob. C-3: PI erin, no member named here.
std::shared_ptr<const PolicyState> sample_state(bool with_a1 = true) {
    auto policy = std::make_shared<Policy>();
    Award a;
    a.id = "A-1";
    a.title = "first";
    a.pi = "carol";
    a.managers.insert("mona");
    a.members.users = {"alice", "dave"};
    a.budget = Budget{Budget::Unit::ChipHours, 1000 * kMicrosPerUnit};
    if (with_a1) policy->awards.emplace(a.id, a);
    Award b;
    b.id = "B-2";
    b.pi = "dave";
    b.members.users = {"bob"};
    b.budget = Budget{Budget::Unit::Usd, 500 * kMicrosPerUnit};
    policy->awards.emplace(b.id, b);
    Award c;
    c.id = "C-3";
    c.pi = "erin";
    c.budget = Budget{Budget::Unit::ChipHours, 10 * kMicrosPerUnit};
    policy->awards.emplace(c.id, c);
    auto state = std::make_shared<PolicyState>();
    state->policy = policy;
    return state;
}

ChargeRecord charge(std::uint32_t job, const std::string& award, const std::string& user, std::int64_t at) {
    return TestCharge(job, at, award).user(user).amounts(16 * kMicrosPerUnit, 16 * 1'340'000);
}

DayNumber utc_day(std::int64_t t) { return static_cast<DayNumber>(t / 86400); }
std::int64_t utc_day_end(DayNumber day) { return (static_cast<std::int64_t>(day) + 1) * 86400; }

constexpr std::int64_t kNow = 20'500LL * 86400 + 43200;  // 2026-02-18, noon UTC

// The controller's state for the tests: a loaded book with charges of
// alice and dave on A-1 and bob on B-2, and no live job.
struct Controller {
    std::shared_ptr<const PolicyState> policy = sample_state();
    ChargeBook book;
    UsageTracker usage;
    int operator_asked = 0;  // how often the operator check was asked
    int quotes = 0;          // how often the quote's evaluation ran

    explicit Controller(bool loaded = true) {
        if (!loaded) return;
        ChargeBook::Contents contents(utc_day);
        contents.add(charge(10, "A-1", "alice", kNow - 2 * 86400));
        contents.add(charge(11, "A-1", "dave", kNow - 86400));
        contents.add(charge(12, "B-2", "bob", kNow - 86400));
        book.replace(std::move(contents));
    }

    QueryContext context(const std::string& user, bool is_operator, const std::string& question,
                         std::optional<std::string> args = std::nullopt) {
        QueryContext ctx;
        ctx.policy = policy.get();
        ctx.question = question;
        ctx.args_text = std::move(args);
        ctx.who.user = user;
        ctx.caller_is_operator = [this, is_operator] {
            ++operator_asked;
            return is_operator;
        };
        ctx.now = kNow;
        ctx.local_day = utc_day;
        ctx.local_day_end = utc_day_end;
        ctx.book = &book;
        ctx.usage = &usage;
        ctx.passes = [] { return PassCounters{7, 3, 1}; };
        ctx.evaluate_quote = [this] {
            ++quotes;
            SubmissionVerdict v;
            v.decision.verdict = Decision::Verdict::Reject;
            v.decision.award = "A-1";
            v.decision.message = "job refused: over budget";
            v.decision.hold = 42;
            v.unit = Budget::Unit::ChipHours;
            return v;
        };
        return ctx;
    }

    Answer ask(const std::string& user, bool is_operator, const std::string& question,
               std::optional<std::string> args = std::nullopt) {
        return answer_question(context(user, is_operator, question, std::move(args)));
    }
};

std::string report_args(const std::string& award) {
    QueryArgs a;
    a.award = award;
    return encode_query_args(a);
}

std::string statement_args(const std::string& award) {
    QueryArgs a;
    a.award = award;
    a.month = "2026-02";
    return encode_query_args(a);
}

std::vector<std::string> award_ids(const Answer& a) {
    std::vector<std::string> ids;
    for (const auto& s : a.awards) ids.push_back(s.id);
    return ids;
}

const AwardStatus* find(const Answer& a, const std::string& id) {
    for (const auto& s : a.awards) {
        if (s.id == id) return &s;
    }
    return nullptr;
}

void test_report_only_for_overseers_and_operators(void**) {
    Controller c;
    const Answer member = c.ask("alice", false, "report", report_args("A-1"));
    assert_string_equal(member.refused.c_str(),
                        "only the PI and managers of award \"A-1\" (and Slurm operators) may see its report, and "
                        "alice is neither.");
    assert_true(member.reports.empty());
    assert_true(member.awards.empty());
    for (const auto& [user, is_operator] : {std::pair<std::string, bool>{"carol", false}, {"mona", false},
                                            {"root", true}}) {
        const Answer a = c.ask(user, is_operator, "report", report_args("A-1"));
        assert_true(a.refused.empty());
        assert_true(a.kind == QueryKind::Report);
        assert_string_equal(a.user.c_str(), user.c_str());
        assert_int_equal(a.reports.size(), 1);
        assert_string_equal(a.reports[0].award.c_str(), "A-1");
        assert_int_equal(a.reports[0].rows.size(), 2);  // alice and dave, by user
        assert_int_equal(a.reports[0].charges.runs, 2);
        assert_int_equal(a.awards.size(), 1);
        assert_true(a.awards[0].forecast.has_value());
        assert_true(a.awards[0].members.empty());  // a report's status carries no members
    }
}

void test_statement_only_for_overseers_and_operators(void**) {
    Controller c;
    const Answer member = c.ask("alice", false, "statement", statement_args("A-1"));
    assert_string_equal(member.refused.c_str(),
                        "only the PI and managers of award \"A-1\" (and Slurm operators) may see its statement, and "
                        "alice is neither.");
    assert_false(member.statement.has_value());
    for (const auto& [user, is_operator] : {std::pair<std::string, bool>{"carol", false}, {"mona", false},
                                            {"root", true}}) {
        const Answer a = c.ask(user, is_operator, "statement", statement_args("A-1"));
        assert_true(a.refused.empty());
        assert_true(a.statement.has_value());
        assert_string_equal(a.statement->award.c_str(), "A-1");
        assert_string_equal(a.statement->month.text().c_str(), "2026-02");
        assert_int_equal(a.statement->statement.lines.size(), 2);  // alice's and dave's charges
    }
    const Answer no_month = c.ask("carol", false, "statement", report_args("A-1"));
    assert_string_equal(no_month.refused.c_str(),
                        "a statement is about one award and one month: give --award ID and --month YYYY-MM.");
}

// A stranger learns nothing of which awards exist: the refusal for an
// existing award is the refusal for one that is not in the policy.
void test_stranger_cannot_tell_an_award_exists(void**) {
    Controller with;
    Controller without;
    without.policy = sample_state(false);
    for (const char* question : {"report", "statement"}) {
        const std::string args = std::string(question) == "report" ? report_args("A-1") : statement_args("A-1");
        const Answer there = with.ask("eve", false, question, args);
        const Answer gone = without.ask("eve", false, question, args);
        assert_false(there.refused.empty());
        assert_string_equal(there.refused.c_str(), gone.refused.c_str());
        assert_string_equal(encode_answer(there).c_str(), encode_answer(gone).c_str());
    }
    assert_string_equal(with.ask("eve", false, "report", report_args("A-1")).refused.c_str(),
                        "only the PI and managers of award \"A-1\" (and Slurm operators) may see its report, and "
                        "eve is neither.");
    const Answer no_award = with.ask("carol", false, "report");
    assert_string_equal(no_award.refused.c_str(), "a report from the controller is about one award: give --award ID.");
}

void test_metrics_only_for_operators(void**) {
    Controller c;
    const Answer pi = c.ask("carol", false, "metrics");
    assert_string_equal(pi.refused.c_str(),
                        "grantctl metrics shows every award: only root, SlurmUser and Slurm operators may run it.");
    assert_true(pi.awards.empty());
    assert_false(pi.passes.has_value());
    const Answer root = c.ask("root", true, "metrics");
    assert_true(root.refused.empty());
    assert_true(root.kind == QueryKind::Metrics);
    assert_true(award_ids(root) == (std::vector<std::string>{"A-1", "B-2", "C-3"}));  // every award
    for (const auto& s : root.awards) assert_true(s.members.empty());  // totals, not members
    assert_true(root.passes.has_value());
    assert_int_equal(root.passes->passes, 7);
    assert_int_equal(root.passes->full_passes, 3);
    assert_int_equal(root.passes->update_requests, 1);
}

void test_balance_lists_own_and_overseen_awards(void**) {
    Controller c;
    // alice: a member of A-1 only, no member's breakdown.
    const Answer alice = c.ask("alice", false, "balance");
    assert_true(alice.refused.empty());
    assert_true(award_ids(alice) == (std::vector<std::string>{"A-1"}));
    assert_true(alice.awards[0].members.empty());
    assert_true(alice.awards[0].forecast.has_value());
    assert_int_equal(alice.awards[0].charged, 0);  // the tracker has no totals here
    // carol: PI of A-1 without being a member: listed, with members.
    const Answer carol = c.ask("carol", false, "balance");
    assert_true(award_ids(carol) == (std::vector<std::string>{"A-1"}));
    assert_int_equal(carol.awards[0].members.size(), 2);
    assert_string_equal(carol.awards[0].members[0].user.c_str(), "alice");
    assert_int_equal(carol.awards[0].members[0].runs, 1);
    assert_int_equal(carol.awards[0].members[0].charged, 16 * kMicrosPerUnit);
    assert_string_equal(carol.awards[0].members[1].user.c_str(), "dave");
    // dave: a member of A-1 (no breakdown) and PI of B-2 (breakdown).
    const Answer dave = c.ask("dave", false, "balance");
    assert_true(award_ids(dave) == (std::vector<std::string>{"A-1", "B-2"}));
    assert_true(find(dave, "A-1")->members.empty());
    assert_int_equal(find(dave, "B-2")->members.size(), 1);
    assert_string_equal(find(dave, "B-2")->members[0].user.c_str(), "bob");
    // An operator who is a member of B-2 only: B-2, with its members.
    c.policy = sample_state();
    auto policy = std::make_shared<Policy>(*c.policy->policy);
    policy->awards["B-2"].members.users.insert("ops");
    auto state = std::make_shared<PolicyState>();
    state->policy = policy;
    c.policy = state;
    const Answer ops = c.ask("ops", true, "balance");
    assert_true(award_ids(ops) == (std::vector<std::string>{"B-2"}));
    assert_int_equal(ops.awards[0].members.size(), 1);
    // Someone with no award: an empty balance, not a refusal.
    const Answer eve = c.ask("eve", false, "balance");
    assert_true(eve.refused.empty());
    assert_true(eve.awards.empty());
}

void test_no_policy(void**) {
    Controller c;
    auto state = std::make_shared<PolicyState>();
    state->problem = "grants.yaml: line 3: unknown key 'x'";
    c.policy = state;
    for (const char* question : {"balance", "metrics", "report", "jobs", "statement"}) {
        const Answer a = c.ask("root", true, question, "window=0");  // the policy is told first
        assert_string_equal(a.refused.c_str(),
                            "slurmctld has no usable grant policy right now (grants.yaml: line 3: unknown key 'x'); "
                            "ask the cluster admins.");
        assert_true(a.kind == *parse_query_kind(question));
    }
    assert_int_equal(c.operator_asked, 0);
    // A quote still says what sbatch would (judged without a policy too).
    const Answer quote = c.ask("alice", false, "quote", "window=0");
    assert_true(quote.refused.empty());
    assert_int_equal(c.quotes, 1);
    assert_true(quote.quote.has_value());
    assert_string_equal(quote.quote->verdict.c_str(), "reject");
    assert_string_equal(quote.quote->message.c_str(), "job refused: over budget");
    assert_true(quote.awards.empty());  // no policy: no tranches to show
}

void test_unreadable_parameters(void**) {
    Controller c;
    const Answer a = c.ask("carol", false, "balance", "window=0");
    assert_string_equal(a.refused.c_str(),
                        "grantctl sent parameters this job_submit/grants cannot read (the window must be 1 to 3660 "
                        "days).");
    const Answer b = c.ask("carol", false, "report", "award=A-1 by=week");
    assert_string_equal(b.refused.c_str(),
                        "grantctl sent parameters this job_submit/grants cannot read (a report is grouped by user, "
                        "job, day, month or cluster).");
    // Unreadable parameters come before the operator check.
    const Answer m = c.ask("carol", false, "metrics", "window=x");
    assert_string_equal(m.refused.c_str(),
                        "grantctl sent parameters this job_submit/grants cannot read (the window must be 1 to 3660 "
                        "days).");
    assert_int_equal(c.operator_asked, 0);
}

void test_unknown_question(void**) {
    Controller c;
    c.policy = std::make_shared<PolicyState>();  // no policy either: the question is told first
    const Answer a = c.ask("alice", false, "refund", "window=0");
    assert_string_equal(a.refused.c_str(), "this version of job_submit/grants does not know the question \"refund\".");
    assert_string_equal(a.user.c_str(), "alice");
    assert_true(a.kind == QueryKind::Balance);  // the wire's default kind
    assert_int_equal(c.quotes, 0);
    assert_int_equal(c.operator_asked, 0);
}

void test_book_not_loaded(void**) {
    Controller c(false);
    const char* sentence = "slurmctld has not read its ledger yet (it starts, or lost it); try again in a minute.";
    assert_string_equal(c.ask("carol", false, "report", report_args("A-1")).refused.c_str(), sentence);
    assert_string_equal(c.ask("carol", false, "statement", statement_args("A-1")).refused.c_str(), sentence);
    assert_string_equal(c.ask("alice", false, "jobs").refused.c_str(), sentence);
    // Who may see it is decided first: a stranger is told that, not this.
    assert_string_equal(c.ask("eve", false, "report", report_args("A-1")).refused.c_str(),
                        "only the PI and managers of award \"A-1\" (and Slurm operators) may see its report, and "
                        "eve is neither.");
    // A balance needs no book: the awards without their forecast.
    const Answer balance = c.ask("carol", false, "balance");
    assert_true(balance.refused.empty());
    assert_int_equal(balance.awards.size(), 1);
    assert_false(balance.awards[0].forecast.has_value());
}

void test_jobs(void**) {
    Controller c;
    const Answer own = c.ask("alice", false, "jobs");
    assert_true(own.refused.empty());
    assert_true(own.kind == QueryKind::Jobs);
    assert_int_equal(own.jobs.size(), 1);
    assert_int_equal(own.jobs[0].job_id, 10);
    // Another user's jobs: refused to a mere member, allowed to an operator.
    QueryArgs args;
    args.user = "dave";
    const Answer other = c.ask("alice", false, "jobs", encode_query_args(args));
    assert_string_equal(other.refused.c_str(),
                        "only PIs and managers (for their awards' members) and Slurm operators may see dave's jobs, "
                        "and alice is neither.");
    const Answer root = c.ask("root", true, "jobs", encode_query_args(args));
    assert_true(root.refused.empty());
    assert_int_equal(root.jobs.size(), 1);
    assert_int_equal(root.jobs[0].job_id, 11);
}

void test_quote_tranches(void**) {
    Controller c;
    const Answer plain = c.ask("alice", false, "quote");
    assert_true(plain.quote.has_value());
    assert_true(plain.quote->cost == 42);
    assert_string_equal(plain.quote->award.c_str(), "A-1");
    assert_true(plain.awards.empty());  // A-1 has no tranches
    assert_int_equal(c.operator_asked, 0);
    // With tranches, the award's status comes along (which one the job draws from).
    auto policy = std::make_shared<Policy>(*c.policy->policy);
    Award& a = policy->awards["A-1"];
    a.tranches = {Tranche{400 * kMicrosPerUnit, std::nullopt, std::nullopt},
                  Tranche{600 * kMicrosPerUnit, std::nullopt, std::nullopt}};
    auto state = std::make_shared<PolicyState>();
    state->policy = policy;
    c.policy = state;
    std::unordered_map<std::string, std::shared_ptr<const Funding>> funding;
    funding["A-1"] = std::make_shared<const Funding>(fund(a, {}, {}, utc_day(kNow)));
    c.usage.set_funding(funding);
    const Answer tranched = c.ask("alice", false, "quote");
    assert_int_equal(tranched.awards.size(), 1);
    assert_string_equal(tranched.awards[0].id.c_str(), "A-1");
    assert_false(tranched.awards[0].tranches.empty());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_only_for_overseers_and_operators),
        cmocka_unit_test(test_statement_only_for_overseers_and_operators),
        cmocka_unit_test(test_stranger_cannot_tell_an_award_exists),
        cmocka_unit_test(test_metrics_only_for_operators),
        cmocka_unit_test(test_balance_lists_own_and_overseen_awards),
        cmocka_unit_test(test_no_policy),
        cmocka_unit_test(test_unreadable_parameters),
        cmocka_unit_test(test_unknown_question),
        cmocka_unit_test(test_book_not_loaded),
        cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_quote_tranches),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
