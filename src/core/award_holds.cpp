#include "award_holds.h"

#include <string_view>

namespace grants {

std::vector<JobToHold> jobs_to_hold(const Policy& policy, const std::vector<JobObservation>& jobs, DayNumber today) {
    std::vector<JobToHold> out;
    for (const JobObservation& job : jobs) {
        if (job.phase != JobObservation::Phase::Pending || job.award.empty()) continue;
        // Every full pass looks at every pending job: no allocation here.
        bool enforced = false;
        std::string_view list = job.partition;
        while (!enforced && !list.empty()) {
            const std::size_t comma = list.find(',');
            enforced = policy.enforces(list.substr(0, comma));
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        }
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
