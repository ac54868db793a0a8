#include "core/domain/neuron_cores.h"

#include <algorithm>
#include <cstddef>

#include "core/base/text.h"
#include "core/domain/instance_types.h"

namespace grants {
namespace {

std::optional<int> index_value(std::string_view s, int max_index) {
    if (s.empty() || s.size() > 9) return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    if (v > max_index) return std::nullopt;
    return v;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<IndexList> parse_index_list(std::string_view text, int max_index) {
    text = trim(text);
    if (text.empty()) return std::nullopt;
    IndexList out;
    std::size_t at = 0;
    while (at <= text.size()) {
        std::size_t end = text.find(',', at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = trim(text.substr(at, end - at));
        std::size_t dash = item.find('-');
        std::optional<int> lo, hi;
        if (dash == std::string_view::npos) {
            lo = hi = index_value(item, max_index);
        } else {
            lo = index_value(item.substr(0, dash), max_index);
            hi = index_value(item.substr(dash + 1), max_index);
        }
        if (!lo || !hi || *hi < *lo) return std::nullopt;
        for (int i = *lo; i <= *hi; ++i) out.push_back(i);
        at = end + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string format_index_list(const IndexList& indices) {
    std::string out;
    std::size_t i = 0;
    while (i < indices.size()) {
        std::size_t j = i;
        while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(indices[i]);
        if (j > i) out += '-' + std::to_string(indices[j]);
        i = j + 1;
    }
    return out;
}

std::optional<IndexList> gres_detail_indices(std::string_view detail, std::string_view name) {
    // Entries are "name[:type]:count(IDX:list)" or "name[:type](CNT:n)",
    // separated by commas outside the parentheses.
    std::optional<IndexList> found;
    std::size_t at = 0;
    while (at < detail.size()) {
        std::size_t open = detail.find('(', at);
        if (open == std::string_view::npos) break;
        std::size_t close = detail.find(')', open);
        if (close == std::string_view::npos) return std::nullopt;
        std::string_view head = trim(detail.substr(at, open - at));
        std::string_view inside = detail.substr(open + 1, close - open - 1);
        std::string_view gres_name = head.substr(0, head.find(':'));
        if (gres_name == name && inside.substr(0, 4) == "IDX:") {
            auto list = parse_index_list(inside.substr(4));
            if (!list) return std::nullopt;
            if (!found) found.emplace();
            found->insert(found->end(), list->begin(), list->end());
        }
        at = close + 1;
        if (at < detail.size() && detail[at] == ',') ++at;
    }
    if (found) {
        std::sort(found->begin(), found->end());
        found->erase(std::unique(found->begin(), found->end()), found->end());
    }
    return found;
}

IndexList cores_of_devices(const IndexList& devices, int cores_per_chip) {
    IndexList cores;
    if (cores_per_chip <= 0) return cores;
    cores.reserve(devices.size() * static_cast<std::size_t>(cores_per_chip));
    for (int d : devices) {
        for (int c = 0; c < cores_per_chip; ++c) cores.push_back(d * cores_per_chip + c);
    }
    return cores;
}

std::optional<PartitionCost> node_neuron_cost(const Policy& policy, const PartitionCost& partition,
                                              std::string_view node, const std::optional<std::string>& node_features,
                                              std::string* why) {
    const bool own = partition.chips_per_node > 0 && partition.cores_per_chip > 0;
    if (!partition.types_from_features) {
        if (own) return partition;
        *why = "the partition gives no chips_per_node and cores_per_chip";
        return std::nullopt;
    }
    const std::string name = loggable(node);
    std::string type;
    if (node_features) type = type_of_features(policy, *node_features);
    if (!type.empty()) {
        std::optional<PartitionCost> cost = cost_for_type(policy, partition, type);
        if (cost && cost->chips_per_node > 0 && cost->cores_per_chip > 0) return cost;
        *why = "instance type " + type + " of node " + name + " has no cores_per_chip (add it under instance_types)";
        return std::nullopt;
    }
    if (own) return partition;
    *why = !node_features ? "node " + name + " is not defined in slurm.conf, so its instance type is unknown"
                          : "the Features of node " + name + " (" + loggable(*node_features) +
                                ") name no instance type the policy knows";
    return std::nullopt;
}

VisibleCores visible_cores(const PartitionCost& partition, const NeuronTaskFacts& facts) {
    VisibleCores out;
    if (partition.cores_per_chip <= 0 || partition.chips_per_node <= 0) return out;

    IndexList devices;
    if (facts.whole_node || partition.gres.empty()) {
        for (int d = 0; d < partition.chips_per_node; ++d) devices.push_back(d);
    } else {
        std::optional<IndexList> job_devices;
        if (facts.gres_detail) job_devices = gres_detail_indices(*facts.gres_detail, partition.gres);
        if (!job_devices || job_devices->empty()) {
            out.note = "the job has no " + partition.gres + " devices on this node";
            return out;
        }
        devices = *job_devices;
        // A step may have fewer devices than its job (srun --gres); Slurm
        // names them for gres/gpu only.
        if (facts.step_gpus && partition.gres == "gpu") {
            if (auto step = parse_index_list(*facts.step_gpus)) {
                IndexList both;
                std::set_intersection(devices.begin(), devices.end(), step->begin(), step->end(),
                                      std::back_inserter(both));
                if (!both.empty()) devices = std::move(both);
            }
        }
    }
    const IndexList allowed = cores_of_devices(devices, partition.cores_per_chip);
    if (facts.user_value) {
        auto user = parse_index_list(*facts.user_value, 1 << 20);
        if (user && std::includes(allowed.begin(), allowed.end(), user->begin(), user->end())) {
            out.action = VisibleCores::Action::KeepUser;
            out.value = *facts.user_value;
            return out;
        }
        // The user's own text, bound for slurmd's log: never raw (a newline would forge a log line).
        out.note = "NEURON_RT_VISIBLE_CORES=" + loggable(*facts.user_value) + " names cores outside this job's; replaced";
    }
    out.action = VisibleCores::Action::Set;
    out.value = format_index_list(allowed);
    return out;
}

}  // namespace grants
