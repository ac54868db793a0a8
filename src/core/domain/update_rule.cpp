#include "core/domain/update_rule.h"

#include <algorithm>

#include "core/base/award_id.h"
#include "core/domain/admin_comment.h"

namespace grants {
namespace {

UpdateVerdict refuse(const JobUpdate& u, const std::string& why, const std::string& log_reason) {
    UpdateVerdict v;
    v.refused = true;
    v.message = "update of job " + std::to_string(u.job_id) + " refused: " + why;
    v.log = "job " + std::to_string(u.job_id) + ": update by uid " + std::to_string(u.changed_by) + " refused: " +
            log_reason;
    v.log_is_error = true;
    return v;
}

std::string join_partitions(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
}


}  // namespace

void apply_node_counts(JobShape& shape, std::optional<std::uint32_t> min_nodes, std::optional<std::uint32_t> max_nodes) {
    if (min_nodes && *min_nodes > 0) shape.min_nodes = *min_nodes;
    if (max_nodes) shape.max_nodes = *max_nodes == 0 ? kNoMaxNodes : static_cast<std::int64_t>(*max_nodes);
}

bool lets_rerun_start(const PendingRerun& job, bool releases, std::int64_t new_begin_time) {
    if (job.restart_count == 0) return false;  // a first run: job_submit checked it
    if (job.held) return releases;
    return new_begin_time > 0 && new_begin_time < job.begin_time && !job.admitted;
}

UpdateVerdict decide_update(const PolicyState& state, bool usage_known, bool ledger_ok, const JobUpdate& u,
                            const UsageLookup& usage) {
    JobRequest after = u.before;
    after.partitions = u.partitions;
    after.shape = u.shape;

    const Policy* policy = state.policy.get();
    if (!policy) {
        // An update that could move a job into an enforced partition or raise
        // its cost follows enforce.on_error (the scope of the last good
        // policy), as a submission would; holds, releases and other harmless
        // changes go through, except what lets a requeued job run again.
        if (!u.touches_cost && !u.rerun_start) return {};
        const Decision d = decide_without_policy(state.fallback, after);
        if (d.verdict != Decision::Verdict::Reject) return {};
        return refuse(u, d.message, "no usable grant policy (" + state.problem + ")");
    }
    if (!in_scope(*policy, after)) return {};
    const std::optional<std::string> award = u.wanted ? u.wanted : u.award;
    if (!award) {
        if (!u.touches_cost) return {};  // e.g. releasing a job accepted unchecked (on_error=open)
        const std::string where = quote_untrusted(join_partitions(u.partitions));
        UpdateVerdict v;
        v.refused = true;
        v.message = "job " + std::to_string(u.job_id) + " cannot move to partition " + where +
                    ": it carries no award; resubmit it with --award=ID.";
        v.log = "job " + std::to_string(u.job_id) + ": move to partition " + where + " by uid " +
                std::to_string(u.changed_by) + " refused: the job carries no award; resubmit it with --award=ID";
        v.log_is_error = true;
        return v;
    }
    // Budgets cannot be checked: a cost-touching update follows
    // enforce.on_error, as a submission would.
    if ((!ledger_ok || !usage_known) && (u.touches_cost || u.rerun_start)) {
        const Decision d = decide_without_policy(scope_of(*policy), after);
        if (d.verdict != Decision::Verdict::Reject) return {};  // on_error=open
        if (!ledger_ok) return refuse(u, kLedgerUnusableRefusal, "the ledger is unusable");
        return refuse(u, kUsageUnknownRefusal, "usage not known yet after (re)start");
    }

    // What the job holds now, when it counts against the same award: the
    // decision sees the award's usage without it.
    Ticks own_hold = 0;
    std::int64_t own_chips = 0, own_jobs = 0;
    if (u.award && *u.award == *award && in_scope(*policy, u.before)) {
        if (const Award* a = policy->find_award(*award)) {
            const std::int64_t minutes = u.before.shape.time_limit_minutes.value_or(0);
            if (auto c = max_job_cost(*policy, *a, u.before, minutes)) {
                own_jobs = std::max<std::int64_t>(u.before.shape.array_tasks, 1);
                own_hold = u.rerun_start ? 0 : c->amount;  // a waiting or held re-run holds nothing
                own_chips = c->chips * own_jobs;
            }
        }
    }
    after.requested = AwardRequest{};
    after.requested.award = *award;
    // The job's own award, or one an operator named: no probing to guard against.
    after.precise_award_refusals = true;
    const UsageLookup without_own = [&](const std::string& id, const std::string& user) {
        AwardUsageView v = usage(id, user);
        if (u.award && id == *u.award) {
            v.held = std::max<Ticks>(0, v.held - own_hold);
            v.live_jobs = std::max<std::int64_t>(0, v.live_jobs - own_jobs);
            v.live_chips = std::max<std::int64_t>(0, v.live_chips - own_chips);
            v.user_live_jobs = std::max<std::int64_t>(0, v.user_live_jobs - own_jobs);
            v.user_live_chips = std::max<std::int64_t>(0, v.user_live_chips - own_chips);
        }
        return v;
    };
    const Decision d = decide_submit(*policy, after, without_own);
    if (d.verdict != Decision::Verdict::Accept) return refuse(u, d.message, d.message);

    UpdateVerdict v;
    v.award = *award;
    v.award_changed = award != u.award;
    if (v.award_changed) {
        v.log = "job " + std::to_string(u.job_id) + ": award changed to " + *award + " by uid " +
                std::to_string(u.changed_by);
    }
    const std::int64_t jobs = std::max<std::int64_t>(after.shape.array_tasks, 1);
    v.extra_hold = std::max<Ticks>(0, d.hold - own_hold);
    v.extra_jobs = std::max<std::int64_t>(0, jobs - own_jobs);
    v.extra_chips = std::max<std::int64_t>(0, d.chips * jobs - own_chips);
    v.set_deadline = d.set_deadline;
    return v;
}

std::int64_t limit_after_end_time_change(std::int64_t limit_minutes, std::int64_t old_end, std::int64_t new_end) {
    const std::int64_t delta = new_end - old_end;
    return std::max<std::int64_t>(0, limit_minutes + (delta + 30) / 60);
}

UpdateWriteBack update_write_back(const UpdateVerdict& verdict, const JobUpdate& update,
                                  const std::string& job_comment, const char* requested_comment, bool running,
                                  bool sets_deadline) {
    UpdateWriteBack w;
    if (requested_comment && !update.wanted && update.award) {
        w.admin_comment = keeping_plugin_tags(requested_comment, job_comment, *update.award);
    }
    if (verdict.award.empty()) return w;  // out of scope, or not checked (on_error=open)
    if (verdict.award_changed && !requested_comment) w.admin_comment = with_award_tag(job_comment, verdict.award);
    if (verdict.set_deadline && !running && (verdict.award_changed || sets_deadline)) {
        w.deadline = *verdict.set_deadline;
        const std::string comment = w.admin_comment ? *w.admin_comment
                                    : requested_comment ? std::string(requested_comment)
                                                        : job_comment;
        w.admin_comment = with_deadline_tag(comment, *verdict.set_deadline);
    }
    return w;
}

}  // namespace grants
