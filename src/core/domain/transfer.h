// grantctl transfer: moving budget from one award to another as one linked,
// audited entry (ledger.h, Transfer). The rule is here so that it is unit
// tested without a ledger or slurmctld:
//
// - FROM and TO are two different awards of the policy; TO has not ended.
// - AMOUNT (> 0) is in FROM's unit. Between awards of the same unit TO is
//   credited the same amount and a rate is refused; between a chip-hour and
//   a dollar award a rate (TO units per FROM unit) is required, and TO is
//   credited AMOUNT x rate, rounded to the nearest millionth (half up).
// - A transfer may not leave FROM below what it has committed: AMOUNT must
//   not exceed FROM's left (budget and deposits less charges, adjustments and
//   the holds of its live jobs), as `grantctl balance` shows it. A grant
//   office moves what is unused, never what running jobs were promised.
//
// FROM's leg is a debit (a positive adjustment), TO's a credit (negative),
// so every sum of adjustments (balances, reports, tranches, statements,
// slurmctld's totals) counts a transfer without knowing about it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/domain/ledger_records.h"
#include "core/policy/policy.h"

namespace grants {

struct TransferRequest {
    const Award* from = nullptr;  // null: not in the policy
    const Award* to = nullptr;
    std::string from_id, to_id;   // as given, for the sentences
    Micros amount = 0;            // in FROM's unit
    std::optional<Micros> rate;   // millionths of a TO unit per FROM unit
    std::optional<Ticks> from_left;  // FROM's left now; nullopt: not known (not checked)
    DayNumber today = 0;
    std::string reason, who;
    std::int64_t at = 0;
};

struct TransferPlan {
    std::optional<Transfer> transfer;  // set: record it
    std::string refusal;               // else: one sentence
};

TransferPlan plan_transfer(const TransferRequest& request);

}  // namespace grants
