#include "core/render/award_chart.h"

#include <algorithm>
#include <map>
#include <memory>

#include "core/domain/cost_model.h"

namespace grants {

BurnChartInput chart_input(const AwardReport& by_day, const AwardStatus& status, DayNumber today,
                           const std::function<DayNumber(std::int64_t)>& day_of) {
    BurnChartInput in;
    in.award = status.id;
    in.title = status.title;
    in.unit = status.unit;
    in.today = today;
    in.valid_from = status.valid_from;
    in.valid_until = status.valid_until;
    const bool usd = status.unit == Budget::Unit::Usd;
    for (const ReportRow& row : by_day.rows) {
        if (auto day = parse_date(row.key)) in.spend.emplace_back(*day, charge_in_unit(status.unit, row.chip_hours, row.usd));
    }
    for (const Adjustment& a : by_day.adjustments) {
        if ((a.unit == "usd") == usd) in.spend.emplace_back(day_of(a.at), ticks_of(a.amount));
    }
    const DayNumber start =
        status.valid_from.value_or(in.spend.empty() ? today : std::min_element(in.spend.begin(), in.spend.end())->first);
    if (status.tranches.empty()) {
        in.budget.emplace_back(start, status.budget);
    } else {
        for (const TrancheState& t : status.tranches) in.budget.emplace_back(t.from.value_or(start), t.amount);
    }
    in.held = status.held;
    in.forecast = status.forecast;
    return in;
}

AwardStatus status_from_ledger(const Award& award, const AwardReport& by_day, const std::optional<Funding>& funding,
                               DayNumber today, int window) {
    AwardUsageView usage;
    usage.charged = by_day.total;
    if (funding) {
        usage.funding = std::make_shared<const Funding>(*funding);
        usage.charged = funding->charged;
    }
    AwardStatus s = award_status(award, usage, today);
    std::map<DayNumber, Ticks> daily;
    for (const ReportRow& row : by_day.rows) {
        if (auto day = parse_date(row.key)) daily[*day] = charge_in_unit(s.unit, row.chip_hours, row.usd);
    }
    s.forecast = forecast(daily, today, window, s.left(), award.valid);
    return s;
}

}  // namespace grants
