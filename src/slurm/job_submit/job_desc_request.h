// job_desc_msg_t -> JobRequest: the job_submit adapter's translation of a
// submission into the core's plain request. Compiled against Slurm's public
// slurm.h only, and free of slurmctld calls (what slurmctld knows comes in as
// parameters), so benchmarks can run it on a real job_desc_msg_t without a
// controller.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/date.h"
#include "core/domain/cost_model.h"
#include "core/domain/decision.h"
#include "core/domain/identity_cache.h"
#include "core/domain/job_shape.h"

struct job_descriptor;  // job_desc_msg_t

namespace grants::slurmctld {

// The job's partitions: its comma list, or default_partition() (called only
// when the job names none; "" when none is configured).
std::vector<std::string> job_partitions(const char* requested, std::string (*default_partition)());

// Who submits: user name and groups from the identity cache, the Slurm
// account; without one, default_account(uid) when given (the user's default
// account from slurmdbd's associations, as Slurm would charge it: only
// worth its lookup when some award has members.accounts).
Identity identity_of(IdentityCache& identities, std::uint32_t uid, const char* account,
                     std::string (*default_account)(std::uint32_t) = nullptr);

// The controller's local date.
DayNumber local_today(std::time_t now);
// The first second after a local day: where an award whose valid.until is that day ends.
std::int64_t local_day_end(DayNumber day);

// The cost-relevant request; *bad_array when array_inx does not parse.
JobShape shape_of(const job_descriptor* job_desc, bool* bad_array);

// The job's spank_job_env entries (views into job_desc: use them before returning to Slurm).
std::vector<std::string_view> spank_env(const job_descriptor* job_desc);

// Whether an update (job_modify's job_desc) touches anything a job's cost or
// award depends on: partition, time limit or end time, node counts, GRES,
// task count, AdminComment. Holds, releases, priority, name or comment changes do not.
bool update_touches_cost(const job_descriptor* job_desc);

// The node counts an update asks for, as apply_node_counts (update_rule.h)
// takes them: nullopt when not changed (NO_VAL; a minimum of INFINITE, which
// scontrol sends and Slurm drops); a maximum of INFINITE or 0 is 0, "no maximum".
std::optional<std::uint32_t> min_nodes_change(const job_descriptor* job_desc);
std::optional<std::uint32_t> max_nodes_change(const job_descriptor* job_desc);

// Fills everything but request->partitions (set first, to check the scope):
// identity, award request, shape, partition facts and today. false with the
// user's message in *error when the job cannot be priced (bad array spec).
bool fill_request(const job_descriptor* job_desc, std::uint32_t submit_uid, IdentityCache& identities,
                  PartitionFacts (*partition_facts)(const std::string&), std::time_t now, JobRequest* request,
                  std::string* error, std::string (*default_account)(std::uint32_t) = nullptr);

}  // namespace grants::slurmctld
