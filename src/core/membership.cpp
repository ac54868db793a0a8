#include "membership.h"

namespace grants {

bool is_member(const Award& award, const Identity& who) {
    const Members& m = award.members;
    if (!who.user.empty() && m.users.count(who.user)) return true;
    if (!who.account.empty() && m.accounts.count(who.account)) return true;
    for (const auto& g : who.groups) {
        if (m.groups.count(g)) return true;
    }
    return false;
}

std::vector<std::string> awards_of(const Policy& policy, const Identity& who) {
    std::vector<std::string> out;
    for (const auto& [id, award] : policy.awards) {
        if (is_member(award, who)) out.push_back(id);
    }
    return out;
}

}  // namespace grants
