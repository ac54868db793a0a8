// The only door into slurmctld internals, as a plain C++ API.
//
// slurmctld_bridge.cpp wraps slurmctld_internals.c, the single (C) file that
// includes Slurm's internal headers (job_record_t, slurm_conf, xmalloc).
// Everything that depends on the exact Slurm version lives there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/domain/award_holds.h"
#include "core/domain/cost_model.h"
#include "core/domain/instance_time.h"
#include "core/domain/job_shape.h"
#include "core/domain/pass_schedule.h"
#include "core/domain/rerun_admission.h"
#include "core/domain/usage.h"

struct job_record;        // slurmctld's job_record_t
struct job_descriptor;    // job_desc_msg_t

namespace grants::slurmctld {

// Slurm-allocated copy of text: Slurm frees job_desc fields and *err_msg.
char* slurm_strdup(const std::string& text);
// Replace a Slurm-owned string field: xfree(old); field = xstrdup(text).
void replace_slurm_string(char** field, const std::string& text);

void log_info(const std::string& message);
void log_error(const std::string& message);

std::string slurm_conf_path();  // "" when slurmctld has none recorded
std::string default_partition();  // "" when none is configured
std::string state_save_location();
std::uint32_t slurm_user_id();
// slurm_conf.last_update: changes on `scontrol reconfigure`. Callers must
// hold slurmctld's config read lock (job_submit and job_modify do).
long long conf_last_update();
// slurm.conf has TrackWCKey=yes (sreport and slurmdbd group by WCKey).
bool track_wckey();
bool is_operator(std::uint32_t uid);

// What job_modify needs from an existing job record, copied out.
struct JobSnapshot {
    std::uint32_t job_id = 0;
    std::uint32_t user_id = 0;
    std::uint32_t group_id = 0;
    std::string admin_comment;
    std::string wckey;
    std::string partition;
    std::string account;
    bool running = false;
    std::int64_t end_time = 0;  // a running job's expected end (start + time limit)
    std::int64_t start_time = 0;  // a running job's start
    bool pending = false;
    bool held = false;              // pending with priority 0
    std::uint32_t restart_count = 0;  // times Slurm requeued it
    std::int64_t begin_time = 0;    // earliest start (a requeued job's is ~2 minutes after the requeue)
};
JobSnapshot snapshot_job(const struct job_record* job);

std::string cluster_name();
// The user's default account from slurmdbd's associations; "" without accounting.
std::string default_account(std::uint32_t uid);

// Marks the shared object holding address as never to be unloaded (a thread
// of ours outlives fini()).
void keep_module_loaded(void* address);

// A partition's DefaultTime and size; the caller holds the partition read lock.
PartitionFacts partition_facts(const std::string& name);

// Every node's name, features and partitions when the node table or the
// partitions changed since stamp (takes the node and partition read locks);
// nullopt when nothing changed.
std::optional<std::vector<NodeRecord>> nodes_if_changed(long long stamp[2]);
// The nodes whose power state changed since the last call (instance_time.h;
// every node when full, or when slurmctld's nodes or partitions changed:
// *complete is then set). Out of memory: nullopt, and the next call lists
// every node again.
std::optional<std::vector<NodePower>> node_power_changes(bool full, bool* complete);
void forget_node_power();

// Every partition's name and nodes (a Slurm hostlist, "n[1-4],m1") when the
// partitions changed since *stamp (takes the node and partition read locks;
// never from job_submit or job_modify); nullopt when nothing changed.
std::optional<std::vector<std::pair<std::string, std::string>>> partitions_if_changed(long long* stamp);

// The cost-relevant request of an existing job (job_modify), before changes;
// for a pending array's meta record, array_tasks is its pending task count.
JobShape shape_of_job(const struct job_record* job);

// slurmctld's job list as seen under one job read lock (JobListStamp: core/domain/pass_schedule.h).
// Takes the job and partition read locks only to read the stamp (no job is looked at).
JobListStamp job_list_stamp();

// Takes slurmctld's job and partition read locks, copies every job's
// cost-relevant fields into *out, and releases them. *out is reused from the
// previous pass: its elements are overwritten in place (no allocation under
// the lock once the buffers exist) and it is resized to the job count.
// *stamp (when given) is read under the same lock. Never call it from
// job_submit or job_modify (they already run under slurmctld's locks).
// Returns false when the copy was cut short (out of memory under the lock:
// the locks are released and *out holds only part of the list).
[[nodiscard]] bool observe_jobs(const char* marker_variable, std::vector<JobObservation>* out, JobListStamp* stamp = nullptr);

// Writes the approval marker into a job's spank environment (replacing any
// earlier value the user may have set); Slurm frees it with the job.
void set_spank_env(struct job_descriptor* job_desc, const std::string& name, const std::string& value);
// Holds these pending jobs (priority 0, as `scontrol hold`) with their
// reasons; takes the job write lock (never from job_submit or job_modify).
// Returns how many were held (jobs no longer pending or already held are left).
int hold_jobs(const std::vector<JobToHold>& jobs);
// Holds requeued jobs whose re-run does not fit (rerun_admission.h) as
// their owner's hold, with the verdict's reason; takes the job write lock.
// Returns how many were held (jobs that started, ended, were held already or
// requeued again since are left).
int hold_reruns(const std::vector<RerunVerdict>& refused);
// Moves queued jobs' deadlines (award_holds.h), tagging each AdminComment.
int move_deadlines(const std::vector<DeadlineMove>& moves);

// Whether this slurmctld is the controller in control: always without backup
// controllers; with them, the one whose index is in the heartbeat file.
// Reads a file: only from the accounting thread.
bool in_control();

// Removes name from it (a value the user put there).
void unset_spank_env(struct job_descriptor* job_desc, const std::string& name);

}  // namespace grants::slurmctld
