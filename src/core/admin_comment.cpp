#include "admin_comment.h"

#include <vector>

namespace grants {
namespace {

constexpr std::string_view kTokenPrefix = "award=";

bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ';'; }

// Splits comment into tokens and the separators between them (kept verbatim).
struct Piece {
    std::string_view text;
    bool token;
};

std::vector<Piece> split(std::string_view comment) {
    std::vector<Piece> pieces;
    std::size_t i = 0;
    while (i < comment.size()) {
        std::size_t j = i;
        bool sep = is_separator(comment[i]);
        while (j < comment.size() && is_separator(comment[j]) == sep) ++j;
        pieces.push_back(Piece{comment.substr(i, j - i), !sep});
        i = j;
    }
    return pieces;
}

bool is_award_token(std::string_view token) { return token.substr(0, kTokenPrefix.size()) == kTokenPrefix; }

}  // namespace

std::optional<std::string> award_in_admin_comment(std::string_view comment) {
    for (const Piece& p : split(comment)) {
        if (p.token && is_award_token(p.text)) return std::string(p.text.substr(kTokenPrefix.size()));
    }
    return std::nullopt;
}

std::string with_award_tag(std::string_view comment, std::string_view award) {
    std::string kept;
    for (const Piece& p : split(comment)) {
        if (p.token && is_award_token(p.text)) continue;
        if (p.token) {
            if (!kept.empty()) kept += ' ';
            kept += p.text;
        }
    }
    if (!kept.empty()) kept += ' ';
    kept += kTokenPrefix;
    kept += award;
    return kept;
}

bool has_unchecked_mark(std::string_view comment) {
    for (const Piece& p : split(comment)) {
        if (p.token && p.text == kUncheckedMark) return true;
    }
    return false;
}

std::string with_unchecked_mark(std::string_view comment) {
    if (has_unchecked_mark(comment)) return std::string(comment);
    std::string out(comment);
    if (!out.empty()) out += ' ';
    out += kUncheckedMark;
    return out;
}

}  // namespace grants
