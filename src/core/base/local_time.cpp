#include "core/base/local_time.h"

#include <ctime>

namespace grants {

DayNumber local_day_of(std::int64_t epoch) {
    const std::time_t t = static_cast<std::time_t>(epoch);
    struct tm tm {};
    localtime_r(&t, &tm);
    return day_number(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1), static_cast<unsigned>(tm.tm_mday));
}

std::int64_t local_midnight(DayNumber day) {
    // The day's date from its number (days since 1970-01-01, UTC arithmetic:
    // noon is inside the day whatever the zone), then mktime of its local
    // midnight, which reads the zone's rules for that date.
    const std::time_t noon = static_cast<std::time_t>(day) * 86400 + 43200;
    struct tm date {};
    gmtime_r(&noon, &date);
    struct tm start {};
    start.tm_year = date.tm_year;
    start.tm_mon = date.tm_mon;
    start.tm_mday = date.tm_mday;
    start.tm_isdst = -1;
    return static_cast<std::int64_t>(mktime(&start));
}

}  // namespace grants
