// The controller's local calendar: awards' dates are local days (valid.until
// is inclusive, in the local time zone: grants.yaml(5)), and a charge counts
// on the local day its run started. One home for the rule, used by
// slurmctld's plugin and by grantctl alike.
#pragma once

#include <cstdint>

#include "core/base/date.h"

namespace grants {

// The local day an instant falls on.
DayNumber local_day_of(std::int64_t epoch);
// The instant the local day starts (DST-aware: the day may be 23 or 25 hours).
std::int64_t local_midnight(DayNumber day);
// The instant the local day ends: the next day's start.
inline std::int64_t local_day_end_of(DayNumber day) { return local_midnight(day + 1); }

}  // namespace grants
