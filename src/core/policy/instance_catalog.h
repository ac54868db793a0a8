// The Trainium instance types slurm-grants knows without being told: the
// defaults grants.yaml's instance_types start from and a partition's cost
// with a type applied (domain/instance_types.h prices nodes by type).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/policy/policy.h"

namespace grants {

// The facts shipped as defaults (Neuron architecture docs): chips and
// NeuronCores per chip, no prices. The policy's instance_types add to them
// and override them key by key.
const std::map<std::string, InstanceType, std::less<>>& builtin_instance_types();


// The cost of nodes of one instance type on a partition: chips and cores
// from the type, the type's price (per instance-hour spread over its chips,
// or per chip-hour), else the partition's usd_per_chip_hour. nullopt when
// the policy has no such type.
std::optional<PartitionCost> cost_for_type(const Policy& policy, const PartitionCost& partition,
                                           std::string_view type);

}  // namespace grants
