// Calendar dates (YYYY-MM-DD) as day numbers, for award validity windows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grants {

// Days since 1970-01-01 in the proleptic Gregorian calendar.
using DayNumber = std::int32_t;

// Accepts exactly YYYY-MM-DD with a real calendar date, years 1970-9999.
std::optional<DayNumber> parse_date(std::string_view text);

DayNumber day_number(int year, unsigned month, unsigned day);
std::string format_date(DayNumber day);

}  // namespace grants
