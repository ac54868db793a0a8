// The cost model (the cost model, docs/admin-guide.md): GRES and array parsing, the charged node
// and chip counts, exact amounts in ticks that saturate instead of wrapping and
// add up without rounding, and the amounts as users read them.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "cmocka.h"
#include "core/domain/cost_model.h"
#include "core/domain/job_shape.h"

using grants::add_saturating;
using grants::array_task_count;
using grants::Budget;
using grants::charged_nodes;
using grants::chips_of;
using grants::cost_ticks;
using grants::format_amount;
using grants::format_budget;
using grants::format_left;
using grants::gres_count;
using grants::JobShape;
using grants::kMaxAmountMicros;
using grants::kMicrosPerUnit;
using grants::kSaturatedCount;
using grants::kSaturatedTicks;
using grants::PartitionCost;
using grants::PartitionFacts;
using grants::Ticks;
using grants::ticks_of;

namespace {

constexpr Budget::Unit kChipHours = Budget::Unit::ChipHours;
constexpr Budget::Unit kUsd = Budget::Unit::Usd;

// Expected value of gres_count, or nullopt with the expected malformed flag.
void expect_gres(std::string_view tres, std::optional<std::int64_t> want, bool want_malformed = false) {
    bool malformed = !want_malformed;  // must be overwritten
    auto got = gres_count(tres, "neuron", &malformed);
    if (got != want || malformed != want_malformed) {
        print_error("gres_count(\"%.*s\"): got %s%lld (malformed %d), want %s%lld (malformed %d)\n",
                    static_cast<int>(tres.size()), tres.data(), got ? "" : "none ",
                    static_cast<long long>(got.value_or(0)), malformed ? 1 : 0, want ? "" : "none ",
                    static_cast<long long>(want.value_or(0)), want_malformed ? 1 : 0);
        fail();
    }
    // The flag is optional.
    assert_true(gres_count(tres, "neuron") == want);
}

void expect_array(std::string_view spec, std::optional<std::int64_t> want, std::int64_t max = 10'000'000) {
    auto got = array_task_count(spec, max);
    if (got != want) {
        print_error("array_task_count(\"%.*s\", %lld): got %s%lld, want %s%lld\n", static_cast<int>(spec.size()),
                    spec.data(), static_cast<long long>(max), got ? "" : "none ",
                    static_cast<long long>(got.value_or(0)), want ? "" : "none ",
                    static_cast<long long>(want.value_or(0)));
        fail();
    }
}

void expect_text(const std::string& got, const char* want) {
    if (got != want) {
        print_error("got \"%s\", want \"%s\"\n", got.c_str(), want);
        fail();
    }
}

PartitionCost trn1() {
    PartitionCost p;
    p.chips_per_node = 16;
    p.cores_per_chip = 2;
    p.usd_per_chip_hour = 1'340'000;  // $1.34
    return p;
}

PartitionCost trn2() {
    PartitionCost p;
    p.chips_per_node = 16;
    p.cores_per_chip = 8;
    p.usd_per_chip_hour = 2'100'000;  // $2.10
    p.gres = "neuron";
    return p;
}

JobShape nodes_shape(std::int64_t min_nodes, std::optional<std::int64_t> max_nodes = std::nullopt) {
    JobShape s;
    s.min_nodes = min_nodes;
    s.max_nodes = max_nodes;
    return s;
}

// ---------------------------------------------------------------- gres_count

void test_gres_forms(void** /*state*/) {
    expect_gres("gres:neuron:4", 4);
    expect_gres("gres/neuron:2", 2);
    expect_gres("gres:neuron:trn2:8", 8);
    expect_gres("gres/neuron:trn2:3", 3);
    expect_gres("gres:neuron:0", 0);
    expect_gres("gres:neuron:1000000000", 1'000'000'000);
}

void test_gres_implied_count(void** /*state*/) {
    expect_gres("gres:neuron", 1);
    expect_gres("gres/neuron", 1);
    expect_gres("gres:neuron:trn2", 1);  // a type, no count
}

void test_gres_summed(void** /*state*/) {
    expect_gres("gres:neuron:2,gres:neuron:trn2:3", 5);
    expect_gres("gres:neuron:1,gres/neuron:1,gres:neuron", 3);
}

void test_gres_other_entries_ignored(void** /*state*/) {
    expect_gres("cpu=4,mem=100M,gres:gpu:8,gres:neuron:2,license/foo:1", 2);
    expect_gres("gres:gpu:8", std::nullopt);
    expect_gres("cpu=4,mem=16G", std::nullopt);
    expect_gres("", std::nullopt);
    // Only an exact name counts.
    expect_gres("gres:neuronx:4", std::nullopt);
    expect_gres("gres:neuro:4", std::nullopt);
    expect_gres("gres:NEURON:4", std::nullopt);
    // "neuron" as a type of another GRES is not the neuron GRES.
    expect_gres("gres:gpu:neuron:4", std::nullopt);
    // Not a gres entry at all.
    expect_gres("neuron:4", std::nullopt);
    expect_gres("license:neuron:4", std::nullopt);
}

void test_gres_suffixes(void** /*state*/) {
    expect_gres("gres:neuron:4k", 4096);
    expect_gres("gres:neuron:2K", 2048);
    expect_gres("gres:neuron:1m", 1024 * 1024);
    expect_gres("gres:neuron:trn2:1M", 1024 * 1024);
    expect_gres("gres:neuron:3g", 3LL * 1024 * 1024 * 1024);
    expect_gres("gres:neuron:1G", 1024LL * 1024 * 1024);
}

void test_gres_malformed(void** /*state*/) {
    expect_gres("gres:neuron:trn2:x", std::nullopt, true);
    expect_gres("gres:neuron:trn2:4x", std::nullopt, true);
    expect_gres("gres:neuron:trn2:", std::nullopt, true);
    expect_gres("gres:neuron:a:b:4", std::nullopt, true);
    expect_gres("gres:neuron:a:b:c", std::nullopt, true);
    expect_gres("gres:neuron:trn2:-1", std::nullopt, true);
    // A malformed entry spoils the whole list, even after a good one.
    expect_gres("gres:neuron:1,gres:neuron:t:bad", std::nullopt, true);
    // A field that starts with a digit is a count (as in Slurm), never a type:
    // an out-of-range or garbled count must not be read as "one chip".
    expect_gres("gres:neuron:2000000000", std::nullopt, true);
    expect_gres("gres:neuron:99999999999999", std::nullopt, true);
    expect_gres("gres:neuron:4x", std::nullopt, true);
    expect_gres("gres:neuron:1.5", std::nullopt, true);
    // Malformed entries of other GRES do not matter.
    expect_gres("gres:gpu:a:b:c,gres:neuron:2", 2);
}

void test_gres_sum_saturates(void** /*state*/) {
    // Each entry is legal (10^9 x 2^30); their sum would overflow int64.
    std::string many;
    for (int i = 0; i < 12; ++i) many += (many.empty() ? "" : ",") + std::string("gres:neuron:1000000000g");
    auto got = gres_count(many, "neuron");
    assert_true(got.has_value());
    assert_true(*got >= 1'000'000'000LL * 1024 * 1024 * 1024);
    assert_int_equal(*got, INT64_MAX / 4);
}

// ---------------------------------------------------------------- array_task_count

void test_array_counts(void** /*state*/) {
    expect_array("0-99", 100);
    expect_array("1,3,5-11:2", 6);  // 1 3 5 7 9 11
    expect_array("0-15%4", 16);
    expect_array("7", 1);
    expect_array("0", 1);
    expect_array("0-0", 1);
    expect_array("1-10:3", 4);  // 1 4 7 10
    expect_array("1-11:3", 4);  // 1 4 7 10
    expect_array("0-15:4%2", 4);
    expect_array("1,2,3", 3);
    expect_array("0-9999999", 10'000'000);
}

void test_array_malformed(void** /*state*/) {
    expect_array("", std::nullopt);
    expect_array("%4", std::nullopt);
    expect_array("0-9%", std::nullopt);
    expect_array("0-9%x", std::nullopt);
    expect_array("a", std::nullopt);
    expect_array("5-3", std::nullopt);
    expect_array("1-", std::nullopt);
    expect_array("-1", std::nullopt);
    expect_array("1--3", std::nullopt);
    expect_array("1,,2", std::nullopt);
    expect_array("1,", std::nullopt);
    expect_array(",1", std::nullopt);
    expect_array("0-10:0", std::nullopt);
    expect_array("0-10:", std::nullopt);
    expect_array("3:2", std::nullopt);  // a step needs a range
    expect_array("0-10:x", std::nullopt);
    expect_array(" 1", std::nullopt);
    expect_array("1 ", std::nullopt);
    expect_array("+1", std::nullopt);
    expect_array("99999999999999", std::nullopt);
}

void test_array_over_max(void** /*state*/) {
    expect_array("0-10000000", std::nullopt);  // 10,000,001 > default max
    expect_array("0-4000000000", std::nullopt);
    expect_array("0-99", std::nullopt, 99);
    expect_array("0-99", 100, 100);
    expect_array("0-49,100-149", std::nullopt, 99);
    expect_array("0-49,100-148", 99, 99);
}

// ---------------------------------------------------------------- charged_nodes

void test_charged_nodes(void** /*state*/) {
    PartitionFacts unknown;
    PartitionFacts three;
    three.total_nodes = 3;
    // max_nodes preferred.
    assert_int_equal(charged_nodes(nodes_shape(2, 4), unknown), 4);
    // min_nodes without max.
    assert_int_equal(charged_nodes(nodes_shape(2), unknown), 2);
    assert_int_equal(charged_nodes(nodes_shape(2), three), 2);
    // Capped by the partition's size.
    assert_int_equal(charged_nodes(nodes_shape(2, 4), three), 3);
    assert_int_equal(charged_nodes(nodes_shape(1, 1000), three), 3);
    assert_int_equal(charged_nodes(nodes_shape(3, 3), three), 3);
    // Never below what the job asks for at least.
    assert_int_equal(charged_nodes(nodes_shape(5), three), 5);
    assert_int_equal(charged_nodes(nodes_shape(5, 8), three), 5);
    // max below min: min counts.
    assert_int_equal(charged_nodes(nodes_shape(3, 1), unknown), 3);
    // At least one node.
    assert_int_equal(charged_nodes(nodes_shape(0), unknown), 1);
    assert_int_equal(charged_nodes(nodes_shape(-5), unknown), 1);
}

// ---------------------------------------------------------------- chips_of

void test_chips_whole_nodes(void** /*state*/) {
    JobShape s = nodes_shape(3);
    assert_int_equal(chips_of(trn1(), s, 3), 48);
    assert_int_equal(chips_of(trn1(), s, 1), 16);
    // A partition without gres ignores GRES requests: nodes are used whole.
    s.tres_per_node = "gres:neuron:4";
    assert_int_equal(chips_of(trn1(), s, 3), 48);
}

void test_chips_gres_per_node(void** /*state*/) {
    JobShape s = nodes_shape(3);
    s.tres_per_node = "gres:neuron:4";
    assert_int_equal(chips_of(trn2(), s, 3), 12);
    assert_int_equal(chips_of(trn2(), s, 1), 4);
    s.tres_per_node = "gres/neuron:trn2:2,gres:neuron:1";
    assert_int_equal(chips_of(trn2(), s, 2), 6);
}

void test_chips_gres_per_job(void** /*state*/) {
    JobShape s = nodes_shape(3);
    s.tres_per_job = "gres:neuron:6";
    assert_int_equal(chips_of(trn2(), s, 3), 6);
    assert_int_equal(chips_of(trn2(), s, 1), 6);
}

void test_chips_gres_per_task(void** /*state*/) {
    JobShape s = nodes_shape(2);
    s.tres_per_task = "gres:neuron:2";
    s.tasks = 5;
    s.tasks_given = true;
    assert_int_equal(chips_of(trn2(), s, 2), 10);
    // No task count: Slurm chooses it (e.g. from --ntasks-per-node), so the
    // job may use anything up to its whole nodes.
    s.tasks = 1;
    s.tasks_given = false;
    assert_int_equal(chips_of(trn2(), s, 2), 32);
}

// An exclusive job (--exclusive, or an OverSubscribe=EXCLUSIVE partition)
// has its nodes to itself: whole nodes, whatever GRES it names.
void test_chips_exclusive_is_whole_nodes(void** /*state*/) {
    JobShape s = nodes_shape(2);
    s.tres_per_node = "gres:neuron:2";
    assert_int_equal(chips_of(trn2(), s, 2), 4);
    s.exclusive = true;
    assert_int_equal(chips_of(trn2(), s, 2), 32);
    assert_int_equal(grants::allocated_chips(trn2(), s, 2, "cpu=4,node=2,gres/neuron=4"), 32);
}

// A started job on a GRES partition pays for what Slurm allocated.
void test_allocated_chips_from_tres_alloc(void** /*state*/) {
    JobShape s = nodes_shape(2);
    s.tres_per_task = "gres:neuron:1";  // open task count: held as whole nodes
    assert_int_equal(chips_of(trn2(), s, 2), 32);
    assert_int_equal(grants::allocated_chips(trn2(), s, 2, "cpu=8,mem=100M,node=2,billing=8,gres/neuron=8"), 8);
    assert_int_equal(grants::allocated_chips(trn2(), s, 2, "cpu=8,gres/neuron:trn2=6,gres/neuron=6"), 6);
    // Not said, or malformed: the request's count.
    assert_int_equal(grants::allocated_chips(trn2(), s, 2, ""), 32);
    assert_int_equal(grants::allocated_chips(trn2(), s, 2, "gres/neuron=x"), 32);
    assert_int_equal(grants::allocated_chips(trn2(), s, 2, "gres/neuronx=4"), 32);
    // Whole-node partitions ignore it.
    assert_int_equal(grants::allocated_chips(trn1(), nodes_shape(2), 2, "gres/neuron=4"), 32);
}

void test_chips_gres_precedence(void** /*state*/) {
    JobShape s = nodes_shape(2);
    s.tres_per_node = "gres:neuron:4";
    s.tres_per_job = "gres:neuron:1";
    s.tres_per_task = "gres:neuron:1";
    assert_int_equal(chips_of(trn2(), s, 2), 8);
    s.tres_per_node = "cpu=4";
    assert_int_equal(chips_of(trn2(), s, 2), 1);
}

void test_chips_gres_partition_without_gres(void** /*state*/) {
    JobShape s = nodes_shape(2);
    assert_int_equal(chips_of(trn2(), s, 2), 32);
    s.tres_per_node = "gres:gpu:4";  // another GRES: still whole nodes
    assert_int_equal(chips_of(trn2(), s, 2), 32);
    s.tres_per_node = "gres:neuron:trn2:bad";  // malformed: whole nodes, never cheaper
    assert_int_equal(chips_of(trn2(), s, 2), 32);
}

void test_chips_gres_zero_is_whole_nodes(void** /*state*/) {
    // --gres=neuron:0 asks for no chips: charged like a job without the GRES,
    // never as a free job on a Trainium node.
    JobShape s = nodes_shape(2);
    s.tres_per_node = "gres:neuron:0";
    assert_int_equal(chips_of(trn2(), s, 2), 32);
    s.tres_per_node.clear();
    s.tres_per_job = "gres:neuron:0";
    assert_int_equal(chips_of(trn2(), s, 2), 32);
    s.tres_per_job.clear();
    s.tres_per_task = "gres:neuron:0";
    assert_int_equal(chips_of(trn2(), s, 2), 32);
}

void test_chips_saturate(void** /*state*/) {
    JobShape s = nodes_shape(1);
    s.tres_per_node = "gres:neuron:1000000000g";
    assert_int_equal(chips_of(trn2(), s, 1'000'000), kSaturatedCount);
    s.tres_per_node.clear();
    s.tres_per_task = "gres:neuron:1000000000g";
    s.tasks = 1'000'000;
    s.tasks_given = true;
    assert_int_equal(chips_of(trn2(), s, 1), kSaturatedCount);
    PartitionCost big = trn1();
    big.chips_per_node = 1'000'000;
    assert_int_equal(chips_of(big, nodes_shape(1), INT64_MAX / 2), kSaturatedCount);
}

// ---------------------------------------------------------------- cost_ticks

void test_cost_exact(void** /*state*/) {
    // The documented exhaustion example: 16 chips x 10 minutes = 8/3 chip-h, which no
    // whole number of millionths is; in ticks it is 16 x 600 x 10^6, exactly.
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 600), 9'600'000'000LL);
    assert_int_equal(3 * cost_ticks(kChipHours, trn1(), 16, 600), ticks_of(8'000'000));
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 3600), ticks_of(16'000'000));
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 48 * 3600), ticks_of(768'000'000));
    assert_int_equal(cost_ticks(kChipHours, trn1(), 1, 3600), ticks_of(1'000'000));
    assert_int_equal(cost_ticks(kChipHours, trn1(), 1, 1), 1'000'000);  // 277.77... millionths: not rounded
    assert_int_equal(cost_ticks(kChipHours, trn1(), 9, 400), ticks_of(1'000'000));
    assert_int_equal(cost_ticks(kChipHours, trn1(), 1, 36), ticks_of(10'000));
    assert_int_equal(cost_ticks(kChipHours, trn1(), 1, 37), 37'000'000);  // 10277.7... millionths
    // The multiplier (array tasks) multiplies exactly: n tasks cost n times one.
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 600, 4), 38'400'000'000LL);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 600, 3), ticks_of(8'000'000));
    for (std::int64_t tasks : {1, 2, 3, 7, 1000, 9999999}) {
        assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 600, tasks), tasks * 9'600'000'000LL);
        assert_int_equal(cost_ticks(kChipHours, trn1(), 1, 1, tasks), tasks * 1'000'000);
    }
    // Large but representable: exact (10^12 chip-seconds).
    assert_int_equal(cost_ticks(kChipHours, trn1(), 1'000'000, 1'000'000), 1'000'000'000'000'000'000LL);
    // As much as the largest budget (10^9 chip-h: 10^6 chips x 1,000 h) is still a number.
    assert_int_equal(cost_ticks(kChipHours, trn1(), 1'000'000, 3'600'000), ticks_of(kMaxAmountMicros));
}

void test_cost_usd(void** /*state*/) {
    assert_int_equal(cost_ticks(kUsd, trn1(), 16, 3600), ticks_of(21'440'000));  // 16 x $1.34
    // chips x seconds x the rate in millionths of a dollar: $3.5733333..., exactly.
    assert_int_equal(cost_ticks(kUsd, trn1(), 16, 600), 16LL * 600 * 1'340'000);
    assert_int_equal(cost_ticks(kUsd, trn1(), 16, 600), 12'864'000'000LL);
    assert_int_equal(cost_ticks(kUsd, trn2(), 16, 3600), ticks_of(33'600'000));  // 16 x $2.10
    assert_int_equal(cost_ticks(kUsd, trn2(), 16, 600), 16LL * 600 * 2'100'000);
    assert_int_equal(cost_ticks(kUsd, trn1(), 1, 1), 1'340'000);  // $0.000372...: not rounded
    assert_int_equal(cost_ticks(kUsd, trn1(), 16, 600, 4), 4 * 12'864'000'000LL);
    assert_int_equal(3 * cost_ticks(kUsd, trn1(), 16, 600), ticks_of(10'720'000));  // 16 chips x 30 min
    // Chip-hours ignore the rate.
    assert_int_equal(cost_ticks(kChipHours, trn2(), 16, 3600), ticks_of(16'000'000));
    // A rate of 1 micro-dollar per chip-hour: one chip-second is one tick, never free.
    PartitionCost cheap = trn1();
    cheap.usd_per_chip_hour = 1;
    assert_int_equal(cost_ticks(kUsd, cheap, 1, 1), 1);
    assert_int_equal(cost_ticks(kUsd, cheap, 1, 3600), ticks_of(1));
    assert_int_equal(cost_ticks(kUsd, cheap, 1, 7200), ticks_of(2));
    // No rate: no dollar amount.
    PartitionCost unpriced = trn1();
    unpriced.usd_per_chip_hour.reset();
    assert_int_equal(cost_ticks(kUsd, unpriced, 16, 3600), 0);
    assert_int_equal(cost_ticks(kChipHours, unpriced, 16, 3600), ticks_of(16'000'000));
}

void test_cost_zero_and_negative(void** /*state*/) {
    assert_int_equal(cost_ticks(kChipHours, trn1(), 0, 3600), 0);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 0), 0);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 3600, 0), 0);
    assert_int_equal(cost_ticks(kChipHours, trn1(), -16, 3600), 0);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, -3600), 0);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 3600, -1), 0);
    assert_int_equal(cost_ticks(kChipHours, trn1(), -16, -3600), 0);
    assert_int_equal(cost_ticks(kChipHours, trn1(), INT64_MIN, INT64_MIN, INT64_MIN), 0);
    assert_int_equal(cost_ticks(kUsd, trn1(), -16, -3600, -1), 0);
}

void test_cost_saturates(void** /*state*/) {
    const Ticks sat = kSaturatedTicks;
    assert_int_equal(cost_ticks(kChipHours, trn1(), INT64_MAX, INT64_MAX), sat);
    assert_int_equal(cost_ticks(kChipHours, trn1(), INT64_MAX, 1), sat);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 1, INT64_MAX), sat);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 1'000'000'000'000LL, 1'000'000'000'000LL), sat);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 3600, INT64_MAX), sat);
    assert_int_equal(cost_ticks(kChipHours, trn1(), kSaturatedCount, kSaturatedCount, kSaturatedCount), sat);
    assert_int_equal(cost_ticks(kUsd, trn1(), INT64_MAX, INT64_MAX, INT64_MAX), sat);
    // chip-seconds fit (10^13), the amount in ticks does not (10^19).
    assert_int_equal(cost_ticks(kChipHours, trn1(), 10'000'000, 1'000'000), sat);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 4'000'000, 1'000'000), 4'000'000'000'000'000'000LL);
    // The edge: the most chip-seconds still below saturation, and one more.
    const std::int64_t last = sat / kMicrosPerUnit;
    assert_int_equal(cost_ticks(kChipHours, trn1(), last, 1), last * kMicrosPerUnit);
    assert_true(cost_ticks(kChipHours, trn1(), last, 1) < sat);
    assert_int_equal(cost_ticks(kChipHours, trn1(), last + 1, 1), sat);
    assert_int_equal(cost_ticks(kChipHours, trn1(), 1, 1, last + 1), sat);
    // Every budget (at most 10^9 units) is below the saturation value: a saturated cost never fits.
    assert_true(ticks_of(kMaxAmountMicros) < sat);
    // The largest rate a policy can hold (10^9 dollars per chip-hour).
    PartitionCost dear = trn1();
    dear.usd_per_chip_hour = kMaxAmountMicros;
    assert_int_equal(cost_ticks(kUsd, dear, 1, 3600), ticks_of(kMaxAmountMicros));
    assert_int_equal(cost_ticks(kUsd, dear, 2, 3600), sat);
    assert_int_equal(cost_ticks(kUsd, dear, 1'000'000, 1'000'000, 1'000'000), sat);
    assert_int_equal(cost_ticks(kUsd, dear, kSaturatedCount, kSaturatedCount, kSaturatedCount), sat);
    // Monotone near the edge: one more task never costs less.
    Ticks prev = 0;
    for (std::int64_t tasks = 1; tasks <= INT64_MAX / 7; tasks *= 7) {
        Ticks c = cost_ticks(kChipHours, trn1(), 1'000'000, 1'000'000, tasks);
        assert_true(c >= prev);
        assert_true(c > 0);
        assert_true(c <= sat);
        prev = c;
    }
    assert_int_equal(prev, sat);
}

// ---------------------------------------------------------------- sums

void test_add_saturating(void** /*state*/) {
    const Ticks sat = kSaturatedTicks;
    assert_int_equal(add_saturating(0, 0), 0);
    assert_int_equal(add_saturating(9'600'000'000LL, 12'864'000'000LL), 22'464'000'000LL);
    assert_int_equal(add_saturating(sat - 2, 1), sat - 1);
    assert_int_equal(add_saturating(sat - 1, 0), sat - 1);
    assert_int_equal(add_saturating(0, sat - 1), sat - 1);
    assert_int_equal(add_saturating(sat - 1, 1), sat);
    assert_int_equal(add_saturating(sat, 0), sat);
    assert_int_equal(add_saturating(0, sat), sat);
    assert_int_equal(add_saturating(sat, sat), sat);
    assert_int_equal(add_saturating(sat / 2 + 1, sat / 2 + 1), sat);
    assert_int_equal(add_saturating(sat - 1, sat - 1), sat);
    // Inputs above the saturation value (never produced, but never wrapped either).
    assert_int_equal(add_saturating(INT64_MAX, 1), sat);
    assert_int_equal(add_saturating(1, INT64_MAX), sat);
    assert_int_equal(add_saturating(INT64_MAX, INT64_MAX), sat);
    // Saturated holds stay saturated however many are added.
    const Ticks absurd = cost_ticks(kChipHours, trn1(), INT64_MAX, INT64_MAX);
    Ticks sum = 0;
    for (int i = 0; i < 100; ++i) {
        sum = add_saturating(sum, absurd);
        assert_int_equal(sum, sat);
    }
    sum = add_saturating(sum, 1);
    assert_int_equal(sum, sat);
}

void test_sums_exact(void** /*state*/) {
    // Three holds of 16 chips x 10 min (8/3 chip-h each) are exactly 8 chip-h:
    // nothing is lost or gained by rounding (in rounded-up millionths they were 8.000001).
    const Ticks hold = cost_ticks(kChipHours, trn1(), 16, 600);
    assert_int_equal(hold, 9'600'000'000LL);
    Ticks sum = 0;
    for (int i = 0; i < 3; ++i) sum = add_saturating(sum, hold);
    assert_int_equal(sum, ticks_of(8'000'000));
    assert_int_equal(hold + hold + hold, ticks_of(8'000'000));
    expect_text(format_amount(kChipHours, sum, true), "8.0 chip-h");
    expect_text(format_left(kChipHours, ticks_of(8'000'000) - sum), "0.0");
    // 3,000 of them are 8,000 chip-h.
    for (int i = 3; i < 3000; ++i) sum = add_saturating(sum, hold);
    assert_int_equal(sum, ticks_of(8'000'000'000LL));
    // The same in dollars: 3 x $3.5733... = 16 chips x 30 min x $1.34 = $10.72.
    const Ticks usd = cost_ticks(kUsd, trn1(), 16, 600);
    assert_int_equal(add_saturating(add_saturating(usd, usd), usd), ticks_of(10'720'000));
    // Runs split anywhere add up to the whole: 1 s + 599 s, 37 s + 563 s.
    assert_int_equal(cost_ticks(kChipHours, trn1(), 16, 1) + cost_ticks(kChipHours, trn1(), 16, 599), hold);
    assert_int_equal(cost_ticks(kUsd, trn1(), 16, 37) + cost_ticks(kUsd, trn1(), 16, 563), usd);
    // Per chip and per second: 16 x (1 chip x 600 s) == 16 chips x 600 s.
    assert_int_equal(16 * cost_ticks(kChipHours, trn1(), 1, 600), hold);
    assert_int_equal(600 * cost_ticks(kUsd, trn1(), 16, 1), usd);
}

// ---------------------------------------------------------------- formatting

void test_format_amount_chip_hours(void** /*state*/) {
    const Ticks eight_thirds = 9'600'000'000LL;  // 16 chips x 10 min = 2.666... chip-h
    expect_text(format_amount(kChipHours, ticks_of(768'000'000), true), "768.0 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(768'000'000)), "768.0 chip-h");
    expect_text(format_amount(kChipHours, eight_thirds, true), "2.7 chip-h");
    expect_text(format_amount(kChipHours, eight_thirds), "2.6 chip-h");
    expect_text(format_left(kChipHours, eight_thirds), "2.6");
    expect_text(format_amount(kChipHours, ticks_of(2'600'000), true), "2.6 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(2'600'000) + 1, true), "2.7 chip-h");  // one tick over
    expect_text(format_amount(kChipHours, ticks_of(2'600'000) - 1), "2.5 chip-h");        // one tick under
    expect_text(format_amount(kChipHours, ticks_of(2'600'001), true), "2.7 chip-h");
    expect_text(format_amount(kChipHours, 1, true), "0.1 chip-h");
    expect_text(format_amount(kChipHours, 1), "0.0 chip-h");
    expect_text(format_amount(kChipHours, 0, true), "0.0 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(999'999'999), true), "1,000.0 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(1'000'000'000) - 1, true), "1,000.0 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(1'000'000'000) - 1), "999.9 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(12'345'678'901)), "12,345.6 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(12'345'678'901), true), "12,345.7 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(1'234'567'000'000)), "1,234,567.0 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(100'000'000)), "100.0 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(1'000'000'000)), "1,000.0 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(100'000'000'000)), "100,000.0 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(kMaxAmountMicros)), "1,000,000,000.0 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(-1'500'000)), "-1.5 chip-h");
    // Negatives never round away from zero.
    expect_text(format_amount(kChipHours, ticks_of(-1'550'000), true), "-1.5 chip-h");
    expect_text(format_amount(kChipHours, ticks_of(-1'550'000) - 1, true), "-1.5 chip-h");
}

void test_format_amount_usd(void** /*state*/) {
    const Ticks ten_minutes = 12'864'000'000LL;  // 16 chips x 10 min x $1.34 = $3.5733...
    expect_text(format_amount(kUsd, ticks_of(1'029'120'000)), "$1,029.12");
    expect_text(format_amount(kUsd, ticks_of(1'029'120'000), true), "$1,029.12");
    expect_text(format_amount(kUsd, ticks_of(1'029'120'000) + 1, true), "$1,029.13");
    expect_text(format_amount(kUsd, ticks_of(1'029'121'000), true), "$1,029.13");
    expect_text(format_amount(kUsd, ticks_of(1'029'129'999)), "$1,029.12");
    expect_text(format_amount(kUsd, ticks_of(1'029'130'000) - 1), "$1,029.12");
    expect_text(format_amount(kUsd, ten_minutes, true), "$3.58");
    expect_text(format_amount(kUsd, ten_minutes), "$3.57");
    expect_text(format_amount(kUsd, 0), "$0.00");
    expect_text(format_amount(kUsd, 1, true), "$0.01");
    expect_text(format_amount(kUsd, 1), "$0.00");
    expect_text(format_amount(kUsd, ticks_of(500'000'000'000)), "$500,000.00");
    expect_text(format_amount(kUsd, ticks_of(999'999'999'999), true), "$1,000,000.00");
    expect_text(format_amount(kUsd, ticks_of(kMaxAmountMicros)), "$1,000,000,000.00");
    expect_text(format_amount(kUsd, ticks_of(-2'500'000)), "-$2.50");
}

void test_format_saturated(void** /*state*/) {
    expect_text(format_amount(kChipHours, kSaturatedTicks, true), "unbounded chip-h");
    expect_text(format_amount(kChipHours, kSaturatedTicks), "unbounded chip-h");
    expect_text(format_amount(kChipHours, INT64_MAX), "unbounded chip-h");
    expect_text(format_amount(kUsd, kSaturatedTicks, true), "an unbounded number of dollars");
    expect_text(format_left(kChipHours, kSaturatedTicks), "unbounded");
    // Just below the saturation value is still a number.
    std::string below = format_amount(kChipHours, kSaturatedTicks - 1, true);
    assert_true(below.find("unbounded") == std::string::npos);
    assert_true(below.find(" chip-h") != std::string::npos);
    below = format_amount(kUsd, kSaturatedTicks - 1);
    assert_true(below.find("unbounded") == std::string::npos);
    assert_true(below[0] == '$');
}

void test_format_left(void** /*state*/) {
    expect_text(format_left(kChipHours, ticks_of(12'345'678'901)), "12,345.6");
    // 10 chip-h less one 16 chips x 10 min hold: 7.333... chip-h.
    expect_text(format_left(kChipHours, ticks_of(10'000'000) - 9'600'000'000LL), "7.3");
    // Rounded down, even one tick short: never more than is left.
    expect_text(format_left(kChipHours, ticks_of(2'000'000)), "2.0");
    expect_text(format_left(kChipHours, ticks_of(2'000'000) - 1), "1.9");
    expect_text(format_left(kChipHours, 0), "0.0");
    expect_text(format_left(kUsd, ticks_of(1'029'120'000)), "$1,029.12");
    expect_text(format_left(kUsd, ticks_of(100'000'000) - 12'864'000'000LL), "$96.42");  // $100 - $3.5733...
}

void test_format_budget(void** /*state*/) {
    Budget b;
    b.unit = kChipHours;
    b.amount = 50'000'000'000;
    expect_text(format_budget(b), "50,000 chip-h");
    b.amount = 10'000'000;
    expect_text(format_budget(b), "10 chip-h");
    b.amount = 12'500'000;
    expect_text(format_budget(b), "12.5 chip-h");
    b.amount = 0;
    expect_text(format_budget(b), "0 chip-h");
    b.unit = kUsd;
    b.amount = 500'000'000'000;
    expect_text(format_budget(b), "$500,000");
    b.amount = 1'340'000;
    expect_text(format_budget(b), "$1.34");
    b.amount = 1'234'567'890'000;
    expect_text(format_budget(b), "$1,234,567.89");
    b.amount = kMaxAmountMicros;
    expect_text(format_budget(b), "$1,000,000,000");
    // The append_ forms add to what the message holds already.
    std::string m = "award A: ";
    grants::append_amount(m, kUsd, ticks_of(1'340'000), true);
    m += "; ";
    grants::append_left(m, kChipHours, ticks_of(12'345'678'901));
    m += " of ";
    b.unit = kChipHours;
    b.amount = 50'000'000'000;
    grants::append_budget(m, b);
    expect_text(m, "award A: $1.34; 12,345.6 of 50,000 chip-h");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gres_forms),
        cmocka_unit_test(test_gres_implied_count),
        cmocka_unit_test(test_gres_summed),
        cmocka_unit_test(test_gres_other_entries_ignored),
        cmocka_unit_test(test_gres_suffixes),
        cmocka_unit_test(test_gres_malformed),
        cmocka_unit_test(test_gres_sum_saturates),
        cmocka_unit_test(test_array_counts),
        cmocka_unit_test(test_array_malformed),
        cmocka_unit_test(test_array_over_max),
        cmocka_unit_test(test_charged_nodes),
        cmocka_unit_test(test_chips_whole_nodes),
        cmocka_unit_test(test_chips_gres_per_node),
        cmocka_unit_test(test_chips_gres_per_job),
        cmocka_unit_test(test_chips_gres_per_task),
        cmocka_unit_test(test_chips_exclusive_is_whole_nodes),
        cmocka_unit_test(test_allocated_chips_from_tres_alloc),
        cmocka_unit_test(test_chips_gres_precedence),
        cmocka_unit_test(test_chips_gres_partition_without_gres),
        cmocka_unit_test(test_chips_gres_zero_is_whole_nodes),
        cmocka_unit_test(test_chips_saturate),
        cmocka_unit_test(test_cost_exact),
        cmocka_unit_test(test_cost_usd),
        cmocka_unit_test(test_cost_zero_and_negative),
        cmocka_unit_test(test_cost_saturates),
        cmocka_unit_test(test_add_saturating),
        cmocka_unit_test(test_sums_exact),
        cmocka_unit_test(test_format_amount_chip_hours),
        cmocka_unit_test(test_format_amount_usd),
        cmocka_unit_test(test_format_saturated),
        cmocka_unit_test(test_format_left),
        cmocka_unit_test(test_format_budget),
    };
    return cmocka_run_group_tests_name("cost_model", tests, nullptr, nullptr);
}
