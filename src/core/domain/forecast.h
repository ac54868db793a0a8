// When an award's money runs out at the rate it is being spent (grantctl
// balance and report, metrics): the burn rate is what the ledger charged per
// day over a window of recent days, held jobs are committed spend (they
// lower what is left) but not burn, and the run-out day is compared with the
// award's end. Pure and exact: integer ticks and calendar days.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/policy/policy.h"

namespace grants {

inline constexpr int kDefaultForecastWindow = 14;  // days
inline constexpr int kMaxForecastWindow = 3660;

struct Forecast {
    int window = kDefaultForecastWindow;  // days asked for
    int days = 0;            // days of the window the award was valid: the rate's divisor (0: none yet)
    Ticks burned = 0;        // charges recorded on those days
    Ticks per_day = 0;       // burned / days, rounded down to a tick
    Ticks left = 0;          // what is left now, held jobs deducted
    std::optional<DayNumber> runs_out;  // the day the money is gone at that rate; nullopt: no burn
    std::optional<DayNumber> award_end;  // the award's last valid day, if any

    // Days between the run-out and the award's end: > 0 runs out that many
    // days before the end, <= 0 lasts past it. nullopt without both days.
    std::optional<std::int64_t> days_before_end() const;
};

// daily: the award's charges per local day of recording, in its unit (days
// outside the window are ignored). today: the controller's local day.
// left: budget - charged - held.
Forecast forecast(const std::map<DayNumber, Ticks>& daily, DayNumber today, int window, Ticks left,
                  const Validity& valid);

// "at 812 chip-h/day over the last 14 days, runs out on 2027-03-02, 4 months
// before the award ends (2027-07-01)"; for a user's one line.
std::string forecast_sentence(const Forecast& f, Budget::Unit unit);

// "4 months" / "12 days" / "1 day": a distance in days, as people say it.
std::string day_distance(std::int64_t days);

}  // namespace grants
