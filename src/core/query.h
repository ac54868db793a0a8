// Questions that grantctl asks slurmctld, and their answers (docs/design.md
// "grantctl's channel to the controller").
//
// grantctl sends a job-will-run request carrying SLURM_GRANTS_QUERY=<kind> in
// the job's spank environment. slurmctld authenticates the caller (munge) and
// hands the request to job_submit/grants, which answers from its in-memory
// state (the rules: query_answer.h) and refuses the "job", so nothing is
// scheduled or created. The answer travels back as the refusal's message,
// in the line format below; grantctl decodes it. The text is plain ASCII:
// every value is percent-encoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "date.h"
#include "decimal.h"
#include "decision.h"
#include "forecast.h"
#include "job_rows.h"
#include "policy.h"
#include "report.h"
#include "statement.h"

namespace grants {

inline constexpr char kQueryVariable[] = "SLURM_GRANTS_QUERY";
// The question's parameters (QueryArgs), "key=value" words, percent-encoded.
inline constexpr char kQueryArgsVariable[] = "SLURM_GRANTS_QUERY_ARGS";

enum class QueryKind { Balance, Quote, Metrics, Report, Jobs, Statement };

std::string_view query_kind_name(QueryKind kind);
std::optional<QueryKind> parse_query_kind(std::string_view name);

// The value of SLURM_GRANTS_QUERY in a spank environment: nullopt when the
// variable is absent, "" when it is present more than once.
std::optional<std::string> query_in_env(const std::vector<std::string_view>& env);
// The same for any variable name.
std::optional<std::string> env_value(const std::vector<std::string_view>& env, std::string_view name);

// What balance and report ask beyond the job's own options.
struct QueryArgs {
    int window = kDefaultForecastWindow;   // days of the burn rate
    std::optional<std::string> award;      // report: the award (required for a PI)
    ReportGroup by = ReportGroup::User;    // report
    std::optional<std::int64_t> since, until;  // report: epoch seconds, as LedgerFilter
    std::optional<std::string> user;           // report: only this member's charges; jobs: -u
    std::vector<std::uint32_t> job_ids;        // jobs: -j (empty: any)
    std::optional<std::string> month;          // statement: YYYY-MM
};
std::string encode_query_args(const QueryArgs& args);
// The value of SLURM_GRANTS_QUERY_ARGS (nullopt with *error on a bad word).
std::optional<QueryArgs> parse_query_args(std::string_view text, std::string* error);
std::string_view report_group_name(ReportGroup group);

// One member's share of an award (for its PI and managers).
struct MemberStatus {
    std::string user;
    std::int64_t runs = 0;   // charged runs
    Ticks charged = 0;       // ledger charges (adjustments belong to the award, not to a member)
    Ticks held = 0;          // live jobs' holds
    std::int64_t live_jobs = 0;
};

// One award as balance and metrics show it. Amounts are exact ticks of unit.
struct AwardStatus {
    std::string id, title, pi;
    Budget::Unit unit = Budget::Unit::ChipHours;
    Ticks budget = 0;
    Ticks charged = 0;  // ledger charges and adjustments
    Ticks held = 0;     // maximum cost of pending, running and not-yet-charged jobs
    std::int64_t running_jobs = 0;
    std::int64_t pending_jobs = 0;
    std::optional<DayNumber> valid_from, valid_until;
    std::string state;  // "active", "expired", "not yet valid"
    // Where the award's partitions price nodes by instance type: each type's
    // price per node-hour (instance_types.h), for balance to explain holds.
    std::vector<NodePrice> node_prices;
    // An award with tranches or deposits: each one (funding.h). budget and
    // charged are then those of its active tranches.
    std::vector<TrancheState> tranches;
    // For the award's PI, managers and operators: every member's share.
    std::vector<MemberStatus> members;
    // The burn rate and run-out day, when the controller knows the charges.
    std::optional<Forecast> forecast;
    // Several clusters sharing one ledger (lease.h): what this cluster may
    // commit of the award, its holds included; charged and left are the
    // award's across every cluster.
    std::optional<Ticks> lease;

    Ticks left() const;  // budget - charged - held, may be negative after a debit
};

// What a job would cost and whether it would be accepted now.
struct QuoteResult {
    std::string verdict;   // "accept", "reject", or "untouched" (no enforced partition)
    std::string award;     // the award the decision used, when known
    std::string message;   // the sentence sbatch would print
    std::optional<Ticks> cost;  // the job's maximum cost, when the award is known
    Budget::Unit unit = Budget::Unit::ChipHours;
    std::int64_t chips = 0;  // per array task
    std::int64_t time_limit_minutes = 0;
    std::string instance_type;  // the node type the cost was priced at, when typed
};

// The accounting thread's passes since slurmctld loaded the plugin (metrics,
// for operators): how often the job list was copied, and why.
struct PassCounters {
    std::int64_t passes = 0;           // every pass
    std::int64_t full_passes = 0;      // passes that copied slurmctld's job list
    std::int64_t update_requests = 0;  // full passes asked for by accepted job updates (update_pass.h)
};

struct Answer {
    QueryKind kind = QueryKind::Balance;
    std::string user;                  // whom the answer is about
    std::string refused;               // non-empty: the controller refused the question (why)
    std::vector<AwardStatus> awards;   // balance, metrics; report: the award's status and forecast
    std::optional<QuoteResult> quote;  // quote
    std::vector<AwardReport> reports;  // report
    std::optional<PassCounters> passes;  // metrics
    std::vector<JobRow> jobs;          // jobs
    std::optional<StatementReport> statement;  // statement
};

std::string unit_name(Budget::Unit unit);  // "chip_hours" / "usd"
std::optional<Budget::Unit> parse_unit_name(std::string_view name);

// Lines "@slurm-grants ..." ending with "@slurm-grants end".
std::string encode_answer(const Answer& answer);

// Reads an answer out of text that may hold other lines, and prefixes before
// "@slurm-grants" on each line (libslurm prints the message with its own
// prefix). nullopt with *error when no complete, well-formed answer is there.
std::optional<Answer> decode_answer(std::string_view text, std::string* error);

// "active" / "expired" / "not yet valid" on day today.
std::string validity_state(const Validity& valid, DayNumber today);

// An award's status from the policy and its usage on day today.
AwardStatus award_status(const Award& award, const AwardUsageView& usage, DayNumber today);

}  // namespace grants
