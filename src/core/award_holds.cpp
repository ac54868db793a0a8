#include "award_holds.h"

#include "decision.h"

namespace grants {

std::vector<JobToHold> jobs_to_hold(const Policy& policy, const std::vector<JobObservation>& jobs, DayNumber today) {
    std::vector<JobToHold> out;
    for (const JobObservation& job : jobs) {
        if (job.phase != JobObservation::Phase::Pending || job.award.empty()) continue;
        bool enforced = false;
        for (const auto& p : split_partition_list(job.partition)) enforced = enforced || policy.enforces(p);
        if (!enforced) continue;
        const Award* award = policy.find_award(job.award);
        if (!award) {
            out.push_back({job.job_id, "award " + job.award +
                                           " is no longer in the grant policy, so this job cannot start; ask your "
                                           "PI or the cluster admins"});
        } else if (award->valid.until && today > *award->valid.until) {
            out.push_back({job.job_id, "award " + job.award + " ended on " + format_date(*award->valid.until) +
                                           ", so this job cannot start on it; ask your PI or the cluster admins"});
        }
    }
    return out;
}

}  // namespace grants
