#include "core/render/ood_balance.h"

#include <algorithm>
#include <set>

#include "core/base/json_text.h"
#include "core/domain/cost_model.h"

namespace grants {

std::string ood_unit(Budget::Unit unit) { return unit == Budget::Unit::Usd ? "dollar" : "chip-hour"; }

std::int64_t whole_units_down(Ticks ticks) {
    const Ticks per = ticks_of(kMicrosPerUnit);
    Ticks q = ticks / per;
    if (ticks % per != 0 && ticks < 0) --q;
    return static_cast<std::int64_t>(q);
}

std::vector<std::string> ood_users(const Award& award, const GroupUsers& group_users) {
    std::set<std::string> users(award.members.users.begin(), award.members.users.end());
    for (const auto& g : award.members.groups) {
        if (!group_users) break;
        for (auto& u : group_users(std::string(g))) users.insert(std::move(u));
    }
    if (!award.pi.empty()) users.insert(award.pi);
    users.insert(award.managers.begin(), award.managers.end());
    users.erase("");
    return {users.begin(), users.end()};
}

OodBalanceFile ood_balance_file(Budget::Unit unit, const std::vector<AwardStatus>& awards, const Policy& policy,
                                const GroupUsers& group_users, std::int64_t now) {
    std::vector<const AwardStatus*> shown;
    for (const AwardStatus& s : awards) {
        if (s.unit == unit && policy.find_award(s.id)) shown.push_back(&s);
    }
    std::sort(shown.begin(), shown.end(), [](const AwardStatus* a, const AwardStatus* b) { return a->id < b->id; });
    OodBalanceFile f;
    f.awards = shown.size();
    f.text = "{\"version\":1,\"timestamp\":" + std::to_string(now) + ",\"config\":{\"unit\":" +
             json_string(ood_unit(unit)) + ",\"project_type\":\"award\"},\"balances\":[";
    for (const AwardStatus* s : shown) {
        const std::string value = std::to_string(whole_units_down(s->left()));
        for (const std::string& user : ood_users(*policy.find_award(s->id), group_users)) {
            f.text += std::string(f.entries++ ? "," : "") + "{\"user\":" + json_string(user) +
                      ",\"project\":" + json_string(s->id) + ",\"value\":" + value + "}";
        }
    }
    f.text += "]}\n";
    return f;
}

}  // namespace grants
