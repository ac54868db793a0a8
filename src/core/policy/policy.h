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

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/base/name_table.h"
#include "core/policy/ledger_settings.h"

namespace grants {

using NameSet = std::set<std::string, std::less<>>;

// What happens to in-scope jobs when the policy or ledger is unusable.
enum class OnError { Closed, Open };

// An EC2 instance type (or any node type a site names): chips, cores and
// an optional price, per chip-hour or per instance-hour (never both).
struct InstanceType {
    int chips = 0;
    int cores_per_chip = 0;                      // 0: not known
    std::optional<Micros> usd_per_chip_hour;
    std::optional<Micros> usd_per_instance_hour;
};

// How a Trainium partition is counted and priced.
struct PartitionCost {
    int chips_per_node = 0;                  // 0: only from instance types (types_from_features)
    int cores_per_chip = 0;                  // 0: not given
    std::optional<Micros> usd_per_chip_hour; // none: no dollar rate
    std::string gres;                        // GRES name; empty: chips are whole nodes
    std::string gres_type;                   // "gpu:trainium2" -> "trainium2"; empty: any type
    // instance_type: NAME -> its chips, cores and price were filled in by the
    // loader; instance_type: features -> each node's type is the feature of
    // the node that names an instance type (instance_types.h prices them).
    std::string instance_type;               // a type's name, "" when none or per node
    bool types_from_features = false;
    // The dollar rate per chip-hour is usd_per_chip_hour / rate_divisor: an
    // instance-hour price spread over the instance's chips stays exact.
    std::int64_t rate_divisor = 1;
    // A run on nodes of several instance types: its whole-node chips (0: nodes x chips_per_node).
    std::int64_t whole_chips = 0;
    // Cloud nodes (power saving): whether the time a job waits for its
    // nodes to boot (CONFIGURING) is charged as part of its run. boot_time:
    // free (the default) or charged; a launch that fails is never charged.
    bool charge_boot = false;
};

// "gpu:trainium2", "neuron": the partition's gres as the policy writes it.
inline std::string gres_spec(const PartitionCost& cost) {
    return cost.gres_type.empty() ? cost.gres : cost.gres + ":" + cost.gres_type;
}

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
    Micros amount = 0;  // millionths of a chip-hour or of a dollar; with tranches, their sum
};

// One part of a budget released for its own window (inclusive days, local
// time); none: the award's own from/until (funding.h).
struct Tranche {
    Micros amount = 0;
    std::optional<DayNumber> from, until;
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

// When grantctl alerts tells an award's PI and managers (alerts.h): each
// threshold crossed is announced once. Unset fields of an award's rules
// take the policy's top-level alerts:, then these defaults.
struct AlertRules {
    std::optional<std::vector<int>> used;             // % of the budget charged or held
    std::optional<std::vector<int>> days_before_end;  // days before valid.until
    std::optional<bool> notify_members;               // also the members listed by user name
};

struct Award {
    std::string id;
    std::string title;
    std::string pi;
    NameSet managers;  // users who, with the PI, see the award's per-member figures and reports
    Members members;
    Validity valid;
    Budget budget;
    std::vector<Tranche> tranches;  // empty: budget.amount for the whole validity
    bool rollover = false;          // a tranche's unspent part moves to the next one
    NameSet partitions;  // empty: every enforced partition
    Limits limits;
    AlertRules alerts;
    std::string file;  // the file it was read from: grants.yaml or its awards_dir file (policy audit)

    // The PI or a manager: may see every member's figures and the award's reports.
    bool overseen_by(std::string_view user) const {
        return !user.empty() && (user == pi || managers.find(user) != managers.end());
    }
    bool allows_partition(std::string_view partition) const {
        return partitions.empty() || partitions.find(partition) != partitions.end();
    }
};

struct UserSettings {
    std::string default_award;  // empty: none
};

// Award numbers per member user name, group and account, so finding a user's
// awards costs a few hash lookups instead of a scan of every award (1.4 ms
// with 10,000 awards; docs/PERFORMANCE.md). An award's number is its position
// in Policy::awards, so numbers sort as the IDs do. Filled by index_members()
// (membership.h), which the loader calls; a Policy built by hand without it is
// scanned instead. It holds no pointers: a copy of a Policy keeps it.
struct MemberLists {
    NameTable names;                    // member name -> its number here
    std::vector<std::uint32_t> begin;   // per name, into awards; one more entry than names
    std::vector<std::uint32_t> awards;  // award numbers, sorted per name

    const std::uint32_t* first(std::uint32_t name) const { return awards.data() + begin[name]; }
    const std::uint32_t* last(std::uint32_t name) const { return awards.data() + begin[name + 1]; }
    bool has(std::uint32_t name, std::uint32_t award) const {
        for (const std::uint32_t* a = first(name); a != last(name); ++a) {
            if (*a == award) return true;
        }
        return false;
    }
};

struct MemberIndex {
    bool built = false;
    NameTable awards;  // award ID -> award number
    // by_user also numbers the users that have settings but no membership,
    // so one lookup of a user name answers both (NameIndex::user_at).
    MemberLists by_user, by_group, by_account;
};

// Awards and users by number for the submit path (a std::map of 10,000 award
// IDs that share their first 9 characters costs 14 string comparisons per
// lookup; docs/PERFORMANCE.md). Filled by index_members() with the member
// index, after the awards and users are final. The pointers point into the
// Policy's own maps, so a copy of a Policy starts without them (and looks up
// in the maps) rather than point into the original; a move keeps them (map
// nodes do not move).
struct NameIndex {
    bool built = false;
    std::vector<const Award*> award_at;        // by award number
    std::vector<const UserSettings*> user_at;  // by MemberIndex::by_user number; null: no settings

    NameIndex() = default;
    NameIndex(const NameIndex&) {}
    NameIndex& operator=(const NameIndex&) {
        clear();
        return *this;
    }
    NameIndex(NameIndex&& other) noexcept
        : built(other.built), award_at(std::move(other.award_at)), user_at(std::move(other.user_at)) {
        other.clear();
    }
    NameIndex& operator=(NameIndex&& other) noexcept {
        built = other.built;
        award_at = std::move(other.award_at);
        user_at = std::move(other.user_at);
        other.clear();
        return *this;
    }
    void clear() noexcept {
        built = false;
        award_at.clear();
        user_at.clear();
    }
};

struct Policy {
    int version = 1;
    NameSet enforced_partitions;
    OnError on_error = OnError::Closed;
    // enforce.exempt: partitions that are not enforced and may share nodes
    // with enforced ones on purpose (a scavenger partition): no overlap
    // warning for them (partition_overlap.h). Never in enforced_partitions.
    NameSet exempt_partitions;
    // enforce.wckey: award: a tagged job's WCKey is also set to its award's
    // ID (wckey_rule.h), for sreport and XDMoD. false: WCKeys are left alone.
    bool wckey_is_award = false;
    std::map<std::string, PartitionCost, std::less<>> partitions;
    // Built-in facts (instance_types.h) merged with the policy's instance_types.
    std::map<std::string, InstanceType, std::less<>> instance_types;
    std::map<std::string, Award, std::less<>> awards;
    std::map<std::string, UserSettings, std::less<>> users;
    std::string awards_dir;  // drop-in award files, as written in grants.yaml; "" none
    AlertRules alerts;       // the defaults of every award's alerts:
    LedgerConfig ledger;     // ledger: where charges are kept (ledger_config.h)
    MemberIndex member_index;
    NameIndex name_index;

    // Whether some award admits members by Slurm account: only then is a
    // job's default account worth looking up.
    bool has_account_members() const {
        if (member_index.built) return member_index.by_account.names.size() != 0;
        for (const auto& [id, award] : awards) {
            if (!award.members.accounts.empty()) return true;
        }
        return false;
    }
    bool enforces(std::string_view partition) const {
        return enforced_partitions.find(partition) != enforced_partitions.end();
    }
    const Award* find_award(std::string_view id) const {
        if (name_index.built) {
            std::uint32_t n = member_index.awards.find(id);
            return n == NameTable::kNone ? nullptr : name_index.award_at[n];
        }
        auto it = awards.find(id);
        return it == awards.end() ? nullptr : &it->second;
    }
    const UserSettings* find_user(std::string_view name) const {
        if (name_index.built) {
            std::uint32_t n = member_index.by_user.names.find(name);
            return n == NameTable::kNone ? nullptr : name_index.user_at[n];
        }
        auto it = users.find(name);
        return it == users.end() ? nullptr : &it->second;
    }
    const InstanceType* find_instance_type(std::string_view name) const {
        auto it = instance_types.find(name);
        return it == instance_types.end() ? nullptr : &it->second;
    }
    const PartitionCost* find_partition(std::string_view name) const {
        auto it = partitions.find(name);
        return it == partitions.end() ? nullptr : &it->second;
    }
};

}  // namespace grants
