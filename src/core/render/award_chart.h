// What an award's burn-down chart (report --plot) and page (report --html)
// draw, from its report by day and its status, and that status when only
// the policy and the ledger can be read (slurmctld does not answer).
#pragma once

#include <functional>
#include <optional>

#include "core/base/date.h"
#include "core/domain/funding.h"
#include "core/domain/report.h"
#include "core/render/burn_chart.h"
#include "core/wire/query.h"

namespace grants {

// The chart of one award: its charges and adjustments per day (in its unit;
// adjustments in the other unit are left out), the budget as released (one
// step, or a step per tranche and deposit), holds and forecast from status.
// day_of: the local day of an adjustment's time.
BurnChartInput chart_input(const AwardReport& by_day, const AwardStatus& status, DayNumber today,
                           const std::function<DayNumber(std::int64_t)>& day_of);

// The award's status from the policy and the ledger alone: award_status()
// (query.h) over what the ledger charged, as slurmctld computes it: with
// tranches or deposits (funding: fund() of the award, nullopt without)
// budget and charged are those of the active tranches, not the policy's one
// amount and every charge ever; no holds (slurmctld alone knows the live
// jobs); the forecast from the charges per day over window days.
AwardStatus status_from_ledger(const Award& award, const AwardReport& by_day, const std::optional<Funding>& funding,
                               DayNumber today, int window);

}  // namespace grants
