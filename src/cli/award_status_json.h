// An award's status (core/wire/query.h) as a JSON object: balance and metrics --json.
#pragma once

#include <string>

#include "cli/json.h"
#include "core/wire/query.h"

namespace grants::cli {

// Tranches (funding.h) as a JSON array.
inline std::string tranches_json(const std::vector<TrancheState>& tranches) {
    std::string out = "[";
    for (std::size_t i = 0; i < tranches.size(); ++i) {
        const TrancheState& t = tranches[i];
        out += std::string(i ? "," : "") + "{\"source\":" + json_string(t.source) +
               ",\"phase\":" + json_string(std::string(phase_name(t.phase))) +
               ",\"from\":" + (t.from ? json_string(format_date(*t.from)) : "null") +
               ",\"until\":" + (t.until ? json_string(format_date(*t.until)) : "null") +
               ",\"amount\":" + format_ticks(t.amount) + ",\"rolled_in\":" + format_ticks(t.rolled_in) +
               ",\"spent\":" + format_ticks(t.spent) + ",\"left\":" +
               format_ticks(t.phase == TrancheState::Phase::Ended ? 0 : t.left()) +
               ",\"passed_on\":" + format_ticks(t.passed_on) + ",\"lapsed\":" + format_ticks(t.lapsed) + "}";
    }
    return out + "]";
}

// A forecast (forecast.h) as a JSON object, null when there is none.
inline std::string forecast_json(const std::optional<Forecast>& f) {
    if (!f) return "null";
    const auto before = f->days_before_end();
    return "{\"window_days\":" + std::to_string(f->window) + ",\"days\":" + std::to_string(f->days) +
           ",\"burned\":" + format_ticks(f->burned) + ",\"per_day\":" + format_ticks(f->per_day) +
           ",\"runs_out\":" + (f->runs_out ? json_string(format_date(*f->runs_out)) : "null") +
           ",\"days_before_end\":" + (before ? std::to_string(*before) : "null") + "}";
}

inline std::string award_status_json(const AwardStatus& s) {
    std::string out = "{\"award\":" + json_string(s.id) + ",\"title\":" + json_string(s.title) +
                      ",\"pi\":" + json_string(s.pi) + ",\"unit\":" + json_string(unit_name(s.unit)) +
                      ",\"budget\":" + format_ticks(s.budget) + ",\"charged\":" + format_ticks(s.charged) +
                      ",\"held\":" + format_ticks(s.held) + ",\"left\":" + format_ticks(s.left()) +
                      ",\"running_jobs\":" + std::to_string(s.running_jobs) +
                      ",\"pending_jobs\":" + std::to_string(s.pending_jobs) + ",\"valid_from\":" +
                      (s.valid_from ? json_string(format_date(*s.valid_from)) : "null") + ",\"valid_until\":" +
                      (s.valid_until ? json_string(format_date(*s.valid_until)) : "null") +
                      ",\"state\":" + json_string(s.state) + ",\"node_prices\":[";
    for (std::size_t i = 0; i < s.node_prices.size(); ++i) {
        const NodePrice& p = s.node_prices[i];
        out += std::string(i ? "," : "") + "{\"partition\":" + json_string(p.partition) + ",\"instance_type\":" +
               (p.instance_type.empty() ? "null" : json_string(p.instance_type)) +
               ",\"chips\":" + std::to_string(p.chips) + ",\"per_node_hour\":" +
               (p.per_node_hour ? format_ticks(*p.per_node_hour) : "null") + "}";
    }
    out += "],\"tranches\":" + tranches_json(s.tranches);
    out += ",\"forecast\":" + forecast_json(s.forecast);
    out += ",\"cluster_lease\":" + (s.lease ? format_ticks(*s.lease) : std::string("null"));
    if (!s.members.empty()) {
        out += ",\"members\":[";
        for (std::size_t i = 0; i < s.members.size(); ++i) {
            const MemberStatus& m = s.members[i];
            out += std::string(i ? "," : "") + "{\"user\":" + json_string(m.user) +
                   ",\"runs\":" + std::to_string(m.runs) + ",\"charged\":" + format_ticks(m.charged) +
                   ",\"held\":" + format_ticks(m.held) + ",\"jobs\":" + std::to_string(m.live_jobs) + "}";
        }
        out += "]";
    }
    out += "}";
    return out;
}

}  // namespace grants::cli
