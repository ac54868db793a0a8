#include "core/domain/award_request.h"

#include <algorithm>
#include <cstdint>

#include "core/base/award_id.h"

namespace grants {

namespace {

void add_if_award(AwardRequest& out, std::string_view entry) {
    if (entry.size() <= kSpankOptionVariable.size() || entry.substr(0, kSpankOptionVariable.size()) != kSpankOptionVariable ||
        entry[kSpankOptionVariable.size()] != '=') {
        return;
    }
    // Past the bound the job is refused anyway: count, compare with nothing
    // (a forged environment of n distinct values would otherwise cost n^2
    // comparisons under the plugin's mutex and slurmctld's job read lock).
    if (++out.entries > kMaxAwardEntries) return;
    std::string_view value = entry.substr(kSpankOptionVariable.size() + 1);
    if (std::find(out.values.begin(), out.values.end(), value) == out.values.end()) out.values.emplace_back(value);
}

void finish(AwardRequest& out) {
    if (!out.values.empty()) out.award = out.values.front();
    out.conflicting = out.values.size() > 1;
}

// 100000 -> "100,000".
std::string count_text(std::size_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// "\"A\", \"B\", \"C\" and 2 more": the first few values, quoted and cut.
std::string some_values(const std::vector<std::string>& values, std::size_t represented) {
    std::string out;
    const std::size_t shown = std::min(values.size(), kAwardValuesQuoted);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i) out += ", ";
        out += quote_untrusted(values[i], kAwardValueQuotedChars);
    }
    if (represented > shown) out += " and " + count_text(represented - shown) + " more";
    return out;
}

}  // namespace

AwardRequest award_request_from_env(const std::vector<std::string_view>& env) {
    AwardRequest out;
    for (std::string_view entry : env) add_if_award(out, entry);
    finish(out);
    return out;
}

AwardRequest award_request_from_env(const char* const* env, std::size_t count) {
    AwardRequest out;
    for (std::size_t i = 0; env && i < count; ++i) {
        if (env[i]) add_if_award(out, env[i]);
    }
    finish(out);
    return out;
}

std::string award_request_problem(const AwardRequest& request) {
    if (request.too_many()) {
        // The values are user-controlled and end up in slurmctld's log.
        return count_text(request.entries) + " award requests in one job (" +
               some_values(request.values, request.entries) + "; sbatch, srun and salloc send one): give --award only once.";
    }
    if (request.conflicting) {
        return "conflicting award requests (" + some_values(request.values, request.values.size()) +
               "): give --award only once.";
    }
    return {};
}

}  // namespace grants
