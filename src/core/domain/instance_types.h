// Instance types: what each kind of Trainium node has and costs, and which
// type each node of a partition is (the node Feature that names a type, as
// AWS ParallelCluster sets them: Features=trn1.32xlarge).
//
// A partition with `instance_type: features` may mix types (trn1.2xlarge
// with 1 chip and trn1.32xlarge with 16): a job is held at the most
// expensive type it could land on (the types of the nodes its --constraint
// admits, see node_constraint.h) and charged for the nodes it really got.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/policy/instance_catalog.h"
#include "core/policy/policy.h"

namespace grants {



// The cost of a run on these nodes' types (one entry per allocated node):
// one type -> cost_for_type; several -> whole_chips the sum of their chips
// and a dollar rate that charges exactly the sum of the nodes' prices.
// Nodes of no known type count as the partition's own chips_per_node and rate.
PartitionCost cost_on_nodes(const Policy& policy, const PartitionCost& partition,
                            const std::vector<std::string>& node_types);

// The instance type a node's Features name ("" when none): the first
// comma-separated feature that is a type of the policy.
std::string type_of_features(const Policy& policy, std::string_view features);

// "n[1-3,5],gpu-[01-02]" -> n1 n2 n3 n5 gpu-01 gpu-02 (Slurm's host lists,
// zero padding kept); nullopt when malformed or longer than max_hosts.
std::optional<std::vector<std::string>> expand_hostlist(std::string_view list, std::size_t max_hosts = 100000);

// Which instance type each node is, per node and per partition, as read from
// slurmctld's node table for the current policy. Immutable once built.
struct NodeTypes {
    std::unordered_map<std::string, std::string> by_node;                     // node -> type ("" none)
    std::unordered_map<std::string, std::vector<std::string>> by_partition;  // sorted distinct types; "" for untyped nodes
    // The distinct kinds of node of each partition: a type and every Feature
    // (efa, the queue's name...), which a --constraint may name.
    struct Kind {
        std::string type;                   // "" none
        std::vector<std::string> features;  // split_features
        // A node with two type Features takes the first listed: the type is
        // part of the kind.
        bool operator<(const Kind& o) const { return features < o.features || (features == o.features && type < o.type); }
        bool operator==(const Kind& o) const { return features == o.features && type == o.type; }
    };
    std::unordered_map<std::string, std::vector<Kind>> kinds_by_partition;
};

struct NodeRecord {
    std::string name;
    std::string features;    // comma-separated available features
    std::string partitions;  // comma-separated partition names
};

NodeTypes build_node_types(const Policy& policy, const std::vector<NodeRecord>& nodes);

// The types of a job's allocated nodes (its node list), one per node; nullopt
// when the list cannot be read.
std::optional<std::vector<std::string>> types_of_nodes(const NodeTypes& types, std::string_view node_list);

// The types a job may land on in a features partition: the types of the
// partition's nodes its constraint admits (every type when it has none, or
// one Slurm could not read). Empty: no node of the partition satisfies it.
std::vector<std::string> candidate_types(const NodeTypes* types, std::string_view partition,
                                         std::string_view constraint);

// The costs a job may be priced at on a partition: the partition's own, or
// for `instance_type: features` one per type it could land on (and the
// partition's own chips_per_node for nodes of no known type, when given).
// Empty: no node of the partition could take the job at a known price.
std::vector<PartitionCost> partition_options(const Policy& policy, const PartitionCost& partition,
                                             std::string_view name, const NodeTypes* types,
                                             std::string_view constraint);

// One line of "what a node costs" for grantctl balance: on a partition of an
// award that is priced by instance type, the price of one node of one type
// for one hour, in the award's unit.
struct NodePrice {
    std::string partition;
    std::string instance_type;    // "" for the partition's nodes of no known type
    std::int64_t chips = 0;       // chips per node
    std::optional<Ticks> per_node_hour;  // none: a dollar award and no price for this type
};

// The node prices of an award's enforced partitions that name an instance
// type or read types from Features (only those: elsewhere a node is a node),
// in partition and type order. types: the node table (nullptr: not read yet,
// so a features partition has no known types and shows none).
std::vector<NodePrice> node_prices(const Policy& policy, const Award& award, const NodeTypes* types);

}  // namespace grants
