#include "core/domain/job_rows.h"

#include <algorithm>
#include <utility>

#include "core/base/text.h"

namespace grants {

std::string_view job_state_name(JobRow::State state) {
    switch (state) {
        case JobRow::State::Pending: return "pending";
        case JobRow::State::Running: return "running";
        case JobRow::State::Finished: return "finished";
    }
    return "pending";
}

std::optional<JobRow::State> parse_job_state(std::string_view name) {
    for (auto s : {JobRow::State::Pending, JobRow::State::Running, JobRow::State::Finished}) {
        if (job_state_name(s) == name) return s;
    }
    return std::nullopt;
}

JobsScope jobs_scope(const Policy& policy, const std::string& asker, bool operator_asks, const JobsQuestion& q) {
    JobsScope scope;
    const bool other_user = q.user && *q.user != asker;
    if (operator_asks) {
        if (q.user) scope.user = q.user;
        if (q.award) scope.awards = std::set<std::string>{*q.award};
        return scope;
    }
    std::set<std::string> overseen;
    for (const auto& [id, award] : policy.awards) {
        if (award.overseen_by(asker)) overseen.insert(id);
    }
    if (q.award && overseen.count(*q.award)) {
        // The PI or a manager of this award: every member's jobs on it.
        scope.awards = std::set<std::string>{*q.award};
        if (q.user) scope.user = q.user;
        return scope;
    }
    if (other_user) {
        if (q.award) {
            scope.refused = "only the PI and managers of award " + loggable(*q.award) +
                            " (and Slurm operators) may see other users' jobs on it, and " + asker + " is neither.";
        } else if (overseen.empty()) {
            scope.refused = "only PIs and managers (for their awards' members) and Slurm operators may see " +
                            loggable(*q.user) + "'s jobs, and " + asker + " is neither.";
        } else {
            scope.user = q.user;
            scope.awards = std::move(overseen);
        }
        return scope;
    }
    // One's own jobs, whatever the award (a member since removed still sees them).
    scope.user = asker;
    if (q.award) scope.awards = std::set<std::string>{*q.award};
    return scope;
}

bool job_in_window(const JobRow& row, const JobsQuestion& q, std::int64_t now) {
    const std::int64_t from = row.start > 0 && row.state != JobRow::State::Pending ? row.start : now;
    const std::int64_t to = row.end > 0 ? row.end : now;
    if (q.since && to < *q.since) return false;
    if (q.until && from >= *q.until) return false;
    return true;
}

bool job_row_selected(const JobRow& row, const JobsScope& scope, const JobsQuestion& q, std::int64_t now) {
    if (!scope.refused.empty()) return false;
    if (scope.user && row.user != *scope.user) return false;
    if (scope.awards && !scope.awards->count(row.award)) return false;
    if (!q.job_ids.empty() && std::find(q.job_ids.begin(), q.job_ids.end(), row.job_id) == q.job_ids.end()) {
        return false;
    }
    return job_in_window(row, q, now);
}

std::vector<JobRow> select_job_rows(const std::vector<JobRow>& live, const std::vector<JobRow>& charged,
                                    const JobsScope& scope, const JobsQuestion& q, std::int64_t now) {
    std::vector<JobRow> out;
    std::set<std::pair<std::uint32_t, std::int64_t>> charged_runs;
    for (const JobRow& r : charged) {
        if (!job_row_selected(r, scope, q, now)) continue;
        charged_runs.emplace(r.job_id, r.start);
        out.push_back(r);
    }
    for (const JobRow& r : live) {
        if (r.state == JobRow::State::Finished && charged_runs.count({r.job_id, r.start})) continue;
        if (job_row_selected(r, scope, q, now)) out.push_back(r);
    }
    std::stable_sort(out.begin(), out.end(), [](const JobRow& a, const JobRow& b) {
        if (a.job_id != b.job_id) return a.job_id < b.job_id;
        const std::int64_t sa = a.start > 0 ? a.start : INT64_MAX, sb = b.start > 0 ? b.start : INT64_MAX;
        return sa < sb;
    });
    return out;
}

}  // namespace grants
