// Queued jobs whose award went away (the cost model: a run is priced with the policy
// in force when it started, and nothing may start on an award that no longer
// exists or has ended): which pending jobs to hold, and the reason users read
// in squeue. The accounting pass finds them; the adapter holds them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/date.h"
#include "core/domain/usage.h"
#include "core/policy/policy.h"

namespace grants {

struct JobToHold {
    std::uint32_t job_id = 0;
    std::string reason;  // one sentence, shown as the job's pending reason
};

// Pending jobs tagged with an award that the policy no longer has, or that
// ended before today, on a partition the policy still enforces. Jobs out of
// scope now are left alone (nothing would be charged).
std::vector<JobToHold> jobs_to_hold(const Policy& policy, const std::vector<JobObservation>& jobs, DayNumber today);

// Queued jobs whose deadline no longer matches their award's end, after the
// policy moved valid.until: the deadline job_submit gave a job (its
// grants_deadline tag) follows the end, later or earlier; a job with no
// deadline or a later one than the end gets the end; a job whose award no
// longer ends loses the deadline the plugin gave it. A user's own earlier
// deadline stays. Awards that ended are left to jobs_to_hold.
struct DeadlineMove {
    std::uint32_t job_id = 0;
    std::int64_t deadline = 0;  // 0: none
};
std::vector<DeadlineMove> deadlines_to_move(const Policy& policy, const std::vector<JobObservation>& jobs,
                                            DayNumber today, std::int64_t (*day_end)(DayNumber));

}  // namespace grants
