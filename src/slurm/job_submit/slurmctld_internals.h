/* The narrow C interface to slurmctld's internals.
 *
 * slurmctld_internals.c is the only file that includes Slurm's internal
 * headers (job_record_t, job_list, locks, slurm_conf). It is C because those
 * headers are not valid C++ from Slurm 23.11 on (extra_constraints.h has a
 * struct member named `operator`). Everything that depends on the exact Slurm
 * version lives there, behind version guards; this header needs no Slurm
 * header at all, so C++ code can include it.
 *
 * Strings returned by the getters point into slurmctld's own memory: copy
 * them at once. Nothing here throws, allocates with the C++ runtime or keeps
 * a pointer into a Slurm struct after returning. */
#ifndef GRANTS_SLURMCTLD_INTERNALS_H
#define GRANTS_SLURMCTLD_INTERNALS_H

#include <stddef.h>
#include <stdint.h>

#include "core/domain/job_view.h"

#ifdef __cplusplus
extern "C" {
#endif

struct job_record;     /* slurmctld's job_record_t */
struct job_descriptor; /* job_desc_msg_t */

/* Memory Slurm frees (job_desc fields, *err_msg) comes from xmalloc. */
char *grants_ctld_strdup(const char *text);
void grants_ctld_replace_string(char **field, const char *text);

void grants_ctld_log(int is_error, const char *message);

/* Never NULL: "" when unset. */
const char *grants_ctld_conf_path(void);
const char *grants_ctld_default_partition(void);
const char *grants_ctld_state_save_location(void);
const char *grants_ctld_cluster_name(void);
uint32_t grants_ctld_slurm_user_id(void);
/* slurm_conf.last_update; the caller holds the config read lock. */
long long grants_ctld_conf_last_update(void);
int grants_ctld_track_wckey(void); /* 1: slurm.conf has TrackWCKey=yes */
int grants_ctld_is_operator(uint32_t uid);
/* The user's default Slurm account (sacctmgr's DefaultAccount) from
 * slurmctld's association cache, copied into out; its length, 0 without
 * accounting, when the user has none, or when it does not fit. Takes
 * assoc_mgr's read lock (as job_submit/lua does from job_submit). */
size_t grants_ctld_default_account(uint32_t uid, char *out, size_t len);

/* A partition's DefaultTime (-1: unset or INFINITE) and node count (0:
 * unknown); the caller holds the partition read lock. Returns 0 when the
 * partition does not exist. */
int grants_ctld_partition_facts(const char *name, int64_t *default_time_minutes, int64_t *total_nodes,
                                int *exclusive);

/* Every node's name, available features and partitions (comma-separated),
 * under the node and partition read locks, when the node table or the
 * partitions changed since stamp[0] / stamp[1] (last_node_update,
 * last_part_update; updated here); returns 1 when fn was called for the
 * nodes, 0 when nothing changed. */
typedef void (*grants_node_visitor)(const char *name, const char *features, const char *partitions, void *arg);
int grants_ctld_list_nodes(long long stamp[2], grants_node_visitor fn, void *arg);

/* Power states for instance time (core/domain/instance_time.h), under the node
 * and partition read locks: calls fn for every node whose state changed
 * since the last call, or for every node when full is set or the node table
 * or the partitions changed (then every node that exists is listed).
 * Returns how many nodes fn saw, as -1 - count for a full listing.
 * state: GRANTS_POWER_*. fn must not throw, block or lock. One caller
 * (the accounting thread); reset forgets the states (xfree). */
enum { GRANTS_POWER_OFF = 0, GRANTS_POWER_BOOTING = 1, GRANTS_POWER_BUSY = 2, GRANTS_POWER_IDLE = 3 };
typedef void (*grants_power_visitor)(const char *name, int state, const char *partitions, void *arg);
int grants_ctld_node_power_changes(int full, grants_power_visitor fn, void *arg);
void grants_ctld_node_power_reset(void);

/* Every partition's name and nodes (a Slurm hostlist such as "n[1-4]", from
 * its node bitmap), under the node and partition read locks, when the
 * partitions changed since *stamp (last_part_update; updated here); returns
 * 1 when fn was called for the partitions, 0 when nothing changed. fn must
 * not throw, block or lock. */
typedef void (*grants_partition_visitor)(const char *name, const char *nodes, void *arg);
int grants_ctld_list_partitions(long long *stamp, grants_partition_visitor fn, void *arg);

/* slurmctld's job list as seen under one job read lock. */
struct grants_job_list_stamp {
    uintptr_t list;          /* identifies job_list; changes on takeover */
    long long last_update;   /* last_job_update */
    long long read_at;       /* time(NULL) under the lock */
    uint32_t started, completed, canceled, failed; /* sdiag counters */
    /* slurmctld has read its configuration and recovered its jobs: it built
     * its partitions in the same write-locked step (read_slurm_conf), which
     * runs after plugins are initialised. Read under the partition lock. */
    int recovered;
};

/* Views one job record; the caller holds the job read lock (job_modify). */
void grants_ctld_view_job(const struct job_record *job, const char *marker, struct grants_job_view *view);

/* Takes the job read lock only to read the stamp. */
void grants_ctld_job_list_stamp(struct grants_job_list_stamp *stamp);

/* Takes slurmctld's job and partition read locks, calls fn once per job with
 * its view, and releases them. fn must not throw, block or lock; a negative
 * return stops the walk. *stamp (when not NULL) is read under the same lock.
 * Returns 0, or -1 when fn stopped the walk. Never call it from job_submit or
 * job_modify (they run under slurmctld's locks already). */
typedef int (*grants_job_visitor)(const struct grants_job_view *view, void *arg);
int grants_ctld_walk_jobs(const char *marker, grants_job_visitor fn, void *arg, struct grants_job_list_stamp *stamp);

/* Writes NAME=VALUE into a job's spank environment, replacing any earlier
 * value (the user may have set one); Slurm frees it with the job. */
/* Holds the pending jobs among job_ids (priority 0, as `scontrol hold`), each
 * with its reason as the pending reason squeue shows; jobs no longer pending
 * or already held are left. Takes the job write lock: never call it from
 * job_submit or job_modify. Returns how many were held. */
int grants_ctld_hold_jobs(size_t count, const uint32_t *job_ids, const char *const *reasons);

/* Holds the requeued jobs among job_ids whose re-run does not fit (priority
 * 0, as their owner's `scontrol hold`, so that the owner may release them
 * through job_modify's check), each with its reason; only while still
 * pending, not held, and at the restart count attempts[i]. Takes the job
 * write lock: never call it from job_submit or job_modify. Returns how many
 * were held. */
int grants_ctld_hold_reruns(size_t count, const uint32_t *job_ids, const uint32_t *attempts,
                            const char *const *reasons);

/* Moves the deadlines of the pending jobs among job_ids (0: none) and writes
 * the tag of the new one into each AdminComment: edit(comment, deadline,
 * out, out_size) writes the new comment into out. Jobs no longer pending
 * are left, and a deadline already past. Takes the job write lock: never call
 * it from job_submit or job_modify. Returns how many were moved. */
typedef void (*grants_comment_editor)(const char *comment, int64_t deadline, char *out, size_t out_size);
int grants_ctld_set_deadlines(size_t count, const uint32_t *job_ids, const int64_t *deadlines,
                              grants_comment_editor edit);

/* Whether this slurmctld is the controller in control (always, without
 * backup controllers). Reads StateSaveLocation/heartbeat: not from job_submit
 * or job_modify. */
int grants_ctld_in_control(void);

/* value NULL: only remove name. */
void grants_ctld_set_spank_env(struct job_descriptor *job_desc, const char *name, const char *value);

#ifdef __cplusplus
}
#endif

#endif
