// Exact decimal amounts (budgets, rates) as integer millionths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grants {

// 1.34 -> 1'340'000. Budgets and rates are stored exactly, never as double.
using Micros = std::int64_t;
// Costs, holds and charges are counted in ticks: 1/3600 of a millionth of
// the budget unit. Then chip-seconds x 10^6 (chip-hour budgets) and
// chip-seconds x a rate in millionths of a dollar per chip-hour (dollar
// budgets) are whole numbers, and sums of them are exact. 10^9 units are
// 3.6 x 10^18 ticks, within int64.
using Ticks = std::int64_t;
inline constexpr Ticks kTicksPerMicro = 3600;

// Wide intermediate for products of amounts (GCC/Clang extension).
__extension__ typedef __int128 WideInt;
inline constexpr Micros kMicrosPerUnit = 1'000'000;
inline constexpr Micros kMaxAmountMicros = 1'000'000'000LL * kMicrosPerUnit;  // 10^9 units

// Plain non-negative decimals: "500000", "1.34", "0.5", "12.000001".
// nullopt for signs, exponents, more than 6 decimals, or values over 10^9.
std::optional<Micros> parse_decimal(std::string_view text);
// "+12.5" / "-3" / "7": parse_decimal with a sign, as grantctl adjust and
// deposit take their AMOUNT (positive: a credit, budget added).
std::optional<Micros> parse_signed_decimal(std::string_view text);

// "1.34", "500000", "0.000001": trailing zeros dropped.
std::string format_decimal(Micros value);

// Ticks rounded to the nearest millionth of the unit (halves away from zero).
Micros micros_of_ticks(Ticks value);
// An amount in ticks as a plain decimal of its unit, to the millionth:
// micros_of_ticks, then format_decimal. Used for JSON, CSV and metrics.
std::string format_ticks(Ticks value);

}  // namespace grants
