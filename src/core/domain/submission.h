// The submission's degraded modes and log lines (docs/design.md, "Degraded
// admission"): what job_submit concludes about a job before it writes
// anything back. sbatch and `grantctl quote` share it, so they agree. The
// adapter translates the job, calls these, and applies the verdict.
#pragma once

#include <cstdint>
#include <string>

#include "core/domain/decision.h"
#include "core/domain/unchecked_admission.h"
#include "core/policy/policy_store.h"

namespace grants {

struct SubmissionVerdict {
    Decision decision;       // Untouched, Accept (apply it), Reject, AcceptUntagged
    bool unchecked = false;  // Accept without a budget check (on_error=open): also marked
    std::string log;         // slurmctld logs this (a refusal or a degraded acceptance); "" nothing
    bool log_is_error = false;
    Budget::Unit unit = Budget::Unit::ChipHours;  // of decision.award, when known
};

// Why budgets cannot be checked now. Usage first: the pass that takes the
// ledger over after a (re)start opens it a few milliseconds after it claims
// it, and in between the ledger reads as unusable although only usage is not
// known yet (seen on 24.11 in a reconfigure storm: "ledger unavailable"
// instead of "try again in a moment").
BudgetsUnknown budgets_unknown(bool usage_known, bool ledger_ok);

// No usable policy (state.policy is null): decide_without_policy on the
// job's partitions (request.partitions), with the log line that says why.
SubmissionVerdict decide_submission_without_policy(const PolicyState& state, const JobRequest& request,
                                                   std::uint32_t submit_uid);

// The job could not be read (its options are malformed): refused with the
// adapter's sentence.
SubmissionVerdict refuse_unreadable_submission(std::string problem);

// A usable policy and an in-scope job the adapter read: admit(), its log
// line, and the award's unit. A refusal for want of this cluster's lease
// alone carries decision.lease_demand: the adapter records the demand and
// wakes the accounting thread (core/domain/lease.h).
SubmissionVerdict decide_submission(const Policy& policy, const JobRequest& request, std::uint32_t submit_uid,
                                    BudgetsUnknown unknown, const UsageLookup& usage);

}  // namespace grants
