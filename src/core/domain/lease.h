// Budget leases: one award, several clusters, one shared ledger
// (MySQL/MariaDB). Each cluster decides in memory, within its lease of the
// award's budget: what it may commit (hold, then charge) without asking the
// others. The accounting thread renews the leases in one ledger transaction
// per pass; a charge written by a cluster lowers its lease by as much in the
// same transaction (the lease turns into the charge). So, in the ledger,
//     charged + the sum of every cluster's lease <= budget
// holds at every commit (the demarcation idea: a cluster only ever takes
// what no other cluster holds), and each cluster keeps its own holds within
// its own lease: no award is overspent across the clusters.
//
// Sizing (plan_leases): the pool is what the award has left once every
// cluster's holds are counted. A cluster that refused a job for want of lease
// says so in its row (wanted); such demand is served first (whole demands in
// cluster name order when the pool cannot serve them all), the rest of the
// pool is split equally among the clusters that renewed within the timeout.
// A cluster only takes what no other cluster's lease covers; the others give
// back what they no longer need at their own renewal, so demand moves to
// where it is within two renewals. A cluster silent for longer than the
// timeout keeps only what backs its holds (its running and queued jobs,
// which may still be charged when it returns); the rest is reclaimed by the
// next cluster that renews.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/base/decimal.h"
#include "core/domain/charge_totals.h"
#include "core/policy/policy.h"

namespace grants {

// One cluster's lease of one award, as the ledger keeps it.
struct LeaseRow {
    std::string award, cluster;
    std::string unit;            // "chip_hours" or "usd": the award's unit when it was renewed
    Ticks amount = 0;            // what the cluster may commit: its holds and charges not yet written
    Ticks held = 0;              // what it held at its last renewal
    Ticks wanted = 0;            // held + the largest cost it refused for want of lease lately
    std::int64_t renewed_at = 0; // epoch seconds
};

// What the ledger holds of some awards, read in the renewal's transaction.
struct LeaseSnapshot {
    std::map<std::string, ChargeTotals> charged;  // per award: every cluster's charges and adjustments
    std::vector<LeaseRow> leases;                 // every cluster's rows of those awards
};

struct LeaseSettings {
    std::int64_t timeout = 120;  // seconds without renewal before a cluster's free lease is reclaimed
};

// What this cluster knows of one award when it renews.
struct LeaseNeed {
    std::string award;
    Budget::Unit unit = Budget::Unit::ChipHours;
    Ticks budget = 0;        // what the award may spend in all (budget_room's budget_ticks)
    Ticks charged_seen = 0;  // what budget_room counts as charged, as this cluster's book has it
    Ticks total_seen = 0;    // all charges and adjustments of the award in its unit, as the book has them
    Ticks held = 0;          // this cluster's holds: pending, running, ended and not yet written
    Ticks demand = 0;        // the largest cost refused lately for want of lease (0: none)
};

// The rows to write: this cluster's new lease of each needed award, and the
// free part of silent clusters' leases reclaimed (their amount cut to what
// they held). Pure; the ledger calls it inside the transaction.
std::vector<LeaseRow> plan_leases(const std::string& cluster, const std::vector<LeaseNeed>& needs,
                                  const LeaseSnapshot& snapshot, std::int64_t now, const LeaseSettings& settings);

// Per award of needs, what the other clusters held at their last renewal
// (rows in the award's unit): the award's check counts it as held.
std::map<std::string, Ticks> other_clusters_held(const std::string& cluster, const std::vector<LeaseNeed>& needs,
                                                 const LeaseSnapshot& snapshot);

// What a charge takes from a lease in the lease's unit.
Ticks lease_charge(const std::string& unit, Ticks chip_hours, Ticks usd);

}  // namespace grants
