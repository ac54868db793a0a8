#include "core/base/award_id.h"

#include <cstdio>

namespace grants {
namespace {

bool is_alnum(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_valid_award_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > kAwardIdMaxLength || !is_alnum(id.front())) return false;
    for (char c : id) {
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
}

std::string quote_untrusted(std::string_view text, std::size_t max_chars) {
    std::string out = "\"";
    std::size_t shown = 0;
    for (char c : text) {
        if (shown == max_chars) {
            out += "...";
            break;
        }
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f || byte >= 0x80 || c == '"' || c == '\\') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", byte);
            out += buf;
        } else {
            out += c;
        }
        ++shown;
    }
    out += '"';
    return out;
}

std::string award_id_problem(std::string_view id) {
    if (is_valid_award_id(id)) return {};
    if (id.empty()) return "the award ID is empty: give --award=ID with the ID of one of your awards.";
    std::string why;
    if (id.size() > kAwardIdMaxLength) {
        why = "it is longer than 64 characters";
    } else if (!is_alnum(id.front())) {
        why = "it must start with a letter or digit";
    } else {
        why = "it may contain only letters, digits, '.', '_' and '-'";
    }
    return "award ID " + quote_untrusted(id) + " is not valid: " + why + ".";
}

}  // namespace grants
