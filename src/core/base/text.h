// Small text helpers shared by the core's parsers, and the one rendering of
// untrusted text for log lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/award_id.h"  // quote_untrusted

namespace grants {

// "a,b,,c" split at sep: {"a", "b", "", "c"}; "" gives {""}. The pieces
// point into s.
inline std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        auto pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

// Text a user controls (their environment, a job's fields) for a log line or
// a message: as it is when it is short, plain printable ASCII without blanks,
// quotes or backslashes; otherwise quoted by quote_untrusted (control bytes
// and non-ASCII as \xNN, cut at max_chars). Either way it can never end the
// line it is in, forge a line of its own or put a terminal escape into a log.
inline std::string loggable(std::string_view text, std::size_t max_chars = 80) {
    bool plain = !text.empty() && text.size() <= max_chars;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f || c == '"' || c == '\\') plain = false;
    }
    return plain ? std::string(text) : quote_untrusted(text, max_chars);
}

}  // namespace grants
