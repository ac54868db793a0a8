#include "core/domain/policy_audit.h"

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/base/duration.h"
#include "core/domain/cost_model.h"

namespace grants {

namespace {

std::string flow_list(const NameSet& names) {
    std::string out = "[";
    for (const auto& n : names) out += (out.size() > 1 ? ", " : "") + n;
    return out + "]";
}

const char* unit_key(Budget::Unit unit) { return unit == Budget::Unit::Usd ? "usd" : "chip_hours"; }

std::string window(const std::optional<DayNumber>& from, const std::optional<DayNumber>& until) {
    std::string out;
    if (from) out += "from: " + format_date(*from);
    if (until) out += (out.empty() ? "" : ", ") + std::string("until: ") + format_date(*until);
    return out;
}

void put_number(AwardFields& f, const char* field, const std::optional<std::int64_t>& v) {
    if (v) f[field] = std::to_string(*v);
}

}  // namespace

AwardFields audited_fields(const Award& a) {
    AwardFields f;
    if (!a.title.empty()) f["title"] = a.title;
    if (!a.pi.empty()) f["pi"] = a.pi;
    if (!a.managers.empty()) f["managers"] = flow_list(a.managers);
    if (!a.members.users.empty()) f["users"] = flow_list(a.members.users);
    if (!a.members.groups.empty()) f["groups"] = flow_list(a.members.groups);
    if (!a.members.accounts.empty()) f["accounts"] = flow_list(a.members.accounts);
    const std::string valid = window(a.valid.from, a.valid.until);
    if (!valid.empty()) f["valid"] = "{ " + valid + " }";
    f["budget"] = "{ " + std::string(unit_key(a.budget.unit)) + ": " + format_decimal(a.budget.amount) + " }";
    if (!a.tranches.empty()) {
        std::string t = "[";
        for (const Tranche& tr : a.tranches) {
            const std::string w = window(tr.from, tr.until);
            t += (t.size() > 1 ? ", " : "") + std::string("{ ") + unit_key(a.budget.unit) + ": " +
                 format_decimal(tr.amount) + (w.empty() ? "" : ", " + w) + " }";
        }
        f["tranches"] = t + "]";
    }
    if (a.rollover) f["rollover"] = "true";
    if (!a.partitions.empty()) f["partitions"] = flow_list(a.partitions);
    put_number(f, "limits.max_chips_per_job", a.limits.max_chips_per_job);
    if (a.limits.max_walltime_seconds) f["limits.max_walltime"] = format_duration(*a.limits.max_walltime_seconds);
    put_number(f, "limits.max_running_chips", a.limits.max_running_chips);
    put_number(f, "limits.max_jobs", a.limits.max_jobs);
    put_number(f, "limits.per_user.max_running_chips", a.limits.per_user.max_running_chips);
    put_number(f, "limits.per_user.max_jobs", a.limits.per_user.max_jobs);
    return f;
}

PolicyFields audited_fields(const Policy& policy) {
    PolicyFields out;
    for (const auto& [id, award] : policy.awards) out.emplace(id, audited_fields(award));
    return out;
}

std::vector<PolicyChange> diff_awards(const PolicyFields& old, const PolicyFields& now) {
    std::vector<PolicyChange> out;
    static const AwardFields kNone;
    auto o = old.begin();
    auto n = now.begin();
    while (o != old.end() || n != now.end()) {
        const bool take_old = n == now.end() || (o != old.end() && o->first < n->first);
        const bool take_new = o == old.end() || (n != now.end() && n->first < o->first);
        const std::string& id = take_old ? o->first : n->first;
        const AwardFields& before = take_new ? kNone : o->second;
        const AwardFields& after = take_old ? kNone : n->second;
        if (take_new) out.push_back({id, "award", "", "added"});
        if (take_old) out.push_back({id, "award", "present", "removed"});
        auto b = before.begin();
        auto a = after.begin();
        while (b != before.end() || a != after.end()) {
            if (a == after.end() || (b != before.end() && b->first < a->first)) {
                out.push_back({id, b->first, b->second, ""});
                ++b;
            } else if (b == before.end() || a->first < b->first) {
                out.push_back({id, a->first, "", a->second});
                ++a;
            } else {
                if (a->second != b->second) out.push_back({id, a->first, b->second, a->second});
                ++a;
                ++b;
            }
        }
        if (!take_new) ++o;
        if (!take_old) ++n;
    }
    return out;
}

}  // namespace grants
