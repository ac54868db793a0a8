#include "core/domain/partition_overlap.h"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace grants {

std::vector<PartitionOverlap> unenforced_overlaps(const PartitionNodes& partitions, const NameSet& enforced,
                                                  const NameSet& exempt) {
    // Each enforced node, with the enforced partitions that have it.
    std::unordered_map<std::string, std::set<std::string>> enforced_nodes;
    for (const auto& name : enforced) {
        auto it = partitions.find(name);
        if (it == partitions.end()) continue;
        for (const auto& node : it->second) enforced_nodes[node].insert(name);
    }
    std::vector<PartitionOverlap> out;
    if (enforced_nodes.empty()) return out;
    for (const auto& [name, nodes] : partitions) {
        if (enforced.count(name) || exempt.count(name)) continue;
        std::set<std::string> shared, with;
        for (const auto& node : nodes) {
            auto it = enforced_nodes.find(node);
            if (it == enforced_nodes.end()) continue;
            shared.insert(node);
            with.insert(it->second.begin(), it->second.end());
        }
        if (shared.empty()) continue;
        out.push_back(PartitionOverlap{name, {with.begin(), with.end()}, {shared.begin(), shared.end()}});
    }
    return out;
}

std::vector<PartitionOverlap> unenforced_overlaps(const PartitionNodes& partitions, const Policy& policy) {
    return unenforced_overlaps(partitions, policy.enforced_partitions, policy.exempt_partitions);
}

std::string overlap_warning(const PartitionOverlap& o, std::size_t nodes_shown) {
    std::string with;
    for (const auto& e : o.enforced) with += (with.empty() ? "" : ", ") + e;
    std::string nodes;
    const std::size_t shown = std::min(nodes_shown, o.shared_nodes.size());
    for (std::size_t i = 0; i < shown; ++i) nodes += (i ? ", " : "") + o.shared_nodes[i];
    if (o.shared_nodes.size() > shown) nodes += " and " + std::to_string(o.shared_nodes.size() - shown) + " more";
    const std::size_t n = o.shared_nodes.size();
    return "partition " + o.partition + " is not in enforce.partitions but shares " + std::to_string(n) +
           (n == 1 ? " node" : " nodes") + " with enforced partition" + (o.enforced.size() == 1 ? " " : "s ") + with +
           " (" + nodes + "): jobs submitted to " + o.partition +
           " run there untagged and are never charged to an award. Add " + o.partition +
           " to enforce.partitions, or remove those nodes from it; if free use of them is intended (a scavenger "
           "partition, best restricted with AllowAccounts or AllowGroups), list it in enforce.exempt.";
}

}  // namespace grants
