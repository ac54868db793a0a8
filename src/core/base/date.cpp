#include "core/base/date.h"

#include <cstdio>

namespace grants {
namespace {

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int y, unsigned m) {
    static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool digits(std::string_view s) {
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return !s.empty();
}

int to_int(std::string_view s) {
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

}  // namespace

// Howard Hinnant's days_from_civil.
DayNumber day_number(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int>(doe) - 719468;
}

std::string format_date(DayNumber z) {
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = static_cast<int>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y < 0 || y > 9999) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
        return buf;
    }
    // Written by hand: every accepted submission formats its award's end,
    // and snprintf cost a third of the decision's own work (callgrind).
    const unsigned year = static_cast<unsigned>(y);
    const char text[10] = {static_cast<char>('0' + year / 1000),   static_cast<char>('0' + year / 100 % 10),
                           static_cast<char>('0' + year / 10 % 10), static_cast<char>('0' + year % 10),
                           '-',
                           static_cast<char>('0' + m / 10),         static_cast<char>('0' + m % 10),
                           '-',
                           static_cast<char>('0' + d / 10),         static_cast<char>('0' + d % 10)};
    return std::string(text, sizeof text);
}

std::optional<DayNumber> parse_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    auto ys = s.substr(0, 4), ms = s.substr(5, 2), ds = s.substr(8, 2);
    if (!digits(ys) || !digits(ms) || !digits(ds)) return std::nullopt;
    int y = to_int(ys);
    int m = to_int(ms), d = to_int(ds);
    if (y < 1970 || m < 1 || m > 12 || d < 1) return std::nullopt;
    if (static_cast<unsigned>(d) > days_in_month(y, static_cast<unsigned>(m))) return std::nullopt;
    return day_number(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

}  // namespace grants
