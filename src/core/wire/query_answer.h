// How slurmctld answers grantctl's questions (query.h): who may see what,
// which refusal comes first, and what each answer holds. The job_submit
// adapter only gathers what it has into a QueryContext and encodes the
// Answer; the rules live here so that tests/unit/test_query_answer.cpp can
// hold them without a controller (docs/design.md "grantctl's channel to
// the controller").
//
// The rules, in the order they are applied:
//  - an unknown question is refused, whatever else is wrong;
//  - a quote is answered even without a policy or with unreadable
//    parameters: it says what sbatch would say, and sbatch is judged then too;
//  - no usable policy, then unreadable parameters, refuse every other question;
//  - metrics (every award) only for Slurm operators;
//  - a report or a statement only for the award's PI, its managers and
//    operators, with the same sentence whether the award exists or not;
//  - jobs as jobs_scope (job_rows.h) allows;
//  - a report, a statement or jobs need the charge book loaded;
//  - a balance lists the caller's awards and those they oversee, each
//    member's share only where they oversee it (or are an operator).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/base/date.h"
#include "core/domain/charge_book.h"
#include "core/domain/instance_types.h"
#include "core/domain/submission.h"
#include "core/domain/usage.h"
#include "core/policy/membership.h"
#include "core/policy/policy_store.h"
#include "core/wire/query.h"

namespace grants {

// What the controller knows when a question arrives, passed in rather than
// reached for: the core never calls Slurm.
struct QueryContext {
    // The policy in force (its policy null: none usable, problem says why).
    const PolicyState* policy = nullptr;
    std::string question;                  // SLURM_GRANTS_QUERY as sent
    std::optional<std::string> args_text;  // SLURM_GRANTS_QUERY_ARGS; nullopt: absent (defaults)
    Identity who;                          // the munge-authenticated caller
    // Whether the caller is root, SlurmUser or a Slurm operator. A callback:
    // slurmctld answers it from its association manager (under that
    // manager's lock), so it is asked only when a rule needs it.
    std::function<bool()> caller_is_operator;
    std::int64_t now = 0;
    std::function<DayNumber(std::int64_t)> local_day;      // the controller's local day of a time
    std::function<std::int64_t(DayNumber)> local_day_end;  // the first second after a local day
    const ChargeBook* book = nullptr;
    const UsageTracker* usage = nullptr;
    std::shared_ptr<const NodeTypes> node_types;  // null: no node typed
    std::function<PassCounters()> passes;         // metrics: the accounting thread's counters
    // A quote: the submit path's own evaluation of the job in the request
    // (submission.h), without recording an approval.
    std::function<SubmissionVerdict()> evaluate_quote;
};

// The answer to ctx's question (a refusal is an answer with refused set).
// The adapter encodes it (encode_answer) as the job's refusal message.
Answer answer_question(const QueryContext& ctx);

}  // namespace grants
