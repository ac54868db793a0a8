// Partitions that are not enforced but share nodes with enforced ones (a
// `debug`, `all` or scavenger partition over the Trainium nodes): jobs
// submitted there run on those nodes untagged and are never charged. The
// plugin enforces by partition, not by node (docs/design.md, "Partitions
// that share enforced nodes"), so this is found and told, loudly: in
// slurmctld.log when the policy loads or the partitions change, and by
// `grantctl check` (from slurm.conf). One rule and one sentence for both,
// and for any later diagnostic command.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/policy/policy.h"

namespace grants {

// Each partition's node names (any order; duplicates allowed).
using PartitionNodes = std::map<std::string, std::vector<std::string>, std::less<>>;

struct PartitionOverlap {
    std::string partition;                  // not enforced, not exempt
    std::vector<std::string> enforced;      // the enforced partitions it shares nodes with, sorted
    std::vector<std::string> shared_nodes;  // every node it shares with them, sorted, unique
    bool operator==(const PartitionOverlap& o) const {
        return partition == o.partition && enforced == o.enforced && shared_nodes == o.shared_nodes;
    }
};

// Every partition outside enforced and exempt that has a node of an enforced
// partition, in partition-name order. Enforced partitions missing from
// partitions have no nodes to share.
std::vector<PartitionOverlap> unenforced_overlaps(const PartitionNodes& partitions, const NameSet& enforced,
                                                  const NameSet& exempt);

// The policy's enforced and exempt partitions (enforce.partitions, enforce.exempt).
std::vector<PartitionOverlap> unenforced_overlaps(const PartitionNodes& partitions, const Policy& policy);

// One sentence: the partition, the enforced partition(s) it overlaps, the
// first nodes_shown shared nodes, and what the admin can do.
std::string overlap_warning(const PartitionOverlap& overlap, std::size_t nodes_shown = 4);

}  // namespace grants
