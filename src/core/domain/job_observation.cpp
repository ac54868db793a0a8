#include "core/domain/job_observation.h"

#include <cstdlib>

#include "core/domain/admin_comment.h"
#include "core/domain/cost_model.h"

namespace grants {

namespace {

void assign(std::string& to, const char* s) {
    if (s) {
        to.assign(s);
    } else {
        to.clear();
    }
}

}  // namespace

void requested_shape(const grants_job_view& v, JobShape& shape) {
    shape.min_nodes = v.min_nodes ? v.min_nodes : 1;
    // Slurm keeps 0 for "no maximum": a submission's maximum is always set
    // (job_submit/grants pins it to what was held), so a 0 here is a job
    // that never had one or an update that removed it (a forged max_nodes=0).
    shape.max_nodes = v.max_nodes ? static_cast<std::int64_t>(v.max_nodes) : kNoMaxNodes;
    shape.tasks = v.num_tasks ? v.num_tasks : 1;
    shape.tasks_given = v.num_tasks != 0;
    shape.exclusive = v.exclusive != 0;
    shape.array_tasks = 1;
    shape.time_limit_infinite = v.time_limit_infinite != 0;
    shape.time_limit_minutes.reset();
    if (v.time_limit_set) shape.time_limit_minutes = v.time_limit;
    assign(shape.tres_per_node, v.tres_per_node);
    assign(shape.tres_per_job, v.tres_per_job);
    assign(shape.tres_per_task, v.tres_per_task);
    assign(shape.constraint, v.features);
    shape.begin_time = v.begin_time;
    shape.deadline = v.deadline;
}

void observe_job(const grants_job_view& v, JobObservation& o) {
    o.job_id = v.job_id;
    o.user_id = v.user_id;
    o.user.clear();
    assign(o.account, v.account);
    assign(o.admin_comment, v.admin_comment);  // read outside the lock (read_tag)
    o.award.clear();
    o.tagged_deadline = 0;
    // A job cancelled while pending gets start_time = end_time but never had nodes.
    const bool ever_allocated = v.nodes && v.nodes[0] != '\0';
    const bool started = v.start_time > 0 && !v.is_pending && ever_allocated;
    // A requeued job is pending again with its last run's times still set.
    const bool requeued_run = v.requeue_flag && v.start_time > 0 && v.end_time > 0;
    if (v.is_finished || requeued_run) {
        o.phase = JobObservation::Phase::Finished;
    } else if (v.is_pending) {
        o.phase = JobObservation::Phase::Pending;
    } else {
        o.phase = JobObservation::Phase::Running;
    }
    if ((started || requeued_run) && v.run_partition) {
        o.partition.assign(v.run_partition);
    } else {
        assign(o.partition, v.partition);
    }
    o.start_time = (started || requeued_run || (v.is_finished && ever_allocated)) ? v.start_time : 0;
    o.end_time = v.end_time;
    o.configuring = v.is_configuring != 0;
    o.elsewhere = v.elsewhere != 0;
    o.suspended_seconds = v.suspended_seconds;
    o.requeue_time = v.submit_time;
    o.attempt = v.restart_count;
    o.held = v.is_pending && v.held;
    requested_shape(v, o.shape);
    o.partition_nodes = v.partition_nodes;
    o.time_limit_minutes = v.time_limit_set ? static_cast<std::int64_t>(v.time_limit) : kSaturatedCount;
    // Allocated nodes; node_cnt falls to 0 as a finished job's nodes complete,
    // total_nodes keeps the allocation for accounting.
    const std::uint32_t allocated = v.total_nodes > 0 ? v.total_nodes : v.node_cnt;
    if (o.start_time > 0 && allocated > 0) {
        o.shape.min_nodes = allocated;
        o.shape.max_nodes = allocated;
    }
    if (v.array_task_cnt > 0 && v.is_pending) o.shape.array_tasks = v.array_task_cnt;
    o.approval = v.approval ? std::strtoull(v.approval, nullptr, 10) : 0;
    assign(o.tres_alloc, o.start_time > 0 ? v.tres_alloc : nullptr);
    assign(o.nodes, o.start_time > 0 ? v.nodes : nullptr);
}

bool read_tag(JobObservation& o) {
    const std::optional<std::string> award = award_in_admin_comment(o.admin_comment);
    o.tagged_deadline = 0;
    if (!award) {
        o.award.clear();
        return false;
    }
    if (o.phase == JobObservation::Phase::Pending) o.tagged_deadline = deadline_in_admin_comment(o.admin_comment).value_or(0);
    o.award = *award;
    return o.admin_comment.find(kUncheckedMark) != std::string::npos && has_unchecked_mark(o.admin_comment);
}

}  // namespace grants
