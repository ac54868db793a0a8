// The controller's local calendar (core/base/local_time.h), the one rule behind
// awards' end dates in slurmctld and every date grantctl reads or prints:
// a local day starts at local midnight, which is not a multiple of 86,400
// seconds away from the epoch, and days are 23 or 25 hours long where the
// clocks change.
#include <cstdint>
#include <cstdlib>
#include <ctime>

#include "cmocka.h"
#include "core/base/date.h"
#include "core/base/local_time.h"

using namespace grants;

namespace {

void use_zone(const char* zone) {
    setenv("TZ", zone, 1);
    tzset();
}

// Every day of 2025-2027 in a zone: the day of its midnight is the day, the
// instant before it is the day before, and the days tile the time line.
void walk_days(const char* zone, int* short_days, int* long_days) {
    use_zone(zone);
    const DayNumber first = *parse_date("2025-01-01"), last = *parse_date("2027-12-31");
    for (DayNumber d = first; d <= last; ++d) {
        const std::int64_t start = local_midnight(d), end = local_day_end_of(d);
        assert_int_equal(local_day_of(start), d);
        assert_int_equal(local_day_of(start - 1), d - 1);
        assert_int_equal(local_day_of(end - 1), d);
        assert_int_equal(end, local_midnight(d + 1));
        const std::int64_t hours = (end - start) / 3600;
        assert_true(hours == 23 || hours == 24 || hours == 25);
        if (hours == 23) ++*short_days;
        if (hours == 25) ++*long_days;
    }
}

void test_days_in_utc(void**) {
    int short_days = 0, long_days = 0;
    walk_days("UTC", &short_days, &long_days);
    assert_int_equal(short_days, 0);
    assert_int_equal(long_days, 0);
    assert_int_equal(local_midnight(*parse_date("2026-12-07")), 1'796'601'600);
}

void test_days_where_the_clocks_change(void**) {
    int short_days = 0, long_days = 0;
    walk_days("America/New_York", &short_days, &long_days);
    assert_int_equal(short_days, 3);  // one spring day a year
    assert_int_equal(long_days, 3);   // one autumn day a year
    // 2026-03-08 starts at 05:00 UTC and lasts 23 hours.
    assert_int_equal(local_midnight(*parse_date("2026-03-08")), 1'772'946'000);
    assert_int_equal(local_day_end_of(*parse_date("2026-03-08")) - local_midnight(*parse_date("2026-03-08")), 23 * 3600);
}

void test_days_east_of_greenwich(void**) {
    int short_days = 0, long_days = 0;
    walk_days("Asia/Tokyo", &short_days, &long_days);
    // 2026-12-07 00:00 in Tokyo is 2026-12-06 15:00 UTC.
    assert_int_equal(local_midnight(*parse_date("2026-12-07")), 1'796'601'600 - 9 * 3600);
    assert_int_equal(local_day_of(1'796'601'600 - 9 * 3600 - 1), *parse_date("2026-12-06"));
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_in_utc),
        cmocka_unit_test(test_days_where_the_clocks_change),
        cmocka_unit_test(test_days_east_of_greenwich),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
