// An award's status (core/query.h) as a JSON object: balance and metrics --json.
#pragma once

#include <string>

#include "cli/json.h"
#include "core/query.h"

namespace grants::cli {

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
    out += "]}";
    return out;
}

}  // namespace grants::cli
