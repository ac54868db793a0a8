// When an award runs out at its recent burn rate (forecast.h).
#include <cstring>
#include <map>
#include <string>

#include "cmocka.h"
#include "core/cost_model.h"
#include "core/forecast.h"

using grants::day_number;
using grants::DayNumber;
using grants::Forecast;
using grants::forecast;
using grants::Ticks;
using grants::Validity;

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
        cmocka_unit_test(test_day_distance),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
