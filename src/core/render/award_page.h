// One award as a single self-contained HTML page (grantctl report --html),
// for its PI: the burn-down chart (inline SVG), the members' charges, the
// forecast, the tranches, the last charges and the adjustments. No script,
// no external asset (styles inline): it works offline, from Open OnDemand's
// file browser or as an e-mail attachment. Every text from the ledger or
// the policy is escaped (markup.h). Numbers are printed as report --json
// prints them (format_ticks), in cells a test can find by id or class.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/base/date.h"
#include "core/domain/report.h"
#include "core/wire/query.h"

namespace grants {

// How many of the award's last charged jobs the page lists.
inline constexpr std::size_t kPageLastCharges = 20;

struct AwardPageInput {
    AwardStatus status;   // budget, charged, held, tranches, forecast; members' holds when slurmctld answered
    AwardReport by_user;  // the members' charges and the award's adjustments
    AwardReport by_day;   // the chart
    AwardReport by_job;   // the last charges (job order)
    DayNumber today = 0;
    std::string generated;  // when the page was made, local time, as text
    std::function<std::string(std::int64_t)> time_text;  // an adjustment's time, local
    std::function<DayNumber(std::int64_t)> day_of;       // an adjustment's local day (the chart)
};

std::string award_page_html(const AwardPageInput& in);

}  // namespace grants
