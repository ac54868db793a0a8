// One award as balance, metrics, reports and alerts show it: the policy's
// award with its usage on one day (the wire carries it: wire/query.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/domain/decision.h"
#include "core/domain/forecast.h"
#include "core/domain/funding.h"
#include "core/domain/instance_types.h"
#include "core/policy/policy.h"

namespace grants {

// One member's share of an award (for its PI and managers).
struct MemberStatus {
    std::string user;
    std::int64_t runs = 0;   // charged runs
    Ticks charged = 0;       // ledger charges (adjustments belong to the award, not to a member)
    Ticks held = 0;          // live jobs' holds
    std::int64_t live_jobs = 0;
};

// One award as balance and metrics show it. Amounts are exact ticks of unit.
struct AwardStatus {
    std::string id, title, pi;
    Budget::Unit unit = Budget::Unit::ChipHours;
    Ticks budget = 0;
    Ticks charged = 0;  // ledger charges and adjustments
    Ticks held = 0;     // maximum cost of pending, running and not-yet-charged jobs
    std::int64_t running_jobs = 0;
    std::int64_t pending_jobs = 0;
    std::optional<DayNumber> valid_from, valid_until;
    std::string state;  // "active", "expired", "not yet valid"
    // Where the award's partitions price nodes by instance type: each type's
    // price per node-hour (instance_types.h), for balance to explain holds.
    std::vector<NodePrice> node_prices;
    // An award with tranches or deposits: each one (funding.h). budget and
    // charged are then those of its active tranches.
    std::vector<TrancheState> tranches;
    // For the award's PI, managers and operators: every member's share.
    std::vector<MemberStatus> members;
    // The burn rate and run-out day, when the controller knows the charges.
    std::optional<Forecast> forecast;
    // Several clusters sharing one ledger (lease.h): what this cluster may
    // commit of the award, its holds included; charged and left are the
    // award's across every cluster.
    std::optional<Ticks> lease;

    Ticks left() const;  // budget - charged - held, may be negative after a debit
};

// "active" / "expired" / "not yet valid" on day today.
std::string validity_state(const Validity& valid, DayNumber today);

// An award's status from the policy and its usage on day today.
AwardStatus award_status(const Award& award, const AwardUsageView& usage, DayNumber today);

}  // namespace grants
