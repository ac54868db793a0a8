#include "core/storage/migration_check.h"

#include <set>
#include <tuple>

#include "core/base/decimal.h"
#include "core/domain/cost_model.h"

namespace grants {

MigrationCheck check_migration(const MigrationSource& source, const MigrationTarget& target) {
    MigrationCheck out;
    using ChargeKey = std::tuple<std::string, std::uint32_t, std::int64_t>;
    std::set<ChargeKey> keys;
    for (const auto& c : *source.charges) keys.insert({c.cluster, c.job_id, c.run_start});
    std::map<std::string, std::pair<WideInt, WideInt>> copied;
    for (const auto& c : target.charges) {
        if (!keys.count({c.cluster, c.job_id, c.run_start})) continue;
        ++out.charges_found;
        auto& t = copied[c.award];
        t.first += c.chip_hours;
        t.second += c.usd >= 0 ? c.usd : 0;
    }
    std::multiset<std::tuple<std::string, std::string, Micros, std::string, std::string, std::int64_t>> wanted;
    for (const auto& x : *source.adjustments) wanted.insert({x.award, x.unit, x.amount, x.reason, x.who, x.at});
    for (const auto& x : target.adjustments) {
        auto it = wanted.find({x.award, x.unit, x.amount, x.reason, x.who, x.at});
        if (it == wanted.end()) continue;
        wanted.erase(it);
        ++out.adjustments_found;
        auto& t = copied[x.award];
        (x.unit == "usd" ? t.second : t.first) += static_cast<WideInt>(x.amount) * kTicksPerMicro;
    }
    bool verified = out.charges_found == static_cast<std::int64_t>(source.charges->size()) &&
                    out.adjustments_found == static_cast<std::int64_t>(source.adjustments->size());
    for (const auto& [table, n] : source.row_counts) {
        auto it = target.row_counts.find(table);
        if ((it == target.row_counts.end() ? 0 : it->second) < n) verified = false;
    }
    for (const auto& [award, t] : source.totals) {
        auto it = copied.find(award);
        const ChargeTotals got = it == copied.end()
                                     ? ChargeTotals{}
                                     : ChargeTotals{clamp_ticks(it->second.first), clamp_ticks(it->second.second)};
        const bool same = got.chip_hours == t.chip_hours && got.usd == t.usd;
        verified = verified && same;
        out.awards.push_back(MigrationAward{award, t, got, same});
    }
    out.verified = verified;
    return out;
}

}  // namespace grants
