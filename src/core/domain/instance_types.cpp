#include "core/domain/instance_types.h"

#include <algorithm>

#include "core/base/decimal.h"
#include "core/base/text.h"
#include "core/domain/cost_model.h"
#include "core/domain/node_constraint.h"

namespace grants {
namespace {

// Micros per instance-hour of one node of type t on partition p; none when unpriced.
std::optional<Micros> node_rate(const InstanceType& t, const PartitionCost& p) {
    if (t.usd_per_instance_hour) return *t.usd_per_instance_hour;
    if (t.usd_per_chip_hour) return *t.usd_per_chip_hour * t.chips;
    if (p.usd_per_chip_hour && p.rate_divisor == 1) return *p.usd_per_chip_hour * t.chips;
    return std::nullopt;
}

// Splits a host list at top-level commas (not those inside brackets).
std::optional<std::vector<std::string_view>> top_level(std::string_view list) {
    std::vector<std::string_view> out;
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i] == '[') ++depth;
        if (list[i] == ']' && --depth < 0) return std::nullopt;
        if (list[i] == ',' && depth == 0) {
            out.push_back(list.substr(start, i - start));
            start = i + 1;
        }
    }
    if (depth != 0) return std::nullopt;
    out.push_back(list.substr(start));
    return out;
}

bool expand_one(std::string_view host, std::vector<std::string>& out, std::size_t max_hosts) {
    if (host.empty()) return false;
    const std::size_t open = host.find('[');
    if (open == std::string_view::npos) {
        if (host.find(']') != std::string_view::npos) return false;
        if (out.size() >= max_hosts) return false;
        out.emplace_back(host);
        return true;
    }
    const std::size_t close = host.find(']', open);
    if (close == std::string_view::npos) return false;
    const std::string_view prefix = host.substr(0, open);
    const std::string_view rest = host.substr(close + 1);
    for (std::string_view range : split(host.substr(open + 1, close - open - 1), ',')) {
        const std::size_t dash = range.find('-');
        const std::string_view lo_text = range.substr(0, dash);
        const std::string_view hi_text = dash == std::string_view::npos ? lo_text : range.substr(dash + 1);
        if (lo_text.empty() || hi_text.empty() || lo_text.size() > 9 || hi_text.size() > 9) return false;
        long lo = 0, hi = 0;
        for (char c : lo_text) {
            if (c < '0' || c > '9') return false;
            lo = lo * 10 + (c - '0');
        }
        for (char c : hi_text) {
            if (c < '0' || c > '9') return false;
            hi = hi * 10 + (c - '0');
        }
        if (hi < lo || static_cast<std::size_t>(hi - lo) >= max_hosts) return false;
        const std::size_t width = lo_text.size();  // "01-10": zero padded to the first bound's width
        for (long n = lo; n <= hi; ++n) {
            std::string digits = std::to_string(n);
            if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
            std::string name;
            name.reserve(prefix.size() + digits.size());
            name.append(prefix).append(digits);
            // The rest may hold further brackets ("rack[1-2]-n[1-4]").
            if (!expand_one(name + std::string(rest), out, max_hosts)) return false;
        }
    }
    return true;
}

}  // namespace

PartitionCost cost_on_nodes(const Policy& policy, const PartitionCost& partition,
                            const std::vector<std::string>& node_types) {
    if (node_types.empty()) return partition;
    const bool same = std::all_of(node_types.begin(), node_types.end(),
                                  [&](const std::string& t) { return t == node_types.front(); });
    if (same) {
        if (auto c = cost_for_type(policy, partition, node_types.front())) return *c;
        return partition;
    }
    PartitionCost c = partition;
    c.types_from_features = false;
    c.instance_type = "mixed";
    std::int64_t chips = 0;
    Micros rate = 0;
    bool priced = true;
    InstanceType untyped;
    untyped.chips = partition.chips_per_node;
    for (const std::string& name : node_types) {
        const InstanceType* t = policy.find_instance_type(name);
        if (!t || t->chips <= 0) t = &untyped;
        chips += t->chips;
        auto r = node_rate(*t, partition);
        if (r) rate += *r;
        priced = priced && r.has_value();
    }
    c.whole_chips = chips;
    c.chips_per_node = node_types.empty() ? partition.chips_per_node
                                          : static_cast<int>(std::max<std::int64_t>(1, chips / static_cast<std::int64_t>(node_types.size())));
    if (priced && chips > 0) {
        c.usd_per_chip_hour = rate;  // the nodes' prices per hour, spread over their chips
        c.rate_divisor = chips;
    } else {
        c.usd_per_chip_hour.reset();
        c.rate_divisor = 1;
    }
    return c;
}

std::string type_of_features(const Policy& policy, std::string_view features) {
    for (std::string_view f : split(features, ',')) {
        while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
        while (!f.empty() && f.back() == ' ') f.remove_suffix(1);
        if (!f.empty() && policy.find_instance_type(f)) return std::string(f);
    }
    return {};
}

std::optional<std::vector<std::string>> expand_hostlist(std::string_view list, std::size_t max_hosts) {
    std::vector<std::string> out;
    if (list.empty()) return out;
    auto parts = top_level(list);
    if (!parts) return std::nullopt;
    for (std::string_view host : *parts) {
        if (!expand_one(host, out, max_hosts)) return std::nullopt;
    }
    return out;
}

NodeTypes build_node_types(const Policy& policy, const std::vector<NodeRecord>& nodes) {
    NodeTypes out;
    out.by_node.reserve(nodes.size());
    for (const NodeRecord& node : nodes) {
        std::string type = type_of_features(policy, node.features);
        std::vector<std::string> features = split_features(node.features);
        for (std::string_view part : split(node.partitions, ',')) {
            if (part.empty()) continue;
            std::vector<std::string>& types = out.by_partition[std::string(part)];
            if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
            out.kinds_by_partition[std::string(part)].push_back(NodeTypes::Kind{type, features});
        }
        out.by_node.emplace(node.name, std::move(type));
    }
    for (auto& [name, types] : out.by_partition) std::sort(types.begin(), types.end());
    for (auto& [name, kinds] : out.kinds_by_partition) {
        std::sort(kinds.begin(), kinds.end());
        kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
    }
    return out;
}

std::optional<std::vector<std::string>> types_of_nodes(const NodeTypes& types, std::string_view node_list) {
    auto hosts = expand_hostlist(node_list);
    if (!hosts) return std::nullopt;
    std::vector<std::string> out;
    out.reserve(hosts->size());
    for (const std::string& h : *hosts) {
        auto it = types.by_node.find(h);
        out.push_back(it == types.by_node.end() ? std::string() : it->second);
    }
    return out;
}

std::vector<std::string> candidate_types(const NodeTypes* types, std::string_view partition,
                                         std::string_view constraint) {
    if (!types) return {};
    const std::string name(partition);
    auto present = types->by_partition.find(name);
    if (present == types->by_partition.end()) return {};
    if (constraint.empty()) return present->second;
    // An expression Slurm would not read: every type (it is refused by
    // Slurm anyway, but never held at the cheapest).
    const std::optional<NodeConstraint> parsed = NodeConstraint::parse(constraint);
    auto kinds = types->kinds_by_partition.find(name);
    if (!parsed || kinds == types->kinds_by_partition.end()) return present->second;
    std::vector<std::string> out;
    for (const NodeTypes::Kind& kind : kinds->second) {
        if (std::find(out.begin(), out.end(), kind.type) != out.end() || !parsed->admits(kind.features)) continue;
        out.push_back(kind.type);
        if (out.size() == present->second.size()) break;  // every type admitted: no dearer one left
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<PartitionCost> partition_options(const Policy& policy, const PartitionCost& partition,
                                             std::string_view name, const NodeTypes* types,
                                             std::string_view constraint) {
    if (!partition.types_from_features) return {partition};
    std::vector<PartitionCost> out;
    for (const std::string& type : candidate_types(types, name, constraint)) {
        if (type.empty()) {
            if (partition.chips_per_node > 0) out.push_back(partition);
        } else if (auto c = cost_for_type(policy, partition, type)) {
            out.push_back(std::move(*c));
        }
    }
    return out;
}

std::vector<NodePrice> node_prices(const Policy& policy, const Award& award, const NodeTypes* types) {
    std::vector<NodePrice> out;
    for (const auto& [name, partition] : policy.partitions) {
        if (!policy.enforces(name) || !award.allows_partition(name)) continue;
        if (partition.instance_type.empty() && !partition.types_from_features) continue;
        for (const PartitionCost& cost : partition_options(policy, partition, name, types, {})) {
            NodePrice p;
            p.partition = name;
            p.instance_type = cost.instance_type;
            p.chips = cost.chips_per_node;
            if (award.budget.unit == Budget::Unit::ChipHours || cost.usd_per_chip_hour) {
                p.per_node_hour = cost_ticks(award.budget.unit, cost, cost.chips_per_node, 3600);
            }
            out.push_back(std::move(p));
        }
    }
    return out;
}

}  // namespace grants
