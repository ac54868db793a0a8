#include "core/base/duration.h"

#include <cstdio>
#include <vector>

namespace grants {
namespace {

// Splits "a:b:c" into numbers; nullopt on any non-digit or empty field.
std::optional<std::vector<std::int64_t>> fields(std::string_view s) {
    std::vector<std::int64_t> out;
    std::size_t start = 0;
    for (;;) {
        auto colon = s.find(':', start);
        auto part = s.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
        if (part.empty() || part.size() > 9) return std::nullopt;
        std::int64_t v = 0;
        for (char c : part) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + (c - '0');
        }
        out.push_back(v);
        if (colon == std::string_view::npos) break;
        start = colon + 1;
    }
    return out;
}

}  // namespace

std::optional<std::int64_t> parse_slurm_duration(std::string_view text) {
    std::int64_t total = 0;
    auto dash = text.find('-');
    if (dash != std::string_view::npos) {
        auto day_part = text.substr(0, dash);
        auto days = fields(day_part);
        auto rest = fields(text.substr(dash + 1));
        if (!days || days->size() != 1 || !rest || rest->size() > 3) return std::nullopt;
        const auto& r = *rest;  // H, H:M, H:M:S
        if (r[0] >= 24) return std::nullopt;
        for (std::size_t i = 1; i < r.size(); ++i) {
            if (r[i] >= 60) return std::nullopt;
        }
        if ((*days)[0] > 3650) return std::nullopt;
        total = (*days)[0] * 86400 + r[0] * 3600 + (r.size() > 1 ? r[1] * 60 : 0) + (r.size() > 2 ? r[2] : 0);
    } else {
        auto f = fields(text);
        if (!f) return std::nullopt;
        const auto& v = *f;
        if (v.size() == 1) {  // M
            total = v[0] * 60;
        } else if (v.size() == 2) {  // M:S
            if (v[1] >= 60) return std::nullopt;
            total = v[0] * 60 + v[1];
        } else if (v.size() == 3) {  // H:M:S
            if (v[1] >= 60 || v[2] >= 60) return std::nullopt;
            total = v[0] * 3600 + v[1] * 60 + v[2];
        } else {
            return std::nullopt;
        }
    }
    if (total > kMaxDurationSeconds) return std::nullopt;
    return total;
}

std::string format_duration(std::int64_t seconds) {
    if (seconds < 0) seconds = 0;
    const std::int64_t d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
    char buf[64];
    if (d > 0) {
        std::snprintf(buf, sizeof buf, "%lld-%02lld:%02lld:%02lld", static_cast<long long>(d),
                      static_cast<long long>(h), static_cast<long long>(m), static_cast<long long>(s));
    } else {
        std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(h), static_cast<long long>(m),
                      static_cast<long long>(s));
    }
    return buf;
}

}  // namespace grants
