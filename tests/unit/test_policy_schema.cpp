// The full policy schema: validity windows, budgets, award partitions and
// limits. Every new error class is reported with its exact line:column, and
// a valid file gives exactly the values it spells out.
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cmocka.h"
#include "policy_expect.h"
#include "core/policy/policy_loader.h"

using grants::Award;
using grants::Budget;
using grants::day_number;
using grants::Diagnostic;
using grants::kMicrosPerUnit;
using grants::load_policy_file;
using grants::load_policy_text;
using grants::OnError;
using grants::Policy;
using grants::PolicyLoad;

namespace {

using policy_expect::contains;
using policy_expect::errors_match;
using policy_expect::Expect;
using policy_expect::fixture;
using policy_expect::print_errors;
using policy_expect::read_fixture;

struct FixtureCase {
    const char* file;
    std::vector<Expect> errors;
};

// Through the file reader and straight from text: the same answer.
void run_fixtures(const std::vector<FixtureCase>& cases) {
    int failures = 0;
    for (const FixtureCase& c : cases) {
        const std::string path = fixture(c.file);
        failures += !errors_match(c.file, load_policy_file(path), path, c.errors);
        failures +=
            !errors_match(c.file, load_policy_text(read_fixture(c.file), "grants.yaml"), "grants.yaml", c.errors);
    }
    assert_int_equal(failures, 0);
}

constexpr const char* kDate = "must be a date YYYY-MM-DD (1970 or later), found ";
constexpr const char* kAmount = "must be a non-negative number (at most 6 decimals, at most 10^9), found ";
constexpr const char* kDuration =
    ".limits.max_walltime must be a Slurm duration (M, M:S, H:M:S, D-H, D-H:M or D-H:M:S; more than 0, at most "
    "3650 days), found ";

std::string s(const char* a, const char* b) { return std::string(a) + b; }

void test_dates(void** /*state*/) {
    const std::string feb29 = s(kDate, "\"2025-02-29\""), month13 = s(kDate, "\"2025-13-01\""),
                      y1969 = s(kDate, "\"1969-12-31\""), narrow = s(kDate, "\"2025-1-1\""), list = s(kDate, "a list"),
                      word = s(kDate, "\"tomorrow\""), time = s(kDate, "\"2025-01-01T00:00:00\""),
                      null = s(kDate, "\"~\"");
    run_fixtures({
        {"err-date.yaml",
         {{9, 20, ("award 'A1'.valid.from " + feb29).c_str()},
          {9, 39, ("award 'A1'.valid.until " + month13).c_str()},
          {13, 20, ("award 'A2'.valid.from " + y1969).c_str()},
          {13, 39, ("award 'A2'.valid.until " + narrow).c_str()},
          {17, 20, ("award 'A3'.valid.from " + list).c_str()},
          {17, 41, ("award 'A3'.valid.until " + word).c_str()},
          {22, 13, ("award 'A4'.valid.from " + time).c_str()},
          {23, 14, ("award 'A4'.valid.until " + null).c_str()}}},
        // The window is inclusive: from == until is one valid day (ONE-DAY is not reported).
        {"err-date-order.yaml",
         {{9, 12, "award 'A1'.valid.from (2026-01-01) is after award 'A1'.valid.until (2025-12-31)"},
          {18, 7, "award 'A2'.valid.from (2024-02-29) is after award 'A2'.valid.until (2024-02-28)"}}},
    });
}

void test_budget_units(void** /*state*/) {
    run_fixtures({
        {"err-budget-units.yaml",
         {{9, 13, "award 'BOTH'.budget needs exactly one of chip_hours or usd, found both"},
          {12, 13, "award 'NEITHER'.budget needs exactly one of chip_hours or usd, found neither"},
          {15, 13, "award 'SCALAR'.budget must be a mapping, found a scalar value"},
          {17, 5, "award 'MISSING' is missing the key 'budget'"}}},
    });
}

void test_budget_amounts(void** /*state*/) {
    const std::string lots = s(kAmount, "\"lots\""), decimals = s(kAmount, "\"1.0000001\""),
                      big = s(kAmount, "\"1000000000.01\""), quoted = s(kAmount, "\"100\""),
                      exponent = s(kAmount, "\"1e6\""), list = s(kAmount, "a list"), dollar = s(kAmount, "\"$1000\""),
                      old_max = s(kAmount, "\"1000000000000\"");
    // OK (exactly 10^9 dollars) is not reported; 10^12 (the limit before ticks) is.
    run_fixtures({
        {"err-budget-amount.yaml",
         {{7, 56, "award 'A1'.budget.chip_hours must not be negative, found -5"},
          {8, 49, ("award 'A2'.budget.usd " + lots).c_str()},
          {9, 56, ("award 'A3'.budget.chip_hours " + decimals).c_str()},
          {10, 49, ("award 'A4'.budget.usd " + big).c_str()},
          {11, 56, ("award 'A5'.budget.chip_hours " + quoted).c_str()},
          {12, 49, ("award 'A6'.budget.usd " + exponent).c_str()},
          {13, 56, ("award 'A7'.budget.chip_hours " + list).c_str()},
          {14, 49, "award 'A8'.budget.usd must not be negative, found -0.5"},
          {15, 49, ("award 'A9'.budget.usd " + dollar).c_str()},
          {17, 57, ("award 'A10'.budget.chip_hours " + old_max).c_str()}}},
    });
}

void test_durations(void** /*state*/) {
    struct Bad {
        std::size_t line, column;
        const char* award;
        const char* found;
    };
    // DECADE-OK (exactly 3650 days) is not reported.
    const Bad bad[] = {
        {7, 75, "ZERO", "\"0\""},
        {8, 73, "MS", "\"1:60\""},
        {9, 76, "HMS-M", "\"1:60:00\""},
        {10, 76, "HMS-S", "\"1:00:60\""},
        {11, 73, "DH", "\"1-24\""},
        {12, 74, "DHM", "\"1-00:60\""},
        {13, 75, "DHMS", "\"1-00:00:60\""},
        {14, 77, "FIELDS", "\"1:2:3:4\""},
        {15, 82, "EMPTY-FIELD", "\"1-02::03\""},
        {16, 79, "NO-HOURS", "\"1-\""},
        {17, 78, "LETTERS", "\"2h\""},
        {18, 80, "UNLIMITED", "\"UNLIMITED\""},
        {19, 79, "NEGATIVE", "\"-1\""},
        {20, 77, "DECADE", "\"3650-00:00:01\""},
        {21, 75, "HUGE", "\"99999999999999999999\""},
        {22, 83, "QUOTED-EMPTY", "\"\""},
        {23, 75, "NULL", "\"~\""},
        {24, 75, "LIST", "a list"},
    };
    std::vector<std::string> messages;
    for (const Bad& b : bad) messages.push_back("award '" + std::string(b.award) + "'" + kDuration + b.found);
    FixtureCase c{"err-duration.yaml", {}};
    for (std::size_t i = 0; i < messages.size(); ++i) c.errors.push_back({bad[i].line, bad[i].column, messages[i].c_str()});
    run_fixtures({c});
}

void test_partition_references(void** /*state*/) {
    run_fixtures({
        // trn3 is defined but not enforced: that is fine.
        {"err-enforced-undefined.yaml",
         {{3, 22,
           "enforced partition 'trn2' is not defined under partitions (chips_per_node is needed to count its chips)"},
          {3, 28, "enforced partition 'cpu-big' is not defined under partitions"}}},
        // cpu is defined but not enforced; gpu is neither.
        {"err-award-partition.yaml",
         {{12, 24, "award 'A1' lists partition 'cpu', which is not in enforce.partitions"},
          {12, 29, "award 'A1' lists partition 'gpu', which is not in enforce.partitions"}}},
        {"err-award-partitions-empty.yaml",
         {{10, 17, "award 'A1'.partitions is empty; omit it to allow every enforced partition"}}},
        // TRN1-ONLY is restricted to a priced partition and CHIP-HOURS needs no rate.
        {"err-usd-rate.yaml",
         {{10, 13,
           "award 'ALL' has a usd budget but partition 'trn2' has no usd_per_chip_hour; add a rate or restrict the "
           "award's partitions"},
          {21, 13, "award 'BOTH' has a usd budget but partition 'trn2' has no usd_per_chip_hour"}}},
    });
}

void test_limits(void** /*state*/) {
    // A4 (zero and the maximum) is valid apart from its misplaced per_user key.
    run_fixtures({
        {"err-limits.yaml",
         {{11, 26, "award 'A1'.limits.max_chips_per_job must be between 0 and 100000000, found -1"},
          {13, 26, "award 'A1'.limits.max_running_chips must be a whole number, found \"many\""},
          {14, 17, "award 'A1'.limits.max_jobs must be a whole number, found \"1.5\""},
          {15, 38, "award 'A1'.limits.per_user.max_running_chips must be between 0 and 100000000, found -128"},
          {15, 54, "award 'A1'.limits.per_user.max_jobs must be a whole number, found a list"},
          {19, 13, "award 'A2'.limits must be a mapping, found a list"},
          {24, 17, "award 'A3'.limits.max_jobs must be between 0 and 100000000, found 100000001"},
          {25, 26, "award 'A3'.limits.max_running_chips must be a whole number, found \"512\""},
          {26, 17, "award 'A3'.limits.per_user must be a mapping, found a scalar value"},
          {27, 7,
           "unknown key \"max_gpus\" in award 'A3'.limits; expected one of: max_chips_per_job, max_walltime, "
           "max_running_chips, max_jobs, per_user"},
          {34, 32,
           "unknown key \"max_walltime\" in award 'A4'.limits.per_user; expected one of: max_running_chips, "
           "max_jobs"}}},
    });
}

struct TextCase {
    const char* name;
    const char* text;
    std::vector<Expect> errors;
};

// Lines 1-4 of every snippet; the award under test starts on line 5.
#define HEAD                                                                                                 \
    "version: 1\nenforce: {partitions: [a, b]}\npartitions: {a: {chips_per_node: 1, usd_per_chip_hour: 2}, " \
    "b: {chips_per_node: 1}}\nawards:\n"

void test_schema_snippets(void** /*state*/) {
    const TextCase cases[] = {
        {"valid as a date", HEAD "  A: {members: {}, budget: {chip_hours: 1}, valid: 2025-01-01}\n",
         {{5, 52, "award 'A'.valid must be a mapping, found a scalar value"}}},
        {"unknown validity key", HEAD "  A: {members: {}, budget: {chip_hours: 1}, valid: {start: 2025-01-01}}\n",
         {{5, 53, "unknown key \"start\" in award 'A'.valid; expected one of: from, until"}}},
        {"duplicate budget unit", HEAD "  A: {members: {}, budget: {chip_hours: 1, chip_hours: 2}}\n",
         {{5, 44, "duplicate key 'chip_hours' in award 'A'.budget (first given at line 5)"}}},
        // A misspelt unit: unknown, and then no unit at all.
        {"unknown budget unit", HEAD "  A: {members: {}, budget: {dollars: 5}}\n",
         {{5, 28, "award 'A'.budget needs exactly one of chip_hours or usd, found neither"},
          {5, 29, "unknown key \"dollars\" in award 'A'.budget; expected one of: chip_hours, usd"}}},
        {"budget null", HEAD "  A: {members: {}, budget: ~}\n",
         {{5, 28, "award 'A'.budget must be a mapping, found a scalar value"}}},
        {"award partitions as a string", HEAD "  A: {members: {}, budget: {chip_hours: 1}, partitions: a}\n",
         {{5, 57, "award 'A'.partitions must be a list such as [a, b], found a scalar value"}}},
        {"award partition twice", HEAD "  A: {members: {}, budget: {chip_hours: 1}, partitions: [a, a]}\n",
         {{5, 61, "\"a\" is listed twice in award 'A'.partitions"}}},
        // b has no rate: a usd award must stay off it.
        {"usd budget on an unpriced partition", HEAD "  A: {members: {}, budget: {usd: 1}, partitions: [b]}\n",
         {{5, 28, "award 'A' has a usd budget but partition 'b' has no usd_per_chip_hour"}}},
        {"limits null", HEAD "  A: {members: {}, budget: {chip_hours: 1}, limits: ~}\n",
         {{5, 53, "award 'A'.limits must be a mapping, found a scalar value"}}},
        {"limit as a float", HEAD "  A: {members: {}, budget: {chip_hours: 1}, limits: {max_jobs: 2.0}}\n",
         {{5, 64, "award 'A'.limits.max_jobs must be a whole number, found \"2.0\""}}},
        {"limit with a plus sign", HEAD "  A: {members: {}, budget: {chip_hours: 1}, limits: {max_jobs: +2}}\n",
         {{5, 64, "award 'A'.limits.max_jobs must be a whole number, found \"+2\""}}},
        {"limit overflowing int64",
         HEAD "  A: {members: {}, budget: {chip_hours: 1}, limits: {max_jobs: 99999999999999999999}}\n",
         {{5, 64, "award 'A'.limits.max_jobs must be a whole number, found \"99999999999999999999\""}}},
        {"gres with a space",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 16, gres: 'gpu x'}}\nawards: {}\n",
         {{3, 44, "partition 'a'.gres must be a GRES name with an optional type, such as neuron, gpu or gpu:trainium2; "
                  "found \"gpu x\""}}},
        {"gres with an empty type",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 16, gres: 'gpu:'}}\nawards: {}\n",
         {{3, 44, "partition 'a'.gres must be a GRES name with an optional type, such as neuron, gpu or gpu:trainium2; "
                  "found \"gpu:\""}}},
        // Only the missing key, not also "not defined under partitions".
        {"enforced partition defined with an error",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {gres: x}}\nawards: {}\n",
         {{3, 17, "partition 'a' is missing the key 'chips_per_node'"}}},
    };
    int failures = 0;
    for (const TextCase& c : cases) failures += !errors_match(c.name, load_policy_text(c.text, "g.yaml"), "g.yaml", c.errors);
    assert_int_equal(failures, 0);
}

void test_valid_snippets(void** /*state*/) {
    // A usd budget needs no rate when nothing is enforced, nor on defined but unenforced partitions.
    PolicyLoad load = load_policy_text(
        "version: 1\nenforce: {partitions: []}\npartitions: {cpu: {chips_per_node: 1}}\n"
        "awards: {A: {members: {}, budget: {usd: 10}}}\n",
        "g.yaml");
    print_errors(load);
    assert_non_null(load.policy.get());

    // A usd award restricted to the priced partition is fine.
    load = load_policy_text(HEAD "  A: {members: {}, budget: {usd: 1}, partitions: [a]}\n", "g.yaml");
    print_errors(load);
    assert_non_null(load.policy.get());
    assert_true(load.policy->find_award("A")->allows_partition("a"));
    assert_false(load.policy->find_award("A")->allows_partition("b"));

    // A typed GRES, as gpu/nrt registers Trainium devices.
    load = load_policy_text("version: 1\nenforce: {partitions: [t]}\n"
                            "partitions: {t: {chips_per_node: 16, cores_per_chip: 8, gres: gpu:trainium2}}\n"
                            "awards: {}\n",
                            "g.yaml");
    print_errors(load);
    assert_non_null(load.policy.get());
    assert_string_equal(load.policy->partitions.at("t").gres.c_str(), "gpu");
    assert_string_equal(load.policy->partitions.at("t").gres_type.c_str(), "trainium2");

    // Only one end of the window.
    load = load_policy_text(HEAD "  A: {members: {}, budget: {chip_hours: 1}, valid: {}}\n"
                                 "  B: {members: {}, budget: {chip_hours: 1}, valid: {from: 1970-01-01}}\n",
                            "g.yaml");
    print_errors(load);
    assert_non_null(load.policy.get());
    assert_false(load.policy->find_award("A")->valid.from.has_value());
    assert_true(load.policy->find_award("B")->valid.from == 0);
    assert_false(load.policy->find_award("B")->valid.until.has_value());
}

void test_valid_schema(void** /*state*/) {
    PolicyLoad load = load_policy_file(fixture("valid-schema.yaml"));
    print_errors(load);
    assert_int_equal(load.errors.size(), 0);
    assert_non_null(load.policy.get());
    const Policy& p = *load.policy;

    assert_int_equal(p.enforced_partitions.size(), 2);
    assert_true(p.on_error == OnError::Closed);
    assert_int_equal(p.partitions.size(), 3);
    assert_true(p.partitions.at("trn1").usd_per_chip_hour == 1'340'000);
    assert_int_equal(p.partitions.at("trn1").cores_per_chip, 2);
    assert_true(p.partitions.at("trn2").usd_per_chip_hour == 1);
    assert_string_equal(p.partitions.at("trn2").gres.c_str(), "neuron");
    assert_false(p.partitions.at("cpu").usd_per_chip_hour.has_value());
    assert_false(p.enforces("cpu"));
    assert_int_equal(p.awards.size(), 9);

    struct Expected {
        const char* id;
        Budget::Unit unit;
        long long micros;
        long long walltime;  // seconds
    };
    const Expected forms[] = {
        {"M", Budget::Unit::ChipHours, 1, 60},
        {"MS", Budget::Unit::ChipHours, 1'000'000'000 * kMicrosPerUnit, 90 * 60 + 30},
        {"HMS", Budget::Unit::Usd, 499'999'999'999, 36 * 3600 + 1},
        {"DH", Budget::Unit::Usd, 0, 2 * 86400 + 12 * 3600},
        {"DHM", Budget::Unit::ChipHours, 1'340'000, 60},
        {"DHMS", Budget::Unit::ChipHours, 7 * kMicrosPerUnit, 3650LL * 86400},
    };
    for (const Expected& e : forms) {
        const Award* a = p.find_award(e.id);
        assert_non_null(a);
        if (a->budget.unit != e.unit || a->budget.amount != e.micros || a->limits.max_walltime_seconds != e.walltime) {
            print_error("award %s: unit %d amount %lld walltime %lld\n", e.id, static_cast<int>(a->budget.unit),
                        static_cast<long long>(a->budget.amount),
                        static_cast<long long>(a->limits.max_walltime_seconds.value_or(-1)));
            fail();
        }
        assert_int_equal(a->members.users.count("u"), 1);
        assert_false(a->valid.from.has_value());
        assert_false(a->valid.until.has_value());
        assert_true(a->partitions.empty());
        assert_false(a->limits.max_chips_per_job.has_value());
        assert_false(a->limits.max_running_chips.has_value());
        assert_false(a->limits.max_jobs.has_value());
        assert_false(a->limits.per_user.max_running_chips.has_value());
        assert_false(a->limits.per_user.max_jobs.has_value());
    }

    const Award* full = p.find_award("FULL");
    assert_non_null(full);
    assert_string_equal(full->title.c_str(), "Everything: given");
    assert_string_equal(full->pi.c_str(), "alice");
    assert_int_equal(full->members.users.size(), 2);
    assert_int_equal(full->members.groups.size(), 2);
    assert_int_equal(full->members.groups.count("physics"), 1);
    assert_int_equal(full->members.accounts.count("nlp"), 1);
    assert_true(full->valid.from == day_number(2024, 2, 29));
    assert_true(full->valid.until == day_number(2024, 2, 29));
    assert_true(full->valid.from == 19782);
    assert_true(full->budget.unit == Budget::Unit::Usd);
    assert_int_equal(full->budget.amount, 1'340'000);
    assert_int_equal(full->partitions.size(), 1);
    assert_true(full->allows_partition("trn2"));
    assert_false(full->allows_partition("trn1"));
    assert_true(full->limits.max_chips_per_job == 0);
    assert_true(full->limits.max_walltime_seconds == 7 * 86400);
    assert_true(full->limits.max_running_chips == 100'000'000);
    assert_true(full->limits.max_jobs == 1);
    assert_true(full->limits.per_user.max_running_chips == 16);
    assert_true(full->limits.per_user.max_jobs == 3);

    const Award* wide = p.find_award("EMPTY-LIMITS");
    assert_non_null(wide);
    assert_true(wide->valid.from == 0);
    assert_true(wide->valid.until == 2'932'896);
    assert_true(wide->budget.unit == Budget::Unit::ChipHours);
    assert_int_equal(wide->budget.amount, 50'000 * kMicrosPerUnit);
    assert_int_equal(wide->members.accounts.count("bio"), 1);
    assert_false(wide->limits.max_walltime_seconds.has_value());
    assert_false(wide->limits.max_jobs.has_value());

    // partitions: ~ means "not given": every enforced partition.
    const Award* null_parts = p.find_award("NULL-PARTS");
    assert_non_null(null_parts);
    assert_true(null_parts->partitions.empty());
    assert_true(null_parts->allows_partition("trn1"));
    assert_true(null_parts->allows_partition("trn2"));
    assert_true(null_parts->budget.unit == Budget::Unit::Usd);
    assert_int_equal(null_parts->budget.amount, 10 * kMicrosPerUnit);
    assert_false(null_parts->limits.per_user.max_jobs.has_value());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_budget_units),
        cmocka_unit_test(test_budget_amounts),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_partition_references),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_schema_snippets),
        cmocka_unit_test(test_valid_snippets),
        cmocka_unit_test(test_valid_schema),
    };
    return cmocka_run_group_tests_name("policy_schema", tests, nullptr, nullptr);
}
