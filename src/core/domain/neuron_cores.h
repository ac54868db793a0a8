// Which NeuronCores the tasks of a job may use on one node, as the Neuron
// runtime reads them from NEURON_RT_VISIBLE_CORES ("0-3", "0-1,8-9").
//
// The runtime takes every NeuronCore of the node unless told otherwise, so
// two jobs that share a node collide. Device i (one Trainium chip,
// /dev/neuron<i>) holds cores i*cores_per_chip ... i*cores_per_chip +
// cores_per_chip - 1; a job sees the cores of the devices Slurm allocated to
// it on that node, or all of them when it has the node to itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/policy.h"

namespace grants {

using IndexList = std::vector<int>;  // sorted, no duplicates

// "0-3,6", "0,1,2" (Slurm's bitmap and environment forms); nullopt when
// malformed, empty, or an index is over max_index.
std::optional<IndexList> parse_index_list(std::string_view text, int max_index = 65535);

// "0-3,6": runs of two or more consecutive indices as ranges.
std::string format_index_list(const IndexList& indices);

// The device indices of GRES `name` in one node's entry of a job's GRES
// details ("gpu:trainium2:4(IDX:0-3),neuron:2(IDX:4-5)"). nullopt when the
// entry does not name it with indices (a count-only GRES has none).
std::optional<IndexList> gres_detail_indices(std::string_view detail, std::string_view name);

// Cores of the given devices.
IndexList cores_of_devices(const IndexList& devices, int cores_per_chip);

// What a task's environment says and the job got on this node.
struct NeuronTaskFacts {
    bool whole_node = false;                 // an exclusive job, or the partition prices whole nodes
    std::optional<std::string> gres_detail;  // this node's entry of the job's GRES details
    std::optional<std::string> step_gpus;    // SLURM_STEP_GPUS (or SLURM_JOB_GPUS in the batch step)
    std::optional<std::string> user_value;   // NEURON_RT_VISIBLE_CORES as the user set it
};

struct VisibleCores {
    enum class Action { Leave, Set, KeepUser };
    Action action = Action::Leave;
    std::string value;  // for Set: the cores of the allocated devices
    std::string note;   // why (for the slurmd log, one line: user text in it is loggable()), empty when nothing to say
};

// The chips and NeuronCores per chip of one node of a partition, which
// visible_cores counts on: the partition's own; on an `instance_type:
// features` partition (ParallelCluster's queues, mixed ones too) those of the
// instance type the node's Features name (instance_types.h), else the
// partition's own chips_per_node and cores_per_chip when it gives them.
// node_features: the node's Features as slurm.conf defines them (nullopt: the
// node is not there). nullopt when this node's cores are not known; *why
// then says so in one sentence (for slurmd's log).
std::optional<PartitionCost> node_neuron_cost(const Policy& policy, const PartitionCost& partition,
                                              std::string_view node, const std::optional<std::string>& node_features,
                                              std::string* why);

// The rule: Leave on a partition that is not priced per core (cores_per_chip
// not given) or when the job got no devices here; KeepUser when the user set a
// subset of the allowed cores; otherwise Set to every allowed core.
VisibleCores visible_cores(const PartitionCost& partition, const NeuronTaskFacts& facts);

}  // namespace grants
