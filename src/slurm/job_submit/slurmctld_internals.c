/* slurmctld's internals, read for job_submit/grants. Keep this file small: it
 * is what changes when Slurm does, and it is the only file that includes
 * Slurm's internal headers (see slurmctld_internals.h for why it is C).
 *
 * Version notes (read from SchedMD's sources at each release tag, 22.05 to
 * 26.05): every symbol used here exists unchanged in all of them; job_list
 * is a `List` up to 24.05 and a `list_t *` from 24.11, which the list_*
 * functions take either way; job_record_t and part_record_t moved to
 * src/common/job_record.h and part_record.h in 24.05, which slurmctld.h
 * still includes. */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "slurm/slurm.h"
#include "src/common/assoc_mgr.h"
#include "src/common/list.h"
#include "src/common/log.h"
#include "src/common/read_config.h"
#include "src/common/xmalloc.h"
#include "src/common/xstring.h"
#include "src/slurmctld/heartbeat.h"
#include "src/slurmctld/locks.h"
#include "src/slurmctld/slurmctld.h"

#include "slurmctld_internals.h"

#if SLURM_VERSION_NUMBER < SLURM_VERSION_NUM(22, 5, 0) || SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(26, 11, 0)
#error "slurmctld_internals.c was written for Slurm 22.05 to 26.05"
#endif

char *grants_ctld_strdup(const char *text) { return xstrdup(text); }

void grants_ctld_replace_string(char **field, const char *text)
{
    xfree(*field);
    *field = xstrdup(text);
}

void grants_ctld_log(int is_error, const char *message)
{
    if (is_error)
        error("job_submit/grants: %s", message);
    else
        info("job_submit/grants: %s", message);
}

static const char *or_empty(const char *s) { return s ? s : ""; }

const char *grants_ctld_conf_path(void) { return or_empty(slurm_conf.slurm_conf); }
const char *grants_ctld_default_partition(void) { return or_empty(default_part_name); }
const char *grants_ctld_state_save_location(void) { return or_empty(slurm_conf.state_save_location); }
const char *grants_ctld_cluster_name(void) { return or_empty(slurm_conf.cluster_name); }
uint32_t grants_ctld_slurm_user_id(void) { return slurm_conf.slurm_user_id; }
long long grants_ctld_conf_last_update(void) { return (long long) slurm_conf.last_update; }
/* TrackWCKey: CTL_CONF_WCKEY up to 23.02, CONF_FLAG_WCKEY from 23.11 (the same bit). */
#if defined(CONF_FLAG_WCKEY)
int grants_ctld_track_wckey(void) { return (slurm_conf.conf_flags & CONF_FLAG_WCKEY) ? 1 : 0; }
#else
int grants_ctld_track_wckey(void) { return (slurm_conf.conf_flags & CTL_CONF_WCKEY) ? 1 : 0; }
#endif
int grants_ctld_is_operator(uint32_t uid) { return validate_operator((uid_t) uid) ? 1 : 0; }

/* As job_submit/lua's _get_default_account: assoc_mgr takes its own read
 * lock; the name is copied before returning. */
size_t grants_ctld_default_account(uint32_t uid, char *out, size_t len)
{
	slurmdb_user_rec_t user;
	size_t n;

	if (!len)
		return 0;
	out[0] = '\0';
	memset(&user, 0, sizeof(user));
	user.uid = uid;
	if (assoc_mgr_fill_in_user(acct_db_conn, &user, accounting_enforce, NULL, false) == SLURM_ERROR ||
	    !user.default_acct)
		return 0;
	n = strlen(user.default_acct);
	if (n >= len)
		return 0;
	memcpy(out, user.default_acct, n + 1);
	return n;
}

int grants_ctld_partition_facts(const char *name, int64_t *default_time_minutes, int64_t *total_nodes,
                                int *exclusive)
{
    part_record_t *part = find_part_record((char *) name);
    *default_time_minutes = -1;
    *total_nodes = 0;
    *exclusive = 0;
    if (!part)
        return 0;
    if (part->default_time != NO_VAL && part->default_time != INFINITE)
        *default_time_minutes = part->default_time;
    *total_nodes = part->total_nodes;
    *exclusive = part->max_share == 0; /* OverSubscribe=EXCLUSIVE */
    return 1;
}

int grants_ctld_list_nodes(long long stamp[2], grants_node_visitor fn, void *arg)
{
    slurmctld_lock_t lock = { .node = READ_LOCK, .part = READ_LOCK };
    node_record_t *node;
    char *parts = NULL;
    int changed = 0;

    lock_slurmctld(lock);
    if (stamp[0] != (long long) last_node_update || stamp[1] != (long long) last_part_update) {
        stamp[0] = (long long) last_node_update;
        stamp[1] = (long long) last_part_update;
        changed = 1;
        for (int i = 0; (node = next_node(&i)); i++) {
            xfree(parts);
            for (int p = 0; p < node->part_cnt; p++) {
                const part_record_t *part = node->part_pptr[p];
                if (part && part->name)
                    xstrfmtcat(parts, "%s%s", parts ? "," : "", part->name);
            }
            fn(node->name, or_empty(node->features), or_empty(parts), arg);
        }
        xfree(parts);
    }
    unlock_slurmctld(lock);
    return changed;
}

/* Powering up (a boot for a job, or a failed launch while it lasts) comes
 * first: a booting node is already allocated. A node powered down, not yet
 * known (FUTURE, UNKNOWN), or down and not responding is no instance. */
static int power_state(const node_record_t *node)
{
    if (IS_NODE_POWERING_UP(node))
        return GRANTS_POWER_BOOTING;
    if (IS_NODE_POWERED_DOWN(node) || IS_NODE_FUTURE(node) || IS_NODE_UNKNOWN(node) ||
        (IS_NODE_DOWN(node) && IS_NODE_NO_RESPOND(node)))
        return GRANTS_POWER_OFF;
    if (IS_NODE_ALLOCATED(node) || IS_NODE_MIXED(node) || IS_NODE_COMPLETING(node))
        return GRANTS_POWER_BUSY;
    return GRANTS_POWER_IDLE;
}

/* The power state each node had at the last call, by node index: slurmctld
 * bumps last_node_update for some node changes only (power saving never
 * does), so changes are found by comparing one byte per node: about 0.1 ms
 * under the read locks at 10,000 nodes (bench accounting-power, docs/
 * PERFORMANCE.md). One caller: the accounting thread. */
static unsigned char *power_states;
static int power_count = -1;
static long long power_parts = -1;

void grants_ctld_node_power_reset(void)
{
    xfree(power_states);
    power_states = NULL;
    power_count = -1;
    power_parts = -1;
}

int grants_ctld_node_power_changes(int full, grants_power_visitor fn, void *arg)
{
    slurmctld_lock_t lock = { .node = READ_LOCK, .part = READ_LOCK };
    node_record_t *node;
    char *parts = NULL;
    int visited = 0;
    time_t now = time(NULL);

    lock_slurmctld(lock);
    /* Another node table or other partitions: every node again (indexes may
     * name other nodes now). last_part_update has a one-second resolution:
     * read in the second it was set, it is read again next time. */
    if (full || !power_states || power_count != node_record_count || power_parts != (long long) last_part_update) {
        full = 1;
        xfree(power_states);
        power_states = xcalloc(node_record_count > 0 ? node_record_count : 1, 1);
        power_count = node_record_count;
    }
    power_parts = now > last_part_update ? (long long) last_part_update : -1;
    for (int i = 0; (node = next_node(&i)); i++) {
        unsigned char state = (unsigned char) power_state(node);
        if (i >= power_count || (!full && power_states[i] == state))
            continue;
        power_states[i] = state;
        xfree(parts);
        for (int p = 0; p < node->part_cnt; p++) {
            const part_record_t *part = node->part_pptr[p];
            if (part && part->name)
                xstrfmtcat(parts, "%s%s", parts ? "," : "", part->name);
        }
        fn(node->name, state, or_empty(parts), arg);
        visited++;
    }
    xfree(parts);
    unlock_slurmctld(lock);
    return full ? -1 - visited : visited;
}

struct partition_walk {
    grants_partition_visitor fn;
    void *arg;
};

static int visit_partition(void *object, void *arg)
{
    const part_record_t *part = object;
    struct partition_walk *w = arg;
    char *nodes;
    if (!part || !part->name)
        return 0;
    /* Node names from the bitmap (Nodes=ALL and NodeSets resolved), as
     * `scontrol show partition` prints them; the node read lock covers the
     * node table the names come from. */
    nodes = part->node_bitmap ? bitmap2node_name(part->node_bitmap) : NULL;
    w->fn(part->name, or_empty(nodes), w->arg);
    xfree(nodes);
    return 0;
}

int grants_ctld_list_partitions(long long *stamp, grants_partition_visitor fn, void *arg)
{
    slurmctld_lock_t lock = { .node = READ_LOCK, .part = READ_LOCK };
    struct partition_walk w = { fn, arg };
    int changed = 0;

    lock_slurmctld(lock);
    if (part_list && *stamp != (long long) last_part_update) {
        /* last_part_update has a one-second resolution: a list read in the
         * second it was set may change again within that second, so it is
         * read again next time (-1 never equals the stamp). */
        *stamp = time(NULL) > last_part_update ? (long long) last_part_update : -1;
        changed = 1;
        list_for_each_ro(part_list, visit_partition, &w);
    }
    unlock_slurmctld(lock);
    return changed;
}

/* The job has its nodes to itself: --exclusive (or =topo from 24.11), or a
 * partition with OverSubscribe=EXCLUSIVE. --exclusive=user/mcs share nodes. */
static int job_is_exclusive(const job_record_t *job)
{
    if (job->part_ptr && job->part_ptr->max_share == 0)
        return 1;
    if (!job->details)
        return 0;
#ifdef WHOLE_TOPO
    return (job->details->whole_node & (WHOLE_NODE_REQUIRED | WHOLE_TOPO)) != 0;
#else
    return job->details->whole_node == WHOLE_NODE_REQUIRED;
#endif
}

static const char *marker_value(const job_record_t *job, const char *marker, size_t len)
{
    const char *found = NULL;
    for (uint32_t i = 0; job->spank_job_env && i < job->spank_job_env_size; i++) {
        const char *e = job->spank_job_env[i];
        if (e && strncmp(e, marker, len) == 0 && e[len] == '=')
            found = e + len + 1; /* the last one wins, as in getenv order */
    }
    return found;
}

static int largest_partition(void *object, void *arg)
{
    const part_record_t *part = object;
    uint32_t *nodes = arg;
    if (part && part->total_nodes > *nodes)
        *nodes = part->total_nodes;
    return 0;
}

static void view_job(const job_record_t *job, const char *marker, size_t marker_len, struct grants_job_view *v)
{
    memset(v, 0, sizeof(*v));
    v->job_id = job->job_id;
    v->user_id = job->user_id;
    v->group_id = job->group_id;
    v->account = job->account;
    v->admin_comment = job->admin_comment;
    v->wckey = job->wckey;
    v->partition = job->partition;
    v->run_partition = job->part_ptr ? job->part_ptr->name : NULL;
    v->nodes = job->nodes;
    v->tres_per_node = job->tres_per_node;
    v->tres_per_job = job->tres_per_job;
    v->tres_per_task = job->tres_per_task;
    v->features = job->details ? job->details->features : NULL;
    v->tres_alloc = job->tres_fmt_alloc_str;
    v->approval = marker ? marker_value(job, marker, marker_len) : NULL;
    v->is_pending = IS_JOB_PENDING(job) ? 1 : 0;
    v->is_finished = IS_JOB_FINISHED(job) ? 1 : 0;
    v->requeue_flag = (job->job_state & JOB_REQUEUE) ? 1 : 0;
    v->is_configuring = IS_JOB_CONFIGURING(job) ? 1 : 0;
    v->time_limit_infinite = job->time_limit == INFINITE;
    v->time_limit_set = job->time_limit != NO_VAL && job->time_limit != INFINITE;
    v->time_limit = v->time_limit_set ? job->time_limit : 0;
    v->start_time = (int64_t) job->start_time;
    v->deadline = (job->deadline && job->deadline != (time_t) NO_VAL) ? (int64_t) job->deadline : 0;
    v->begin_time = job->details ? (int64_t) job->details->begin_time : 0;
    v->end_time = (int64_t) job->end_time;
    v->suspended_seconds = (int64_t) job->tot_sus_time;
    if (job->details) {
        v->submit_time = (int64_t) job->details->submit_time;
        v->min_nodes = job->details->min_nodes;
        if (job->details->max_nodes != NO_VAL && job->details->max_nodes != INFINITE)
            v->max_nodes = job->details->max_nodes;
        if (job->details->num_tasks != NO_VAL)
            v->num_tasks = job->details->num_tasks;
    }
    /* What a job without a maximum node count may get (a pending job of
     * several partitions lists them all). */
    if (job->part_ptr)
        largest_partition(job->part_ptr, &v->partition_nodes);
    if (job->part_ptr_list)
        list_for_each_ro(job->part_ptr_list, largest_partition, &v->partition_nodes);
    v->total_nodes = job->total_nodes;
    v->node_cnt = job->node_cnt;
    v->exclusive = job_is_exclusive(job);
    if (job->array_recs)
        v->array_task_cnt = job->array_recs->task_cnt;
    v->restart_count = job->restart_cnt;
    v->held = IS_JOB_PENDING(job) && job->priority == 0;
    /* Federation (docs/design.md): a revoked copy has the start of the run
     * on the cluster that runs it, and then its end; the origin keeps it. */
    v->elsewhere = (job->job_state & JOB_REVOKED) ||
                   (IS_JOB_PENDING(job) && job->fed_details && job->fed_details->origin_str &&
                    slurm_conf.cluster_name && strcmp(job->fed_details->origin_str, slurm_conf.cluster_name) != 0);
}

void grants_ctld_view_job(const struct job_record *job, const char *marker, struct grants_job_view *view)
{
    view_job(job, marker, marker ? strlen(marker) : 0, view);
}

/* Under the job and partition read locks: no job can change while they are
 * held, and read_slurm_conf (which recovers jobs and builds part_list under
 * the config write lock) has either not begun or finished. */
static void stamp_now(struct grants_job_list_stamp *s)
{
    s->recovered = part_list && list_count(part_list) > 0;
    s->list = (uintptr_t) job_list;
    s->last_update = (long long) last_job_update;
    s->read_at = (long long) time(NULL);
    s->started = slurmctld_diag_stats.jobs_started;
    s->completed = slurmctld_diag_stats.jobs_completed;
    s->canceled = slurmctld_diag_stats.jobs_canceled;
    s->failed = slurmctld_diag_stats.jobs_failed;
}

void grants_ctld_job_list_stamp(struct grants_job_list_stamp *stamp)
{
    slurmctld_lock_t lock = { .job = READ_LOCK, .part = READ_LOCK };
    lock_slurmctld(lock);
    stamp_now(stamp);
    unlock_slurmctld(lock);
}

struct walk {
    const char *marker;
    size_t marker_len;
    grants_job_visitor fn;
    void *arg;
    int stopped;
};

static int walk_one(void *object, void *arg)
{
    struct walk *w = arg;
    struct grants_job_view view;
    view_job(object, w->marker, w->marker_len, &view);
    if (w->fn(&view, w->arg) < 0) {
        w->stopped = 1;
        return -1; /* list_for_each stops at a negative return */
    }
    return 0;
}

int grants_ctld_walk_jobs(const char *marker, grants_job_visitor fn, void *arg, struct grants_job_list_stamp *stamp)
{
    struct walk w = { marker, marker ? strlen(marker) : 0, fn, arg, 0 };
    slurmctld_lock_t lock = { .job = READ_LOCK, .part = READ_LOCK };
    lock_slurmctld(lock);
    if (stamp)
        stamp_now(stamp);
    if (job_list)
        list_for_each_ro(job_list, walk_one, &w);
    unlock_slurmctld(lock);
    return w.stopped ? -1 : 0;
}

void grants_ctld_set_spank_env(struct job_descriptor *job_desc, const char *name, const char *value)
{
    job_desc_msg_t *d = job_desc;
    size_t len = strlen(name);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < d->spank_job_env_size; i++) {
        char *e = d->spank_job_env[i];
        if (e && strncmp(e, name, len) == 0 && e[len] == '=')
            xfree(d->spank_job_env[i]);
        else
            d->spank_job_env[kept++] = e;
    }
    if (!value) { /* removed only; the slots freed stay allocated */
        if (kept < d->spank_job_env_size)
            d->spank_job_env[kept] = NULL;
        d->spank_job_env_size = kept;
        return;
    }
    xrecalloc(d->spank_job_env, kept + 1, sizeof(char *));
    d->spank_job_env[kept] = NULL;
    xstrfmtcat(d->spank_job_env[kept], "%s=%s", name, value);
    d->spank_job_env_size = kept + 1;
}

int grants_ctld_hold_jobs(size_t count, const uint32_t *job_ids, const char *const *reasons)
{
    /* As `scontrol hold` does (job_mgr.c, _hold_job_rec), minus the
     * accounting update of the begin time: priority 0, set directly so the
     * priority plugin leaves it, and a reason squeue shows. */
    slurmctld_lock_t lock = { .job = WRITE_LOCK };
    int held = 0;
    lock_slurmctld(lock);
    for (size_t i = 0; i < count; i++) {
        job_record_t *job = find_job_record(job_ids[i]);
        if (!job || !IS_JOB_PENDING(job) || job->priority == 0)
            continue;
        job->direct_set_prio = 1;
        job->priority = 0;
        job->state_reason = WAIT_HELD;
        xfree(job->state_desc);
        job->state_desc = xstrdup(reasons[i]);
        held++;
    }
    if (held)
        last_job_update = time(NULL);
    unlock_slurmctld(lock);
    return held;
}

int grants_ctld_hold_reruns(size_t count, const uint32_t *job_ids, const uint32_t *attempts,
                            const char *const *reasons)
{
    /* As the owner's `scontrol hold` would (WAIT_HELD_USER), so that the
     * owner may release it once the award has room: the release goes through
     * job_modify, which checks it again. Only the attempt that was checked
     * (restart_cnt), and only while it is pending and not held already. */
    slurmctld_lock_t lock = { .job = WRITE_LOCK };
    int held = 0;
    lock_slurmctld(lock);
    for (size_t i = 0; i < count; i++) {
        job_record_t *job = find_job_record(job_ids[i]);
        if (!job || !IS_JOB_PENDING(job) || job->priority == 0 || job->restart_cnt != attempts[i])
            continue;
        job->direct_set_prio = 1;
        job->priority = 0;
        job->state_reason = WAIT_HELD_USER;
        xfree(job->state_desc);
        job->state_desc = xstrdup(reasons[i]);
        held++;
    }
    if (held)
        last_job_update = time(NULL);
    unlock_slurmctld(lock);
    return held;
}

int grants_ctld_set_deadlines(size_t count, const uint32_t *job_ids, const int64_t *deadlines,
                              grants_comment_editor edit)
{
    slurmctld_lock_t lock = { .job = WRITE_LOCK };
    time_t now = time(NULL);
    int moved = 0;
    lock_slurmctld(lock);
    for (size_t i = 0; i < count; i++) {
        job_record_t *job = find_job_record(job_ids[i]);
        size_t size;
        char *comment;
        if (!job || !IS_JOB_PENDING(job) || (deadlines[i] > 0 && deadlines[i] <= (int64_t) now))
            continue;
        job->deadline = (time_t) deadlines[i];
        size = (job->admin_comment ? strlen(job->admin_comment) : 0) + 64;
        comment = xmalloc(size);
        edit(job->admin_comment ? job->admin_comment : "", deadlines[i], comment, size);
        xfree(job->admin_comment);
        job->admin_comment = comment;
        moved++;
    }
    if (moved)
        last_job_update = now;
    unlock_slurmctld(lock);
    return moved;
}

int grants_ctld_in_control(void)
{
    /* With backup controllers, the one in control writes its index into
     * StateSaveLocation/heartbeat every min(SlurmctldTimeout / 4, 30) s
     * (heartbeat.c); a backup that handed control back, and keeps its
     * recovered jobs in standby, sees another index there. */
    slurmctld_lock_t lock = { .conf = READ_LOCK };
    int controllers, self, found = 0, inx = -1;
    char *file;
    struct stat st;
    lock_slurmctld(lock);
    controllers = slurm_conf.control_cnt;
    self = backup_inx;
    file = xstrdup_printf("%s/heartbeat", slurm_conf.state_save_location);
    unlock_slurmctld(lock);
    if (controllers < 2) {
        xfree(file);
        return 1;
    }
    found = stat(file, &st) == 0; /* get_last_heartbeat logs and sleeps when it is missing */
    xfree(file);
    if (!found || !get_last_heartbeat(&inx))
        return self == 0; /* no heartbeat yet: the primary starts in control */
    return inx == self;
}
