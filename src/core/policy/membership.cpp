#include "core/policy/membership.h"

#include <algorithm>
#include <utility>

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

bool is_member(const Policy& policy, std::uint32_t award, const Identity& who) {
    const MemberIndex& index = policy.member_index;
    auto in = [award](const MemberLists& lists, const std::string& name) {
        if (name.empty()) return false;
        const std::uint32_t n = lists.names.find(name);
        return n != NameTable::kNone && lists.has(n, award);
    };
    if (in(index.by_user, who.user) || in(index.by_account, who.account)) return true;
    for (const auto& g : who.groups) {
        if (in(index.by_group, g)) return true;
    }
    return false;
}

std::vector<std::uint32_t> award_numbers_of(const Policy& policy, const Identity& who) {
    std::vector<std::uint32_t> out;
    const MemberIndex& index = policy.member_index;
    auto add = [&out](const MemberLists& lists, const std::string& name) {
        if (name.empty()) return;
        const std::uint32_t n = lists.names.find(name);
        if (n != NameTable::kNone) out.insert(out.end(), lists.first(n), lists.last(n));
    };
    add(index.by_user, who.user);
    add(index.by_account, who.account);
    for (const auto& g : who.groups) add(index.by_group, g);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<std::string> awards_of(const Policy& policy, const Identity& who) {
    std::vector<std::string> out;
    if (!policy.member_index.built) {
        for (const auto& [id, award] : policy.awards) {
            if (is_member(award, who)) out.push_back(id);
        }
        return out;
    }
    // Award numbers follow the order of the IDs: sorted numbers are sorted IDs.
    for (std::uint32_t n : award_numbers_of(policy, who)) out.push_back(policy.member_index.awards.name(n));
    return out;
}

namespace {

// Interns the member names of one kind (users, groups or accounts), plus
// extra names with no awards, and lists each name's award numbers.
void index_kind(MemberLists& lists, const Policy& policy, const NameSet Members::*kind,
                const std::vector<std::string_view>& extra) {
    std::size_t entries = 0;
    for (const auto& entry : policy.awards) entries += (entry.second.members.*kind).size();
    lists.names = NameTable();
    lists.names.reserve(entries);
    // (name number, award number), in award order.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    pairs.reserve(entries);
    std::uint32_t award_number = 0;
    for (const auto& entry : policy.awards) {
        for (const auto& name : entry.second.members.*kind) pairs.emplace_back(lists.names.insert(name), award_number);
        ++award_number;
    }
    for (std::string_view name : extra) lists.names.insert(name);
    // A counting sort by name keeps the award order: every list comes out sorted.
    lists.begin.assign(lists.names.size() + 1, 0);
    for (const auto& p : pairs) ++lists.begin[p.first + 1];
    for (std::size_t i = 1; i < lists.begin.size(); ++i) lists.begin[i] += lists.begin[i - 1];
    std::vector<std::uint32_t> next(lists.begin.begin(), lists.begin.end() - 1);
    lists.awards.assign(pairs.size(), 0);
    for (const auto& p : pairs) lists.awards[next[p.first]++] = p.second;
}

}  // namespace

void index_members(Policy& policy) {
    MemberIndex index;
    std::vector<std::string_view> ids;
    ids.reserve(policy.awards.size());
    for (const auto& entry : policy.awards) ids.push_back(entry.first);
    index.awards.build(ids);
    std::vector<std::string_view> settings;
    settings.reserve(policy.users.size());
    for (const auto& entry : policy.users) settings.push_back(entry.first);
    index_kind(index.by_user, policy, &Members::users, settings);
    index_kind(index.by_group, policy, &Members::groups, {});
    index_kind(index.by_account, policy, &Members::accounts, {});
    index.built = true;

    NameIndex names;
    names.award_at.reserve(policy.awards.size());
    for (const auto& entry : policy.awards) names.award_at.push_back(&entry.second);
    names.user_at.assign(index.by_user.names.size(), nullptr);
    for (const auto& [name, user] : policy.users) names.user_at[index.by_user.names.find(name)] = &user;
    names.built = true;
    policy.member_index = std::move(index);
    policy.name_index = std::move(names);
}

}  // namespace grants
