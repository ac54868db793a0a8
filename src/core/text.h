// Small text helpers shared by the core's parsers.
#pragma once

#include <string_view>
#include <vector>

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

}  // namespace grants
