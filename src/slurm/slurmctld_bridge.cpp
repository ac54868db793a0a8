// Slurm 22.05 internals. Keep this file small: it is what changes when Slurm does.
#include "slurmctld_bridge.h"

#include <dlfcn.h>

extern "C" {
#include "config.h"
#include "slurm/slurm.h"
#include "src/common/log.h"
#include "src/common/read_config.h"
#include "src/common/xmalloc.h"
#include "src/common/xstring.h"
#include "src/slurmctld/locks.h"
#include "src/slurmctld/slurmctld.h"
}

#include <cstring>

namespace grants::slurmctld {

char* slurm_strdup(const std::string& text) { return xstrdup(text.c_str()); }

void replace_slurm_string(char** field, const std::string& text) {
    xfree(*field);
    *field = xstrdup(text.c_str());
}

void log_info(const std::string& message) { info("job_submit/grants: %s", message.c_str()); }
void log_error(const std::string& message) { error("job_submit/grants: %s", message.c_str()); }

std::string slurm_conf_path() {
    if (slurm_conf.slurm_conf) return slurm_conf.slurm_conf;
    return {};
}

std::string default_partition() { return default_part_name ? default_part_name : ""; }

std::string state_save_location() { return slurm_conf.state_save_location ? slurm_conf.state_save_location : ""; }

std::uint32_t slurm_user_id() { return slurm_conf.slurm_user_id; }

long long conf_last_update() { return static_cast<long long>(slurm_conf.last_update); }

bool is_operator(std::uint32_t uid) { return validate_operator(static_cast<uid_t>(uid)); }

JobSnapshot snapshot_job(const struct job_record* job) {
    JobSnapshot s;
    if (!job) return s;
    s.job_id = job->job_id;
    s.user_id = job->user_id;
    s.group_id = job->group_id;
    if (job->admin_comment) s.admin_comment = job->admin_comment;
    if (job->partition) s.partition = job->partition;
    if (job->account) s.account = job->account;
    return s;
}

std::string cluster_name() { return slurm_conf.cluster_name ? slurm_conf.cluster_name : ""; }

PartitionFacts partition_facts(const std::string& name) {
    PartitionFacts f;
    part_record_t* part = find_part_record(const_cast<char*>(name.c_str()));
    if (!part) return f;
    if (part->default_time != NO_VAL && part->default_time != INFINITE) f.default_time_minutes = part->default_time;
    f.total_nodes = part->total_nodes;
    return f;
}

namespace {

// Assigns in place: a reused string keeps its buffer, so a pass over a
// large queue allocates nothing under the lock once the buffers exist.
void assign(std::string& to, const char* s) {
    if (s) {
        to.assign(s);
    } else {
        to.clear();
    }
}

void fill_shape(JobShape& shape, const job_record_t* job) {
    shape.min_nodes = 1;
    shape.max_nodes.reset();
    shape.tasks = 1;
    shape.array_tasks = 1;
    if (job->details) {
        shape.min_nodes = job->details->min_nodes ? job->details->min_nodes : 1;
        if (job->details->max_nodes && job->details->max_nodes != NO_VAL && job->details->max_nodes != INFINITE) {
            shape.max_nodes = job->details->max_nodes;
        }
        if (job->details->num_tasks && job->details->num_tasks != NO_VAL) shape.tasks = job->details->num_tasks;
    }
    shape.time_limit_infinite = false;
    shape.time_limit_minutes.reset();
    if (job->time_limit == INFINITE) {
        shape.time_limit_infinite = true;
    } else if (job->time_limit != NO_VAL) {
        shape.time_limit_minutes = job->time_limit;
    }
    assign(shape.tres_per_node, job->tres_per_node);
    assign(shape.tres_per_job, job->tres_per_job);
    assign(shape.tres_per_task, job->tres_per_task);
}

JobShape shape_from_record(const job_record_t* job) {
    JobShape shape;
    fill_shape(shape, job);
    return shape;
}

struct ObserveArgs {
    std::vector<JobObservation>* out;
    std::size_t next;
    const char* marker;
    std::size_t marker_len;
};

int observe_one(void* object, void* arg) {
    const job_record_t* job = static_cast<const job_record_t*>(object);
    ObserveArgs* a = static_cast<ObserveArgs*>(arg);
    if (a->next == a->out->size()) a->out->emplace_back();
    JobObservation& o = (*a->out)[a->next++];
    o.job_id = job->job_id;
    o.user_id = job->user_id;
    o.user.clear();
    assign(o.account, job->account);
    assign(o.award, job->admin_comment);  // parsed outside the lock
    // A job cancelled while pending gets start_time = end_time but never had nodes.
    const bool ever_allocated = job->nodes && job->nodes[0] != '\0';
    const bool started = job->start_time > 0 && !IS_JOB_PENDING(job) && ever_allocated;
    const bool requeued_run = (job->job_state & JOB_REQUEUE) && job->start_time > 0 && job->end_time > 0;
    if (IS_JOB_FINISHED(job) || requeued_run) {
        o.phase = JobObservation::Phase::Finished;
    } else if (IS_JOB_PENDING(job)) {
        o.phase = JobObservation::Phase::Pending;
    } else {
        o.phase = JobObservation::Phase::Running;
    }
    if ((started || requeued_run) && job->part_ptr && job->part_ptr->name) {
        o.partition.assign(job->part_ptr->name);
    } else {
        assign(o.partition, job->partition);
    }
    o.start_time = (started || requeued_run || (IS_JOB_FINISHED(job) && ever_allocated)) ? job->start_time : 0;
    o.end_time = job->end_time;
    o.suspended_seconds = job->tot_sus_time;
    o.requeue_time = job->details ? job->details->submit_time : 0;
    fill_shape(o.shape, job);
    o.time_limit_minutes = job->time_limit == INFINITE || job->time_limit == NO_VAL ? kSaturatedCount : job->time_limit;
    // Allocated nodes; node_cnt falls to 0 as a finished job's nodes complete,
    // total_nodes keeps the allocation for accounting.
    const uint32_t allocated = job->total_nodes > 0 ? job->total_nodes : job->node_cnt;
    if (o.start_time > 0 && allocated > 0) {
        o.shape.min_nodes = allocated;
        o.shape.max_nodes = allocated;
    }
    if (job->array_recs && job->array_recs->task_cnt > 0 && IS_JOB_PENDING(job)) {
        o.shape.array_tasks = job->array_recs->task_cnt;
    }
    o.approval = 0;
    for (std::uint32_t i = 0; i < job->spank_job_env_size && job->spank_job_env; ++i) {
        const char* e = job->spank_job_env[i];
        if (e && std::strncmp(e, a->marker, a->marker_len) == 0 && e[a->marker_len] == '=') {
            o.approval = std::strtoull(e + a->marker_len + 1, nullptr, 10);
        }
    }
    return 0;
}

}  // namespace

JobShape shape_of_job(const struct job_record* job) { return shape_from_record(job); }

namespace {

// Under the job read lock: no job can change while it is held.
JobListStamp stamp_now() {
    JobListStamp s;
    s.list = reinterpret_cast<std::uintptr_t>(job_list);
    s.last_update = static_cast<long long>(last_job_update);
    s.read_at = static_cast<long long>(time(nullptr));
    s.started = slurmctld_diag_stats.jobs_started;
    s.completed = slurmctld_diag_stats.jobs_completed;
    s.canceled = slurmctld_diag_stats.jobs_canceled;
    s.failed = slurmctld_diag_stats.jobs_failed;
    return s;
}

}  // namespace

JobListStamp job_list_stamp() {
    slurmctld_lock_t lock{};
    lock.job = READ_LOCK;
    lock_slurmctld(lock);
    JobListStamp s = stamp_now();
    unlock_slurmctld(lock);
    return s;
}

void observe_jobs(const char* marker_variable, std::vector<JobObservation>* out, JobListStamp* stamp) {
    ObserveArgs args{out, 0, marker_variable, std::strlen(marker_variable)};
    slurmctld_lock_t lock{};
    lock.job = READ_LOCK;
    lock.part = READ_LOCK;
    lock_slurmctld(lock);
    if (stamp) *stamp = stamp_now();
    if (job_list) {
        out->reserve(static_cast<std::size_t>(list_count(job_list)));
        list_for_each_ro(job_list, observe_one, &args);
    }
    unlock_slurmctld(lock);
    out->resize(args.next);  // shrinking keeps the capacity (and the strings' buffers) for the next pass
}

void set_spank_env(struct job_descriptor* job_desc, const std::string& name, const std::string& value) {
    job_desc_msg_t* d = job_desc;
    const std::string prefix = name + "=";
    uint32_t kept = 0;
    for (uint32_t i = 0; i < d->spank_job_env_size; ++i) {
        if (d->spank_job_env[i] && std::strncmp(d->spank_job_env[i], prefix.c_str(), prefix.size()) == 0) {
            xfree(d->spank_job_env[i]);
        } else {
            d->spank_job_env[kept++] = d->spank_job_env[i];
        }
    }
    xrecalloc(d->spank_job_env, kept + 1, sizeof(char*));
    d->spank_job_env[kept] = xstrdup((prefix + value).c_str());
    d->spank_job_env_size = kept + 1;
}

void keep_module_loaded(void* address) {
    Dl_info info{};
    if (dladdr(address, &info) && info.dli_fname) {
        // RTLD_NOLOAD: only mark the already loaded object NODELETE.
        if (!dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE)) {
            log_error(std::string("cannot pin ") + info.dli_fname + " in memory");
        }
    }
}

}  // namespace grants::slurmctld
