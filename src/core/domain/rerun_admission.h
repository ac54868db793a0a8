// Re-runs of requeued jobs (the cost model: any route that makes Slurm run
// a job again is a new run that must fit the budget before it starts, like a
// submission). The accounting pass finds the re-runs waiting (run_tracker.h,
// AttemptGate::Waiting) and asks here which of them fit; the adapter admits
// those and holds the others with the reason below, as a hold the owner may
// release (job_modify checks the release again).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/date.h"
#include "core/domain/decision.h"
#include "core/policy/policy.h"

namespace grants {

struct WaitingRerun {
    std::uint32_t job_id = 0;
    std::uint32_t attempt = 0;   // Slurm's restart count
    std::string award, user;
    Ticks cost = 0;              // its maximum cost, every array task
    std::int64_t chips = 0;      // per task
    std::int64_t tasks = 1;
    std::int64_t queued_at = 0;  // when Slurm requeued it (the submit time it reset)
};

struct RerunVerdict {
    WaitingRerun rerun;
    bool fits = false;
    std::string reason;  // !fits: one sentence, shown as the job's pending reason
};

// In the order they were requeued (then by job ID), per award: a re-run fits
// when charged + held + the re-runs admitted before it + its maximum cost is
// within the budget (with tranches or deposits, what the active ones allow);
// usage is asked once per award and user, under the same lock as the
// submissions. Re-runs of an award that is gone from the policy or has ended
// are left out: award_holds.h holds those with its own reason.
std::vector<RerunVerdict> admit_reruns(const Policy& policy, std::vector<WaitingRerun> waiting,
                                       const UsageLookup& usage, DayNumber today);

}  // namespace grants
