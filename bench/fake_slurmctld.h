/* fake_slurmctld.h: the slurmctld that bench_accounting runs the bridge in.
 *
 * fake_slurmctld.c is the benchmark's only file that includes Slurm's
 * internal headers (job_record_t, job_list, the slurmctld locks). It is C for
 * the reason src/slurm/job_submit/slurmctld_internals.c is: from Slurm 23.11 those
 * headers are not valid C++. It defines the slurmctld symbols the bridge uses
 * (job_list, part_list, lock_slurmctld/unlock_slurmctld, last_job_update,
 * slurmctld_diag_stats, default_part_name, find_part_record,
 * validate_operator, find_job_record, ...) and builds real job_record_t and
 * node_record_t with Slurm's own list and xmalloc (libslurmfull). This header needs no Slurm header: plain C types
 * only, so bench_accounting.cpp can include it. */
#ifndef GRANTS_BENCH_FAKE_SLURMCTLD_H
#define GRANTS_BENCH_FAKE_SLURMCTLD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A Slurm list of job_record_t (Slurm's List / list_t *). */
typedef struct fake_ctld_job_list fake_ctld_job_list;

/* A job as slurmctld keeps it; strings are copied (xstrdup). */
struct fake_ctld_job {
    uint32_t job_id;
    uint32_t user_id;
    const char *account;
    const char *admin_comment;
    const char *partition;
    uint32_t time_limit; /* minutes */
    uint32_t min_nodes, max_nodes;
    int64_t submit_time;
    int running;          /* JOB_RUNNING (else JOB_PENDING) */
    int64_t start_time;   /* running jobs only */
    const char *nodes;    /* running jobs only */
    uint32_t total_nodes; /* running jobs only */
    uint32_t node_cnt;    /* running jobs only */
    int64_t deadline;     /* 0: none */
    const char *const *spank_job_env;
    uint32_t spank_job_env_size;
};

/* An empty list (list_create(NULL)); never freed. */
fake_ctld_job_list *fake_ctld_list_create(void);
/* Appends a new job_record_t (and its job_details) built from *job. */
void fake_ctld_list_append_job(fake_ctld_job_list *list, const struct fake_ctld_job *job);
/* Makes list slurmctld's job_list (what the bridge walks; find_job_record
 * finds its jobs). The first call (or the first node table) also gives
 * slurmctld a partition list (one partition, trn1, last_part_update a minute
 * ago): a controller that has recovered its jobs, so the accounting thread
 * knows usage. */
void fake_ctld_use_job_list(fake_ctld_job_list *list);
/* Slurm's log (which the plugin's messages go to): errors only, on stderr. */
void fake_ctld_log_errors_only(void);
/* slurmctld's last_job_update: when any job last changed. */
void fake_ctld_set_last_job_update(int64_t when);

/* slurmctld's node table (node_record_table_ptr, node_record_count): cloud
 * nodes named trn1-dy-trn1-32xlarge-N, all in partition trn1. */
typedef struct fake_ctld_node_table fake_ctld_node_table;
enum fake_ctld_node_state {
    FAKE_NODE_POWERED_DOWN, /* IDLE+CLOUD+POWERED_DOWN: no instance */
    FAKE_NODE_BOOTING,      /* ALLOCATED+CLOUD+POWERING_UP */
    FAKE_NODE_ALLOCATED,
    FAKE_NODE_MIXED,
    FAKE_NODE_IDLE,
    FAKE_NODE_DOWN /* DOWN+NO_RESPOND: no instance */
};
/* The state node INDEX is created in: 40% powered down, 35% allocated, 5%
 * mixed, 10% idle, 5% booting, 5% down. */
enum fake_ctld_node_state fake_ctld_cloud_state(int index);
/* COUNT real node_record_t (xmalloc); never freed. */
fake_ctld_node_table *fake_ctld_nodes_create(int count);
/* Makes TABLE slurmctld's node table (under the write lock); sets last_node_update. */
void fake_ctld_use_nodes(fake_ctld_node_table *table);
/* A power-saving change of node INDEX (under the write lock; as slurmctld,
 * last_node_update is left alone). */
void fake_ctld_node_set_state(fake_ctld_node_table *table, int index, enum fake_ctld_node_state state);

/* How long lock_slurmctld .. unlock_slurmctld held the (real) rwlock. */
struct fake_ctld_lock_stats {
    double last_ms;  /* the last lock taken */
    double total_ms; /* every lock taken */
    double max_ms;   /* the longest since fake_ctld_reset_lock_max */
    long locks;      /* locks taken */
};
void fake_ctld_get_lock_stats(struct fake_ctld_lock_stats *stats);
void fake_ctld_reset_lock_max(void);

#ifdef __cplusplus
}
#endif

#endif
