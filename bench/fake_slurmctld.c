/* The slurmctld stand-ins for bench_accounting (see fake_slurmctld.h): the
 * slurmctld symbols src/slurm/job_submit/slurmctld_internals.c needs, and job_record_t
 * and node_record_t built with Slurm's own list and xmalloc (libslurmfull). C, compiled against
 * Slurm's internal headers (SLURM_INTERNAL_CPPFLAGS) like the bridge.
 *
 * lock_slurmctld/unlock_slurmctld take a real rwlock (read) and record how
 * long it was held, measured with CLOCK_MONOTONIC (std::chrono::steady_clock
 * before this file was split out of bench_accounting.cpp). */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "slurm/slurm.h"
#include "src/common/list.h"
#include "src/common/log.h"
#include "src/common/xmalloc.h"
#include "src/common/xstring.h"
#include "src/slurmctld/heartbeat.h"
#include "src/slurmctld/locks.h"
#include "src/slurmctld/slurmctld.h"

#include "fake_slurmctld.h"

/* ------------------------------------------------------------ slurmctld's symbols */
/* job_list is a List up to 24.05 and a list_t * from 24.11: both are struct xlist *. */
struct xlist *job_list = NULL;
/* Non-empty once slurmctld has read its configuration and recovered its jobs
 * (the bridge's stamp.recovered): set up with the first job list. */
struct xlist *part_list = NULL;
char *default_part_name = NULL;
time_t last_job_update = 0;       /* when any job last changed */
diag_stats_t slurmctld_diag_stats; /* sdiag's counters (the accounting thread reads four) */

static pthread_rwlock_t job_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct timespec locked_at;
/* Totals over every lock taken (idle mode: only the accounting thread takes
 * it); read by the benchmark's main thread, hence the mutex. */
static pthread_mutex_t stats_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct fake_ctld_lock_stats stats;

void lock_slurmctld(slurmctld_lock_t lock_levels)
{
    (void) lock_levels;
    pthread_rwlock_rdlock(&job_lock);
    clock_gettime(CLOCK_MONOTONIC, &locked_at);
}

void unlock_slurmctld(slurmctld_lock_t lock_levels)
{
    struct timespec now;
    (void) lock_levels;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const double held = (double) (now.tv_sec - locked_at.tv_sec) * 1000.0 +
                        (double) (now.tv_nsec - locked_at.tv_nsec) / 1e6;
    pthread_mutex_lock(&stats_mutex);
    stats.last_ms = held;
    stats.total_ms += held;
    if (held > stats.max_ms)
        stats.max_ms = held;
    ++stats.locks;
    pthread_mutex_unlock(&stats_mutex);
    pthread_rwlock_unlock(&job_lock);
}

/* Referenced by slurmctld_internals.c functions the benchmark does not reach
 * (default accounts, holds, deadlines, backup controllers); defined so that
 * the bridge links. */
time_t last_part_update = 0; /* when the partitions last changed */
void *acct_db_conn = NULL;
uint16_t accounting_enforce = 0;
int backup_inx = 0;

/* job_list's records by job ID, rebuilt by fake_ctld_use_job_list: the
 * accounting thread moves pending jobs' deadlines to their award's end once
 * (grants_ctld_set_deadlines), which finds them here, as slurmctld's hash. */
static job_record_t **job_index;
static uint32_t job_index_size;

job_record_t *find_job_record(uint32_t job_id)
{
    return job_id < job_index_size ? job_index[job_id] : NULL;
}

time_t get_last_heartbeat(int *server_inx)
{
    *server_inx = 0;
    return 0;
}

part_record_t *find_part_record(char *name)
{
    (void) name;
    return NULL;
}

bool validate_operator(uid_t uid)
{
    (void) uid;
    return false;
}

/* ------------------------------------------------------------ the benchmark's side */
fake_ctld_job_list *fake_ctld_list_create(void)
{
    return (fake_ctld_job_list *) list_create(NULL);
}

void fake_ctld_list_append_job(fake_ctld_job_list *list, const struct fake_ctld_job *in)
{
    job_record_t *job = xcalloc(1, sizeof(job_record_t));
    /* struct job_details up to 23.11, an anonymous job_details_t from 24.05 */
    __typeof__(job->details) details = xcalloc(1, sizeof(*details));
    job->job_id = in->job_id;
    job->user_id = in->user_id;
    job->account = xstrdup(in->account);
    job->admin_comment = xstrdup(in->admin_comment);
    job->partition = xstrdup(in->partition);
    job->time_limit = in->time_limit;
    job->deadline = (time_t) in->deadline;
    job->details = details;
    details->min_nodes = in->min_nodes;
    details->max_nodes = in->max_nodes;
    details->submit_time = (time_t) in->submit_time;
    job->job_state = in->running ? JOB_RUNNING : JOB_PENDING;
    if (in->running) {
        job->start_time = (time_t) in->start_time;
        job->nodes = xstrdup(in->nodes);
        job->total_nodes = in->total_nodes;
        job->node_cnt = in->node_cnt;
    }
    job->spank_job_env_size = in->spank_job_env_size;
    job->spank_job_env = xcalloc(in->spank_job_env_size ? in->spank_job_env_size : 1, sizeof(char *));
    for (uint32_t i = 0; i < in->spank_job_env_size; i++)
        job->spank_job_env[i] = xstrdup(in->spank_job_env[i]);
    list_append((struct xlist *) list, job);
}

/* The one partition (trn1) of a controller that has recovered its state. */
static part_record_t *trn1_partition(void)
{
    static part_record_t *part;
    if (!part) {
        part = xcalloc(1, sizeof(part_record_t));
        part->name = xstrdup("trn1");
        part_list = list_create(NULL);
        list_append(part_list, part);
        last_part_update = time(NULL) - 60; /* configured a minute ago */
    }
    return part;
}

static int index_job(void *object, void *arg)
{
    job_record_t *job = object;
    (void) arg;
    if (job->job_id >= job_index_size) {
        uint32_t size = job_index_size ? job_index_size : 1024;
        while (size <= job->job_id)
            size *= 2;
        xrecalloc(job_index, size, sizeof(*job_index));
        job_index_size = size;
    }
    job_index[job->job_id] = job;
    return 0;
}

void fake_ctld_use_job_list(fake_ctld_job_list *list)
{
    trn1_partition();
    pthread_rwlock_wrlock(&job_lock);
    job_list = (struct xlist *) list;
    if (job_index)
        memset(job_index, 0, job_index_size * sizeof(*job_index));
    list_for_each(job_list, index_job, NULL);
    pthread_rwlock_unlock(&job_lock);
}

/* ------------------------------------------------------------ the node table */
/* node_record_table_ptr, node_record_count, next_node and last_node_update
 * are libslurmfull's (src/common/node_conf.c): the fake only fills the table
 * with node_record_t as slurmctld's read_slurm_conf leaves them for cloud
 * nodes (a name, features, node_state, the partitions). */
struct fake_ctld_node_table {
    int count;
    node_record_t **nodes;
};

static uint32_t state_bits(enum fake_ctld_node_state state)
{
    switch (state) {
    case FAKE_NODE_POWERED_DOWN:
        return NODE_STATE_IDLE | NODE_STATE_CLOUD | NODE_STATE_POWERED_DOWN;
    case FAKE_NODE_BOOTING:
        return NODE_STATE_ALLOCATED | NODE_STATE_CLOUD | NODE_STATE_POWERING_UP;
    case FAKE_NODE_ALLOCATED:
        return NODE_STATE_ALLOCATED | NODE_STATE_CLOUD;
    case FAKE_NODE_MIXED:
        return NODE_STATE_MIXED | NODE_STATE_CLOUD;
    case FAKE_NODE_IDLE:
        return NODE_STATE_IDLE | NODE_STATE_CLOUD;
    case FAKE_NODE_DOWN:
        return NODE_STATE_DOWN | NODE_STATE_CLOUD | NODE_STATE_NO_RESPOND;
    }
    return NODE_STATE_UNKNOWN;
}

enum fake_ctld_node_state fake_ctld_cloud_state(int index)
{
    /* Out of 20: 8 powered down, 7 allocated, 1 mixed, 2 idle, 1 booting, 1 down. */
    static const enum fake_ctld_node_state mix[20] = {
        FAKE_NODE_POWERED_DOWN, FAKE_NODE_POWERED_DOWN, FAKE_NODE_POWERED_DOWN, FAKE_NODE_POWERED_DOWN,
        FAKE_NODE_POWERED_DOWN, FAKE_NODE_POWERED_DOWN, FAKE_NODE_POWERED_DOWN, FAKE_NODE_POWERED_DOWN,
        FAKE_NODE_ALLOCATED,    FAKE_NODE_ALLOCATED,    FAKE_NODE_ALLOCATED,    FAKE_NODE_ALLOCATED,
        FAKE_NODE_ALLOCATED,    FAKE_NODE_ALLOCATED,    FAKE_NODE_ALLOCATED,    FAKE_NODE_MIXED,
        FAKE_NODE_IDLE,         FAKE_NODE_IDLE,         FAKE_NODE_BOOTING,      FAKE_NODE_DOWN,
    };
    return mix[index % 20];
}

fake_ctld_node_table *fake_ctld_nodes_create(int count)
{
    fake_ctld_node_table *table = xcalloc(1, sizeof(*table));
    part_record_t *part = trn1_partition();
    table->count = count;
    table->nodes = xcalloc(count > 0 ? count : 1, sizeof(node_record_t *));
    for (int i = 0; i < count; i++) {
        node_record_t *node = xcalloc(1, sizeof(node_record_t));
        /* As AWS ParallelCluster names dynamic nodes: QUEUE-dy-RESOURCE-N. */
        node->name = xstrdup_printf("trn1-dy-trn1-32xlarge-%d", i + 1);
        node->features = xstrdup("dynamic,trn1.32xlarge");
        node->index = i;
        node->node_state = state_bits(fake_ctld_cloud_state(i));
        node->part_cnt = 1;
        node->part_pptr = xcalloc(1, sizeof(*node->part_pptr));
        node->part_pptr[0] = part;
        table->nodes[i] = node;
    }
    return table;
}

void fake_ctld_use_nodes(fake_ctld_node_table *table)
{
    pthread_rwlock_wrlock(&job_lock);
    node_record_table_ptr = table->nodes;
    node_record_count = table->count;
    last_node_update = time(NULL);
    pthread_rwlock_unlock(&job_lock);
}

void fake_ctld_node_set_state(fake_ctld_node_table *table, int index, enum fake_ctld_node_state state)
{
    /* Power saving changes node_state under the node write lock and, as in
     * slurmctld, leaves last_node_update alone. */
    pthread_rwlock_wrlock(&job_lock);
    table->nodes[index]->node_state = state_bits(state);
    pthread_rwlock_unlock(&job_lock);
}

void fake_ctld_log_errors_only(void)
{
    log_options_t opts = LOG_OPTS_INITIALIZER;
    opts.stderr_level = LOG_LEVEL_ERROR;
    opts.syslog_level = LOG_LEVEL_QUIET;
    opts.logfile_level = LOG_LEVEL_QUIET;
    log_init("bench_accounting", opts, 0, NULL);
}

void fake_ctld_set_last_job_update(int64_t when)
{
    last_job_update = (time_t) when;
}

void fake_ctld_get_lock_stats(struct fake_ctld_lock_stats *out)
{
    pthread_mutex_lock(&stats_mutex);
    *out = stats;
    pthread_mutex_unlock(&stats_mutex);
}

void fake_ctld_reset_lock_max(void)
{
    pthread_mutex_lock(&stats_mutex);
    stats.max_ms = 0;
    pthread_mutex_unlock(&stats_mutex);
}
