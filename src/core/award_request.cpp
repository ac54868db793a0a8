#include "award_request.h"

#include <algorithm>

namespace grants {

AwardRequest award_request_from_env(const std::vector<std::string_view>& env) {
    AwardRequest out;
    for (std::string_view entry : env) {
        if (entry.size() <= kSpankOptionVariable.size() || entry.substr(0, kSpankOptionVariable.size()) != kSpankOptionVariable ||
            entry[kSpankOptionVariable.size()] != '=') {
            continue;
        }
        std::string value(entry.substr(kSpankOptionVariable.size() + 1));
        if (std::find(out.values.begin(), out.values.end(), value) == out.values.end()) out.values.push_back(value);
    }
    if (!out.values.empty()) out.award = out.values.front();
    out.conflicting = out.values.size() > 1;
    return out;
}

}  // namespace grants
