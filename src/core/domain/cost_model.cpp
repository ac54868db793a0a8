#include "core/domain/cost_model.h"

#include <algorithm>

namespace grants {

const char* unit_name(Budget::Unit unit) { return unit == Budget::Unit::Usd ? "usd" : "chip_hours"; }

std::optional<Budget::Unit> parse_unit_name(std::string_view name) {
    if (name == "usd") return Budget::Unit::Usd;
    if (name == "chip_hours") return Budget::Unit::ChipHours;
    return std::nullopt;
}
namespace {

using Wide = WideInt;

std::int64_t saturate(Wide v, std::int64_t cap) {
    return v > cap ? cap : static_cast<std::int64_t>(v);
}

// Appends whole with a comma every three digits ("1,234,567").
// Only non-negative values reach it from the formatters below.
void append_with_separators(std::string& out, std::int64_t whole) {
    char digits[24];
    int n = 0;
    std::uint64_t v = whole < 0 ? 0 : static_cast<std::uint64_t>(whole);
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (int i = n - 1; i >= 0; --i) {
        out += digits[i];
        if (i % 3 == 0 && i != 0) out += ',';
    }
}

std::string fixed_signed(Micros value, int places, bool up);

// The original formatting, kept for negative values (no caller passes one:
// amounts are formatted by magnitude and budgets are positive).
std::string fixed_signed(Micros value, int places, bool up) {
    Micros scale = 1;
    for (int i = places; i < 6; ++i) scale *= 10;
    Micros q = value / scale + ((up && value % scale != 0) ? 1 : 0);
    Micros unit = 1;
    for (int i = 0; i < places; ++i) unit *= 10;
    std::string digits = std::to_string(q / unit);
    std::string out;
    int n = static_cast<int>(digits.size());
    for (int i = 0; i < n; ++i) {
        out += digits[static_cast<std::size_t>(i)];
        if ((n - i - 1) % 3 == 0 && i != n - 1) out += ',';
    }
    if (places > 0) {
        std::string frac = std::to_string(q % unit);
        frac.insert(0, static_cast<std::size_t>(places) - frac.size(), '0');
        out += "." + frac;
    }
    return out;
}

// Appends value (millionths) with `places` decimals, rounded up or down.
void append_fixed(std::string& out, Micros value, int places, bool up) {
    if (value < 0) {
        out += fixed_signed(value, places, up);
        return;
    }
    Micros scale = 1;
    for (int i = places; i < 6; ++i) scale *= 10;
    Micros q = value / scale + ((up && value % scale != 0) ? 1 : 0);
    Micros unit = 1;
    for (int i = 0; i < places; ++i) unit *= 10;
    append_with_separators(out, q / unit);
    if (places > 0) {
        out += '.';
        Micros frac = q % unit;
        char buf[8];
        for (int i = places - 1; i >= 0; --i) {
            buf[i] = static_cast<char>('0' + frac % 10);
            frac /= 10;
        }
        out.append(buf, static_cast<std::size_t>(places));
    }
}

// An amount in its unit; without the unit, chip-hours lose " chip-h"
// (dollars keep their "$").
void append_amount_text(std::string& out, Budget::Unit unit, Ticks amount, bool up, bool with_unit) {
    const bool usd = unit == Budget::Unit::Usd;
    if (amount >= kSaturatedTicks) {
        out += usd ? "an unbounded number of dollars" : with_unit ? "unbounded chip-h" : "unbounded";
        return;
    }
    const bool negative = amount < 0;
    const Ticks magnitude = negative ? -amount : amount;
    const bool round_up = up && !negative;
    const Micros micros = magnitude / kTicksPerMicro + ((round_up && magnitude % kTicksPerMicro != 0) ? 1 : 0);
    if (negative) out += '-';
    if (usd) out += '$';
    append_fixed(out, micros, usd ? 2 : 1, round_up);
    if (!usd && with_unit) out += " chip-h";
}

}  // namespace

std::int64_t charged_nodes(const JobShape& shape, const PartitionFacts& facts) {
    std::int64_t nodes = std::max<std::int64_t>(shape.min_nodes, 1);
    if (shape.max_nodes && *shape.max_nodes > nodes) nodes = *shape.max_nodes;
    if (facts.total_nodes > 0 && nodes > facts.total_nodes) nodes = std::max(facts.total_nodes, shape.min_nodes);
    return nodes;
}

std::int64_t chips_of(const PartitionCost& partition, const JobShape& shape, std::int64_t nodes) {
    if (!partition.gres.empty() && !shape.exclusive) {
        // A count of 0 requests no chips: such a job is charged whole nodes, like one without the GRES.
        if (auto per_node = gres_count(shape.tres_per_node, partition.gres, nullptr, partition.gres_type);
            per_node && *per_node > 0) {
            return saturate(static_cast<Wide>(*per_node) * nodes, kSaturatedCount);
        }
        if (auto per_job = gres_count(shape.tres_per_job, partition.gres, nullptr, partition.gres_type);
            per_job && *per_job > 0)
            return *per_job;
        if (auto per_task = gres_count(shape.tres_per_task, partition.gres, nullptr, partition.gres_type);
            per_task && *per_task > 0 && shape.tasks_given) {
            return saturate(static_cast<Wide>(*per_task) * std::max<std::int64_t>(shape.tasks, 1), kSaturatedCount);
        }
    }
    if (partition.whole_chips > 0) return partition.whole_chips;  // a run on nodes of several types
    return saturate(static_cast<Wide>(nodes) * partition.chips_per_node, kSaturatedCount);
}

std::int64_t allocated_chips(const PartitionCost& partition, const JobShape& shape, std::int64_t nodes,
                             std::string_view tres_alloc) {
    if (!partition.gres.empty() && !shape.exclusive) {
        // "gres/neuron=32" (typed entries such as "gres/gpu:trainium2=32" come
        // besides it when accounting tracks them): the partition's type first.
        if (!partition.gres_type.empty()) {
            const std::int64_t typed = allocated_gres(partition.gres + ":" + partition.gres_type, tres_alloc);
            if (typed >= 0) return typed;
        }
        const std::int64_t n = allocated_gres(partition.gres, tres_alloc);
        if (n >= 0) return n;
    }
    return chips_of(partition, shape, nodes);
}

std::int64_t allocated_gres(std::string_view gres, std::string_view tres_alloc) {
    const std::string key = "gres/" + std::string(gres) + "=";
    std::size_t at = 0;
    while (at < tres_alloc.size()) {
        std::size_t end = tres_alloc.find(',', at);
        if (end == std::string_view::npos) end = tres_alloc.size();
        std::string_view item = tres_alloc.substr(at, end - at);
        if (item.size() > key.size() && item.compare(0, key.size(), key) == 0) {
            std::int64_t n = 0;
            bool ok = true;
            for (char c : item.substr(key.size())) {
                if (c < '0' || c > '9' || n > kSaturatedCount / 10) {
                    ok = false;
                    break;
                }
                n = n * 10 + (c - '0');
            }
            if (ok) return n;
        }
        at = end + 1;
    }
    return -1;
}

Ticks add_saturating(Ticks a, Ticks b) {
    if (a >= kSaturatedTicks || b >= kSaturatedTicks) return kSaturatedTicks;
    const WideInt sum = static_cast<WideInt>(a) + b;  // credits (adjustments) may be negative
    if (sum > kSaturatedTicks) return kSaturatedTicks;
    if (sum < -kSaturatedTicks) return -kSaturatedTicks;
    return static_cast<Ticks>(sum);
}

Ticks cost_ticks(Budget::Unit unit, const PartitionCost& partition, std::int64_t chips, std::int64_t seconds,
                 std::int64_t multiplier) {
    if (chips <= 0 || seconds <= 0 || multiplier <= 0) return 0;
    const Wide cap = static_cast<Wide>(kSaturatedTicks);
    Wide v = static_cast<Wide>(chips) * seconds;
    if (v > cap) return kSaturatedTicks;
    v *= multiplier;
    if (v > cap) return kSaturatedTicks;
    if (unit == Budget::Unit::Usd) {
        v *= partition.usd_per_chip_hour.value_or(0);
        // An instance-hour price spread over the instance's chips: exact for
        // whole instances, rounded up to the tick otherwise.
        if (partition.rate_divisor > 1) v = (v + partition.rate_divisor - 1) / partition.rate_divisor;
    } else {
        v *= kMicrosPerUnit;
    }
    return saturate(v, kSaturatedTicks);
}

void append_amount(std::string& out, Budget::Unit unit, Ticks amount, bool up) {
    append_amount_text(out, unit, amount, up, true);
}

std::string format_amount(Budget::Unit unit, Ticks amount, bool up) {
    std::string text;
    append_amount(text, unit, amount, up);
    return text;
}

void append_left(std::string& out, Budget::Unit unit, Ticks amount) {
    append_amount_text(out, unit, amount, false, false);
}

std::string format_left(Budget::Unit unit, Ticks amount) {
    std::string text;
    append_left(text, unit, amount);
    return text;
}

void append_budget(std::string& out, const Budget& budget) {
    const bool usd = budget.unit == Budget::Unit::Usd;
    if (usd) out += '$';
    if (budget.amount % kMicrosPerUnit == 0) {
        const std::int64_t whole = budget.amount / kMicrosPerUnit;
        if (whole < 0) {
            out += fixed_signed(budget.amount, 0, false);
        } else {
            append_with_separators(out, whole);
        }
    } else {
        append_fixed(out, budget.amount, usd ? 2 : 1, false);
    }
    if (!usd) out += " chip-h";
}

std::string format_budget(const Budget& budget) {
    std::string text;
    append_budget(text, budget);
    return text;
}

}  // namespace grants
