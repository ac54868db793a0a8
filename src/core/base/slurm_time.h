// Slurm's time syntax for grantctl's --since/--until and -S/-E, as sacct
// takes it (Slurm's parse_time() with past set, src/common/parse_time.c):
//
//   YYYY-MM-DD[THH:MM[:SS]]      2026-06-01, 2026-06-01T08:30
//   MMDD[YY], MM/DD[/YY], MM.DD[.YY], each optionally -HH:MM[:SS]
//   HH:MM[:SS] [AM|PM]           today at that time
//   today, tomorrow, midnight, noon, elevenses (11:00), fika (15:00), teatime (16:00)
//   now[{+|-}COUNT[seconds|minutes|hours|days|weeks]]   now-7days, now-2hours
//
// Words are case-insensitive, and may be combined as Slurm allows
// ("tomorrow noon"). A date without a time is its midnight; a time without a
// date is today's (sacct's past reading, never tomorrow's). A two-digit year
// is 20YY. Everything in the controller's local time, which the caller
// supplies: the parser is pure.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace grants {

struct CivilTime {
    int year = 1970;  // e.g. 2026
    int month = 1;    // 1-12
    int day = 1;
    int hour = 0, minute = 0, second = 0;
};

struct LocalClock {
    std::int64_t now = 0;
    std::function<CivilTime(std::int64_t)> civil_of;   // localtime
    std::function<std::int64_t(const CivilTime&)> epoch_of;  // mktime
};

struct ParsedTime {
    std::int64_t at = 0;
    bool date_only = false;  // a calendar day without a time of day (--until includes it)
};

// nullopt with *error (one sentence) when the text is not a time Slurm takes.
std::optional<ParsedTime> parse_slurm_time(const std::string& text, const LocalClock& clock, std::string* error);

}  // namespace grants
