// The grant policy: what grants.yaml says, validated, immutable once built.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace grants {

// What happens to in-scope jobs when the policy or ledger is unusable.
enum class OnError { Closed, Open };

struct Members {
    std::set<std::string, std::less<>> users;
    std::set<std::string, std::less<>> groups;
    std::set<std::string, std::less<>> accounts;
};

// How a Trainium partition is priced (the cost model uses it from the quota engine on).
struct PartitionCost {
    int chips_per_node = 0;
    int cores_per_chip = 0;
    double usd_per_chip_hour = -1;  // < 0: no dollar rate
    std::string gres;               // empty: chips are whole nodes
};

struct Award {
    std::string id;
    std::string title;
    std::string pi;
    Members members;
};

struct UserSettings {
    std::string default_award;  // empty: none
};

struct Policy {
    int version = 1;
    std::set<std::string, std::less<>> enforced_partitions;
    OnError on_error = OnError::Closed;
    std::map<std::string, PartitionCost, std::less<>> partitions;
    std::map<std::string, Award, std::less<>> awards;
    std::map<std::string, UserSettings, std::less<>> users;

    bool enforces(std::string_view partition) const {
        return enforced_partitions.find(partition) != enforced_partitions.end();
    }
    const Award* find_award(std::string_view id) const {
        auto it = awards.find(id);
        return it == awards.end() ? nullptr : &it->second;
    }
};

}  // namespace grants
