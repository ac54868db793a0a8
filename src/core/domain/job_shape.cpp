#include "core/domain/job_shape.h"

#include <vector>

#include "core/base/text.h"

namespace grants {
namespace {

std::optional<std::int64_t> number(std::string_view s, std::int64_t limit) {
    if (s.empty() || s.size() > 12) return std::nullopt;
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    if (v > limit) return std::nullopt;
    return v;
}

// "4", "2k" (Slurm accepts k, m, g multipliers of 1024 on GRES counts).
std::optional<std::int64_t> gres_number(std::string_view s) {
    std::int64_t mult = 1;
    if (!s.empty()) {
        char c = s.back();
        if (c == 'k' || c == 'K') mult = 1024;
        if (c == 'm' || c == 'M') mult = 1024 * 1024;
        if (c == 'g' || c == 'G') mult = 1024LL * 1024 * 1024;
        if (mult != 1) s.remove_suffix(1);
    }
    auto v = number(s, 1'000'000'000);
    if (!v) return std::nullopt;
    return *v * mult;
}

}  // namespace

std::optional<std::int64_t> gres_count(std::string_view tres, std::string_view name, bool* malformed,
                                       std::string_view type) {
    if (malformed) *malformed = false;
    std::optional<std::int64_t> total;
    if (tres.empty()) return total;
    for (std::string_view entry : split(tres, ',')) {
        std::string_view rest;
        if (entry.substr(0, 5) == "gres:" || entry.substr(0, 5) == "gres/") {
            rest = entry.substr(5);
        } else {
            continue;  // cpu=, mem=, license/... are not chips
        }
        // name[:type][:count] or name[:type]=count? Slurm 22.05 uses ':'.
        auto parts = split(rest, ':');
        if (parts.front() != name) continue;
        std::int64_t count = 1;
        if (parts.size() >= 2) {
            auto c = gres_number(parts.back());
            if (c) {
                count = *c;
            } else if (parts.size() == 2 && (parts.back().empty() || parts.back()[0] < '0' || parts.back()[0] > '9')) {
                // "neuron:trn2": a type with an implied count of 1. Like Slurm, a field
                // that starts with a digit is a count, so "neuron:99999999999999" is malformed.
                count = 1;
            } else {
                if (malformed) *malformed = true;
                return std::nullopt;
            }
        }
        if (parts.size() > 3) {
            if (malformed) *malformed = true;
            return std::nullopt;
        }
        if (!type.empty()) {
            std::string_view entry_type;
            if (parts.size() == 3) entry_type = parts[1];
            if (parts.size() == 2 && (parts[1].empty() || parts[1][0] < '0' || parts[1][0] > '9'))
                entry_type = parts[1];
            if (!entry_type.empty() && entry_type != type) continue;
        }
        // Saturate: many huge entries must not wrap around to a small or negative count.
        constexpr std::int64_t kCap = INT64_MAX / 4;
        total = total.value_or(0) > kCap - count ? kCap : total.value_or(0) + count;
    }
    return total;
}

std::optional<std::int64_t> array_task_count(std::string_view spec, std::int64_t max_tasks) {
    auto pct = spec.find('%');
    if (pct != std::string_view::npos) {
        if (!number(spec.substr(pct + 1), 1'000'000'000)) return std::nullopt;
        spec = spec.substr(0, pct);
    }
    if (spec.empty()) return std::nullopt;
    std::int64_t total = 0;
    for (std::string_view part : split(spec, ',')) {
        std::int64_t step = 1;
        auto colon = part.find(':');
        if (colon != std::string_view::npos) {
            auto s = number(part.substr(colon + 1), 1'000'000'000);
            if (!s || *s == 0) return std::nullopt;
            step = *s;
            part = part.substr(0, colon);
        }
        auto dash = part.find('-');
        std::int64_t count;
        if (dash == std::string_view::npos) {
            if (!number(part, 4'000'000'000LL) || step != 1) return std::nullopt;
            count = 1;
        } else {
            auto lo = number(part.substr(0, dash), 4'000'000'000LL);
            auto hi = number(part.substr(dash + 1), 4'000'000'000LL);
            if (!lo || !hi || *hi < *lo) return std::nullopt;
            count = (*hi - *lo) / step + 1;
        }
        total += count;
        if (total > max_tasks) return std::nullopt;
    }
    return total;
}

}  // namespace grants
