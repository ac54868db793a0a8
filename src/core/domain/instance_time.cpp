#include "core/domain/instance_time.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <tuple>

#include "core/base/text.h"
#include "core/domain/instance_types.h"

namespace grants {

const char* instance_kind_name(InstanceKind kind) {
    switch (kind) {
        case InstanceKind::Boot: return "boot";
        case InstanceKind::Busy: return "busy";
        case InstanceKind::Idle: return "idle";
        case InstanceKind::Failed: return "failed";
    }
    return "idle";
}

std::optional<InstanceKind> parse_instance_kind(const std::string& name) {
    for (InstanceKind k : {InstanceKind::Boot, InstanceKind::Busy, InstanceKind::Idle, InstanceKind::Failed}) {
        if (name == instance_kind_name(k)) return k;
    }
    return std::nullopt;
}

std::optional<NodeAttribution> attribute_node(const Policy& policy, const NodeTypes* types, const std::string& node,
                                              const std::string& partitions) {
    // The first enforced partition by name: the same node always counts
    // under the same one, whatever order slurm.conf lists them in.
    const std::string* chosen = nullptr;
    const PartitionCost* cost = nullptr;
    std::vector<std::string> names;
    for (std::string_view p : split(partitions, ',')) {
        if (!p.empty()) names.emplace_back(p);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& p : names) {
        if (!policy.enforces(p)) continue;
        if (const PartitionCost* c = policy.find_partition(p)) {
            chosen = &p;
            cost = c;
            break;
        }
    }
    if (!chosen) return std::nullopt;
    NodeAttribution a;
    a.partition = *chosen;
    PartitionCost priced = *cost;
    if (cost->types_from_features) {
        std::string type;
        if (types) {
            auto it = types->by_node.find(node);
            if (it != types->by_node.end()) type = it->second;
        }
        if (auto c = type.empty() ? std::nullopt : cost_for_type(policy, *cost, type)) {
            priced = *c;
            a.instance_type = type;
        } else {
            priced.usd_per_chip_hour.reset();  // a node of no known type has no price
        }
    } else {
        a.instance_type = cost->instance_type;
    }
    a.chips = priced.chips_per_node;
    if (priced.usd_per_chip_hour && priced.rate_divisor > 0) {
        // An instance-hour price spread over its chips comes back exact.
        a.usd_per_hour = *priced.usd_per_chip_hour * a.chips / priced.rate_divisor;
    }
    return a;
}

void InstanceTracker::restore(std::vector<InstanceSegment> open) {
    for (auto& s : open) {
        std::string name = s.node;
        open_[name] = std::move(s);
    }
}

namespace {

std::optional<InstanceKind> kind_of(PowerState state, bool configuring) {
    switch (state) {
        case PowerState::Booting: return InstanceKind::Boot;
        case PowerState::Busy: return configuring ? InstanceKind::Boot : InstanceKind::Busy;
        case PowerState::Idle: return InstanceKind::Idle;
        case PowerState::Off: return std::nullopt;
    }
    return std::nullopt;
}

bool same_segment(const InstanceSegment& s, InstanceKind kind, const NodeAttribution& a) {
    return s.kind == kind && s.partition == a.partition && s.instance_type == a.instance_type && s.chips == a.chips &&
           s.usd_per_hour == a.usd_per_hour;
}

// A segment that ends at now: a boot that ends with no instance up was a
// failed launch.
void close_segment(InstanceSegment done, bool instance_gone, std::int64_t now, InstanceChanges& changes) {
    if (done.kind == InstanceKind::Boot && instance_gone) done.kind = InstanceKind::Failed;
    done.seconds = now > done.start ? now - done.start : 0;
    if (done.seconds > 0) changes.closed.push_back(std::move(done));
}

}  // namespace

void InstanceTracker::apply(const Policy& policy, const NodeTypes* types, const NodePower& n, std::int64_t now,
                            InstanceChanges& changes) {
    auto it = open_.find(n.name);
    std::optional<InstanceKind> kind = kind_of(n.state, configuring_.count(n.name) > 0);
    std::optional<NodeAttribution> where;
    if (kind) where = attribute_node(policy, types, n.name, n.partitions);
    // Kept to judge it again when its job's configuration ends (an
    // instance of an enforced partition; one that is off stays off).
    if (where) {
        power_[n.name] = n;
    } else {
        power_.erase(n.name);
    }
    if (it != open_.end()) {
        if (kind && where && same_segment(it->second, *kind, *where)) return;
        close_segment(it->second, !kind, now, changes);
        if (!kind || !where) {
            changes.ended.push_back(n.name);
            open_.erase(it);
            return;
        }
    } else if (!kind || !where) {
        return;
    }
    InstanceSegment next;
    next.node = n.name;
    next.partition = where->partition;
    next.instance_type = where->instance_type;
    next.kind = *kind;
    next.start = now;
    next.chips = where->chips;
    next.usd_per_hour = where->usd_per_hour;
    changes.opened.push_back(next);
    open_[n.name] = std::move(next);
}

InstanceChanges InstanceTracker::observe(const Policy& policy, const NodeTypes* types,
                                         const std::vector<NodePower>& nodes, std::int64_t now, bool complete,
                                         const std::set<std::string>* configuring) {
    InstanceChanges changes;
    std::set<std::string> listed;
    for (const NodePower& n : nodes) listed.insert(n.name);
    if (complete) {
        for (auto it = open_.begin(); it != open_.end();) {
            if (listed.count(it->first)) {
                ++it;
                continue;
            }
            close_segment(it->second, true, now, changes);
            changes.ended.push_back(it->first);
            it = open_.erase(it);
        }
        for (auto it = power_.begin(); it != power_.end();) it = listed.count(it->first) ? std::next(it) : power_.erase(it);
    }
    std::set<std::string> rejudge;
    if (configuring && *configuring != configuring_) {
        std::set_symmetric_difference(configuring->begin(), configuring->end(), configuring_.begin(),
                                      configuring_.end(), std::inserter(rejudge, rejudge.end()));
        configuring_ = *configuring;
    }
    for (const NodePower& n : nodes) apply(policy, types, n, now, changes);
    for (const std::string& name : rejudge) {
        if (listed.count(name)) continue;
        auto it = power_.find(name);
        if (it != power_.end()) {
            const NodePower n = it->second;
            apply(policy, types, n, now, changes);
        }
    }
    return changes;
}

std::vector<InstanceUsage> sum_instance_time(const std::vector<InstanceSegment>& segments,
                                             std::optional<std::int64_t> since, std::optional<std::int64_t> until) {
    std::map<std::pair<std::string, std::string>, InstanceUsage> sums;
    for (const InstanceSegment& s : segments) {
        std::int64_t from = s.start;
        std::int64_t to = s.start + std::max<std::int64_t>(s.seconds, 0);
        if (since) from = std::max(from, *since);
        if (until) to = std::min(to, *until);
        if (to <= from) continue;
        const std::int64_t seconds = to - from;
        InstanceUsage& u = sums[{s.partition, s.instance_type}];
        u.partition = s.partition;
        u.instance_type = s.instance_type;
        u.seconds[static_cast<int>(s.kind)] += seconds;
        // decimal.h: a chip-second is 10^6 ticks; a dollar-hour price times
        // seconds is the dollars' ticks.
        u.chip_hours[static_cast<int>(s.kind)] += static_cast<Ticks>(s.chips) * seconds * 1'000'000;
        if (s.usd_per_hour) {
            u.usd += *s.usd_per_hour * seconds;
        } else {
            u.priced = false;
        }
    }
    std::vector<InstanceUsage> out;
    out.reserve(sums.size());
    for (auto& [key, u] : sums) out.push_back(std::move(u));
    return out;
}

std::vector<PartitionReconciliation> reconcile_instances(const std::vector<InstanceUsage>& usage,
                                                         const std::map<std::string, ChargedTime>& charged) {
    std::map<std::string, PartitionReconciliation> parts;
    for (const InstanceUsage& u : usage) {
        PartitionReconciliation& p = parts[u.partition];
        p.partition = u.partition;
        p.types.push_back(u);
        p.total.partition = u.partition;
        for (int k = 0; k < 4; ++k) {
            p.total.seconds[k] += u.seconds[k];
            p.total.chip_hours[k] += u.chip_hours[k];
        }
        p.total.usd += u.usd;
        p.total.priced = p.total.priced && u.priced;
    }
    for (const auto& [name, c] : charged) {
        PartitionReconciliation& p = parts[name];
        p.partition = name;
        p.total.partition = name;
        p.charged = c;
    }
    std::vector<PartitionReconciliation> out;
    for (auto& [name, p] : parts) {
        p.other = p.total.chip_hours[static_cast<int>(InstanceKind::Busy)] - p.charged.chip_hours;
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace grants
