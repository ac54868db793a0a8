#include "award_request.h"

#include <algorithm>

namespace grants {

namespace {

void add_if_award(AwardRequest& out, std::string_view entry) {
    if (entry.size() <= kSpankOptionVariable.size() || entry.substr(0, kSpankOptionVariable.size()) != kSpankOptionVariable ||
        entry[kSpankOptionVariable.size()] != '=') {
        return;
    }
    std::string value(entry.substr(kSpankOptionVariable.size() + 1));
    if (std::find(out.values.begin(), out.values.end(), value) == out.values.end()) out.values.push_back(value);
}

void finish(AwardRequest& out) {
    if (!out.values.empty()) out.award = out.values.front();
    out.conflicting = out.values.size() > 1;
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

}  // namespace grants
