// When an award runs out at its recent burn rate (forecast.h).
#include <cstring>
#include <map>
#include <string>

#include "cmocka.h"
#include "temp_dir.h"
#include "core/domain/charge_book.h"
#include "core/domain/cost_model.h"
#include "core/domain/forecast.h"
#include "core/storage/book_loader.h"
#include "core/storage/ledger.h"

using grants::day_number;
using grants::DayNumber;
using grants::Forecast;
using grants::forecast;
using grants::Ticks;
using grants::Validity;
using grants::format_date;

namespace {

Ticks chip_h(std::int64_t n) { return grants::ticks_of(n * 1'000'000); }

DayNumber d(int year, unsigned month, unsigned day) { return day_number(year, month, day); }

// 100 chip-h on each of the 14 days up to 2027-03-14, and 5,000 chip-h long
// before the window (not burn any more).
std::map<DayNumber, Ticks> steady() {
    std::map<DayNumber, Ticks> daily{{d(2027, 1, 5), chip_h(5000)}};
    for (unsigned day = 1; day <= 14; ++day) daily[d(2027, 3, day)] = chip_h(100);
    return daily;
}

void test_rate_and_run_out_day(void**) {
    Validity v;
    v.from = d(2026, 7, 1);
    v.until = d(2027, 12, 31);
    // 3,000 chip-h left at 100 chip-h/day: 30 days from 2027-03-14.
    Forecast f = forecast(steady(), d(2027, 3, 14), 14, chip_h(3000), v);
    assert_int_equal(f.days, 14);
    assert_int_equal(f.burned, chip_h(1400));
    assert_int_equal(f.per_day, chip_h(100));
    assert_true(f.runs_out && *f.runs_out == d(2027, 4, 13));
    assert_int_equal(*f.days_before_end(), d(2027, 12, 31) - d(2027, 4, 13));
    assert_string_equal(grants::forecast_sentence(f, grants::Budget::Unit::ChipHours).c_str(),
                        "at 100.0 chip-h/day over the last 14 days, runs out on 2027-04-13, 9 months before the "
                        "award ends (2027-12-31)");
    // A window of 7 days sees only the last 7; the same rate.
    f = forecast(steady(), d(2027, 3, 14), 7, chip_h(3000), v);
    assert_int_equal(f.burned, chip_h(700));
    assert_int_equal(f.per_day, chip_h(100));
    // A window that reaches January takes its 5,000 chip-h in: the rate moves.
    f = forecast(steady(), d(2027, 3, 14), 90, chip_h(3000), v);
    assert_int_equal(f.burned, chip_h(6400));
    assert_int_equal(f.per_day, chip_h(6400) / 90);
}

void test_award_that_started_inside_the_window(void**) {
    Validity v;
    v.from = d(2027, 3, 12);  // 3 days: 12, 13, 14
    v.until = d(2027, 3, 20);
    Forecast f = forecast(steady(), d(2027, 3, 14), 14, chip_h(3000), v);
    assert_int_equal(f.days, 3);
    assert_int_equal(f.per_day, chip_h(100));
    // It lasts past the award's end.
    assert_true(*f.days_before_end() < 0);
    assert_non_null(strstr(grants::forecast_sentence(f, grants::Budget::Unit::ChipHours).c_str(),
                           "after the award ends (2027-03-20)"));
}

void test_no_burn_and_nothing_left(void**) {
    Validity v;
    Forecast f = forecast({}, d(2027, 3, 14), 14, chip_h(10), v);
    assert_int_equal(f.per_day, 0);
    assert_false(f.runs_out.has_value());
    assert_string_equal(grants::forecast_sentence(f, grants::Budget::Unit::ChipHours).c_str(),
                        "nothing was charged over the last 14 days: no run-out date");
    // Held jobs took what was left: it has run out today, whatever the burn.
    f = forecast(steady(), d(2027, 3, 14), 14, -chip_h(1), v);
    assert_true(f.runs_out && *f.runs_out == d(2027, 3, 14));
    // Not valid yet: no rate at all.
    v.from = d(2027, 4, 1);
    f = forecast(steady(), d(2027, 3, 14), 14, chip_h(10), v);
    assert_int_equal(f.days, 0);
    assert_int_equal(f.per_day, 0);
    // Dollars: the unit follows the award.
    v = Validity{};
    f = forecast({{d(2027, 3, 14), grants::ticks_of(1'234'560'000)}}, d(2027, 3, 14), 1, grants::ticks_of(12'345'600'000), v);
    assert_string_equal(grants::forecast_sentence(f, grants::Budget::Unit::Usd).c_str(),
                        "at $1,234.56/day over the last 1 day, runs out on 2027-03-24");
}

void test_small_rates_keep_their_digits(void**) {
    Validity v;
    // 0.04 chip-h over 4 days: 0.01 chip-h/day, not "0.0".
    Forecast f = forecast({{d(2027, 3, 14), chip_h(4) / 100}}, d(2027, 3, 14), 4, chip_h(3), v);
    assert_int_equal(f.per_day, chip_h(1) / 100);
    assert_true(*f.runs_out == d(2027, 3, 14) + 300);
    assert_string_equal(grants::forecast_sentence(f, grants::Budget::Unit::ChipHours).c_str(),
                        "at 0.01 chip-h/day over the last 4 days, runs out on 2028-01-08");
}

// From a real ledger through slurmctld's charge book: 30 days at a known
// rate of 50 chip-h a day (three charges a day), then the forecast's date.
void test_forecast_from_a_ledger(void** state) {
    std::string error;
    auto ledger = grants::Ledger::open(grants::test::dir_of(state) + "/ledger.db", &error);
    assert_non_null(ledger.get());
    const auto utc_day = [](std::int64_t t) { return static_cast<DayNumber>(t / 86400); };
    const DayNumber today = d(2027, 3, 14);
    std::vector<grants::ChargeRecord> charges, inserted;
    std::uint32_t job = 1;
    for (DayNumber day = today - 29; day <= today; ++day) {
        for (std::int64_t chip_hours : {10, 15, 25}) {
            grants::ChargeRecord c;
            c.cluster = "c";
            c.job_id = job++;
            c.award = "RATE";
            c.user = "alice";
            c.chips = 16;
            c.seconds = chip_hours * 3600 / 16;
            c.chip_hours = chip_h(chip_hours);
            c.recorded_at = static_cast<std::int64_t>(day) * 86400 + 3600 * (8 + chip_hours % 7);
            c.run_start = c.recorded_at - c.seconds;
            charges.push_back(c);
        }
    }
    assert_true(ledger->record_charges(charges, &inserted, &error));
    grants::ChargeBook book;
    grants::ChargeBook::Contents contents(utc_day);
    assert_true(grants::load_charge_book(*ledger, &contents, &error));
    book.replace(std::move(contents));
    const auto daily = book.daily("RATE", grants::Budget::Unit::ChipHours, 0);
    assert_int_equal(daily.size(), 30);
    // What slurmctld reads for a forecast: the window's days only, the same rate.
    const auto window = book.daily("RATE", grants::Budget::Unit::ChipHours, today - 13);
    assert_int_equal(window.size(), 14);
    for (const auto& [day, ticks] : window) assert_int_equal(ticks, chip_h(50));
    Validity v;
    v.until = d(2027, 12, 31);
    // 10,000 chip-h budget, 1,500 charged, 100 held: 8,400 left at 50 a day: 168 days.
    Forecast f = forecast(daily, today, 14, chip_h(10000) - chip_h(1500) - chip_h(100), v);
    assert_int_equal(f.per_day, chip_h(50));
    assert_true(*f.runs_out == today + 168);
    Forecast from_window = forecast(window, today, 14, chip_h(10000) - chip_h(1500) - chip_h(100), v);
    assert_int_equal(from_window.per_day, f.per_day);
    assert_true(from_window.runs_out == f.runs_out);
    assert_string_equal(format_date(*f.runs_out).c_str(), "2027-08-29");
    assert_string_equal(grants::forecast_sentence(f, grants::Budget::Unit::ChipHours).c_str(),
                        "at 50.0 chip-h/day over the last 14 days, runs out on 2027-08-29, 4 months before the "
                        "award ends (2027-12-31)");
}

void test_day_distance(void**) {
    assert_string_equal(grants::day_distance(1).c_str(), "1 day");
    assert_string_equal(grants::day_distance(59).c_str(), "59 days");
    assert_string_equal(grants::day_distance(120).c_str(), "4 months");
    assert_string_equal(grants::day_distance(-120).c_str(), "4 months");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_and_run_out_day),
        cmocka_unit_test(test_award_that_started_inside_the_window),
        cmocka_unit_test(test_no_burn_and_nothing_left),
        cmocka_unit_test(test_small_rates_keep_their_digits),
        cmocka_unit_test_setup_teardown(test_forecast_from_a_ledger, grants::test::make_dir, grants::test::remove_dir),
        cmocka_unit_test(test_day_distance),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
