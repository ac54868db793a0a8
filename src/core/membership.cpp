#include "membership.h"

#include <algorithm>

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
    const MemberIndex& index = policy.member_index;
    if (!index.built) {
        for (const auto& [id, award] : policy.awards) {
            if (is_member(award, who)) out.push_back(id);
        }
        return out;
    }
    auto add = [&out](const std::unordered_map<std::string, std::vector<std::string>>& map, const std::string& key) {
        if (auto it = map.find(key); it != map.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    };
    if (!who.user.empty()) add(index.by_user, who.user);
    if (!who.account.empty()) add(index.by_account, who.account);
    for (const auto& g : who.groups) add(index.by_group, g);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void index_members(Policy& policy) {
    MemberIndex index;
    std::size_t users = 0, groups = 0, accounts = 0;
    for (const auto& entry : policy.awards) {
        users += entry.second.members.users.size();
        groups += entry.second.members.groups.size();
        accounts += entry.second.members.accounts.size();
    }
    index.by_user.reserve(users);
    index.by_group.reserve(groups);
    index.by_account.reserve(accounts);
    // policy.awards is ordered by ID, so every list comes out sorted.
    for (const auto& [id, award] : policy.awards) {
        for (const auto& u : award.members.users) index.by_user[u].push_back(id);
        for (const auto& g : award.members.groups) index.by_group[g].push_back(id);
        for (const auto& a : award.members.accounts) index.by_account[a].push_back(id);
    }
    index.built = true;
    policy.member_index = std::move(index);

    NameIndex names;
    names.awards.reserve(policy.awards.size());
    for (const auto& [id, award] : policy.awards) names.awards.emplace(id, &award);
    names.users.reserve(policy.users.size());
    for (const auto& [name, settings] : policy.users) names.users.emplace(name, &settings);
    names.built = true;
    policy.name_index = std::move(names);
}

}  // namespace grants
