#include "core/policy/instance_catalog.h"

namespace grants {

const std::map<std::string, InstanceType, std::less<>>& builtin_instance_types() {
    static const std::map<std::string, InstanceType, std::less<>> table = {
        {"trn1.2xlarge", {1, 2, std::nullopt, std::nullopt}},
        {"trn1.32xlarge", {16, 2, std::nullopt, std::nullopt}},
        {"trn1n.32xlarge", {16, 2, std::nullopt, std::nullopt}},
        {"trn2.48xlarge", {16, 4, std::nullopt, std::nullopt}},   // 64 logical NeuronCores at LNC=2
        {"trn2u.48xlarge", {16, 4, std::nullopt, std::nullopt}},
    };
    return table;
}


std::optional<PartitionCost> cost_for_type(const Policy& policy, const PartitionCost& partition,
                                           std::string_view type) {
    const InstanceType* t = policy.find_instance_type(type);
    if (!t || t->chips <= 0) return std::nullopt;
    PartitionCost c = partition;
    c.instance_type = std::string(type);
    c.types_from_features = false;
    c.whole_chips = 0;
    c.chips_per_node = t->chips;
    if (t->cores_per_chip > 0) c.cores_per_chip = t->cores_per_chip;
    if (t->usd_per_instance_hour) {
        c.usd_per_chip_hour = *t->usd_per_instance_hour;
        c.rate_divisor = t->chips;
    } else if (t->usd_per_chip_hour) {
        c.usd_per_chip_hour = *t->usd_per_chip_hour;
        c.rate_divisor = 1;
    }
    return c;
}

}  // namespace grants
