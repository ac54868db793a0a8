// The Trainium cost model (the cost model, docs/admin-guide.md): chips, chip-hours, dollars.
//
// Amounts are exact integer Ticks of the award's budget unit (chip-hours or
// dollars; see decimal.h); arithmetic saturates instead of wrapping, so absurd
// requests become absurdly expensive rather than cheap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/decimal.h"
#include "core/domain/job_shape.h"
#include "core/policy/policy.h"

namespace grants {

// A saturated amount: larger than any budget (budgets are at most 10^9 units,
// 3.6 x 10^18 ticks), and still addable to another without overflow.
inline constexpr Ticks kSaturatedTicks = INT64_MAX / 2;
inline constexpr std::int64_t kSaturatedCount = INT64_MAX / 4;

// What slurmctld knows about a partition that the policy does not.
struct PartitionFacts {
    std::optional<std::int64_t> default_time_minutes;  // none: DefaultTime unset or INFINITE
    std::int64_t total_nodes = 0;                     // 0: unknown
    bool exclusive = false;                           // OverSubscribe=EXCLUSIVE: jobs get whole nodes
};

// The node count a job is charged for on a partition: max_nodes when given,
// else min_nodes, capped by the partition's size when known.
std::int64_t charged_nodes(const JobShape& shape, const PartitionFacts& facts);

// Chips of one task of the job on a partition with nodes nodes: what it can
// use. An exclusive job has whole nodes whatever GRES it names, and so may a
// job whose per-task GRES count depends on a task count Slurm chooses.
std::int64_t chips_of(const PartitionCost& partition, const JobShape& shape, std::int64_t nodes);

// Chips of a started job: on a GRES partition, what Slurm allocated
// (tres_alloc, e.g. "cpu=4,node=1,gres/neuron=4") when it says; otherwise
// chips_of.
// The count of "gres/<gres>=N" in an allocated TRES string; -1 when absent.
std::int64_t allocated_gres(std::string_view gres, std::string_view tres_alloc);

std::int64_t allocated_chips(const PartitionCost& partition, const JobShape& shape, std::int64_t nodes,
                             std::string_view tres_alloc);

// chips x seconds (x multiplier) in ticks of unit: exact, saturating.
Ticks cost_ticks(Budget::Unit unit, const PartitionCost& partition, std::int64_t chips, std::int64_t seconds,
                   std::int64_t multiplier = 1);

// "768.0 chip-h" / "$1,029.12" for messages: thousands separated; up rounds up
// (what a job holds), otherwise down (what is left).
std::string format_amount(Budget::Unit unit, Ticks amount, bool up = false);
void append_amount(std::string& out, Budget::Unit unit, Ticks amount, bool up = false);
// "12,345.6" / "$1,029.12": like format_amount, rounded down, without the
// chip-h unit (it follows the budget: "12,345.6 of 50,000 chip-h left").
std::string format_left(Budget::Unit unit, Ticks amount);
void append_left(std::string& out, Budget::Unit unit, Ticks amount);
// A budget unit's name in the ledger, on the wire and in grantctl's
// output: "chip_hours" / "usd".
const char* unit_name(Budget::Unit unit);
std::optional<Budget::Unit> parse_unit_name(std::string_view name);
// Ticks of a budget amount given in millionths of its unit.
inline Ticks ticks_of(Micros micros) { return micros * kTicksPerMicro; }
Ticks add_saturating(Ticks a, Ticks b);
// What one charge (or a sum of charges) costs in unit: its chip-hours, or
// its dollars, where usd -1 means a partition without a rate (costs 0).
inline Ticks charge_in_unit(Budget::Unit unit, Ticks chip_hours, Ticks usd) {
    return unit == Budget::Unit::Usd ? (usd > 0 ? usd : 0) : chip_hours;
}
// An exact wide sum brought back into [-kSaturatedTicks, kSaturatedTicks].
inline Ticks clamp_ticks(WideInt v) {
    if (v > kSaturatedTicks) return kSaturatedTicks;
    if (v < -kSaturatedTicks) return -kSaturatedTicks;
    return static_cast<Ticks>(v);
}
// "50,000 chip-h" / "$500,000": a budget, with decimals only when it has them.
std::string format_budget(const Budget& budget);
// The append_ forms write into out: the submit path's message is built in place.
void append_budget(std::string& out, const Budget& budget);

}  // namespace grants
