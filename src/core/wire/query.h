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

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/domain/award_status.h"
#include "core/domain/decision.h"
#include "core/domain/forecast.h"
#include "core/domain/job_rows.h"
#include "core/domain/report.h"
#include "core/domain/statement.h"
#include "core/policy/policy.h"

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


// Lines "@slurm-grants ..." ending with "@slurm-grants end".
std::string encode_answer(const Answer& answer);

// Reads an answer out of text that may hold other lines, and prefixes before
// "@slurm-grants" on each line (libslurm prints the message with its own
// prefix). nullopt with *error when no complete, well-formed answer is there.
std::optional<Answer> decode_answer(std::string_view text, std::string* error);

}  // namespace grants
