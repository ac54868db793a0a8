// What a job asks for, as far as its cost is concerned, and the parsers for
// the Slurm strings it comes in (TRES requests, array index expressions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grants {

// A job with no maximum node count (Slurm stores it as 0): it may get every
// node of its partition, and charged_nodes prices it so.
inline constexpr std::int64_t kNoMaxNodes = 0x7fffffff;

struct JobShape {
    std::int64_t min_nodes = 1;
    std::optional<std::int64_t> max_nodes;           // none: not given; kNoMaxNodes: no maximum
    std::optional<std::int64_t> time_limit_minutes;  // none: not given
    bool time_limit_infinite = false;                // --time=UNLIMITED/infinite
    std::string tres_per_node;                       // e.g. "gres:neuron:4"
    std::string tres_per_job;
    std::string tres_per_task;
    std::int64_t tasks = 1;        // --ntasks (for per-task TRES)
    bool tasks_given = false;      // false: Slurm decides the task count
    bool exclusive = false;        // the job has its nodes to itself
    std::int64_t array_tasks = 1;  // 1 for a plain job
    std::string constraint;        // --constraint ("trn1.2xlarge|trn1.32xlarge")
    std::int64_t begin_time = 0;   // --begin, seconds since the epoch (0: none)
    std::int64_t deadline = 0;     // --deadline, seconds since the epoch (0: none)
};

// Count of GRES `name` in a Slurm TRES request list ("gres:neuron:4",
// "gres/neuron:2", "gres:neuron:trn2:8", comma separated, k/m/g suffixes).
// nullopt when the list does not name it; 0 for a malformed count is never
// returned: malformed entries make the result nullopt with *malformed set.
// With a type ("trainium2"), entries of another type are not counted;
// untyped entries always are (Slurm gives them any type the node has).
std::optional<std::int64_t> gres_count(std::string_view tres, std::string_view name, bool* malformed = nullptr,
                                       std::string_view type = {});

// Number of tasks in a job array expression ("0-99", "1,3,5-11:2", "0-15%4");
// nullopt when malformed or over max_tasks.
std::optional<std::int64_t> array_task_count(std::string_view spec, std::int64_t max_tasks = 10'000'000);

}  // namespace grants
