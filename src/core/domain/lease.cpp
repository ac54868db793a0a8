#include "core/domain/lease.h"

#include <algorithm>

#include "core/domain/cost_model.h"

namespace grants {
namespace {

Ticks in_unit(const ChargeTotals& t, Budget::Unit unit) { return unit == Budget::Unit::Usd ? t.usd : t.chip_hours; }

Ticks nonnegative(WideInt v) { return v <= 0 ? 0 : clamp_ticks(v); }

}  // namespace

Ticks lease_charge(const std::string& unit, Ticks chip_hours, Ticks usd) {
    return charge_in_unit(unit == "usd" ? Budget::Unit::Usd : Budget::Unit::ChipHours, chip_hours, usd);
}

std::vector<LeaseRow> plan_leases(const std::string& cluster, const std::vector<LeaseNeed>& needs,
                                  const LeaseSnapshot& snapshot, std::int64_t now, const LeaseSettings& settings) {
    std::vector<LeaseRow> out;
    for (const LeaseNeed& need : needs) {
        const std::string unit = unit_name(need.unit);
        // What the award spent: as this cluster's book counts it (with
        // tranches: what the active tranches spent), plus whatever the other
        // clusters charged since the book last read the ledger.
        Ticks total_db = 0;
        if (auto c = snapshot.charged.find(need.award); c != snapshot.charged.end()) total_db = in_unit(c->second, need.unit);
        const WideInt charged = static_cast<WideInt>(need.charged_seen) + std::max<WideInt>(0, static_cast<WideInt>(total_db) - need.total_seen);

        WideInt others_amount = 0, others_held = 0, others_demand = 0;
        std::int64_t active = 1;  // this cluster
        std::map<std::string, WideInt> demands;  // by cluster name, this cluster's included
        for (const LeaseRow& r : snapshot.leases) {
            if (r.award != need.award || r.cluster == cluster) continue;
            // A row in another unit was written under an older policy: the
            // award's budget was redefined, and so is every lease of it.
            if (r.unit != unit) continue;
            LeaseRow row = r;
            const bool silent = now - r.renewed_at > settings.timeout;
            if (silent && row.amount > row.held) {
                row.amount = std::max<Ticks>(row.held, 0);
                out.push_back(row);
            }
            others_amount += row.amount;
            others_held += std::max<Ticks>(row.held, 0);
            if (!silent) {
                ++active;
                const WideInt d = std::max<Ticks>(0, row.wanted - row.held);
                others_demand += d;
                if (d > 0) demands[r.cluster] = d;
            }
        }
        const WideInt held = std::max<Ticks>(need.held, 0);
        const WideInt demand = std::max<Ticks>(need.demand, 0);
        const WideInt pool = static_cast<WideInt>(need.budget) - charged - others_held - held;
        WideInt share = 0;
        if (pool > 0) {
            const WideInt all_demand = demand + others_demand;
            if (all_demand <= pool) {
                share = demand + (pool - all_demand) / active;
            } else if (demand > 0) {
                // Not every refused job can be served: whole demands, in
                // cluster name order, so that every cluster computes the same
                // split and at least the first job fits (a split in
                // proportion could leave every cluster short of its job).
                demands[cluster] = demand;
                WideInt left = pool;
                for (const auto& [name, d] : demands) {
                    const WideInt take = std::min(d, left);
                    if (name == cluster) {
                        share = take;
                        break;
                    }
                    left -= take;
                }
            }
        }
        const WideInt free = static_cast<WideInt>(need.budget) - charged - others_amount;
        LeaseRow mine;
        mine.award = need.award;
        mine.cluster = cluster;
        mine.unit = unit;
        mine.amount = nonnegative(std::min(held + share, free));
        mine.held = nonnegative(held);
        mine.wanted = nonnegative(held + demand);
        mine.renewed_at = now;
        out.push_back(std::move(mine));
    }
    return out;
}

std::map<std::string, Ticks> other_clusters_held(const std::string& cluster, const std::vector<LeaseNeed>& needs,
                                                 const LeaseSnapshot& snapshot) {
    std::map<std::string, const char*> units;
    for (const LeaseNeed& n : needs) units[n.award] = unit_name(n.unit);
    std::map<std::string, Ticks> out;
    for (const LeaseRow& r : snapshot.leases) {
        auto u = units.find(r.award);
        if (r.cluster == cluster || u == units.end() || r.unit != u->second) continue;
        out[r.award] = add_saturating(out[r.award], std::max<Ticks>(r.held, 0));
    }
    return out;
}

}  // namespace grants
