// Queued jobs whose award went away (SPEC: a run is priced with the policy
// in force when it started, and nothing may start on an award that no longer
// exists or has ended): which pending jobs to hold, and the reason users read
// in squeue. The accounting pass finds them; the adapter holds them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "date.h"
#include "policy.h"
#include "usage.h"

namespace grants {

struct JobToHold {
    std::uint32_t job_id = 0;
    std::string reason;  // one sentence, shown as the job's pending reason
};

// Pending jobs tagged with an award that the policy no longer has, or that
// ended before today, on a partition the policy still enforces. Jobs out of
// scope now are left alone (nothing would be charged).
std::vector<JobToHold> jobs_to_hold(const Policy& policy, const std::vector<JobObservation>& jobs, DayNumber today);

}  // namespace grants
