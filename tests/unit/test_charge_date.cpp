// The one dating rule for charges (core/domain/charge_date.h): a run is dated by
// its start, whichever question is asked of it. A run that starts on 30
// June and is recorded on 1 July counts on 30 June in report --by day and
// --by month, in a June period and not a July one (from the ledger and from
// slurmctld's charge book alike), and draws on the tranche that ends on 30
// June.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cmocka.h"
#include "temp_dir.h"
#include "core/base/date.h"
#include "core/domain/charge_book.h"
#include "core/domain/charge_date.h"
#include "core/domain/funding.h"
#include "core/domain/funding_book.h"
#include "core/domain/report.h"
#include "core/storage/book_loader.h"
#include "core/storage/ledger.h"
#include "core/storage/ledger_report.h"

using namespace grants;

namespace {

// Days of UTC stand for the controller's local days.
DayNumber utc_day(std::int64_t epoch) { return static_cast<DayNumber>(epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400)); }
std::int64_t midnight(DayNumber day) { return static_cast<std::int64_t>(day) * 86400; }

const DayNumber kJune30 = day_number(2026, 6, 30);
const DayNumber kJuly1 = day_number(2026, 7, 1);

ChargeRecord run(std::uint32_t job, std::int64_t start, std::int64_t seconds, std::int64_t recorded) {
    ChargeRecord c;
    c.cluster = "c";
    c.job_id = job;
    c.run_start = start;
    c.award = "A";
    c.user = "alice";
    c.account = "nlp";
    c.partition = "trn1";
    c.chips = 16;
    c.seconds = seconds;
    c.chip_hours = c.chips * seconds * 1'000'000;
    c.usd = c.chips * seconds * 1'340'000;
    c.recorded_at = recorded;
    return c;
}

// Starts 30 June 23:00, runs 2 h, recorded 1 July 01:00:05.
ChargeRecord across_midnight() { return run(7, midnight(kJune30) + 23 * 3600, 7200, midnight(kJuly1) + 3605); }
// Starts and ends on 1 July.
ChargeRecord in_july() { return run(8, midnight(kJuly1) + 600, 600, midnight(kJuly1) + 1300); }

void test_the_rule(void**) {
    const ChargeRecord c = across_midnight();
    assert_int_equal(charge_moment(c), c.run_start);
    assert_int_equal(charge_day(c, utc_day), kJune30);
    LedgerFilter june;
    june.since = midnight(day_number(2026, 6, 1));
    june.until = midnight(kJuly1);
    LedgerFilter july;
    july.since = midnight(kJuly1);
    july.until = midnight(day_number(2026, 8, 1));
    assert_true(charge_in_period(c, june));
    assert_false(charge_in_period(c, july));
    // Bounds: since inclusive, until exclusive.
    assert_true(charge_in_period(midnight(kJuly1), july.since, july.until));
    assert_false(charge_in_period(midnight(kJuly1), june.since, june.until));
    // The superset asked of the ledger (which filters by recorded_at) keeps
    // the charge recorded after the period's end.
    LedgerFilter wide = charges_superset(june);
    assert_false(wide.until.has_value());
    assert_true(*wide.since <= *june.since);
    assert_true(c.recorded_at >= *wide.since);
}

void test_build_report_dates_by_start(void**) {
    ReportInput in;
    in.charges = {across_midnight(), in_july()};
    in.day_of = utc_day;
    in.group = ReportGroup::Day;
    auto days = build_report(in);
    assert_int_equal(days.size(), 1);
    assert_int_equal(days[0].rows.size(), 2);
    assert_string_equal(days[0].rows[0].key.c_str(), "2026-06-30");
    assert_string_equal(days[0].rows[1].key.c_str(), "2026-07-01");
    in.group = ReportGroup::Month;
    auto months = build_report(in);
    assert_int_equal(months[0].rows.size(), 2);
    assert_string_equal(months[0].rows[0].key.c_str(), "2026-06");
    assert_int_equal(months[0].rows[0].chip_hours, 16LL * 7200 * 1'000'000);
    assert_string_equal(months[0].rows[1].key.c_str(), "2026-07");
}

std::unique_ptr<Ledger> ledger_with_runs(void** state) {
    std::string error;
    auto ledger = Ledger::open(grants::test::dir_of(state) + "/ledger.db", &error);
    assert_non_null(ledger.get());
    std::vector<ChargeRecord> inserted;
    assert_true(ledger->record_charges({across_midnight(), in_july()}, &inserted, &error));
    assert_int_equal(inserted.size(), 2);
    return ledger;
}

// The ledger's report (by day, month, user and job, with a period) and the
// charge book's entries put the run in June.
void test_ledger_and_book_date_by_start(void** state) {
    auto ledger = ledger_with_runs(state);
    std::string error;
    for (ReportGroup g : {ReportGroup::User, ReportGroup::Job, ReportGroup::Day, ReportGroup::Month}) {
        ReportQuery q;
        q.group = g;
        q.day_of = utc_day;
        q.filter.since = midnight(day_number(2026, 6, 1));
        q.filter.until = midnight(kJuly1);
        std::vector<AwardReport> june;
        assert_true(report_from_ledger(*ledger, q, &june, &error));
        assert_int_equal(june.size(), 1);
        assert_int_equal(june[0].charges.runs, 1);
        assert_int_equal(june[0].charges.chip_hours, 16LL * 7200 * 1'000'000);
        if (g == ReportGroup::Day) assert_string_equal(june[0].rows[0].key.c_str(), "2026-06-30");
        if (g == ReportGroup::Month) assert_string_equal(june[0].rows[0].key.c_str(), "2026-06");
        q.filter.since = midnight(kJuly1);
        q.filter.until.reset();
        std::vector<AwardReport> july;
        assert_true(report_from_ledger(*ledger, q, &july, &error));
        assert_int_equal(july.size(), 1);
        assert_int_equal(july[0].charges.runs, 1);
        assert_int_equal(july[0].charges.chip_hours, 16LL * 600 * 1'000'000);
    }
    // slurmctld's charge book (report from a login node, forecasts).
    ChargeBook::Contents contents(utc_day);
    assert_true(load_charge_book(*ledger, &contents, &error));
    ChargeBook book;
    book.replace(std::move(contents));
    LedgerFilter june;
    june.since = midnight(day_number(2026, 6, 1));
    june.until = midnight(kJuly1);
    std::vector<ChargeRecord> charges;
    std::vector<Adjustment> adjustments;
    book.award_entries("A", june, &charges, &adjustments);
    assert_int_equal(charges.size(), 1);
    assert_int_equal(charges[0].job_id, 7);
    auto daily = book.daily("A", Budget::Unit::ChipHours, day_number(2026, 6, 1));
    assert_int_equal(daily.size(), 2);
    assert_int_equal(daily.at(kJune30), 16LL * 7200 * 1'000'000);
}

// Tranches: the run draws on the tranche that ends on 30 June, in the
// ledger's day totals and in the accounting pass's running days alike.
void test_tranches_date_by_start(void** state) {
    auto ledger = ledger_with_runs(state);
    std::string error;
    std::map<DayNumber, ChargeTotals> days;
    assert_true(ledger->day_totals("A", [](std::int64_t t) -> std::int64_t { return utc_day(t); }, &days, &error));
    assert_int_equal(days.size(), 2);
    assert_int_equal(days.at(kJune30).chip_hours, 16LL * 7200 * 1'000'000);
    Award award;
    award.id = "A";
    award.budget.unit = Budget::Unit::ChipHours;
    award.budget.amount = 200 * kMicrosPerUnit;
    award.valid.from = day_number(2026, 1, 1);
    award.valid.until = day_number(2026, 12, 31);
    award.tranches = {Tranche{100 * kMicrosPerUnit, day_number(2026, 1, 1), kJune30},
                      Tranche{100 * kMicrosPerUnit, kJuly1, day_number(2026, 12, 31)}};
    Funding f = FundingBook::fund_award(award, {}, days, kJuly1);
    assert_int_equal(f.tranches.size(), 2);
    assert_int_equal(f.tranches[0].spent, 16LL * 7200 * 1'000'000);
    assert_int_equal(f.tranches[1].spent, 16LL * 600 * 1'000'000);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_rule),
        cmocka_unit_test(test_build_report_dates_by_start),
        cmocka_unit_test_setup_teardown(test_ledger_and_book_date_by_start, grants::test::make_dir, grants::test::remove_dir),
        cmocka_unit_test_setup_teardown(test_tranches_date_by_start, grants::test::make_dir, grants::test::remove_dir),
    };
    return cmocka_run_group_tests_name("charge_date", tests, nullptr, nullptr);
}
