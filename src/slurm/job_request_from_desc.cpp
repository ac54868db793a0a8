#include "job_request_from_desc.h"

#include <string_view>

extern "C" {
#include <slurm/slurm.h>
}

#include "core/award_id.h"
#include "core/job_shape.h"

namespace grants {
namespace {

JobShape shape_of(const job_desc_msg_t* d, bool* bad_array) {
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
    if (d->num_tasks != NO_VAL && d->num_tasks > 0) shape.tasks = d->num_tasks;
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

std::vector<std::string_view> spank_env(const job_desc_msg_t* d) {
    std::vector<std::string_view> env;
    if (d->spank_job_env) {
        for (uint32_t i = 0; i < d->spank_job_env_size; ++i) {
            if (d->spank_job_env[i]) env.emplace_back(d->spank_job_env[i]);
        }
    }
    return env;
}

}  // namespace

std::vector<std::string> job_partitions_from_desc(const job_descriptor* desc, const DescContext& ctx) {
    auto parts = split_partition_list(desc->partition ? desc->partition : "");
    if (parts.empty()) {
        auto def = ctx.default_partition ? ctx.default_partition() : std::string();
        if (!def.empty()) parts.push_back(def);
    }
    return parts;
}

std::optional<std::string> fill_job_request_from_desc(const job_descriptor* desc, std::uint32_t submit_uid,
                                                      const DescContext& ctx, JobRequest* request) {
    uint32_t uid = desc->user_id != NO_VAL ? desc->user_id : submit_uid;
    request->who = ctx.identity(uid, desc->account);
    request->requested = award_request_from_env(spank_env(desc));
    bool bad_array = false;
    request->shape = shape_of(desc, &bad_array);
    if (bad_array) {
        return "the job array specification " + quote_untrusted(desc->array_inx) +
               " is not valid or has more than 10,000,000 tasks.";
    }
    for (const auto& p : request->partitions) request->facts[p] = ctx.partition_facts(p);
    request->today = ctx.today;
    return std::nullopt;
}

}  // namespace grants
