// job_submit/grants: the slurmctld adapter. It translates a job_desc_msg_t
// into a JobRequest, asks the core for a Decision, and writes the result back
// (AdminComment tag, message). No exception leaves this file.
#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
}

#include "core/admin_comment.h"
#include "core/award_id.h"
#include "core/decision.h"
#include "core/identity_cache.h"
#include "core/paths.h"
#include "core/policy_reloader.h"
#include "core/policy_store.h"
#include "grants_config.h"
#include "slurmctld_bridge.h"

struct job_record;

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
int job_modify(job_desc_msg_t* job_desc, struct job_record* job_ptr, uint32_t submit_uid);
}

namespace {

using namespace grants;
namespace ctld = grants::slurmctld;

// How often the policy file is checked for edits (SPEC: at most once a second).
constexpr std::chrono::milliseconds kPolicyPollInterval{1000};

struct PluginState {
    PolicyStore policy;
    IdentityCache identities{lookup_unix_identity};
    std::unique_ptr<PolicyReloader> reloader;
    long long conf_seen = 0;  // slurm_conf.last_update at the last reload request
};

PluginState* state = nullptr;

std::vector<std::string> split_partitions(const char* list) {
    std::vector<std::string> out;
    std::string_view s = list ? list : "";
    while (!s.empty()) {
        auto comma = s.find(',');
        auto name = s.substr(0, comma);
        if (!name.empty()) out.emplace_back(name);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

std::vector<std::string> job_partitions(const char* requested) {
    auto parts = split_partitions(requested);
    if (parts.empty()) {
        auto def = ctld::default_partition();
        if (!def.empty()) parts.push_back(def);
    }
    return parts;
}

Identity identity_of(uint32_t uid, const char* account) {
    Identity who;
    if (auto unix_id = state->identities.get(uid)) {
        who.user = unix_id->user;
        who.groups = unix_id->groups;
    } else {
        who.user = "uid " + std::to_string(uid);
    }
    if (account) who.account = account;
    return who;
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
    long long now = ctld::conf_last_update();
    if (now != state->conf_seen) {
        if (state->conf_seen != 0) state->reloader->request_reload();
        state->conf_seen = now;
    }
}

int submit(job_desc_msg_t* job_desc, uint32_t submit_uid, char** err_msg) {
    notice_reconfigure();
    JobRequest request;
    request.partitions = job_partitions(job_desc->partition);
    auto current = state->policy.current();
    const Policy* policy = current->policy.get();
    if (!policy) {
        Decision d = decide_without_policy(current->fallback, request);
        if (d.verdict == Decision::Verdict::Reject) {
            ctld::log_error("job of uid " + std::to_string(submit_uid) + " refused: no usable grant policy (" +
                            current->problem + ")");
            if (err_msg) *err_msg = ctld::slurm_strdup(d.message);
            return ESLURM_ACCOUNTING_POLICY;
        }
        if (d.verdict == Decision::Verdict::AcceptUntagged) {
            ctld::log_error("on_error=open: job of uid " + std::to_string(submit_uid) +
                            " accepted WITHOUT an award check: no usable grant policy (" + current->problem + ")");
            if (err_msg) *err_msg = ctld::slurm_strdup(d.message);
        }
        return SLURM_SUCCESS;
    }
    if (!in_scope(*policy, request)) return SLURM_SUCCESS;

    uint32_t uid = job_desc->user_id != NO_VAL ? job_desc->user_id : submit_uid;
    request.who = identity_of(uid, job_desc->account);
    std::vector<std::string_view> env;
    if (job_desc->spank_job_env) {
        for (uint32_t i = 0; i < job_desc->spank_job_env_size; ++i) {
            if (job_desc->spank_job_env[i]) env.emplace_back(job_desc->spank_job_env[i]);
        }
    }
    request.requested = award_request_from_env(env);

    Decision d = decide_submit(*policy, request);
    switch (d.verdict) {
        case Decision::Verdict::Untouched:
        case Decision::Verdict::AcceptUntagged:
            return SLURM_SUCCESS;
        case Decision::Verdict::Reject:
            ctld::log_info("rejected job of " + request.who.user + ": " + d.message);
            if (err_msg) *err_msg = ctld::slurm_strdup(d.message);
            return ESLURM_ACCOUNTING_POLICY;
        case Decision::Verdict::Accept:
            ctld::replace_slurm_string(&job_desc->admin_comment,
                                       with_award_tag(job_desc->admin_comment ? job_desc->admin_comment : "", d.award));
            if (err_msg) *err_msg = ctld::slurm_strdup(d.message);
            return SLURM_SUCCESS;
    }
    return SLURM_SUCCESS;
}

int modify(job_desc_msg_t* job_desc, struct job_record* job_ptr, uint32_t submit_uid) {
    notice_reconfigure();
    auto current = state->policy.current();
    const Policy* policy = current->policy.get();
    if (!policy || !job_ptr) return SLURM_SUCCESS;
    ctld::JobSnapshot job = ctld::snapshot_job(job_ptr);
    auto current_award = award_in_admin_comment(job.admin_comment);

    if (job_desc->admin_comment) {
        // Only operators reach this (Slurm refuses AdminComment from users).
        auto wanted = award_in_admin_comment(job_desc->admin_comment);
        if (!wanted && current_award) {
            // An admin rewriting the comment keeps the tag unless they name another award.
            ctld::replace_slurm_string(&job_desc->admin_comment, with_award_tag(job_desc->admin_comment, *current_award));
        } else if (wanted && wanted != current_award) {
            const Award* award = policy->find_award(*wanted);
            Identity owner = identity_of(job.user_id, job.account.empty() ? nullptr : job.account.c_str());
            if (!award || !is_member(*award, owner)) {
                ctld::log_error("job " + std::to_string(job.job_id) + ": award change to " + quote_untrusted(*wanted) +
                                " by uid " + std::to_string(submit_uid) + " refused: " +
                                (award ? "the job's user " + owner.user + " is not a member" : "no such award"));
                return ESLURM_ACCOUNTING_POLICY;
            }
            ctld::log_info("job " + std::to_string(job.job_id) + ": award changed to " + *wanted + " by uid " +
                           std::to_string(submit_uid));
        }
    }

    if (job_desc->partition && !current_award) {
        JobRequest moved;
        moved.partitions = split_partitions(job_desc->partition);
        if (in_scope(*policy, moved)) {
            ctld::log_error("job " + std::to_string(job.job_id) + ": move to partition " + quote_untrusted(job_desc->partition) +
                            " by uid " + std::to_string(submit_uid) +
                            " refused: the job carries no award; resubmit it with --award=ID");
            return ESLURM_ACCOUNTING_POLICY;
        }
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
        if (ctld::slurm_user_id() != 0) options.owners.uids.push_back(ctld::slurm_user_id());
        state->reloader = std::make_unique<PolicyReloader>(state->policy, options, log_reloader);
        state->reloader->check(true, "start");
        state->reloader->start(kPolicyPollInterval);
        return SLURM_SUCCESS;
    });
}

extern "C" int fini(void) {
    return guarded("fini", SLURM_SUCCESS, [] {
        if (state && state->reloader) state->reloader->stop();
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

extern "C" int job_modify(job_desc_msg_t* job_desc, struct job_record* job_ptr, uint32_t submit_uid) {
    return guarded("job_modify", SLURM_ERROR, [&] {
        if (!state || !job_desc) return SLURM_SUCCESS;
        return modify(job_desc, job_ptr, submit_uid);
    });
}
