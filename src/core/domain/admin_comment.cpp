#include "core/domain/admin_comment.h"

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

namespace {
constexpr std::string_view kDeadlinePrefix = "grants_deadline=";
}

std::optional<std::int64_t> deadline_in_admin_comment(std::string_view comment) {
    for (const Piece& p : split(comment)) {
        if (!p.token || p.text.substr(0, kDeadlinePrefix.size()) != kDeadlinePrefix) continue;
        std::string_view digits = p.text.substr(kDeadlinePrefix.size());
        if (digits.empty() || digits.size() > 12) return std::nullopt;
        std::int64_t v = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + (c - '0');
        }
        return v;
    }
    return std::nullopt;
}

std::string with_deadline_tag(std::string_view comment, std::int64_t deadline) {
    std::string kept;
    for (const Piece& p : split(comment)) {
        if (!p.token || p.text.substr(0, kDeadlinePrefix.size()) == kDeadlinePrefix) continue;
        if (!kept.empty()) kept += ' ';
        kept += p.text;
    }
    if (deadline > 0) {
        if (!kept.empty()) kept += ' ';
        kept += kDeadlinePrefix;
        kept += std::to_string(deadline);
    }
    return kept;
}

std::string keeping_plugin_tags(std::string_view rewritten, std::string_view before, std::string_view award) {
    std::string kept = with_award_tag(rewritten, award);
    if (deadline_in_admin_comment(kept)) return kept;
    if (auto deadline = deadline_in_admin_comment(before)) return with_deadline_tag(kept, *deadline);
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
