// What an award may spend at a moment, from its tranches and deposits.
//
// An award's budget is one amount for its whole validity, or a list of
// tranches, each with its own window (Gold/MAM's allocations of one fund).
// `grantctl deposit` adds supplements (and, with a negative amount,
// corrections) in the ledger; each is a tranche from the day it was made
// until its --until or the award's end. Debits (charges and adjustments, by
// the local day of the run's start or of the adjustment) draw from the
// active tranche that ends first, then the next; what a tranche leaves
// unspent when it ends rolls over into the next one that ends later only
// when the award says rollover: true, otherwise it lapses. A tranche
// overdrawn (an adjustment larger than what was left) passes its debt on to
// the next tranche whatever the rule: money is never forgiven by a date.
//
// fund() is pure and exact (integer ticks); slurmctld's accounting pass
// calls it for every award that has tranches or deposits and publishes the
// result, so the submit path reads two numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/policy/policy.h"

namespace grants {

// A supplement or correction recorded by `grantctl deposit`.
struct Deposit {
    std::int64_t id = 0;           // the ledger's row number (0 until recorded)
    std::string award;
    std::string unit;              // "chip_hours" or "usd", the award's unit when made
    Micros amount = 0;             // positive adds budget, negative removes it
    DayNumber from = 0;            // the local day it was made
    std::optional<DayNumber> until;  // none: until the award ends
    std::string reason, who;
    std::int64_t at = 0;           // epoch seconds
};

// The debits of one award on one local day (credits are negative).
struct DayDebit {
    DayNumber day = 0;
    Ticks amount = 0;
};

struct TrancheState {
    enum class Phase { Future, Active, Ended };
    std::string source;            // "budget", "tranche 2", "deposit 7"
    std::optional<DayNumber> from, until;
    Ticks amount = 0;
    Ticks rolled_in = 0;           // unspent (or debt) passed on by an earlier tranche
    Ticks spent = 0;               // debits that landed here
    Ticks passed_on = 0;           // what it passed on when it ended
    Ticks lapsed = 0;              // unspent and lost when it ended (rollover off)
    Phase phase = Phase::Future;

    // amount + rolled_in - spent (before it ended).
    Ticks left() const;
};

struct Funding {
    std::vector<TrancheState> tranches;  // in the order debits draw from them
    Ticks budget = 0;    // active tranches: amount + rolled in (what "of X" means now)
    Ticks charged = 0;   // active tranches: spent
    Ticks unfunded = 0;  // debits on days after every tranche ended
};

// Whether the award's budget is more than one amount for its validity:
// then fund() decides what it may spend.
inline bool has_funding_rules(const Award& award, bool has_deposits) {
    return has_deposits || !award.tranches.empty();
}

// deposits: this award's, in the order they were made; debits: by day,
// ascending, at most one per day. today: the controller's local day.
Funding fund(const Award& award, const std::vector<Deposit>& deposits, const std::vector<DayDebit>& debits,
             DayNumber today);

std::string_view phase_name(TrancheState::Phase phase);

// When a deposit made today may be spent (grantctl deposit): from today, or
// from the award's start when it has not begun, until the day given, else
// the award's end. A deposit cannot start in the past, add to an award that
// has ended, or outlive it.
struct DepositWindow {
    DayNumber from = 0;
    std::optional<DayNumber> until;
    // Why not: a mistake in what was typed (usage: an --until already
    // past), or the award's dates forbid it (refused). Empty when allowed.
    std::string usage_problem, refusal;
};
DepositWindow deposit_window(const std::string& award_id, const Validity& valid, DayNumber today,
                             std::optional<DayNumber> until);

}  // namespace grants
