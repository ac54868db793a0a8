#include "core/base/hostlist.h"

#include <cstdint>

#include "core/base/award_id.h"

namespace grants {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One bracket group's values, as strings of their printed width.
bool expand_ranges(std::string_view ranges, std::vector<std::string>* out, std::string* error) {
    if (ranges.empty()) {
        *error = "an empty range '[]'";
        return false;
    }
    std::size_t start = 0;
    while (start <= ranges.size()) {
        std::size_t comma = ranges.find(',', start);
        if (comma == std::string_view::npos) comma = ranges.size();
        const std::string_view range = ranges.substr(start, comma - start);
        const std::size_t dash = range.find('-');
        const std::string_view lo = range.substr(0, dash);
        const std::string_view hi = dash == std::string_view::npos ? lo : range.substr(dash + 1);
        auto number = [](std::string_view s, std::uint64_t* v) {
            if (s.empty() || s.size() > 18) return false;
            *v = 0;
            for (char c : s) {
                if (!is_digit(c)) return false;
                *v = *v * 10 + static_cast<std::uint64_t>(c - '0');
            }
            return true;
        };
        std::uint64_t a = 0, b = 0;
        if (!number(lo, &a) || !number(hi, &b)) {
            *error = "the range '" + std::string(range) + "' is not a number or a range of numbers such as 1-4";
            return false;
        }
        if (b < a) {
            *error = "the range '" + std::string(range) + "' runs backwards";
            return false;
        }
        if (b - a >= kMaxHostlistNames || out->size() + (b - a) >= kMaxHostlistNames) {
            *error = "it names more than " + std::to_string(kMaxHostlistNames) + " nodes";
            return false;
        }
        // Slurm pads to the width of the lower bound when it has a leading zero.
        const std::size_t width = lo.size() > 1 && lo[0] == '0' ? lo.size() : 0;
        for (std::uint64_t v = a;; ++v) {
            std::string s = std::to_string(v);
            if (s.size() < width) s.insert(0, width - s.size(), '0');
            out->push_back(std::move(s));
            if (v == b) break;
        }
        start = comma + 1;
    }
    return true;
}

// One item ("prefix[1-3]mid[a]suffix"), appended to out.
bool expand_item(std::string_view item, std::vector<std::string>* out, std::string* error) {
    std::vector<std::string> names{std::string()};
    std::size_t i = 0;
    while (i < item.size()) {
        const std::size_t open = item.find('[', i);
        const std::string_view text = item.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i);
        if (text.find(']') != std::string_view::npos) {
            *error = "a ']' without its '['";
            return false;
        }
        for (auto& n : names) n += text;
        if (open == std::string_view::npos) break;
        const std::size_t close = item.find(']', open);
        if (close == std::string_view::npos) {
            *error = "a '[' without its ']'";
            return false;
        }
        std::vector<std::string> values;
        if (!expand_ranges(item.substr(open + 1, close - open - 1), &values, error)) return false;
        if (names.size() * values.size() + out->size() > kMaxHostlistNames) {
            *error = "it names more than " + std::to_string(kMaxHostlistNames) + " nodes";
            return false;
        }
        std::vector<std::string> next;
        next.reserve(names.size() * values.size());
        for (const auto& n : names) {
            for (const auto& v : values) next.push_back(n + v);
        }
        names = std::move(next);
        i = close + 1;
    }
    for (auto& n : names) out->push_back(std::move(n));
    return true;
}

}  // namespace

std::vector<std::string_view> split_node_list(std::string_view list) {
    std::vector<std::string_view> items;
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= list.size(); ++i) {
        const bool end = i == list.size();
        const char c = end ? ',' : list[i];
        if (c == '[') ++depth;
        if (c == ']' && depth > 0) --depth;
        if (end || (depth == 0 && (c == ',' || is_space(c)))) {
            if (i > start) items.push_back(list.substr(start, i - start));
            start = i + 1;
        }
    }
    return items;
}

std::optional<std::vector<std::string>> expand_hostlist(std::string_view list, std::string* error) {
    std::vector<std::string> names;
    for (std::string_view item : split_node_list(list)) {
        std::string why;
        if (!expand_item(item, &names, &why)) {
            *error = "the node list " + quote_untrusted(std::string(item)) + " cannot be read: " + why;
            return std::nullopt;
        }
    }
    return names;
}

}  // namespace grants
