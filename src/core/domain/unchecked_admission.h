// Submissions while budgets cannot be checked (docs/design.md, "Degraded
// admission"): which degraded case tags what.
//
// - No usable policy (missing or broken at start): no award can be
//   resolved. decide_without_policy: on_error=closed refuses in-scope jobs,
//   open accepts them untagged with the unchecked mark (grants=unchecked),
//   so slurmstepd runs them; nothing can charge them.
// - A usable policy, but the ledger is unusable or usage is not yet known
//   (slurmctld just started, re-executed on `scontrol reconfigure` from
//   23.11, or took over): the award, membership, validity, time limit and
//   per-job limits are all known, so they are decided as always and their
//   refusals stand. Only what needs the award's usage (max_jobs,
//   max_running_chips, the budget) is unknown: on_error=closed refuses,
//   open accepts the job on its award, as if the award had used nothing:
//   tagged award=ID plus the unchecked mark, its hold approved, its time
//   limit, node cap and deadline written back, and held and charged by the
//   accounting pass like any tagged job. A job that would not fit the award
//   even with nothing used is refused.
#pragma once

#include <string>

#include "core/domain/decision.h"

namespace grants {

// Why an award's usage cannot be trusted right now.
enum class BudgetsUnknown {
    No,
    LedgerUnusable,    // the ledger cannot be read or written
    UsageNotYetKnown,  // no accounting pass has read the recovered jobs yet
};

struct Admission {
    Decision decision;
    // Accepted on its award without a budget check (on_error=open): the
    // job carries the unchecked mark besides award=ID.
    bool unchecked = false;
    // Why the budget was not checked ("the ledger is unusable"): for the log,
    // set whenever the verdict depended on it (accepted or refused).
    std::string unchecked_because;
};

// The submission decision with a usable policy (decide_submit when budgets
// are known; the rule above when they are not).
Admission admit(const Policy& policy, const JobRequest& job, const UsageLookup& usage, BudgetsUnknown unknown);

}  // namespace grants
