// grantctl ledger migrate's verification: after the copy into the shared
// ledger is committed, what was read back from it is compared with the
// source SQLite ledger. Pure: the caller reads both ledgers.
//
// Verified when every source charge (keyed by cluster, job id and run start)
// and every source adjustment (award, unit, amount, reason, who, time) is in
// the target, no table of the target has fewer rows than the source's, and,
// per award, the copied charges and adjustments add up to the source's
// totals in both units. The target may hold more (other clusters' rows).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/domain/charge_totals.h"
#include "core/storage/ledger.h"

namespace grants {

struct MigrationSource {
    const std::vector<ChargeRecord>* charges = nullptr;
    const std::vector<Adjustment>* adjustments = nullptr;
    std::map<std::string, ChargeTotals> totals;        // per award, as Ledger::totals
    std::map<std::string, std::int64_t> row_counts;     // per table
};

struct MigrationTarget {
    std::vector<ChargeRecord> charges;
    std::vector<Adjustment> adjustments;
    std::map<std::string, std::int64_t> row_counts;
};

struct MigrationAward {
    std::string award;
    ChargeTotals source, copied;
    bool same = false;
};

struct MigrationCheck {
    bool verified = false;
    std::int64_t charges_found = 0, adjustments_found = 0;
    std::vector<MigrationAward> awards;  // one per award of the source's totals, in its order
};

MigrationCheck check_migration(const MigrationSource& source, const MigrationTarget& target);

}  // namespace grants
