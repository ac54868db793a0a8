// libFuzzer target for the GRES/TRES request parser, the job array parser and
// the cost arithmetic they feed: counts never go negative, sums and products
// saturate instead of wrapping into a small cost.
//
// Input: "<gres name>\n<tres list>\n<array spec>\n" followed by raw bytes for
// the numbers (nodes, tasks, seconds, multiplier, rate).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "core/domain/cost_model.h"
#include "core/domain/job_shape.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_tres: invariant broken: %s\n", what);
        std::abort();
    }
}

std::string_view next_line(std::string_view* rest) {
    auto nl = rest->find('\n');
    std::string_view line = rest->substr(0, nl);
    rest->remove_prefix(nl == std::string_view::npos ? rest->size() : nl + 1);
    return line;
}

void run(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string_view rest = text;
    std::string name(next_line(&rest));
    std::string tres(next_line(&rest));
    std::string array(next_line(&rest));
    FuzzedDataProvider numbers(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size());

    bool malformed = false;
    auto count = grants::gres_count(tres, name, &malformed);
    check(!(count && malformed), "gres_count: a count and malformed");
    if (count) check(*count >= 0 && *count <= grants::kSaturatedCount, "gres_count out of range");
    // The whole input as a TRES list, for the common GRES name too.
    auto whole = grants::gres_count(text, "neuron", &malformed);
    if (whole) check(*whole >= 0, "gres_count negative");

    auto tasks = grants::array_task_count(array);
    if (tasks) check(*tasks >= 1 && *tasks <= 10'000'000, "array_task_count out of range");

    grants::JobShape shape;
    shape.min_nodes = numbers.ConsumeIntegralInRange<std::int64_t>(1, UINT32_MAX);
    if (numbers.ConsumeBool()) shape.max_nodes = numbers.ConsumeIntegralInRange<std::int64_t>(1, UINT32_MAX);
    shape.tres_per_node = tres;
    shape.tres_per_job = numbers.ConsumeBool() ? tres : "";
    shape.tres_per_task = numbers.ConsumeBool() ? tres : "";
    shape.tasks = numbers.ConsumeIntegralInRange<std::int64_t>(1, UINT32_MAX);
    grants::PartitionFacts facts;
    facts.total_nodes = numbers.ConsumeIntegralInRange<std::int64_t>(0, 100000);
    grants::PartitionCost part;
    part.chips_per_node = numbers.ConsumeIntegralInRange<int>(1, 1 << 20);
    part.gres = numbers.ConsumeBool() ? name : "";
    if (numbers.ConsumeBool()) part.usd_per_chip_hour = numbers.ConsumeIntegralInRange<grants::Micros>(0, grants::kMaxAmountMicros);

    std::int64_t nodes = grants::charged_nodes(shape, facts);
    check(nodes >= 1, "charged_nodes < 1");
    std::int64_t chips = grants::chips_of(part, shape, nodes);
    check(chips >= 0 && chips <= grants::kSaturatedCount, "chips_of out of range");

    const std::int64_t seconds = numbers.ConsumeIntegralInRange<std::int64_t>(0, UINT32_MAX * 60LL);
    const std::int64_t mult = tasks ? *tasks : numbers.ConsumeIntegralInRange<std::int64_t>(1, 10'000'000);
    for (auto unit : {grants::Budget::Unit::ChipHours, grants::Budget::Unit::Usd}) {
        grants::Ticks cost = grants::cost_ticks(unit, part, chips, seconds, mult);
        check(cost >= 0 && cost <= grants::kSaturatedTicks, "cost out of range");
        // Exact when it fits, saturated when it does not: never wrapped.
        __extension__ typedef unsigned __int128 U128;
        const U128 rate = unit == grants::Budget::Unit::Usd ? static_cast<U128>(part.usd_per_chip_hour.value_or(0))
                                                            : static_cast<U128>(grants::kMicrosPerUnit);
        U128 exact = static_cast<U128>(chips) * static_cast<U128>(seconds);
        const U128 cap = static_cast<U128>(grants::kSaturatedTicks);
        bool over = exact > cap;
        if (!over) {
            exact *= static_cast<U128>(mult);
            over = exact > cap;
        }
        if (!over) {
            exact *= rate;
            over = exact > cap;
        }
        if (over) {
            check(cost == grants::kSaturatedTicks, "an overflowing cost is not saturated");
        } else {
            check(static_cast<U128>(cost) == exact, "cost is not exact");
        }
        // Adding any cost to a saturated total stays saturated.
        check(grants::add_saturating(grants::kSaturatedTicks, cost) == grants::kSaturatedTicks, "add_saturating wrapped");
        check(grants::add_saturating(cost, cost) >= cost, "add_saturating decreased");
        std::string shown = grants::format_amount(unit, cost, true);
        check(!shown.empty(), "format_amount empty");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        run(data, size);
    } catch (...) {
        std::fprintf(stderr, "fuzz_tres: exception escaped from src/core\n");
        std::abort();
    }
    return 0;
}
