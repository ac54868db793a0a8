// What an award may spend from its tranches and deposits (funding.h), and
// how grants.yaml writes tranches (policy_loader.h).
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/cost_model.h"
#include "core/domain/funding.h"
#include "core/policy/policy_loader.h"

using grants::Award;
using grants::day_number;
using grants::DayDebit;
using grants::Deposit;
using grants::fund;
using grants::Funding;
using grants::Ticks;
using grants::Tranche;
using Phase = grants::TrancheState::Phase;

namespace {

Ticks chip_h(std::int64_t n) { return grants::ticks_of(n * 1'000'000); }

grants::DayNumber d(unsigned month, unsigned day) { return day_number(2027, month, day); }

// January and February, 100 chip-hours each.
Award two_tranches(bool rollover) {
    Award a;
    a.id = "TWO";
    a.valid.from = d(1, 1);
    a.valid.until = d(2, 28);
    a.tranches = {Tranche{100'000'000, d(1, 1), d(1, 31)}, Tranche{100'000'000, d(2, 1), std::nullopt}};
    a.budget.amount = 200'000'000;
    a.rollover = rollover;
    return a;
}

void test_plain_budget_is_one_tranche(void**) {
    Award a;
    a.budget.amount = 100'000'000;
    a.valid.until = d(12, 31);
    Funding f = fund(a, {}, {{d(3, 1), chip_h(30)}, {d(3, 2), chip_h(5)}}, d(3, 3));
    assert_int_equal(f.tranches.size(), 1);
    assert_string_equal(f.tranches[0].source.c_str(), "budget");
    assert_int_equal(f.budget, chip_h(100));
    assert_int_equal(f.charged, chip_h(35));
    // After its end nothing is usable.
    f = fund(a, {}, {{d(3, 1), chip_h(30)}}, day_number(2028, 1, 1));
    assert_int_equal(f.budget, 0);
    assert_true(f.tranches[0].phase == Phase::Ended);
    assert_int_equal(f.tranches[0].lapsed, chip_h(70));
}

void test_the_first_tranche_ends_and_the_second_starts(void**) {
    const std::vector<DayDebit> jan{{d(1, 10), chip_h(30)}};
    // In January only the first is usable; the second is not yet.
    Funding f = fund(two_tranches(false), {}, jan, d(1, 20));
    assert_int_equal(f.budget, chip_h(100));
    assert_int_equal(f.charged, chip_h(30));
    assert_true(f.tranches[1].phase == Phase::Future);
    // February, rollover off: the first's 70 unspent lapse.
    f = fund(two_tranches(false), {}, jan, d(2, 5));
    assert_true(f.tranches[0].phase == Phase::Ended);
    assert_int_equal(f.tranches[0].lapsed, chip_h(70));
    assert_int_equal(f.budget, chip_h(100));
    assert_int_equal(f.charged, 0);
    // Rollover on: they move to the second.
    f = fund(two_tranches(true), {}, jan, d(2, 5));
    assert_int_equal(f.tranches[0].passed_on, chip_h(70));
    assert_int_equal(f.tranches[0].lapsed, 0);
    assert_int_equal(f.tranches[1].rolled_in, chip_h(70));
    assert_int_equal(f.budget, chip_h(170));
    // A February charge lands on the second tranche.
    f = fund(two_tranches(true), {}, {{d(1, 10), chip_h(30)}, {d(2, 3), chip_h(120)}}, d(2, 5));
    assert_int_equal(f.tranches[0].spent, chip_h(30));
    assert_int_equal(f.tranches[1].spent, chip_h(120));
    assert_int_equal(f.tranches[1].left(), chip_h(50));
}

void test_charges_draw_from_the_tranche_that_ends_first(void**) {
    Award a;
    a.valid.until = d(12, 31);
    a.tranches = {Tranche{100'000'000, std::nullopt, std::nullopt}, Tranche{100'000'000, std::nullopt, d(3, 31)}};
    Funding f = fund(a, {}, {{d(2, 1), chip_h(150)}}, d(2, 2));
    // Sorted by end: the March tranche first, filled, then the rest.
    assert_string_equal(f.tranches[0].source.c_str(), "tranche 2");
    assert_int_equal(f.tranches[0].spent, chip_h(100));
    assert_int_equal(f.tranches[1].spent, chip_h(50));
    assert_int_equal(f.budget, chip_h(200));
    assert_int_equal(f.charged, chip_h(150));
}

void test_debt_passes_on_whatever_the_rule(void**) {
    // 130 charged in January: 30 more than the tranche had (an adjustment).
    Funding f = fund(two_tranches(false), {}, {{d(1, 10), chip_h(130)}}, d(2, 5));
    assert_int_equal(f.tranches[0].passed_on, -chip_h(30));
    assert_int_equal(f.tranches[1].rolled_in, -chip_h(30));
    assert_int_equal(f.budget, chip_h(70));
    // A credit goes back to the tranche that ends first.
    f = fund(two_tranches(false), {}, {{d(1, 10), chip_h(50)}, {d(1, 11), -chip_h(20)}}, d(1, 12));
    assert_int_equal(f.tranches[0].spent, chip_h(30));
}

void test_deposits_are_tranches_from_the_ledger(void**) {
    Award a;
    a.budget.amount = 100'000'000;
    a.valid.until = d(12, 31);
    Deposit open;
    open.id = 1;
    open.amount = 50'000'000;
    open.from = d(3, 1);
    Deposit short_one;
    short_one.id = 2;
    short_one.amount = 20'000'000;
    short_one.from = d(3, 1);
    short_one.until = d(3, 31);
    const std::vector<Deposit> deps{open, short_one};
    // Before they were made they do not count.
    Funding f = fund(a, deps, {}, d(2, 1));
    assert_int_equal(f.budget, chip_h(100));
    // In March all three; a charge draws from the one that ends first.
    f = fund(a, deps, {{d(3, 5), chip_h(25)}}, d(3, 6));
    assert_int_equal(f.budget, chip_h(170));
    assert_string_equal(f.tranches[0].source.c_str(), "deposit 2");
    assert_int_equal(f.tranches[0].spent, chip_h(20));
    assert_int_equal(f.charged, chip_h(25));
    // In April the short one ended; without rollover nothing of it was left anyway.
    f = fund(a, deps, {{d(3, 5), chip_h(25)}}, d(4, 1));
    assert_int_equal(f.budget, chip_h(150));
    assert_int_equal(f.charged, chip_h(5));
    // A correction (negative deposit) lowers what is usable.
    Deposit fix;
    fix.id = 3;
    fix.amount = -30'000'000;
    fix.from = d(4, 1);
    f = fund(a, {open, fix}, {}, d(4, 2));
    assert_int_equal(f.budget, chip_h(120));
}

// Award T up to its budget, which each case writes (indented 4 spaces).
const char kAwardHead[] = R"(version: 1
enforce:
  partitions: [trn1]
partitions:
  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.5 }
awards:
  T:
    members: { users: [alice] }
    valid: { from: 2027-01-01, until: 2027-12-31 }
    )";

void test_tranches_in_grants_yaml(void**) {
    const std::string policy = std::string(kAwardHead) + R"(budget:
      - { usd: 250000, until: 2027-06-30 }
      - { usd: 250000.5, from: 2027-07-01 }
    rollover: yes
)";
    auto l = grants::load_policy_text(policy, "grants.yaml");
    for (const auto& e : l.errors) print_message("%s\n", e.message.c_str());
    assert_non_null(l.policy.get());
    const Award& a = l.policy->awards.at("T");
    assert_int_equal(a.tranches.size(), 2);
    assert_true(a.budget.unit == grants::Budget::Unit::Usd);
    assert_int_equal(a.budget.amount, 500'000'500'000);
    assert_true(a.rollover);
    assert_false(a.tranches[0].from.has_value());
    assert_int_equal(*a.tranches[0].until, d(6, 30));

    struct Bad {
        const char* budget;
        const char* message;
    };
    const Bad bad[] = {
        {"budget: []", "award 'T'.budget is an empty list; give at least one tranche"},
        {"budget: [ { usd: 1 }, { chip_hours: 1 } ]",
         "award 'T'.budget[2] is in chip_hours but the first tranche is in usd; an award has one unit"},
        {"budget: [ { usd: 1, until: 2028-01-01 } ]",
         "award 'T'.budget[1] ends on 2028-01-01, after the award's valid.until (2027-12-31)"},
        {"budget: [ { usd: 1, from: 2026-12-01 } ]",
         "award 'T'.budget[1] starts on 2026-12-01, before the award's valid.from (2027-01-01)"},
        {"budget: [ { usd: 1, from: 2027-03-01, until: 2027-02-01 } ]",
         "award 'T'.budget[1].from (2027-03-01) is after award 'T'.budget[1].until (2027-02-01)"},
        {"budget: [ { usd: 1, chip_hours: 2 } ]", "award 'T'.budget[1] needs exactly one of chip_hours or usd, found both"},
        {"budget: [ 5 ]", "award 'T'.budget[1] must be a mapping, found a scalar value"},
        {"budget: { usd: 1 }\n    rollover: maybe", "award 'T'.rollover must be true or false, found \"maybe\""},
    };
    for (const Bad& b : bad) {
        std::string text = std::string(kAwardHead) + b.budget + "\n";
        auto r = grants::load_policy_text(text, "grants.yaml");
        assert_null(r.policy.get());
        bool found = false;
        for (const auto& e : r.errors) found = found || e.message == b.message;
        if (!found) {
            for (const auto& e : r.errors) print_message("got: %s\n", e.message.c_str());
            fail_msg("expected: %s", b.message);
        }
    }
}

// grantctl deposit's window (core, not the command): from today or the
// award's start, until the day given or the award's end; never in the past,
// after an award's end or for an award that has ended.
void test_deposit_window(void**) {
    grants::Validity valid;
    valid.from = d(1, 10);
    valid.until = d(2, 28);
    auto w = grants::deposit_window("TWO", valid, d(1, 20), std::nullopt);
    assert_true(w.usage_problem.empty() && w.refusal.empty());
    assert_int_equal(w.from, d(1, 20));
    assert_false(w.until.has_value());  // until the award ends
    w = grants::deposit_window("TWO", valid, d(1, 5), d(2, 1));  // before the award starts: from its start
    assert_int_equal(w.from, d(1, 10));
    assert_int_equal(*w.until, d(2, 1));
    w = grants::deposit_window("TWO", valid, d(1, 20), d(1, 19));
    assert_string_equal(w.usage_problem.c_str(), "--until 2027-01-19 is in the past; a deposit runs from today (2027-01-20).");
    w = grants::deposit_window("TWO", valid, d(1, 20), d(3, 1));
    assert_string_equal(w.refusal.c_str(), "--until 2027-03-01 is after award TWO's end (2027-02-28); a deposit cannot outlive its award.");
    w = grants::deposit_window("TWO", valid, d(1, 5), d(1, 8));
    assert_string_equal(w.refusal.c_str(), "--until 2027-01-08 is before award TWO starts (2027-01-10).");
    w = grants::deposit_window("TWO", valid, day_number(2027, 3, 1), std::nullopt);
    assert_string_equal(w.refusal.c_str(), "award TWO ended on 2027-02-28; extend its valid.until in the policy before adding to it.");
    w = grants::deposit_window("TWO", valid, d(2, 28), d(2, 28));  // the last day still takes one
    assert_true(w.refusal.empty() && w.usage_problem.empty());
    assert_int_equal(w.from, d(2, 28));
    grants::Validity open;  // an award without dates: from today, no end
    w = grants::deposit_window("OPEN", open, d(6, 1), std::nullopt);
    assert_true(w.refusal.empty());
    assert_int_equal(w.from, d(6, 1));
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_budget_is_one_tranche),
        cmocka_unit_test(test_the_first_tranche_ends_and_the_second_starts),
        cmocka_unit_test(test_charges_draw_from_the_tranche_that_ends_first),
        cmocka_unit_test(test_debt_passes_on_whatever_the_rule),
        cmocka_unit_test(test_deposits_are_tranches_from_the_ledger),
        cmocka_unit_test(test_tranches_in_grants_yaml),
        cmocka_unit_test(test_deposit_window),
    };
    return cmocka_run_group_tests_name("funding", tests, nullptr, nullptr);
}
