/* What the accounting pass reads of one of slurmctld's job records, with no
 * interpretation: a plain C struct, so that the C file that reads Slurm's
 * internals (src/slurm/job_submit/slurmctld_internals.c) fills it and the core
 * (job_observation.h) interprets it without any Slurm header. */
#ifndef GRANTS_CORE_JOB_VIEW_H
#define GRANTS_CORE_JOB_VIEW_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Pointers are valid only during the call that hands the view out. Counts use 0 for "not set";
 * time_limit uses the flags. */
struct grants_job_view {
    uint32_t job_id;
    uint32_t user_id;
    uint32_t group_id;
    const char *account;
    const char *admin_comment;
    const char *wckey;         /* WCKey (lower case, '*' prefix: the user's default), NULL when none */
    const char *partition;     /* the requested list */
    const char *run_partition; /* part_ptr->name, NULL when none */
    const char *nodes;         /* allocated node list, NULL or "" when none */
    const char *tres_per_node;
    const char *tres_per_job;
    const char *tres_per_task;
    const char *features;      /* --constraint (details->features), NULL when none */
    const char *tres_alloc;    /* allocated TRES ("cpu=4,node=2,gres/neuron=32"), NULL before allocation */
    const char *approval;      /* value of the approval marker in the spank env, NULL when absent */
    int is_pending;
    int is_finished;
    int requeue_flag;          /* JOB_REQUEUE set in job_state */
    int time_limit_infinite;
    int time_limit_set;        /* 0: NO_VAL */
    uint32_t time_limit;       /* minutes when time_limit_set */
    int64_t start_time;
    int64_t end_time;
    int64_t suspended_seconds;
    int64_t submit_time;
    int64_t begin_time;        /* --begin, 0 when none */
    int64_t deadline;          /* --deadline (or the award's end), 0 when none */
    uint32_t min_nodes;
    uint32_t max_nodes;        /* 0: not set / INFINITE: no maximum */
    uint32_t partition_nodes;  /* nodes of the largest partition the job may run in, 0 unknown */
    uint32_t num_tasks;        /* 0: not set */
    uint32_t total_nodes;
    uint32_t node_cnt;
    uint32_t array_task_cnt;   /* pending tasks of an array's meta record, 0 otherwise */
    int exclusive;             /* whole nodes: --exclusive, or an OverSubscribe=EXCLUSIVE partition */
    uint32_t restart_count;    /* restart_cnt: times Slurm requeued the job (0: its first run) */
    int held;                  /* pending with priority 0 (held by a user, an operator or us) */
    int is_configuring;        /* JOB_CONFIGURING: allocated, its (cloud) nodes still booting */
    /* A federated job another cluster runs or holds: a copy revoked because
     * it started elsewhere (JOB_REVOKED), or a sibling's pending copy of a
     * job submitted to another cluster (its origin holds it). */
    int elsewhere;
};

#ifdef __cplusplus
}
#endif

#endif
