#include "job_desc_request.h"

extern "C" {
#include <slurm/slurm.h>
}

#include "core/base/award_id.h"
#include "core/base/local_time.h"
#include "core/domain/award_request.h"
#include "core/domain/federation.h"

namespace grants::slurmctld {

std::vector<std::string> job_partitions(const char* requested, std::string (*default_partition)()) {
    auto parts = split_partition_list(requested ? requested : "");
    if (parts.empty()) {
        auto def = default_partition();
        if (!def.empty()) parts.push_back(def);
    }
    return parts;
}

Identity identity_of(IdentityCache& identities, std::uint32_t uid, const char* account,
                     std::string (*default_account)(std::uint32_t)) {
    Identity who;
    if (auto unix_id = identities.find(uid)) {
        who.user = unix_id->user;
        who.groups = unix_id->groups;
    } else {
        who.user = "uid " + std::to_string(uid);
    }
    if (account && *account) {
        who.account = account;
    } else if (default_account) {
        // No -A: Slurm charges the user's default account, so membership
        // through members.accounts counts it too.
        who.account = default_account(uid);
    }
    return who;
}

std::int64_t local_day_end(DayNumber day) {
    // mktime reads the time zone each call (several microseconds): every
    // submission of an award with an end asks, mostly for the same few days.
    // A per-thread memo, re-read once a minute so a changed zone is seen.
    struct Memo {
        DayNumber day = -1;
        std::int64_t end = 0;
        std::time_t at = 0;
    };
    thread_local Memo memo[4];
    thread_local unsigned next_slot = 0;
    const std::time_t now = std::time(nullptr);
    for (Memo& m : memo) {
        if (m.day == day && now - m.at < 60 && now >= m.at) return m.end;
    }
    Memo& m = memo[next_slot++ % 4];
    m.day = day;
    m.end = local_day_end_of(day);
    m.at = now;
    return m.end;
}

DayNumber local_today(std::time_t now) { return local_day_of(static_cast<std::int64_t>(now)); }

JobShape shape_of(const job_descriptor* job_desc, bool* bad_array) {
    const job_desc_msg_t* d = job_desc;
    JobShape shape;
    shape.min_nodes = d->min_nodes != NO_VAL && d->min_nodes > 0 ? d->min_nodes : 1;
    if (d->max_nodes != NO_VAL && d->max_nodes > 0 && d->max_nodes != INFINITE) shape.max_nodes = d->max_nodes;
    if (d->time_limit == INFINITE) {
        shape.time_limit_infinite = true;
    } else if (d->time_limit != NO_VAL) {
        shape.time_limit_minutes = d->time_limit;
    }
    if (d->tres_per_node) shape.tres_per_node = d->tres_per_node;
    if (d->tres_per_job) shape.tres_per_job = d->tres_per_job;
    if (d->tres_per_task) shape.tres_per_task = d->tres_per_task;
    if (d->features) shape.constraint = d->features;
    if (d->begin_time > 0) shape.begin_time = static_cast<std::int64_t>(d->begin_time);
    if (d->deadline > 0 && d->deadline != static_cast<time_t>(NO_VAL)) {
        shape.deadline = static_cast<std::int64_t>(d->deadline);
    }
    if (d->num_tasks != NO_VAL && d->num_tasks > 0) {
        shape.tasks = d->num_tasks;
        shape.tasks_given = true;
    }
    // --exclusive (and =topo from 24.11); --exclusive=user or =mcs share nodes.
    shape.exclusive = d->shared == JOB_SHARED_NONE;
#ifdef JOB_SHARED_TOPO
    shape.exclusive = shape.exclusive || d->shared == JOB_SHARED_TOPO;
#endif
    *bad_array = false;
    if (d->array_inx && *d->array_inx) {
        auto count = array_task_count(d->array_inx);
        if (count) {
            shape.array_tasks = *count;
        } else {
            *bad_array = true;
        }
    }
    return shape;
}

bool update_touches_cost(const job_descriptor* d) {
    return d->partition || d->time_limit != NO_VAL || d->end_time || d->min_nodes != NO_VAL ||
           d->max_nodes != NO_VAL || d->tres_per_node || d->tres_per_job || d->tres_per_task ||
           d->num_tasks != NO_VAL || d->admin_comment || d->features ||
           (d->deadline > 0 && d->deadline != static_cast<time_t>(NO_VAL));
}

std::optional<std::uint32_t> min_nodes_change(const job_descriptor* job_desc) {
    const job_desc_msg_t* d = job_desc;
    if (d->min_nodes == NO_VAL || d->min_nodes == INFINITE) return std::nullopt;
    return d->min_nodes;
}

std::optional<std::uint32_t> max_nodes_change(const job_descriptor* job_desc) {
    const job_desc_msg_t* d = job_desc;
    if (d->max_nodes == NO_VAL) return std::nullopt;
    return d->max_nodes == INFINITE ? 0 : d->max_nodes;
}

std::vector<std::string_view> spank_env(const job_descriptor* job_desc) {
    const job_desc_msg_t* d = job_desc;
    std::vector<std::string_view> env;
    if (d->spank_job_env) {
        for (uint32_t i = 0; i < d->spank_job_env_size; ++i) {
            if (d->spank_job_env[i]) env.emplace_back(d->spank_job_env[i]);
        }
    }
    return env;
}

bool fill_request(const job_descriptor* job_desc, std::uint32_t submit_uid, IdentityCache& identities,
                  PartitionFacts (*partition_facts)(const std::string&), std::time_t now, JobRequest* request,
                  std::string* error, std::string (*default_account)(std::uint32_t)) {
    const job_desc_msg_t* d = job_desc;
    uint32_t uid = d->user_id != NO_VAL ? d->user_id : submit_uid;
    request->who = identity_of(identities, uid, d->account, default_account);
    request->requested = award_request_from_env(d->spank_job_env, d->spank_job_env_size);
    bool bad_array = false;
    request->shape = shape_of(d, &bad_array);
    if (bad_array) {
        *error = "the job array specification " + quote_untrusted(d->array_inx) +
                 " is not valid or has more than 10,000,000 tasks.";
        return false;
    }
    for (const auto& p : request->partitions) request->facts[p] = partition_facts(p);
    request->today = local_today(now);
    request->now = static_cast<std::int64_t>(now);
    request->day_end = local_day_end;
    request->federation_origin = federation_origin(SubmitOrigin{submit_uid, d->job_id, d->fed_siblings_viable});
    return true;
}

}  // namespace grants::slurmctld
