// The grant policy: what grants.yaml says, validated, immutable once built.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "date.h"
#include "decimal.h"

namespace grants {

using NameSet = std::set<std::string, std::less<>>;

// What happens to in-scope jobs when the policy or ledger is unusable.
enum class OnError { Closed, Open };

// How a Trainium partition is counted and priced.
struct PartitionCost {
    int chips_per_node = 0;
    int cores_per_chip = 0;                  // 0: not given
    std::optional<Micros> usd_per_chip_hour; // none: no dollar rate
    std::string gres;                        // empty: chips are whole nodes
};

struct Members {
    NameSet users;
    NameSet groups;
    NameSet accounts;
};

// Inclusive on both ends, in the controller's local time zone.
struct Validity {
    std::optional<DayNumber> from;
    std::optional<DayNumber> until;
};

struct Budget {
    enum class Unit { ChipHours, Usd };
    Unit unit = Unit::ChipHours;
    Micros amount = 0;  // millionths of a chip-hour or of a dollar
};

struct UserLimits {
    std::optional<std::int64_t> max_running_chips;
    std::optional<std::int64_t> max_jobs;
};

struct Limits {
    std::optional<std::int64_t> max_chips_per_job;
    std::optional<std::int64_t> max_walltime_seconds;
    std::optional<std::int64_t> max_running_chips;
    std::optional<std::int64_t> max_jobs;  // pending + running
    UserLimits per_user;
};

struct Award {
    std::string id;
    std::string title;
    std::string pi;
    Members members;
    Validity valid;
    Budget budget;
    NameSet partitions;  // empty: every enforced partition
    Limits limits;

    bool allows_partition(std::string_view partition) const {
        return partitions.empty() || partitions.find(partition) != partitions.end();
    }
};

struct UserSettings {
    std::string default_award;  // empty: none
};

// Award IDs (sorted) per member user name, group and account, so finding a
// user's awards costs a few hash lookups instead of a scan of every award
// (1.4 ms with 10,000 awards; docs/PERFORMANCE.md). Filled by index_members()
// (membership.h), which the loader calls; a Policy built by hand without it is
// scanned instead.
struct MemberIndex {
    bool built = false;
    std::unordered_map<std::string, std::vector<std::string>> by_user, by_group, by_account;
};

// Hash lookups of awards and users by name for the submit path (a std::map of
// 10,000 award IDs that share their first 9 characters costs 14 string
// comparisons per lookup; docs/PERFORMANCE.md). Filled by index_members()
// after the awards and users are final. The views and pointers point into the
// Policy's own maps, so a copy of a Policy starts without them (and looks up
// in the maps) rather than point into the original; a move keeps them (map
// nodes do not move).
struct NameIndex {
    bool built = false;
    std::unordered_map<std::string_view, const Award*> awards;
    std::unordered_map<std::string_view, const UserSettings*> users;

    NameIndex() = default;
    NameIndex(const NameIndex&) {}
    NameIndex& operator=(const NameIndex&) {
        clear();
        return *this;
    }
    NameIndex(NameIndex&& other) noexcept
        : built(other.built), awards(std::move(other.awards)), users(std::move(other.users)) {
        other.clear();
    }
    NameIndex& operator=(NameIndex&& other) noexcept {
        built = other.built;
        awards = std::move(other.awards);
        users = std::move(other.users);
        other.clear();
        return *this;
    }
    void clear() noexcept {
        built = false;
        awards.clear();
        users.clear();
    }
};

struct Policy {
    int version = 1;
    NameSet enforced_partitions;
    OnError on_error = OnError::Closed;
    std::map<std::string, PartitionCost, std::less<>> partitions;
    std::map<std::string, Award, std::less<>> awards;
    std::map<std::string, UserSettings, std::less<>> users;
    MemberIndex member_index;
    NameIndex name_index;

    bool enforces(std::string_view partition) const {
        return enforced_partitions.find(partition) != enforced_partitions.end();
    }
    const Award* find_award(std::string_view id) const {
        if (name_index.built) {
            auto it = name_index.awards.find(id);
            return it == name_index.awards.end() ? nullptr : it->second;
        }
        auto it = awards.find(id);
        return it == awards.end() ? nullptr : &it->second;
    }
    const UserSettings* find_user(std::string_view name) const {
        if (name_index.built) {
            auto it = name_index.users.find(name);
            return it == name_index.users.end() ? nullptr : it->second;
        }
        auto it = users.find(name);
        return it == users.end() ? nullptr : &it->second;
    }
    const PartitionCost* find_partition(std::string_view name) const {
        auto it = partitions.find(name);
        return it == partitions.end() ? nullptr : &it->second;
    }
};

}  // namespace grants
