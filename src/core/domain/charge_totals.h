// What an award has spent in both units: the sum of its charges and
// adjustments as the ledger keeps them (ledger.h), and the unit of a lease
// of it (lease.h).
#pragma once

#include "core/base/decimal.h"

namespace grants {

struct ChargeTotals {
    Ticks chip_hours = 0;  // charges + chip_hours adjustments
    Ticks usd = 0;         // charges with a rate + usd adjustments
};

}  // namespace grants
