#include "core/domain/node_constraint.h"

#include <algorithm>

#include "core/base/text.h"

namespace grants {
namespace {

bool is_operator(char c) {
    return c == '&' || c == '|' || c == ',' || c == '*' || c == '(' || c == ')' || c == '[' || c == ']';
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A recursive descent over Slurm's grammar; any deviation fails the parse.
class Parser {
public:
    explicit Parser(std::string_view text) : s_(text) {}

    // The whole expression: terms joined by operators, up to the end.
    bool expression(std::vector<ConstraintTerm>& terms, int& bracket) {
        if (!sequence(terms, '\0', false, false)) return false;
        for (std::size_t i = 0; i < terms.size(); ++i) {
            if (terms[i].kind == ConstraintTerm::Kind::Bracket) bracket = static_cast<int>(i);
        }
        return true;
    }

    bool counted() const { return counted_; }

private:
    // Terms joined by '&' ',' '|' up to `close` ('\0': the end). In a group
    // only features; in the bracketed set features and groups.
    bool sequence(std::vector<ConstraintTerm>& out, char close, bool in_bracket, bool in_group) {
        for (;;) {
            ConstraintTerm t;
            if (!term(t, in_bracket, in_group)) return false;
            out.push_back(std::move(t));
            if (at_end()) return close == '\0';
            const char c = s_[i_++];
            if (c == close) return true;
            if (c == '&' || c == ',') {
                out.back().and_next = true;
            } else if (c == '|') {
                out.back().and_next = false;
            } else {
                return false;  // "a)b", "(a)b", a stray ']' ...
            }
        }
    }

    bool term(ConstraintTerm& t, bool in_bracket, bool in_group) {
        if (at_end()) return false;
        const char c = s_[i_];
        if (c == '(') {
            if (in_group) return false;  // Slurm does not nest parentheses
            ++i_;
            t.kind = ConstraintTerm::Kind::Group;
            return sequence(t.items, ')', in_bracket, true) && count(true);
        }
        if (c == '[') {
            if (in_bracket || in_group || bracket_seen_) return false;  // one bracketed set, at the top
            bracket_seen_ = true;
            ++i_;
            t.kind = ConstraintTerm::Kind::Bracket;
            return sequence(t.items, ']', true, false) && count(true);
        }
        if (is_operator(c)) return false;
        const std::size_t start = i_;
        while (!at_end() && !is_operator(s_[i_])) ++i_;
        const std::string_view name = trimmed(s_.substr(start, i_ - start));
        if (name.empty()) return false;
        t.kind = ConstraintTerm::Kind::Feature;
        t.name = std::string(name);
        return count(!in_group);  // Slurm refuses a count inside parentheses
    }

    // An optional "*N" (N > 0) after a term.
    bool count(bool allowed) {
        if (at_end() || s_[i_] != '*') return true;
        if (!allowed) return false;
        ++i_;
        std::size_t digits = 0;
        bool positive = false;
        while (!at_end() && s_[i_] >= '0' && s_[i_] <= '9') {
            positive = positive || s_[i_] != '0';
            ++i_;
            ++digits;
        }
        if (digits == 0 || digits > 9 || !positive) return false;
        counted_ = true;
        return true;
    }

    bool at_end() const { return i_ >= s_.size(); }

    std::string_view s_;
    std::size_t i_ = 0;
    bool bracket_seen_ = false;
    bool counted_ = false;
};

bool has(const std::vector<std::string>& features, const std::string& name) {
    return std::binary_search(features.begin(), features.end(), name);
}

bool holds(const ConstraintTerm& t, const std::vector<std::string>& features);

// Left to right, no precedence (as Slurm evaluates it).
bool holds_in_order(const std::vector<ConstraintTerm>& terms, const std::vector<std::string>& features) {
    bool value = holds(terms.front(), features);
    for (std::size_t i = 1; i < terms.size(); ++i) {
        value = terms[i - 1].and_next ? (value && holds(terms[i], features)) : (value || holds(terms[i], features));
    }
    return value;
}

bool holds(const ConstraintTerm& t, const std::vector<std::string>& features) {
    switch (t.kind) {
        case ConstraintTerm::Kind::Feature:
            return has(features, t.name);
        case ConstraintTerm::Kind::Group:
            return holds_in_order(t.items, features);
        case ConstraintTerm::Kind::Bracket:
            // Matching OR: the job's nodes share one of the items; multiple
            // counts: different nodes take different items. Either way a node
            // with any item may be one of them.
            return std::any_of(t.items.begin(), t.items.end(),
                               [&](const ConstraintTerm& item) { return holds(item, features); });
    }
    return true;
}

}  // namespace

std::optional<NodeConstraint> NodeConstraint::parse(std::string_view expression) {
    NodeConstraint c;
    Parser p(expression);
    if (!p.expression(c.terms_, c.bracket_)) return std::nullopt;
    c.counted_ = p.counted();
    return c;
}

bool NodeConstraint::admits(const std::vector<std::string>& features) const {
    if (counted_) {
        // Slurm then narrows the node set only to the bracketed set's nodes:
        // the job's other nodes may be any of the partition's.
        return bracket_ < 0 || holds(terms_[static_cast<std::size_t>(bracket_)], features);
    }
    return holds_in_order(terms_, features);
}

std::vector<std::string> split_features(std::string_view features) {
    std::vector<std::string> out;
    for (std::string_view f : split(features, ',')) {
        f = trimmed(f);
        if (!f.empty()) out.emplace_back(f);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace grants
