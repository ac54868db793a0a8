// Instance time: what the cloud nodes of enforced partitions cost the site
// whether or not a job ran on them, so that the AWS bill can be reconciled
// against the awards (grantctl report --instances).
//
// The accounting pass reads each node's power state from slurmctld and keeps,
// per node, the segment it is in: booting (powering up for a job), busy
// (allocated), idle (up with no job, draining or powering down). A node that
// is powered down, or down and not responding, is no instance: its segment
// ends there. A boot that ends without the node coming up is a failed launch
// (ResumeTimeout: Slurm marks the node down and powered down). Segments are
// timed by the pass that sees the change (one accounting interval, a second
// by default), stored in the ledger when they end, and the open one of each
// node too, so that a restart of slurmctld continues it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/decimal.h"
#include "core/policy/policy.h"

namespace grants {

struct NodeTypes;

// A node's power state as the pass reads it (slurmctld_internals.c).
enum class PowerState { Off, Booting, Busy, Idle };

struct NodePower {
    std::string name;
    PowerState state = PowerState::Off;
    std::string partitions;  // comma-separated
};

enum class InstanceKind { Boot, Busy, Idle, Failed };
const char* instance_kind_name(InstanceKind kind);  // "boot", "busy", "idle", "failed"
std::optional<InstanceKind> parse_instance_kind(const std::string& name);

// What one node was, priced with the policy in force when the segment began.
struct InstanceSegment {
    std::string node, partition, instance_type;  // instance_type "" when the partition names none
    InstanceKind kind = InstanceKind::Idle;
    std::int64_t start = 0;    // epoch seconds
    std::int64_t seconds = 0;  // 0 while open
    int chips = 0;             // per node
    std::optional<Micros> usd_per_hour;  // the instance's price per hour; none: no dollar rate
};

// The changes one observation makes: segments that ended (to be stored),
// nodes whose open segment is new, and nodes that are no instance any more.
struct InstanceChanges {
    std::vector<InstanceSegment> closed;
    std::vector<InstanceSegment> opened;
    std::vector<std::string> ended;
    bool empty() const { return closed.empty() && opened.empty() && ended.empty(); }
};

// Which enforced partition a node is counted under (the first, by name, of
// its partitions the policy enforces; "" none: the node is not tracked),
// and its type, chips and price.
struct NodeAttribution {
    std::string partition, instance_type;
    int chips = 0;
    std::optional<Micros> usd_per_hour;
};
std::optional<NodeAttribution> attribute_node(const Policy& policy, const NodeTypes* types, const std::string& node,
                                              const std::string& partitions);

class InstanceTracker {
public:
    // The open segments the ledger kept (a restart continues them).
    void restore(std::vector<InstanceSegment> open);
    // One observation at now. A node that changes kind (or partition, type
    // or price) closes its segment at now and opens the next. A node not
    // listed keeps its segment, unless the list is complete (every node
    // slurmctld has): then it is gone, and its segment ends.
    //
    // configuring (when given): the nodes allocated to jobs still in
    // CONFIGURING. Such a node that is up and allocated is still a boot: on
    // Slurm 24.11 a node that registered stays allocated to its job until
    // Slurm's periodic check ends the job's configuration (up to about 30
    // s), and no run has begun (boot_time: free charges none of it). A node
    // that joins or leaves the set is judged again from its last state.
    InstanceChanges observe(const Policy& policy, const NodeTypes* types, const std::vector<NodePower>& nodes,
                            std::int64_t now, bool complete = false,
                            const std::set<std::string>* configuring = nullptr);
    const std::map<std::string, InstanceSegment>& open() const { return open_; }

private:
    void apply(const Policy& policy, const NodeTypes* types, const NodePower& n, std::int64_t now,
               InstanceChanges& changes);
    std::map<std::string, InstanceSegment> open_;
    std::map<std::string, NodePower> power_;  // the last state of each node of an enforced partition
    std::set<std::string> configuring_;
};

// One line of report --instances: a partition and instance type over a period.
struct InstanceUsage {
    std::string partition, instance_type;
    std::int64_t seconds[4] = {0, 0, 0, 0};  // by InstanceKind
    Ticks chip_hours[4] = {0, 0, 0, 0};       // instance time x chips, by kind (decimal.h ticks)
    Ticks usd = 0;                            // instance time x price, of segments with one
    bool priced = true;                       // every segment had a price
    std::int64_t instance_seconds() const { return seconds[0] + seconds[1] + seconds[2] + seconds[3]; }
    Ticks instance_chip_hours() const { return chip_hours[0] + chip_hours[1] + chip_hours[2] + chip_hours[3]; }
};

// What the awards were charged for runs on a partition over a period (the
// part of each run inside it).
struct ChargedTime {
    std::int64_t runs = 0;
    Ticks chip_hours = 0;
    Ticks usd = 0;
    bool priced = true;  // every run had a dollar amount
};

// A partition's instance time against its charges, in chip-hours: instance
// = charged + boot + idle + failed + other, where other is busy time no
// award paid for (jobs outside awards, shared nodes) less boot time charged
// under boot_time: charged, and the pass's timing (a second per change).
struct PartitionReconciliation {
    std::string partition;
    std::vector<InstanceUsage> types;
    InstanceUsage total;  // instance_type ""
    ChargedTime charged;
    Ticks other = 0;      // busy chip-hours - charged chip-hours (may be negative)
};
std::vector<PartitionReconciliation> reconcile_instances(const std::vector<InstanceUsage>& usage,
                                                         const std::map<std::string, ChargedTime>& charged);

// Sums segments (open ones ended at now) clipped to [since, until), per
// partition and type, in name order.
std::vector<InstanceUsage> sum_instance_time(const std::vector<InstanceSegment>& segments,
                                             std::optional<std::int64_t> since, std::optional<std::int64_t> until);

}  // namespace grants
