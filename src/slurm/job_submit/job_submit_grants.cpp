// job_submit/grants: the slurmctld adapter. It translates a job_desc_msg_t
// into a JobRequest, asks the core for a Decision, and writes the result back
// (AdminComment tag, time limit, node count, message). No exception leaves
// this file; nothing here touches the disk or takes a Slurm lock.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <slurm/slurm_version.h>
}

#include "accounting_thread.h"
#include "job_desc_request.h"
#include "core/base/award_id.h"
#include "core/base/text.h"
#include "core/domain/admin_comment.h"
#include "core/domain/decision.h"
#include "core/domain/identity_cache.h"
#include "core/domain/submission.h"
#include "core/domain/unchecked_admission.h"
#include "core/domain/update_pass.h"
#include "core/domain/update_rule.h"
#include "core/domain/usage.h"
#include "core/policy/paths.h"
#include "core/policy/policy_reloader.h"
#include "core/policy/policy_store.h"
#include "core/policy/wckey_rule.h"
#include "core/wire/query.h"
#include "core/wire/query_answer.h"
#include "grants_config.h"
#include "slurmctld_bridge.h"

extern "C" {
// Declared extern first: a namespace-scope const would otherwise have
// internal linkage in C++ and Slurm would not find the symbols.
extern const char plugin_name[];
extern const char plugin_type[];
extern const uint32_t plugin_version;
const char plugin_name[] = "Research grant budgets (slurm-grants)";
const char plugin_type[] = "job_submit/grants";
const uint32_t plugin_version = GRANTS_VERSION_NUMBER_SLURM;

int init(void);
int fini(void);
int job_submit(job_desc_msg_t* job_desc, uint32_t submit_uid, char** err_msg);
// 23.02 gave job_modify an err_msg: a refused `scontrol update` then shows
// our sentence instead of Slurm's generic one.
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)
#define GRANTS_MODIFY_HAS_ERR_MSG 1
int job_modify(job_desc_msg_t* job_desc, struct job_record* job_ptr, uint32_t submit_uid, char** err_msg);
#else
#define GRANTS_MODIFY_HAS_ERR_MSG 0
int job_modify(job_desc_msg_t* job_desc, struct job_record* job_ptr, uint32_t submit_uid);
#endif
}

namespace {

using namespace grants;
namespace ctld = grants::slurmctld;

// How often the policy file is checked for edits (at most once a second, as grants.yaml(5) promises)
// and how often holds and charges are brought up to date.
constexpr std::chrono::milliseconds kPolicyPollInterval{1000};
constexpr std::chrono::milliseconds kAccountingInterval{1000};

struct PluginState {
    PolicyStore policy;
    IdentityCache identities{lookup_unix_identity};
    UsageTracker usage;
    std::unique_ptr<PolicyReloader> reloader;
    std::unique_ptr<ctld::AccountingThread> accounting;
    // Which accepted updates ask for a full pass at once, and how often (update_pass.h).
    UpdatePassThrottle update_passes;
    std::atomic<long long> conf_seen{0};  // slurm_conf.last_update at the last reload request
    std::atomic<bool> told_no_track_wckey{false};  // enforce.wckey without TrackWCKey: logged once
    // From 23.02 slurmctld may call job_submit and job_modify concurrently.
    // A decision and the approval it leads to must be one step, or two jobs
    // could both be approved against the same remaining budget.
    std::mutex decide;
};

PluginState* state = nullptr;

std::vector<std::string> split_partitions(const char* list) { return split_partition_list(list ? list : ""); }

UsageLookup usage_lookup(const Policy& policy) {
    return [&policy](const std::string& award, const std::string& user) {
        return state->usage.view(policy, award, user);
    };
}

void log_reloader(PolicyReloader::LogLevel level, const std::string& message) {
    if (level == PolicyReloader::LogLevel::Error) {
        ctld::log_error(message);
    } else {
        ctld::log_info(message);
    }
}

// `scontrol reconfigure` bumps slurm_conf.last_update; the reload itself
// happens on the reloader's thread, never here.
void notice_reconfigure() {
    const long long now = ctld::conf_last_update();
    const long long seen = state->conf_seen.exchange(now);
    if (seen != now && seen != 0) state->reloader->request_reload();
}

// on_error=open let an in-scope job through unchecked: say so in its
// AdminComment, so that slurmstepd starts its tasks when it has no award
// (see admin_comment.h) and the logs tell it from a checked one.
void mark_unchecked(job_desc_msg_t* job_desc) {
    ctld::replace_slurm_string(&job_desc->admin_comment,
                               with_unchecked_mark(job_desc->admin_comment ? job_desc->admin_comment : ""));
}

int refuse(char** err_msg, const std::string& message) {
    if (err_msg) *err_msg = ctld::slurm_strdup(message);
    return ESLURM_ACCOUNTING_POLICY;
}

// What the submit path concludes about a job (core/domain/submission.h), and the
// request it read.
struct Outcome : SubmissionVerdict {
    JobRequest request;
    bool wckey_is_award = false;  // enforce.wckey: award
};

Outcome evaluate(const job_desc_msg_t* job_desc, uint32_t submit_uid, std::time_t now) {
    Outcome o;
    JobRequest& request = o.request;
    request.partitions = ctld::job_partitions(job_desc->partition, ctld::default_partition);
    auto current = state->policy.current();
    const Policy* policy = current->policy.get();
    if (!policy) {
        static_cast<SubmissionVerdict&>(o) = decide_submission_without_policy(*current, request, submit_uid);
        return o;
    }
    if (!in_scope(*policy, request)) return o;
    o.wckey_is_award = policy->wckey_is_award;

    std::string error;
    if (!ctld::fill_request(job_desc, submit_uid, state->identities, ctld::partition_facts, now, &request, &error,
                            policy->has_account_members() ? ctld::default_account : nullptr)) {
        static_cast<SubmissionVerdict&>(o) = refuse_unreadable_submission(std::move(error));
        return o;
    }
    request.node_types = state->accounting->node_types();
    // After a start, a reconfigure (23.11+ re-executes slurmctld) or a
    // takeover, until the first pass has read the recovered jobs, every hold
    // would read as zero; while the ledger is unusable likewise: what needs
    // the award's usage follows enforce.on_error (core/domain/unchecked_admission.h).
    const bool ledger_failing = state->accounting->ledger_failing();
    const BudgetsUnknown unknown = budgets_unknown(state->accounting->usage_known(), !ledger_failing);
    static_cast<SubmissionVerdict&>(o) =
        decide_submission(*policy, request, submit_uid, unknown, usage_lookup(*policy));
    if (o.decision.lease_demand > 0) {
        // Refused for want of this cluster's lease alone: the next renewal,
        // now, asks the other clusters for it (core/domain/lease.h).
        state->usage.note_lease_demand(o.decision.award, o.decision.lease_demand, static_cast<std::int64_t>(now));
        state->accounting->wake();
    }
    return o;
}

// enforce.wckey: award without TrackWCKey=yes in slurm.conf: the jobs get
// their WCKey, but slurmdbd groups nothing by it. Said once per start.
void tell_if_wckeys_untracked() {
    if (ctld::track_wckey() || state->told_no_track_wckey.exchange(true)) return;
    ctld::log_error("enforce.wckey is 'award' but slurm.conf has no TrackWCKey=yes: jobs get their award's WCKey, "
                    "but sreport's WCKey reports stay empty (set TrackWCKey=yes in slurm.conf and slurmdbd.conf)");
}

// grantctl's questions (core/wire/query.h): this gathers what slurmctld knows,
// core/wire/query_answer.h decides the answer, and the question is always
// refused so that slurmctld creates and schedules nothing.
int answer_query(const std::string& question, const job_desc_msg_t* job_desc, uint32_t submit_uid, char** err_msg) {
    const std::time_t now = std::time(nullptr);
    const std::shared_ptr<const PolicyState> current = state->policy.current();
    const Policy* policy = current->policy.get();
    const uint32_t uid = job_desc->user_id != NO_VAL ? job_desc->user_id : submit_uid;
    QueryContext ctx;
    ctx.policy = current.get();
    ctx.question = question;
    ctx.args_text = env_value(ctld::spank_env(job_desc), kQueryArgsVariable);
    ctx.who = ctld::identity_of(state->identities, uid, job_desc->account,
                                policy && policy->has_account_members() ? ctld::default_account : nullptr);
    ctx.caller_is_operator = [submit_uid] { return ctld::is_operator(submit_uid); };
    ctx.now = static_cast<std::int64_t>(now);
    ctx.local_day = [](std::int64_t t) { return ctld::local_today(static_cast<std::time_t>(t)); };
    ctx.local_day_end = ctld::local_day_end;
    ctx.book = &state->accounting->book();
    ctx.usage = &state->usage;
    ctx.node_types = state->accounting->node_types();
    ctx.passes = [] {
        return PassCounters{static_cast<std::int64_t>(state->accounting->passes()),
                            static_cast<std::int64_t>(state->accounting->full_passes()),
                            static_cast<std::int64_t>(state->update_passes.requested())};
    };
    ctx.evaluate_quote = [&] { return static_cast<SubmissionVerdict>(evaluate(job_desc, submit_uid, now)); };
    const Answer answer = answer_question(ctx);
    if (err_msg) *err_msg = ctld::slurm_strdup(encode_answer(answer));
    return ESLURM_ACCOUNTING_POLICY;
}

int submit(job_desc_msg_t* job_desc, uint32_t submit_uid, char** err_msg) {
    notice_reconfigure();
    if (auto question = query_in_env(ctld::spank_env(job_desc))) return answer_query(*question, job_desc, submit_uid, err_msg);

    // Only an approval's own job may carry its marker (the accounting pass
    // drops the approval when it sees it): one a user put in the environment
    // is removed, whatever the decision (a no-op walk when there is none).
    ctld::unset_spank_env(job_desc, ctld::kApprovalMarker);

    const std::time_t now = std::time(nullptr);
    std::lock_guard<std::mutex> decide(state->decide);
    Outcome o = evaluate(job_desc, submit_uid, now);
    const Decision& d = o.decision;
    if (!o.log.empty()) {
        if (o.log_is_error) {
            ctld::log_error(o.log);
        } else {
            ctld::log_info(o.log);
        }
    }
    switch (d.verdict) {
        case Decision::Verdict::Untouched:
            return SLURM_SUCCESS;
        case Decision::Verdict::AcceptUntagged:
            // on_error=open: slurmstepd lets a job with this mark run untagged.
            mark_unchecked(job_desc);
            if (err_msg && !d.message.empty()) *err_msg = ctld::slurm_strdup(d.message);
            return SLURM_SUCCESS;
        case Decision::Verdict::Reject:
            return refuse(err_msg, d.message);
        case Decision::Verdict::Accept:
            break;
    }
    ctld::replace_slurm_string(&job_desc->admin_comment,
                               with_award_tag(job_desc->admin_comment ? job_desc->admin_comment : "", d.award));
    std::string message = d.message;
    if (o.wckey_is_award) {
        // The award is the accounting key: a --wckey of the user's is replaced (wckey_rule.h).
        const SubmitWckey w = wckey_at_submit(
            d.award, job_desc->wckey ? std::optional<std::string>(job_desc->wckey) : std::nullopt);
        ctld::replace_slurm_string(&job_desc->wckey, w.wckey);
        if (!w.note.empty()) message += (message.empty() ? "" : " ") + w.note;
        tell_if_wckeys_untracked();
    }
    if (o.unchecked) mark_unchecked(job_desc);
    if (d.set_time_limit_minutes) job_desc->time_limit = static_cast<uint32_t>(*d.set_time_limit_minutes);
    if (d.set_exclusive) job_desc->shared = JOB_SHARED_NONE;  // what sbatch --exclusive sends
    if (d.set_max_nodes) job_desc->max_nodes = static_cast<uint32_t>(*d.set_max_nodes);
    // The award's end: Slurm removes the job (state DEADLINE) if it is still
    // queued when it can no longer finish before it.
    if (d.set_deadline) {
        job_desc->deadline = static_cast<time_t>(*d.set_deadline);
        ctld::replace_slurm_string(&job_desc->admin_comment, with_deadline_tag(job_desc->admin_comment, *d.set_deadline));
    }
    const std::int64_t jobs = std::max<std::int64_t>(o.request.shape.array_tasks, 1);
    std::uint64_t marker = state->usage.approve(d.award, o.request.who.user, d.hold, jobs, d.chips * jobs, now);
    ctld::set_spank_env(job_desc, ctld::kApprovalMarker, std::to_string(marker));
    if (err_msg) *err_msg = ctld::slurm_strdup(message);
    return SLURM_SUCCESS;
}

// Re-validates a change to an existing job (core/domain/update_rule.h): this
// translates the job record and the requested change, applies the verdict,
// and holds an accepted raise at once. A refusal's reason goes to the log
// and, from 23.02, to the user (*reason; 22.05's job_modify has no err_msg).
// enforce.wckey on an update: the WCKey follows the award (wckey_rule.h).
// false with *reason when the update is refused.
bool wckey_follows_award(const ctld::JobSnapshot& job, job_desc_msg_t* job_desc, const UpdateVerdict& v,
                         const JobUpdate& u, uint32_t submit_uid, std::string* reason) {
    WckeyChange c;
    c.job_id = job.job_id;
    c.award = !v.award.empty() ? v.award : u.award.value_or("");
    c.award_changed = v.award_changed;
    c.pending = job.pending;
    if (job_desc->wckey) c.requested = std::string(job_desc->wckey);
    c.current = job.wckey;
    const WckeyVerdict wk = wckey_at_update(c);
    if (!wk.log.empty()) {
        if (wk.refused) {
            ctld::log_error(wk.log + " (update by uid " + std::to_string(submit_uid) + ")");
        } else {
            ctld::log_info(wk.log);
        }
    }
    if (wk.refused) {
        *reason = wk.message;
        return false;
    }
    if (wk.set) ctld::replace_slurm_string(&job_desc->wckey, *wk.set);
    return true;
}

int modify(job_desc_msg_t* job_desc, struct job_record* job_ptr, uint32_t submit_uid, std::string* reason) {
    notice_reconfigure();
    if (!job_ptr) return SLURM_SUCCESS;
    std::lock_guard<std::mutex> decide(state->decide);
    auto current = state->policy.current();
    const ctld::JobSnapshot job = ctld::snapshot_job(job_ptr);

    JobUpdate u;
    u.job_id = job.job_id;
    u.changed_by = submit_uid;
    u.touches_cost = ctld::update_touches_cost(job_desc);
    // Requeue calls neither job_submit nor job_modify; the accounting pass
    // admits or holds a requeued job's new run before its begin time. What
    // would let it start sooner comes here: a release, an earlier StartTime.
    if (job.pending) {
        const PendingRerun rerun{job.restart_count, job.held, job.begin_time,
                                 state->usage.rerun_admitted(job.job_id, job.restart_count)};
        u.rerun_start = lets_rerun_start(rerun, job_desc->priority == INFINITE,
                                         static_cast<std::int64_t>(job_desc->begin_time));
    }
    u.award = award_in_admin_comment(job.admin_comment);
    if (job_desc->admin_comment) {
        // Only operators reach this (Slurm refuses AdminComment from users).
        u.wanted = award_in_admin_comment(job_desc->admin_comment);
    }
    JobRequest& before = u.before;
    before.partitions = split_partitions(job.partition.c_str());
    before.shape = ctld::shape_of_job(job_ptr);  // a pending array: every task it still covers
    u.partitions = job_desc->partition ? split_partitions(job_desc->partition) : before.partitions;
    u.shape = before.shape;
    if (job_desc->time_limit != NO_VAL) {
        u.shape.time_limit_infinite = job_desc->time_limit == INFINITE;
        u.shape.time_limit_minutes.reset();
        if (!u.shape.time_limit_infinite) u.shape.time_limit_minutes = job_desc->time_limit;
    }
    if (job_desc->end_time && job.running && job.end_time > 0 && u.shape.time_limit_minutes &&
        !u.shape.time_limit_infinite) {
        u.shape.time_limit_minutes = limit_after_end_time_change(*u.shape.time_limit_minutes, job.end_time,
                                                                 static_cast<std::int64_t>(job_desc->end_time));
    }
    apply_node_counts(u.shape, ctld::min_nodes_change(job_desc), ctld::max_nodes_change(job_desc));
    // GRES and task counts decide the chips on partitions that name a gres.
    if (job_desc->tres_per_node) u.shape.tres_per_node = job_desc->tres_per_node;
    if (job_desc->tres_per_job) u.shape.tres_per_job = job_desc->tres_per_job;
    if (job_desc->tres_per_task) u.shape.tres_per_task = job_desc->tres_per_task;
    if (job_desc->num_tasks != NO_VAL && job_desc->num_tasks > 0) u.shape.tasks = job_desc->num_tasks;
    if (job_desc->features) u.shape.constraint = job_desc->features;  // --constraint narrows instance types
    before.node_types = state->accounting->node_types();
    for (const auto* list : {&before.partitions, &u.partitions}) {
        for (const auto& p : *list) before.facts[p] = ctld::partition_facts(p);
    }
    before.who = ctld::identity_of(state->identities, job.user_id, job.account.empty() ? nullptr : job.account.c_str());
    const std::time_t now = std::time(nullptr);
    before.today = ctld::local_today(now);
    before.now = static_cast<std::int64_t>(now);
    before.started_at = job.start_time;
    before.day_end = ctld::local_day_end;
    if (job_desc->deadline > 0 && job_desc->deadline != static_cast<time_t>(NO_VAL)) {
        u.shape.deadline = static_cast<std::int64_t>(job_desc->deadline);  // an operator's Deadline=
    }

    const bool usage_known = state->accounting->usage_known();
    const bool ledger_failing = state->accounting->ledger_failing();
    const Policy* policy = current->policy.get();
    const UpdateVerdict v = decide_update(*current, usage_known, !ledger_failing, u,
                                          policy ? usage_lookup(*policy) : UsageLookup{});
    if (!v.log.empty()) {
        if (v.log_is_error) {
            ctld::log_error(v.log);
        } else {
            ctld::log_info(v.log);
        }
    }
    if (v.refused) {
        *reason = v.message;
        return ESLURM_ACCOUNTING_POLICY;
    }
    if (policy && policy->wckey_is_award && !wckey_follows_award(job, job_desc, v, u, submit_uid, reason)) {
        return ESLURM_ACCOUNTING_POLICY;
    }
    const bool sets_deadline = job_desc->deadline > 0 && job_desc->deadline != static_cast<time_t>(NO_VAL);
    const UpdateWriteBack w = update_write_back(v, u, job.admin_comment, job_desc->admin_comment, job.running,
                                                sets_deadline);
    if (w.admin_comment) ctld::replace_slurm_string(&job_desc->admin_comment, *w.admin_comment);
    if (w.deadline) job_desc->deadline = static_cast<time_t>(*w.deadline);
    if (v.award.empty()) return SLURM_SUCCESS;  // out of scope, or not checked (on_error=open)
    // A requeued job's new run let start here: admitted, as the accounting
    // pass would (it counts from its next pass on; the hold below until then).
    if (u.rerun_start) state->usage.admit_rerun(job.job_id, job.restart_count);
    // Held at once: until the next pass reads the changed job, a submission
    // must not be approved against the hold from before this change.
    if (v.extra_hold > 0 || v.extra_jobs > 0 || v.extra_chips > 0) {
        state->usage.hold_until_next_pass(v.award, before.who.user, v.extra_hold, v.extra_jobs, v.extra_chips, now);
    }
    // The figures show the change sooner; the hold above does not depend on it.
    if (state->update_passes.should_request(u.touches_cost, static_cast<std::int64_t>(now))) {
        state->accounting->request_full_pass();
    }
    return SLURM_SUCCESS;
}

// Runs fn, turning any exception into an error code and a log line.
template <class Fn>
int guarded(const char* what, int on_exception, Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const std::bad_alloc&) {
        try { ctld::log_error(std::string(what) + ": out of memory"); } catch (...) {}
    } catch (const std::exception& e) {
        try { ctld::log_error(std::string(what) + ": internal error: " + e.what()); } catch (...) {}
    } catch (...) {
        try { ctld::log_error(std::string(what) + ": internal error"); } catch (...) {}
    }
    return on_exception;
}

}  // namespace

extern "C" int init(void) {
    return guarded("init", SLURM_ERROR, [] {
        if (!state) state = new PluginState();
        std::string conf = ctld::slurm_conf_path();
        PolicyReloader::Options options;
        options.policy_path = policy_path_next_to(conf.empty() ? GRANTS_DEFAULT_SLURM_CONF : conf);
        std::string save = ctld::state_save_location();
        if (!save.empty()) options.scope_path = save + "/grants/enforce.state";
        // Read before the reloader writes it: without it this is the first
        // start, and only then may a missing ledger be created.
        const bool first_start = options.scope_path.empty() || ::access(options.scope_path.c_str(), F_OK) != 0;
        if (ctld::slurm_user_id() != 0) options.owners.uids.push_back(ctld::slurm_user_id());
        state->reloader = std::make_unique<PolicyReloader>(state->policy, options, log_reloader);
        state->reloader->check(true, "start");
        state->reloader->start(kPolicyPollInterval);
        // grants.yaml's ledger: is read once, here: another backend, file or
        // cluster name takes a restart of slurmctld (docs/admin-guide.md).
        LedgerConfig ledger;
        if (auto current = state->policy.current(); current && current->policy) ledger = current->policy->ledger;
        std::string ledger_path = ledger_path_under(save);
        if (ledger.backend == LedgerBackend::Sqlite && !ledger.path.empty()) ledger_path = ledger.path;
        std::string cluster = ledger.cluster.empty() ? ctld::cluster_name() : ledger.cluster;
        state->accounting = std::make_unique<ctld::AccountingThread>(state->policy, state->usage, state->identities,
                                                                     ledger_path, cluster, first_start, state->decide,
                                                                     ledger);
        state->accounting->start(kAccountingInterval);
        return SLURM_SUCCESS;
    });
}

extern "C" int fini(void) {
    return guarded("fini", SLURM_SUCCESS, [] {
        if (!state) return SLURM_SUCCESS;
        bool stopped = !state->accounting || state->accounting->stop();
        if (state->reloader) state->reloader->stop();
        if (!stopped) {
            // slurmctld calls fini() holding its locks when `scontrol
            // reconfigure` changes JobSubmitPlugins; a pass waiting for them
            // cannot end. Leave it running on state and code kept alive.
            ctld::log_error("the accounting thread is waiting for slurmctld's locks; it is left to finish on its own");
            ctld::keep_module_loaded(reinterpret_cast<void*>(&fini));
            state = nullptr;
            return SLURM_SUCCESS;
        }
        delete state;
        state = nullptr;
        return SLURM_SUCCESS;
    });
}

extern "C" int job_submit(job_desc_msg_t* job_desc, uint32_t submit_uid, char** err_msg) {
    return guarded("job_submit", SLURM_ERROR, [&] {
        if (!state || !job_desc) return SLURM_SUCCESS;
        return submit(job_desc, submit_uid, err_msg);
    });
}

#if GRANTS_MODIFY_HAS_ERR_MSG
extern "C" int job_modify(job_desc_msg_t* job_desc, struct job_record* job_ptr, uint32_t submit_uid, char** err_msg) {
    return guarded("job_modify", SLURM_ERROR, [&] {
        if (!state || !job_desc) return SLURM_SUCCESS;
        std::string reason;
        const int rc = modify(job_desc, job_ptr, submit_uid, &reason);
        if (rc != SLURM_SUCCESS && err_msg && !reason.empty()) *err_msg = ctld::slurm_strdup(reason);
        return rc;
    });
}
#else
extern "C" int job_modify(job_desc_msg_t* job_desc, struct job_record* job_ptr, uint32_t submit_uid) {
    return guarded("job_modify", SLURM_ERROR, [&] {
        if (!state || !job_desc) return SLURM_SUCCESS;
        std::string reason;  // 22.05 cannot show it: it is in the log
        return modify(job_desc, job_ptr, submit_uid, &reason);
    });
}
#endif
