/* The slurmctld stand-ins for bench_accounting (see fake_slurmctld.h): the
 * slurmctld symbols src/slurm/slurmctld_internals.c needs, and job_record_t
 * built with Slurm's own list and xmalloc (libslurmfull). C, compiled against
 * Slurm's internal headers (SLURM_INTERNAL_CPPFLAGS) like the bridge.
 *
 * lock_slurmctld/unlock_slurmctld take a real rwlock (read) and record how
 * long it was held, measured with CLOCK_MONOTONIC (std::chrono::steady_clock
 * before this file was split out of bench_accounting.cpp). */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "slurm/slurm.h"
#include "src/common/list.h"
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

job_record_t *find_job_record(uint32_t job_id)
{
    (void) job_id;
    return NULL;
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

void fake_ctld_use_job_list(fake_ctld_job_list *list)
{
    if (!part_list) {
        /* A controller that has recovered its state: its partitions exist. */
        part_record_t *part = xcalloc(1, sizeof(part_record_t));
        part->name = xstrdup("trn1");
        part_list = list_create(NULL);
        list_append(part_list, part);
    }
    job_list = (struct xlist *) list;
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
