// Slurm's conventions in grantctl (core/base/slurm_time.h, core/render/field_list.h):
// the time syntax sacct takes for -S/-E, and -o/--format field lists.
#include <cstdint>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/base/date.h"
#include "core/base/slurm_time.h"
#include "core/render/field_list.h"

using namespace grants;

namespace {

// UTC stands for local time: epoch <-> civil without a zone.
CivilTime civil(std::int64_t t) {
    const std::int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    const std::int64_t rest = t - days * 86400;
    const std::string d = format_date(static_cast<DayNumber>(days));
    CivilTime c;
    c.year = std::stoi(d.substr(0, 4));
    c.month = std::stoi(d.substr(5, 2));
    c.day = std::stoi(d.substr(8, 2));
    c.hour = static_cast<int>(rest / 3600);
    c.minute = static_cast<int>(rest % 3600 / 60);
    c.second = static_cast<int>(rest % 60);
    return c;
}
std::int64_t epoch(const CivilTime& c) {
    return static_cast<std::int64_t>(day_number(c.year, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day))) *
               86400 +
           c.hour * 3600 + c.minute * 60 + c.second;
}
std::int64_t at(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
    return epoch(CivilTime{y, mo, d, h, mi, s});
}

LocalClock clock_at(std::int64_t now) { return LocalClock{now, civil, epoch}; }

std::int64_t parsed(const std::string& text, std::int64_t now) {
    std::string error;
    auto t = parse_slurm_time(text, clock_at(now), &error);
    if (!t) fail_msg("%s: %s", text.c_str(), error.c_str());
    return t->at;
}

void test_times(void**) {
    const std::int64_t now = at(2026, 12, 6, 23, 2, 1);
    assert_int_equal(parsed("2026-06-01", now), at(2026, 6, 1));
    assert_int_equal(parsed("2026-06-01T08:30", now), at(2026, 6, 1, 8, 30));
    assert_int_equal(parsed("2026-06-01T08:30:15", now), at(2026, 6, 1, 8, 30, 15));
    assert_int_equal(parsed("now", now), now);
    assert_int_equal(parsed("now-7days", now), now - 7 * 86400);
    assert_int_equal(parsed("NOW-2hours", now), now - 7200);
    assert_int_equal(parsed("now+30", now), now + 30);
    assert_int_equal(parsed("now-1weeks", now), now - 7 * 86400);
    assert_int_equal(parsed("now-5min", now), now - 300);
    assert_int_equal(parsed("today", now), at(2026, 12, 6));
    assert_int_equal(parsed("midnight", now), at(2026, 12, 6));
    assert_int_equal(parsed("noon", now), at(2026, 12, 6, 12));
    assert_int_equal(parsed("teatime", now), at(2026, 12, 6, 16));
    assert_int_equal(parsed("fika", now), at(2026, 12, 6, 15));
    assert_int_equal(parsed("tomorrow", now), at(2026, 12, 7));
    assert_int_equal(parsed("tomorrow noon", now), at(2026, 12, 7, 12));
    assert_int_equal(parsed("08:15", now), at(2026, 12, 6, 8, 15));
    assert_int_equal(parsed("23:30", now), at(2026, 12, 6, 23, 30));  // today, never tomorrow (past reading)
    assert_int_equal(parsed("3:05 PM", now), at(2026, 12, 6, 15, 5));
    assert_int_equal(parsed("12:00am", now), at(2026, 12, 6, 0, 0));
    assert_int_equal(parsed("06/01", now), at(2026, 6, 1));
    assert_int_equal(parsed("12/25", now), at(2025, 12, 25));  // not yet this year: last year's
    assert_int_equal(parsed("06/01/25", now), at(2025, 6, 1));
    assert_int_equal(parsed("06.01.25", now), at(2025, 6, 1));
    assert_int_equal(parsed("060125", now), at(2025, 6, 1));
    assert_int_equal(parsed("0601", now), at(2026, 6, 1));
    assert_int_equal(parsed("06/01-14:00", now), at(2026, 6, 1, 14));
    std::string error;
    assert_true(parse_slurm_time("2026-06-01", clock_at(now), &error)->date_only);
    assert_false(parse_slurm_time("2026-06-01T00:00", clock_at(now), &error)->date_only);
    assert_false(parse_slurm_time("now", clock_at(now), &error)->date_only);
    for (const char* bad : {"", "yesterday", "2026-02-30", "2026-13-01", "13/01", "25:00", "12:60", "now-3fortnights",
                            "now-", "2026-06-01T8", "13:00 PM", "1969-12-31", "06/01/2x"}) {
        error.clear();
        assert_false(parse_slurm_time(bad, clock_at(now), &error).has_value());
        assert_true(error.find("is not a time Slurm takes") != std::string::npos);
    }
}

void test_field_lists(void**) {
    const std::vector<std::string> names = {"award", "user", "chip_hours", "usd"};
    std::string error;
    auto f = select_fields("User,AWARD,usd", names, &error);
    assert_true(f.has_value());
    assert_int_equal(f->size(), 3);
    assert_int_equal((*f)[0], 1);
    assert_int_equal((*f)[1], 0);
    assert_int_equal((*f)[2], 3);
    assert_true(select_fields(" user , usd ", names, &error).has_value());
    assert_false(select_fields("user,cost", names, &error).has_value());
    assert_string_equal(error.c_str(), "there is no field 'cost' (fields: award,user,chip_hours,usd).");
    assert_false(select_fields("user,,usd", names, &error).has_value());
    assert_false(select_fields("", names, &error).has_value());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_field_lists),
    };
    return cmocka_run_group_tests_name("slurm_conventions", tests, nullptr, nullptr);
}
