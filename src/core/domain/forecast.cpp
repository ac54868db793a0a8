#include "core/domain/forecast.h"

#include <algorithm>

#include "core/domain/cost_model.h"

namespace grants {

namespace {
// A run-out further away than this is "not within a century": no date.
constexpr std::int64_t kMaxRunOutDays = 36525;
}  // namespace

std::optional<std::int64_t> Forecast::days_before_end() const {
    if (!runs_out || !award_end) return std::nullopt;
    return static_cast<std::int64_t>(*award_end) - static_cast<std::int64_t>(*runs_out);
}

Forecast forecast(const std::map<DayNumber, Ticks>& daily, DayNumber today, int window, Ticks left,
                  const Validity& valid) {
    Forecast f;
    f.window = window;
    f.left = left;
    f.award_end = valid.until;
    // The window's days the award was valid up to today: an award that
    // started three days ago burns over three days, not fourteen.
    DayNumber first = today - (window - 1);
    if (valid.from && *valid.from > first) first = *valid.from;
    DayNumber last = today;
    if (valid.until && *valid.until < last) last = *valid.until;
    f.days = last >= first ? static_cast<int>(last - first + 1) : 0;
    WideInt burned = 0;
    for (auto it = daily.lower_bound(first); it != daily.end() && it->first <= last; ++it) burned += it->second;
    f.burned = clamp_ticks(burned);
    if (f.days > 0 && f.burned > 0) f.per_day = f.burned / f.days;
    if (left <= 0) {
        f.runs_out = today;  // nothing left already
    } else if (f.per_day > 0) {
        const std::int64_t days = left / f.per_day;
        if (days <= kMaxRunOutDays) f.runs_out = today + static_cast<DayNumber>(days);
    }
    return f;
}

std::string day_distance(std::int64_t days) {
    if (days < 0) days = -days;
    if (days >= 60) {
        const std::int64_t months = (days + 15) / 30;
        return std::to_string(months) + " months";
    }
    return std::to_string(days) + (days == 1 ? " day" : " days");
}

namespace {
// A rate below one unit a day keeps its millionths ("0.013333 chip-h"), so a
// small but real burn never reads as zero.
std::string rate_text(Budget::Unit unit, Ticks per_day) {
    if (per_day >= ticks_of(kMicrosPerUnit)) return format_amount(unit, per_day);
    return unit == Budget::Unit::Usd ? "$" + format_ticks(per_day) : format_ticks(per_day) + " chip-h";
}
}  // namespace

std::string forecast_sentence(const Forecast& f, Budget::Unit unit) {
    const std::string window = "over the last " + day_distance(f.days);
    if (f.left <= 0) {
        return "nothing is left to spend" +
               (f.per_day > 0 ? " (it burned " + rate_text(unit, f.per_day) + "/day " + window + ")"
                              : std::string());
    }
    if (f.days == 0) return "not valid yet: no burn rate";
    if (f.per_day <= 0) return "nothing was charged " + window + ": no run-out date";
    std::string s = "at " + rate_text(unit, f.per_day) + "/day " + window + ", ";
    if (!f.runs_out) return s + "the budget lasts more than a century";
    s += "runs out on " + format_date(*f.runs_out);
    if (auto before = f.days_before_end()) {
        if (*before > 0) {
            s += ", " + day_distance(*before) + " before the award ends (" + format_date(*f.award_end) + ")";
        } else if (*before == 0) {
            s += ", the award's last day";
        } else {
            s += ", after the award ends (" + format_date(*f.award_end) + "): it lasts the award";
        }
    }
    return s;
}

}  // namespace grants
