// The policy's value types: calendar dates, Slurm durations and exact
// decimal amounts. Each parser accepts exactly its documented forms and
// refuses everything else without overflow.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "cmocka.h"
#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/base/duration.h"

using grants::day_number;
using grants::DayNumber;
using grants::format_date;
using grants::format_decimal;
using grants::format_duration;
using grants::kMaxAmountMicros;
using grants::kMaxDurationSeconds;
using grants::Micros;
using grants::parse_date;
using grants::parse_decimal;
using grants::parse_slurm_duration;

namespace {

// Reports every mismatch (not only the first) before failing.
int failures = 0;

template <typename T>
void want_value(const char* what, std::string_view text, const std::optional<T>& got, long long want) {
    if (!got || static_cast<long long>(*got) != want) {
        print_error("%s(\"%.*s\"): got %s%lld, want %lld\n", what, static_cast<int>(text.size()), text.data(),
                    got ? "" : "nothing ", got ? static_cast<long long>(*got) : 0LL, want);
        ++failures;
    }
}

template <typename T>
void want_refused(const char* what, std::string_view text, const std::optional<T>& got) {
    if (got) {
        print_error("%s(\"%.*s\"): got %lld, want refusal\n", what, static_cast<int>(text.size()), text.data(),
                    static_cast<long long>(*got));
        ++failures;
    }
}

void want_string(const char* what, long long input, const std::string& got, const char* want) {
    if (got != want) {
        print_error("%s(%lld): got \"%s\", want \"%s\"\n", what, input, got.c_str(), want);
        ++failures;
    }
}

void finish() {
    const int n = failures;
    failures = 0;
    assert_int_equal(n, 0);
}

// ---------------------------------------------------------------- dates

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned month_length(int y, unsigned m) {
    static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

void test_parse_date_known_days(void** /*state*/) {
    want_value("parse_date", "1970-01-01", parse_date("1970-01-01"), 0);
    want_value("parse_date", "1970-01-02", parse_date("1970-01-02"), 1);
    want_value("parse_date", "1970-12-31", parse_date("1970-12-31"), 364);
    want_value("parse_date", "1972-03-01", parse_date("1972-03-01"), 790);  // 1972 is a leap year
    want_value("parse_date", "2000-01-01", parse_date("2000-01-01"), 10957);
    want_value("parse_date", "2025-01-01", parse_date("2025-01-01"), 20089);  // 1735689600 / 86400
    want_value("parse_date", "2026-12-31", parse_date("2026-12-31"), 20818);
    want_value("parse_date", "2038-01-19", parse_date("2038-01-19"), 24855);  // past 32-bit time_t
    want_value("parse_date", "9999-12-31", parse_date("9999-12-31"), 2932896);
    assert_int_equal(day_number(1970, 1, 1), 0);
    assert_int_equal(day_number(2025, 1, 1), 20089);
    finish();
}

void test_parse_date_leap_years(void** /*state*/) {
    // Divisible by 400: leap. By 100 only: not. By 4: leap.
    want_value("parse_date", "2000-02-29", parse_date("2000-02-29"), 11016);
    want_value("parse_date", "2024-02-29", parse_date("2024-02-29"), day_number(2024, 2, 29));
    want_value("parse_date", "2400-02-29", parse_date("2400-02-29"), day_number(2400, 2, 29));
    want_value("parse_date", "1972-02-29", parse_date("1972-02-29"), 789);
    want_refused("parse_date", "2025-02-29", parse_date("2025-02-29"));
    want_refused("parse_date", "2100-02-29", parse_date("2100-02-29"));
    want_refused("parse_date", "2200-02-29", parse_date("2200-02-29"));
    want_refused("parse_date", "1900-02-29", parse_date("1900-02-29"));  // not leap, and before 1970
    want_refused("parse_date", "2024-02-30", parse_date("2024-02-30"));
    want_value("parse_date", "2100-02-28", parse_date("2100-02-28"), day_number(2100, 2, 28));
    want_value("parse_date", "2100-03-01", parse_date("2100-03-01"), day_number(2100, 2, 28) + 1);
    want_value("parse_date", "2024-03-01", parse_date("2024-03-01"), day_number(2024, 2, 29) + 1);
    finish();
}

void test_parse_date_bounds(void** /*state*/) {
    const char* refused[] = {
        // Months and days out of range.
        "2025-00-10", "2025-13-01", "2025-99-01", "2025-01-00", "2025-01-32", "2025-04-31", "2025-06-31",
        "2025-09-31", "2025-11-31", "2025-12-32", "2025-02-30",
        // Before 1970 (day numbers are unsigned in spirit), and year 0.
        "1969-12-31", "1900-01-01", "0000-01-01", "0001-01-01",
        // Wrong widths.
        "2025-1-01", "2025-01-1", "25-01-01", "02025-01-01", "2025-001-01", "2025-01-001", "20250101",
        "2025-0101", "", "2025", "2025-01", "2025-01-01 ", " 2025-01-01", "2025-01-01\n", "2025-01-01T00:00",
        // Other separators and signs.
        "2025/01/01", "2025.01.01", "2025_01_01", "+025-01-01", "-025-01-01", "2025-+1-01", "2025-01-+1",
        "2025--1-01", "2025-01--1", "2025-1--01", "-2025-01-0",
        // Letters and other bytes.
        "2025-Ja-01", "20x5-01-01", "2025-01-0a", "2025-01-0\x7f", "\xef\xbc\x92" "5-01-01",
    };
    for (const char* t : refused) want_refused("parse_date", t, parse_date(t));
    // An embedded NUL is not a digit.
    want_refused("parse_date", "2025-01-0\\0", parse_date(std::string_view("2025-01-0\0", 10)));
    // The edges that are accepted.
    const char* accepted[] = {"1970-01-01", "2025-01-31", "2025-03-31", "2025-04-30", "2025-12-31", "9999-12-31"};
    for (const char* t : accepted) {
        if (!parse_date(t)) {
            print_error("parse_date(\"%s\") refused\n", t);
            ++failures;
        }
    }
    finish();
}

void test_date_round_trip(void** /*state*/) {
    // Walk the calendar independently from 1970-01-01 to 9999-12-31: every
    // day parses to the next day number and formats back to the same text.
    DayNumber expected = 0;
    char text[48];
    for (int y = 1970; y <= 9999; ++y) {
        for (unsigned m = 1; m <= 12; ++m) {
            const unsigned days = month_length(y, m);
            for (unsigned d = 1; d <= days; ++d, ++expected) {
                std::snprintf(text, sizeof text, "%04d-%02u-%02u", y, m, d);
                auto parsed = parse_date(text);
                if (!parsed || *parsed != expected || day_number(y, m, d) != expected) {
                    print_error("%s: parse_date %d, day_number %d, want %d\n", text, parsed ? *parsed : -1,
                                day_number(y, m, d), expected);
                    ++failures;
                }
                if (format_date(expected) != text) {
                    print_error("format_date(%d) = %s, want %s\n", expected, format_date(expected).c_str(), text);
                    ++failures;
                }
                if (failures > 20) finish();
            }
            // The day after the month's last day does not exist.
            std::snprintf(text, sizeof text, "%04d-%02u-%02u", y, m, days + 1);
            if (days + 1 <= 31) want_refused("parse_date", text, parse_date(text));
        }
    }
    assert_int_equal(expected, 2932897);
    finish();
}

// ---------------------------------------------------------------- durations

void test_duration_forms(void** /*state*/) {
    struct Case {
        const char* text;
        long long seconds;
    };
    const Case cases[] = {
        // M
        {"0", 0},
        {"1", 60},
        {"90", 5400},
        {"000000060", 3600},
        {"5256000", kMaxDurationSeconds},  // ten years of minutes
        // M:S (minutes are not limited to 59 in this form)
        {"0:00", 0},
        {"1:30", 90},
        {"0:59", 59},
        {"90:05", 5405},
        {"1:5", 65},
        // H:M:S (neither are hours)
        {"0:00:01", 1},
        {"1:02:03", 3723},
        {"23:59:59", 86399},
        {"36:00:01", 129601},
        {"87600:00:00", kMaxDurationSeconds},
        // D-H
        {"0-0", 0},
        {"1-0", 86400},
        {"2-12", 2 * 86400 + 12 * 3600},
        {"1-23", 86400 + 23 * 3600},
        // D-H:M
        {"0-00:01", 60},
        {"1-02:03", 86400 + 2 * 3600 + 3 * 60},
        {"3-23:59", 3 * 86400 + 23 * 3600 + 59 * 60},
        // D-H:M:S
        {"0-00:00:01", 1},
        {"1-02:03:04", 93784},
        {"2-00:00:00", 172800},
        {"7-0:0:0", 7 * 86400},
        {"3649-23:59:59", kMaxDurationSeconds - 1},
        {"3650-00:00:00", kMaxDurationSeconds},
    };
    for (const Case& c : cases) want_value("parse_slurm_duration", c.text, parse_slurm_duration(c.text), c.seconds);
    finish();
}

void test_duration_refused(void** /*state*/) {
    const char* refused[] = {
        // Out-of-range fields.
        "1:60", "0:99", "1:60:00", "1:00:60", "0:75:00", "1-24", "1-99", "1-24:00", "1-00:60", "1-00:60:00",
        "1-00:00:60", "0-24:00:00",
        // Empty fields.
        "", ":", "::", "1:", ":1", "1::2", "1:2:", ":1:2", "-", "-1", "1-", "1-:00", "-:00", "1-02:", "1-02::03",
        "1-:00:00", "1-02:03:",
        // Too many fields or dashes.
        "1:2:3:4", "1-2:3:4:5", "1-2-3", "1--2",
        // Letters, signs, spaces, units, Slurm's unlimited forms.
        "a", "1h", "2d", "1:0a", "1-0x", "0x10", "1e3", "1.5", "1,5", "+1", "+1:00", "1-+1", " 1", "1 ", "1 :00",
        "1:\t00", "UNLIMITED", "INFINITE", "infinite", "-1:00",
        // More than ten years.
        "5256001", "87600:00:01", "3650-00:00:01", "3650-01", "3651-00", "3651-00:00:00", "999999999",
        "999999999:00", "100000-00:00:00",
        // Huge digit strings must not overflow into a small value.
        "9999999999", "99999999999999999999", "18446744073709551617", "1-99999999999999999999",
        "99999999999999999999-0", "99999999999999999999:00", "1:99999999999999999999",
    };
    for (const char* t : refused) want_refused("parse_slurm_duration", t, parse_slurm_duration(t));
    const std::string long_digits(10000, '9');
    want_refused("parse_slurm_duration", "9 x 10000", parse_slurm_duration(long_digits));
    want_refused("parse_slurm_duration", "1-0\\0", parse_slurm_duration(std::string_view("1-0\0", 4)));
    finish();
}

void test_format_duration(void** /*state*/) {
    want_string("format_duration", 0, format_duration(0), "00:00:00");
    want_string("format_duration", 59, format_duration(59), "00:00:59");
    want_string("format_duration", 60, format_duration(60), "00:01:00");
    want_string("format_duration", 3723, format_duration(3723), "01:02:03");
    want_string("format_duration", 86399, format_duration(86399), "23:59:59");
    want_string("format_duration", 86400, format_duration(86400), "1-00:00:00");
    want_string("format_duration", 93784, format_duration(93784), "1-02:03:04");
    want_string("format_duration", 172800, format_duration(172800), "2-00:00:00");
    want_string("format_duration", kMaxDurationSeconds, format_duration(kMaxDurationSeconds), "3650-00:00:00");
    want_string("format_duration", -5, format_duration(-5), "00:00:00");  // never negative
    // What format_duration prints, parse_slurm_duration reads back.
    for (std::int64_t s = 0; s <= kMaxDurationSeconds; s += s < 200000 ? 1 : 7919) {
        auto back = parse_slurm_duration(format_duration(s));
        if (!back || *back != s) {
            print_error("format_duration(%lld) = %s does not read back\n", static_cast<long long>(s),
                        format_duration(s).c_str());
            if (++failures > 20) break;
        }
    }
    finish();
}

// ---------------------------------------------------------------- decimals

void test_parse_decimal_exact(void** /*state*/) {
    struct Case {
        const char* text;
        long long micros;
    };
    const Case cases[] = {
        {"0", 0},
        {"1", 1'000'000},
        {"1.34", 1'340'000},  // exact: never 1.3400000000000001
        {"2.10", 2'100'000},
        {"0.1", 100'000},
        {"0.5", 500'000},
        {"0.000001", 1},
        {"12.000001", 12'000'001},
        {"1.123456", 1'123'456},
        {"0.999999", 999'999},
        {"500000", 500'000'000'000},
        {"50000.000000", 50'000'000'000},
        {"0001.5", 1'500'000},
        {"0.0", 0},
        {"999999999.999999", kMaxAmountMicros - 1},
        {"1000000000", kMaxAmountMicros},  // 10^9 units is the limit
        {"1000000000.000000", kMaxAmountMicros},
    };
    for (const Case& c : cases) want_value("parse_decimal", c.text, parse_decimal(c.text), c.micros);
    finish();
}

void test_parse_decimal_refused(void** /*state*/) {
    const char* refused[] = {
        // More than 6 decimals, even when they are zeros.
        "1.1234567", "0.0000001", "1.0000000",
        // Signs, exponents, incomplete forms.
        "-1", "-0", "-0.5", "+1", "+0.5", "1e3", "1E3", "1.5e1", "1e-3", ".5", "5.", ".", "", "1.2.3", "1..2",
        // Separators, spaces, other notations.
        "1,5", "1_000", "1 000", " 1", "1 ", "1\n", "0x10", "0b1", "nan", "NaN", "inf", "-inf", "Infinity", "one",
        "1$", "$1",
        // Over 10^9 (the old limit of 10^12 included), and values that would overflow int64
        // if multiplied first.
        "1000000000.000001", "1000000001", "1000000001.0", "9999999999", "999999999999.999999", "1000000000000",
        "1000000000000.000001", "1000000000001", "9999999999999", "99999999999999", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", "99999999999999999999999999999999999999",
    };
    for (const char* t : refused) want_refused("parse_decimal", t, parse_decimal(t));
    const std::string long_digits(10000, '9');
    want_refused("parse_decimal", "9 x 10000", parse_decimal(long_digits));
    want_refused("parse_decimal", "0.9 x 10000", parse_decimal("0." + long_digits));
    want_refused("parse_decimal", "1\\0", parse_decimal(std::string_view("1\0", 2)));
    finish();
}

void test_format_decimal(void** /*state*/) {
    want_string("format_decimal", 0, format_decimal(0), "0");
    want_string("format_decimal", 1, format_decimal(1), "0.000001");
    want_string("format_decimal", 100000, format_decimal(100'000), "0.1");
    want_string("format_decimal", 1340000, format_decimal(1'340'000), "1.34");
    want_string("format_decimal", 2100000, format_decimal(2'100'000), "2.1");
    want_string("format_decimal", 12000001, format_decimal(12'000'001), "12.000001");
    want_string("format_decimal", 500000000000, format_decimal(500'000'000'000), "500000");
    want_string("format_decimal", kMaxAmountMicros, format_decimal(kMaxAmountMicros), "1000000000");
    want_string("format_decimal", kMaxAmountMicros - 1, format_decimal(kMaxAmountMicros - 1),
                  "999999999.999999");
    // Balances can go below zero (overspent by actual usage).
    want_string("format_decimal", -1500000, format_decimal(-1'500'000), "-1.5");
    want_string("format_decimal", -1, format_decimal(-1), "-0.000001");
    // Non-negative values read back exactly.
    const Micros samples[] = {0, 1, 9, 10, 99, 100'000, 999'999, 1'000'000, 1'000'001, 1'340'000, 123'456'789,
                              kMaxAmountMicros / 7, kMaxAmountMicros - 1, kMaxAmountMicros};
    for (Micros v : samples) {
        auto back = parse_decimal(format_decimal(v));
        if (!back || *back != v) {
            print_error("format_decimal(%lld) = %s does not read back\n", static_cast<long long>(v),
                        format_decimal(v).c_str());
            ++failures;
        }
    }
    for (Micros v = 0; v < 3'000'000; v += 997) {
        auto back = parse_decimal(format_decimal(v));
        if (!back || *back != v) {
            print_error("format_decimal(%lld) = %s does not read back\n", static_cast<long long>(v),
                        format_decimal(v).c_str());
            if (++failures > 20) break;
        }
    }
    finish();
}

// AMOUNT of grantctl adjust and deposit: a sign, then a plain decimal.
void test_parse_signed_decimal(void**) {
    assert_int_equal(*grants::parse_signed_decimal("12.5"), 12'500'000);
    assert_int_equal(*grants::parse_signed_decimal("+12.5"), 12'500'000);
    assert_int_equal(*grants::parse_signed_decimal("-3"), -3'000'000);
    assert_int_equal(*grants::parse_signed_decimal("-0.000001"), -1);
    for (const char* bad : {"", "-", "+", "+-5", "--5", "-+5", " 5", "5 ", "1e3", "-1.0000001", "x"}) {
        assert_false(grants::parse_signed_decimal(bad).has_value());
    }
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_date_known_days),
        cmocka_unit_test(test_parse_date_leap_years),
        cmocka_unit_test(test_parse_date_bounds),
        cmocka_unit_test(test_date_round_trip),
        cmocka_unit_test(test_duration_forms),
        cmocka_unit_test(test_duration_refused),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_parse_decimal_exact),
        cmocka_unit_test(test_parse_decimal_refused),
        cmocka_unit_test(test_format_decimal),
        cmocka_unit_test(test_parse_signed_decimal),
    };
    return cmocka_run_group_tests_name("units", tests, nullptr, nullptr);
}
