#include "core/wire/query_answer.h"

#include <algorithm>
#include <map>
#include <vector>

#include "core/base/text.h"
#include "core/domain/forecast.h"
#include "core/domain/job_rows.h"
#include "core/domain/report.h"
#include "core/domain/statement.h"

namespace grants {

namespace {

constexpr char kBookNotLoaded[] =
    "slurmctld has not read its ledger yet (it starts, or lost it); try again in a minute.";

// The caller's operator status, asked of slurmctld at most once and only
// when a rule needs it (QueryContext::caller_is_operator).
class OperatorCheck {
public:
    explicit OperatorCheck(const std::function<bool()>& ask) : ask_(ask) {}
    bool operator()() {
        if (!known_) {
            is_operator_ = ask_ && ask_();
            known_ = true;
        }
        return is_operator_;
    }

private:
    const std::function<bool()>& ask_;
    bool known_ = false, is_operator_ = false;
};

// The same sentence whether the award exists or not, so that a refusal
// never tells a stranger which awards there are. what: "report", "statement".
std::string only_overseers(const std::string& award, const std::string& what, const std::string& user) {
    return "only the PI and managers of award " + quote_untrusted(award) + " (and Slurm operators) may see its " +
           what + ", and " + user + " is neither.";
}

// The burn rate and run-out day of an award, from the charge book (nothing
// while the controller has not read its ledger).
void add_forecast(const QueryContext& ctx, const Award& award, int window, AwardStatus& status) {
    if (!ctx.book->loaded()) return;
    // The book dates charges by the controller's local day and keeps running
    // sums per day: only the window's days are read.
    const DayNumber today = ctx.local_day(ctx.now);
    status.forecast = forecast(ctx.book->daily(award.id, award.budget.unit, today - (window - 1)), today, window,
                               status.left(), award.valid);
}

// Every member's charges (the charge book) and live holds (the last pass).
void add_members(const QueryContext& ctx, const Award& award, AwardStatus& status) {
    std::map<std::string, MemberStatus> members;
    for (const auto& [user, m] : ctx.book->members(award.id, award.budget.unit)) {
        MemberStatus& ms = members[user];
        ms.runs = m.runs;
        ms.charged = m.charged;
    }
    for (const auto& [user, t] : ctx.usage->members(award.id)) {
        MemberStatus& ms = members[user];
        ms.held = t.held;
        ms.live_jobs = t.live_jobs;
    }
    for (auto& [user, ms] : members) {
        ms.user = user;
        status.members.push_back(std::move(ms));
    }
}

// What sbatch would conclude about the job in the request, and the award's
// tranches when it has them (which one the job would draw from).
void answer_quote(const QueryContext& ctx, const Policy* policy, Answer& answer) {
    const SubmissionVerdict o = ctx.evaluate_quote();
    QuoteResult q;
    switch (o.decision.verdict) {
        case Decision::Verdict::Untouched: q.verdict = "untouched"; break;
        case Decision::Verdict::Accept:
        case Decision::Verdict::AcceptUntagged: q.verdict = "accept"; break;
        case Decision::Verdict::Reject: q.verdict = "reject"; break;
    }
    q.award = o.decision.award;
    q.message = o.decision.message;
    if (!o.decision.award.empty()) q.cost = o.decision.hold;
    q.unit = o.unit;
    q.chips = o.decision.chips;
    q.time_limit_minutes = o.decision.time_limit_minutes;
    q.instance_type = o.decision.instance_type;
    answer.quote = std::move(q);
    if (!policy || o.decision.award.empty()) return;
    if (const Award* a = policy->find_award(o.decision.award)) {
        AwardStatus s = award_status(*a, ctx.usage->view(*policy, a->id, ""), ctx.local_day(ctx.now));
        if (!s.tranches.empty()) answer.awards.push_back(std::move(s));
    }
}

// A report or statement of one award: only for its PI, managers and
// operators (the same refusal whether the award exists or not), and only
// once the book is loaded. false with answer.refused set.
bool may_read_book(const QueryContext& ctx, const Award* award, const std::string& asked, const char* what,
                   bool operator_asks, Answer& answer) {
    if (!award || !(operator_asks || award->overseen_by(ctx.who.user))) {
        answer.refused = only_overseers(asked, what, ctx.who.user);
        return false;
    }
    if (!ctx.book->loaded()) {
        answer.refused = kBookNotLoaded;
        return false;
    }
    return true;
}

// One award's charges grouped as asked, with its status and forecast.
void answer_report(const QueryContext& ctx, const Policy& policy, const QueryArgs& args, bool operator_asks,
                   Answer& answer) {
    const Award* award = args.award ? policy.find_award(*args.award) : nullptr;
    if (!args.award) {
        answer.refused = "a report from the controller is about one award: give --award ID.";
        return;
    }
    if (!may_read_book(ctx, award, *args.award, "report", operator_asks, answer)) return;
    ReportInput in;
    in.group = args.by;
    in.unit_of = [unit = award->budget.unit](const std::string&) -> std::optional<Budget::Unit> { return unit; };
    in.day_of = ctx.local_day;
    LedgerFilter filter;
    filter.since = args.since;
    filter.until = args.until;
    filter.user = args.user;
    ctx.book->award_entries(award->id, filter, &in.charges, &in.adjustments);
    answer.reports = build_report(in);
    AwardStatus status = award_status(*award, ctx.usage->view(policy, award->id, ctx.who.user), ctx.local_day(ctx.now));
    add_forecast(ctx, *award, args.window, status);
    answer.awards.push_back(std::move(status));
}

// One award's month, from the charge book (which keeps each charge's
// account and cluster, and the deposits, for this).
void answer_statement(const QueryContext& ctx, const Policy& policy, const QueryArgs& args, bool operator_asks,
                      Answer& answer) {
    const Award* award = args.award ? policy.find_award(*args.award) : nullptr;
    const std::optional<Month> month = args.month ? parse_month(*args.month) : std::nullopt;
    if (!args.award || !month) {
        answer.refused = "a statement is about one award and one month: give --award ID and --month YYYY-MM.";
        return;
    }
    if (!may_read_book(ctx, award, *args.award, "statement", operator_asks, answer)) return;
    StatementInput in;
    in.award = award;
    in.month = *month;
    // The month's bounds are the controller's local midnights, as for
    // everything it dates.
    in.start = ctx.local_day_end(month->first_day() - 1);
    in.end = ctx.local_day_end(month->last_day());
    in.day_of = ctx.local_day;
    ctx.book->statement_entries(award->id, in.end, &in.charges, &in.adjustments, &in.deposits);
    answer.statement = month_report(in, build_statement(in));
}

// The caller's jobs (or others', as jobs_scope allows): live ones from the
// last pass and charged ones from the charge book.
void answer_jobs(const QueryContext& ctx, const Policy& policy, const QueryArgs& args, bool operator_asks,
                 Answer& answer) {
    JobsQuestion question;
    question.user = args.user;
    question.award = args.award;
    question.job_ids = args.job_ids;
    question.since = args.since;
    question.until = args.until;
    const JobsScope scope = jobs_scope(policy, ctx.who.user, operator_asks, question);
    if (!scope.refused.empty()) {
        answer.refused = scope.refused;
        return;
    }
    if (!ctx.book->loaded()) {
        answer.refused = kBookNotLoaded;
        return;
    }
    auto unit_of = [&policy](const std::string& id) {
        const Award* a = policy.find_award(id);
        return a ? a->budget.unit : Budget::Unit::ChipHours;
    };
    const std::vector<JobRow> charged = ctx.book->job_rows(scope, question, ctx.now, unit_of);
    const std::shared_ptr<const UsageSnapshot> live = ctx.usage->snapshot_ptr();
    answer.jobs = select_job_rows(live->jobs, charged, scope, question, ctx.now);
}

// Which awards a balance or metrics lists: metrics every award; a balance
// the caller's (as a submission would judge membership) and those they are
// PI or manager of, member or not.
std::vector<std::string> listed_awards(const Policy& policy, QueryKind kind, const Identity& who) {
    std::vector<std::string> ids;
    if (kind == QueryKind::Metrics) {
        for (const auto& [id, award] : policy.awards) ids.push_back(id);
        return ids;
    }
    ids = awards_of(policy, who);
    for (const auto& [id, award] : policy.awards) {
        if (award.overseen_by(who.user) && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    return ids;
}

// Balance and metrics: each listed award's status, prices and forecast;
// members' shares only for those who oversee the award and operators (a
// balance only: metrics are totals).
void answer_balance(const QueryContext& ctx, const Policy& policy, QueryKind kind, const QueryArgs& args,
                    bool operator_asks, Answer& answer) {
    const DayNumber today = ctx.local_day(ctx.now);
    if (kind == QueryKind::Metrics && ctx.passes) answer.passes = ctx.passes();
    for (const auto& id : listed_awards(policy, kind, ctx.who)) {
        const Award* a = policy.find_award(id);
        if (!a) continue;
        AwardStatus status = award_status(*a, ctx.usage->view(policy, id, ctx.who.user), today);
        status.node_prices = node_prices(policy, *a, ctx.node_types.get());
        add_forecast(ctx, *a, args.window, status);
        if (kind == QueryKind::Balance && (operator_asks || a->overseen_by(ctx.who.user))) add_members(ctx, *a, status);
        answer.awards.push_back(std::move(status));
    }
}

}  // namespace

Answer answer_question(const QueryContext& ctx) {
    Answer answer;
    answer.user = ctx.who.user;
    const std::optional<QueryKind> kind = parse_query_kind(ctx.question);
    if (!kind) {
        answer.refused =
            "this version of job_submit/grants does not know the question " + quote_untrusted(ctx.question) + ".";
        return answer;
    }
    answer.kind = *kind;
    const Policy* policy = ctx.policy ? ctx.policy->policy.get() : nullptr;
    // A quote is judged as sbatch would judge the job, policy or not.
    if (*kind == QueryKind::Quote) {
        answer_quote(ctx, policy, answer);
        return answer;
    }
    if (!policy) {
        answer.refused = "slurmctld has no usable grant policy right now (" +
                         (ctx.policy ? ctx.policy->problem : std::string()) + "); ask the cluster admins.";
        return answer;
    }
    std::string args_error;
    std::optional<QueryArgs> args = QueryArgs{};
    if (ctx.args_text) args = parse_query_args(*ctx.args_text, &args_error);
    if (!args) {
        answer.refused = "grantctl sent parameters this job_submit/grants cannot read (" + args_error + ").";
        return answer;
    }
    OperatorCheck operator_asks(ctx.caller_is_operator);
    switch (*kind) {
        case QueryKind::Metrics:
            if (!operator_asks()) {
                answer.refused =
                    "grantctl metrics shows every award: only root, SlurmUser and Slurm operators may run it.";
                return answer;
            }
            answer_balance(ctx, *policy, *kind, *args, true, answer);
            break;
        case QueryKind::Report: answer_report(ctx, *policy, *args, operator_asks(), answer); break;
        case QueryKind::Jobs: answer_jobs(ctx, *policy, *args, operator_asks(), answer); break;
        case QueryKind::Statement: answer_statement(ctx, *policy, *args, operator_asks(), answer); break;
        case QueryKind::Balance: answer_balance(ctx, *policy, *kind, *args, operator_asks(), answer); break;
        case QueryKind::Quote: break;  // answered above
    }
    return answer;
}

}  // namespace grants
