// Local-time helpers for report and adjust: the controller's time zone is the
// one awards' dates are in (valid.until is inclusive, in local time: grants.yaml(5)).
#pragma once

#include <cctype>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

#include "core/base/date.h"
#include "core/base/local_time.h"
#include "core/base/slurm_time.h"

namespace grants::cli {

using grants::local_day_of;
using grants::local_midnight;

// "2026-11-28T14:03:00" in local time.
inline std::string local_timestamp(std::int64_t epoch) {
    std::time_t t = static_cast<std::time_t>(epoch);
    struct tm tm {};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

// A report bound: "YYYY-MM-DD" (the start of that day; with end_of_day, the
// start of the next) or "YYYY-MM-DDTHH:MM[:SS]" (that instant).
inline std::optional<std::int64_t> parse_report_time(const std::string& text, bool end_of_day) {
    if (text.size() == 10) {
        auto day = parse_date(text);
        if (!day) return std::nullopt;
        return local_midnight(end_of_day ? *day + 1 : *day);
    }
    if (text.size() != 16 && text.size() != 19) return std::nullopt;
    if (text[10] != 'T' && text[10] != ' ') return std::nullopt;
    auto day = parse_date(text.substr(0, 10));
    if (!day) return std::nullopt;
    auto two = [&](std::size_t at, int max) -> int {
        if (at + 2 > text.size() || !std::isdigit(static_cast<unsigned char>(text[at])) ||
            !std::isdigit(static_cast<unsigned char>(text[at + 1]))) {
            return -1;
        }
        int v = (text[at] - '0') * 10 + (text[at + 1] - '0');
        return v > max ? -1 : v;
    };
    int h = two(11, 23), m = text[13] == ':' ? two(14, 59) : -1, s = 0;
    if (text.size() == 19) s = text[16] == ':' ? two(17, 59) : -1;
    if (h < 0 || m < 0 || s < 0) return std::nullopt;
    std::string d = format_date(*day);
    struct tm tm {};
    tm.tm_year = std::stoi(d.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(d.substr(5, 2)) - 1;
    tm.tm_mday = std::stoi(d.substr(8, 2));
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(mktime(&tm));
}

// The controller's local time for core/base/slurm_time.h.
inline LocalClock local_clock(std::int64_t now) {
    LocalClock c;
    c.now = now;
    c.civil_of = [](std::int64_t epoch) {
        std::time_t t = static_cast<std::time_t>(epoch);
        struct tm tm {};
        localtime_r(&t, &tm);
        return CivilTime{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
    };
    c.epoch_of = [](const CivilTime& v) {
        struct tm tm {};
        tm.tm_year = v.year - 1900;
        tm.tm_mon = v.month - 1;
        tm.tm_mday = v.day;
        tm.tm_hour = v.hour;
        tm.tm_min = v.minute;
        tm.tm_sec = v.second;
        tm.tm_isdst = -1;
        return static_cast<std::int64_t>(mktime(&tm));
    };
    return c;
}

// --since/-S and --until/-E: Slurm's time syntax (core/base/slurm_time.h). A bare
// day given to --until includes that day (the start of the next one), as
// report always read it; any time of day is taken as it is.
inline std::optional<std::int64_t> parse_bound(const std::string& text, bool until, std::string* error) {
    auto t = parse_slurm_time(text, local_clock(static_cast<std::int64_t>(std::time(nullptr))), error);
    if (!t) return std::nullopt;
    if (until && t->date_only) return local_midnight(local_day_of(t->at) + 1);
    return t->at;
}

}  // namespace grants::cli
