#include "core/domain/award_holds.h"

#include <string_view>

namespace grants {

namespace {

// A pending job tagged with an award, on a partition the policy enforces.
// Every full pass looks at every pending job: no allocation here.
bool queued_in_scope(const Policy& policy, const JobObservation& job) {
    if (job.phase != JobObservation::Phase::Pending || job.award.empty()) return false;
    std::string_view list = job.partition;
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        if (policy.enforces(list.substr(0, comma))) return true;
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return false;
}

}  // namespace

std::vector<DeadlineMove> deadlines_to_move(const Policy& policy, const std::vector<JobObservation>& jobs,
                                            DayNumber today, std::int64_t (*day_end)(DayNumber)) {
    std::vector<DeadlineMove> out;
    for (const JobObservation& job : jobs) {
        if (!queued_in_scope(policy, job)) continue;
        const Award* award = policy.find_award(job.award);
        if (!award) continue;
        const std::int64_t current = job.shape.deadline;
        const bool ours = job.tagged_deadline > 0 && job.tagged_deadline == current;
        if (!award->valid.until) {
            if (ours) out.push_back({job.job_id, 0});
            continue;
        }
        if (today > *award->valid.until) continue;  // ended: held instead
        const std::int64_t end =
            day_end ? day_end(*award->valid.until) : (static_cast<std::int64_t>(*award->valid.until) + 1) * 86400;
        if (current == end) continue;
        if (current <= 0 || current > end || ours) out.push_back({job.job_id, end});
    }
    return out;
}

std::vector<JobToHold> jobs_to_hold(const Policy& policy, const std::vector<JobObservation>& jobs, DayNumber today) {
    std::vector<JobToHold> out;
    for (const JobObservation& job : jobs) {
        if (!queued_in_scope(policy, job)) continue;
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
