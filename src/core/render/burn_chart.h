// An award's burn-down chart as a self-contained SVG (grantctl report
// --plot): cumulative spend over time against the budget (a step per
// tranche or deposit), the held jobs on top of today's spend, the forecast
// as a dashed line to the day the money runs out, and the award's end.
// Pure: the caller gathers the figures (from the ledger or slurmctld).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/domain/forecast.h"
#include "core/policy/policy.h"

namespace grants {

struct BurnChartInput {
    std::string award, title;
    Budget::Unit unit = Budget::Unit::ChipHours;
    DayNumber today = 0;
    std::optional<DayNumber> valid_from, valid_until;
    // Debits per day (charges and adjustments), any order; a day may repeat.
    std::vector<std::pair<DayNumber, Ticks>> spend;
    // Money released per day: the budget at valid_from (or the first day),
    // each tranche or deposit on the day it starts.
    std::vector<std::pair<DayNumber, Ticks>> budget;
    Ticks held = 0;
    std::optional<Forecast> forecast;
};

// The chart. The cumulative spend's last point is exactly the sum of spend
// (its data-total attribute, in units), and the budget line's last step the
// sum of budget (data-total of the budget line), so tests can check both.
std::string burn_chart_svg(const BurnChartInput& in);

}  // namespace grants
