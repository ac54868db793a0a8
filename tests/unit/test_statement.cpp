// Monthly statements (core/domain/statement.h): month parsing and bounds, the
// arithmetic opening + deposits + transfers - charges - adjustments = closing
// in exact ticks, charges dated by their run's start across the month's edges,
// amounts in the award's other unit listed but not counted, and tranches at
// the month's start and end.
#include <cstdint>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/base/date.h"
#include "core/domain/cost_model.h"
#include "core/domain/statement.h"

using namespace grants;

namespace {

DayNumber utc_day(std::int64_t epoch) { return static_cast<DayNumber>(epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400)); }
std::int64_t midnight(DayNumber day) { return static_cast<std::int64_t>(day) * 86400; }
constexpr Ticks kChipHour = 1'000'000LL * 3600;  // ticks of one chip-hour

ChargeRecord run(std::uint32_t job, std::int64_t start, std::int64_t seconds, const std::string& award = "A") {
    ChargeRecord c;
    c.cluster = "c";
    c.job_id = job;
    c.run_start = start;
    c.award = award;
    c.user = "alice";
    c.account = "nlp";
    c.partition = "trn1";
    c.chips = 16;
    c.seconds = seconds;
    c.chip_hours = c.chips * seconds * 1'000'000;
    c.usd = c.chips * seconds * 1'340'000;
    c.recorded_at = start + seconds + 5;
    return c;
}

Award award_of(Micros budget) {
    Award a;
    a.id = "A";
    a.budget.unit = Budget::Unit::ChipHours;
    a.budget.amount = budget;
    a.valid.from = day_number(2026, 1, 1);
    a.valid.until = day_number(2026, 12, 31);
    return a;
}

StatementInput june(const Award& award) {
    StatementInput in;
    in.award = &award;
    in.month = *parse_month("2026-06");
    in.start = midnight(in.month.first_day());
    in.end = midnight(in.month.last_day() + 1);
    in.day_of = utc_day;
    return in;
}

void test_months(void**) {
    auto m = parse_month("2026-06");
    assert_true(m.has_value());
    assert_int_equal(m->first_day(), day_number(2026, 6, 1));
    assert_int_equal(m->last_day(), day_number(2026, 6, 30));
    assert_string_equal(m->text().c_str(), "2026-06");
    assert_int_equal(parse_month("2028-02")->last_day(), day_number(2028, 2, 29));
    assert_int_equal(parse_month("2100-02")->last_day(), day_number(2100, 2, 28));
    assert_int_equal(parse_month("2026-12")->last_day(), day_number(2026, 12, 31));
    for (const char* bad : {"2026-13", "2026-00", "2026-6", "26-06", "2026-06-01", "2026/06", "", "1969-12"}) {
        assert_false(parse_month(bad).has_value());
    }
}

void test_arithmetic(void**) {
    const Award award = award_of(1000 * kMicrosPerUnit);
    StatementInput in = june(award);
    const std::int64_t june1 = in.start, july1 = in.end;
    in.charges = {
        run(1, june1 - 86400 * 10, 3600),   // May: 16 chip-h before
        run(2, june1 - 3600, 7200),         // starts 31 May 23:00, ends in June: May's
        run(3, june1 + 86400, 1800),        // June: 8 chip-h
        run(4, july1 - 1800, 3600),         // starts 30 June 23:30, ends in July: June's
        run(5, july1, 3600),                // July: not in the statement
        run(6, june1 + 100, 3600, "B"),     // another award
    };
    in.adjustments = {
        Adjustment{"A", "chip_hours", 3 * kMicrosPerUnit, "rerun fault", "root", june1 + 200},     // debit
        Adjustment{"A", "chip_hours", -1 * kMicrosPerUnit, "credit", "root", june1 + 300},        // credit
        Adjustment{"A", "usd", 50 * kMicrosPerUnit, "other unit", "root", june1 + 400},          // not counted
        Adjustment{"A", "chip_hours", 2 * kMicrosPerUnit, "before", "root", june1 - 500},        // May
    };
    Deposit d;
    d.award = "A";
    d.unit = "chip_hours";
    d.amount = 200 * kMicrosPerUnit;
    d.from = in.month.first_day() + 14;
    d.at = june1 + 14 * 86400;
    in.deposits = {d};
    Statement s = build_statement(in);
    // Opening: 1000 - 16 - 32 - 2 chip-h.
    assert_int_equal(s.opening, (1000 - 16 - 32 - 2) * kChipHour);
    assert_int_equal(s.runs, 2);
    assert_int_equal(s.charged, (8 + 16) * kChipHour);
    assert_int_equal(s.chip_hours, (8 + 16) * kChipHour);
    assert_int_equal(s.usd, 16LL * (1800 + 3600) * 1'340'000);
    assert_int_equal(s.adjusted, 2 * kChipHour);
    assert_int_equal(s.deposited, 200 * kChipHour);
    assert_int_equal(s.closing, s.opening + s.deposited - s.charged - s.adjusted);
    assert_int_equal(s.closing, (950 + 200 - 24 - 2) * kChipHour);
    // Lines by date, each with the running balance; the last is the closing.
    assert_int_equal(s.lines.size(), 6);  // 2 charges, 3 adjustments, 1 deposit
    for (std::size_t i = 1; i < s.lines.size(); ++i) assert_true(s.lines[i - 1].at <= s.lines[i].at);
    assert_int_equal(s.lines.back().balance, s.closing);
    assert_int_equal(s.lines.back().kind, StatementLine::Kind::Charge);
    assert_int_equal(in.charges[s.lines.back().index].job_id, 4);
    int uncounted = 0;
    for (const auto& l : s.lines) {
        if (!l.counted) {
            ++uncounted;
            assert_int_equal(l.amount, 0);
        }
    }
    assert_int_equal(uncounted, 1);
    assert_true(s.tranches.empty() == false);  // a deposit makes tranches
}

Adjustment leg(const std::string& award, Micros amount, std::int64_t at, std::int64_t transfer,
               const std::string& other, const std::string& unit = "chip_hours") {
    Adjustment a{award, unit, amount, "move", "root", at};
    a.transfer = transfer;
    a.counterpart = other;
    return a;
}

// Transfers are lines of their own, in and out, not adjustments:
// closing = opening + deposits + transfers - charges - adjustments, to the tick.
void test_transfers(void**) {
    const Award award = award_of(1000 * kMicrosPerUnit);
    StatementInput in = june(award);
    const std::int64_t june1 = in.start, july1 = in.end;
    in.charges = {run(1, june1 + 50, 3600), run(2, june1 - 7200, 3600)};  // June 16, May 16
    in.adjustments = {
        Adjustment{"A", "chip_hours", 5 * kMicrosPerUnit, "debit", "root", june1 + 60},
        leg("A", 100 * kMicrosPerUnit, june1 + 70, 1, "B"),          // out 100
        leg("A", -40'500'000, june1 + 80, 2, "C"),                   // in 40.5
        leg("A", 7 * kMicrosPerUnit, june1 - 10, 3, "B"),            // out in May: the opening
        leg("A", -9 * kMicrosPerUnit, july1 + 10, 4, "C"),           // July: not in it
        leg("A", 3 * kMicrosPerUnit, june1 + 90, 5, "D", "usd"),     // other unit: listed, not counted
        leg("B", -100 * kMicrosPerUnit, june1 + 70, 1, "A"),         // B's leg: another award
    };
    Statement s = build_statement(in);
    assert_int_equal(s.opening, (1000 - 16 - 7) * kChipHour);
    assert_int_equal(s.charged, 16 * kChipHour);
    assert_int_equal(s.adjusted, 5 * kChipHour);  // the plain adjustment only
    assert_int_equal(s.transferred_out, 100 * kChipHour);
    assert_int_equal(s.transferred_in, 40'500'000LL * 3600);
    assert_int_equal(s.transferred(), -59'500'000LL * 3600);
    assert_int_equal(s.closing, s.opening + s.deposited + s.transferred() - s.charged - s.adjusted);
    assert_int_equal(s.closing, 977 * kChipHour - 16 * kChipHour - 5 * kChipHour - 100 * kChipHour + 40'500'000LL * 3600);
    int transfers = 0, uncounted = 0;
    Ticks running = s.opening;
    for (const auto& l : s.lines) {
        running -= l.kind == StatementLine::Kind::Deposit ? -l.amount : l.amount;
        assert_int_equal(l.balance, running);
        if (l.kind != StatementLine::Kind::Transfer) continue;
        ++transfers;
        assert_true(in.adjustments[l.index].transfer != 0);
        if (!l.counted) ++uncounted;
    }
    assert_int_equal(transfers, 3);  // out, in, and the one in dollars
    assert_int_equal(uncounted, 1);
    assert_int_equal(s.lines.back().balance, s.closing);
    // The same entries as plain adjustments would give the same closing:
    // a transfer moves the balance exactly as an adjustment of its amount.
    StatementInput plain = in;
    for (auto& a : plain.adjustments) a.transfer = 0;
    Statement p = build_statement(plain);
    assert_int_equal(p.closing, s.closing);
    assert_int_equal(p.opening, s.opening);
    assert_int_equal(p.adjusted, s.adjusted + s.transferred_out - s.transferred_in);
}

void test_dollar_award_and_rates(void**) {
    Award award = award_of(100 * kMicrosPerUnit);
    award.budget.unit = Budget::Unit::Usd;
    StatementInput in = june(award);
    ChargeRecord no_rate = run(1, in.start + 10, 3600);
    no_rate.usd = -1;
    in.charges = {run(2, in.start + 20, 3600), no_rate};
    Statement s = build_statement(in);
    assert_int_equal(s.charged, 16LL * 3600 * 1'340'000);  // the run without a rate costs no dollars
    assert_int_equal(s.closing, ticks_of(100 * kMicrosPerUnit) - 16LL * 3600 * 1'340'000);
    assert_true(s.tranches.empty());
    assert_int_equal(*rate_of(in.charges[0]), 1'340'000);
    assert_false(rate_of(no_rate).has_value());
}

void test_tranches(void**) {
    Award award = award_of(200 * kMicrosPerUnit);
    award.tranches = {Tranche{100 * kMicrosPerUnit, day_number(2026, 1, 1), day_number(2026, 5, 31)},
                      Tranche{100 * kMicrosPerUnit, day_number(2026, 6, 1), day_number(2026, 12, 31)}};
    StatementInput in = june(award);
    in.charges = {run(1, in.start - 3600, 7200),   // 31 May 23:00: tranche 1
                  run(2, in.start + 3600, 900)};    // June: tranche 2
    Statement s = build_statement(in);
    assert_int_equal(s.tranches.size(), 2);
    assert_int_equal(s.tranches[0].opening.spent, 32 * kChipHour);
    assert_int_equal(s.tranches[0].closing.spent, 32 * kChipHour);
    assert_int_equal(s.tranches[1].opening.spent, 0);
    assert_int_equal(s.tranches[1].closing.spent, 4 * kChipHour);
    assert_int_equal(s.opening, 168 * kChipHour);
    assert_int_equal(s.closing, 164 * kChipHour);
}

}  // namespace

// month_report keeps only the entries the month's lines print, and each
// line still names its own entry.
void test_month_report_keeps_the_months_entries(void**) {
    const Award award = award_of(1000 * kMicrosPerUnit);
    StatementInput in = june(award);
    const std::int64_t june1 = in.start, july1 = in.end;
    in.charges = {run(1, june1 - 86400, 3600), run(2, june1 + 500, 60), run(3, july1 + 5, 60), run(4, june1 + 100, 60)};
    in.adjustments = {Adjustment{"A", "chip_hours", kMicrosPerUnit, "may", "root", june1 - 5},
                      Adjustment{"A", "chip_hours", kMicrosPerUnit, "june", "root", june1 + 300}};
    Deposit d;
    d.award = "A";
    d.unit = "chip_hours";
    d.amount = 5 * kMicrosPerUnit;
    d.from = in.month.first_day();
    d.at = june1 + 200;
    d.reason = "june deposit";
    in.deposits = {d};
    const Statement s = build_statement(in);
    const StatementReport r = month_report(in, s);
    assert_string_equal(r.award.c_str(), "A");
    assert_int_equal(r.start, june1);
    assert_int_equal(r.end, july1);
    assert_int_equal(r.charges.size(), 2);  // jobs 4 and 2, by date
    assert_int_equal(r.adjustments.size(), 1);
    assert_int_equal(r.deposits.size(), 1);
    assert_int_equal(r.statement.lines.size(), 4);
    assert_int_equal(r.statement.closing, s.closing);
    assert_int_equal(r.statement.opening, s.opening);
    const std::uint32_t jobs[] = {4, 0, 0, 2};
    const char* reasons[] = {"", "june deposit", "june", ""};
    for (std::size_t i = 0; i < 4; ++i) {
        const StatementLine& l = r.statement.lines[i];
        assert_int_equal(l.balance, s.lines[i].balance);
        if (l.kind == StatementLine::Kind::Charge) {
            assert_int_equal(r.charges.at(l.index).job_id, jobs[i]);
        } else if (l.kind == StatementLine::Kind::Deposit) {
            assert_string_equal(r.deposits.at(l.index).reason.c_str(), reasons[i]);
        } else {
            assert_string_equal(r.adjustments.at(l.index).reason.c_str(), reasons[i]);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_transfers),
        cmocka_unit_test(test_dollar_award_and_rates),
        cmocka_unit_test(test_tranches),
        cmocka_unit_test(test_month_report_keeps_the_months_entries),
    };
    return cmocka_run_group_tests_name("statement", tests, nullptr, nullptr);
}
