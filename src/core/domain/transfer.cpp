#include "core/domain/transfer.h"

#include "core/domain/cost_model.h"
#include "core/domain/cost_model.h"

namespace grants {

namespace {

// Exact, as a grant office reads amounts: "57.25 chip-h", "$2.68".
std::string exact(Budget::Unit unit, Ticks t) {
    return unit == Budget::Unit::Usd ? "$" + format_ticks(t) : format_ticks(t) + " chip-h";
}

TransferPlan refuse(std::string why) {
    TransferPlan p;
    p.refusal = std::move(why);
    return p;
}

}  // namespace

TransferPlan plan_transfer(const TransferRequest& r) {
    if (r.from_id == r.to_id) return refuse("a transfer needs two different awards, not " + r.from_id + " twice.");
    if (!r.from) return refuse("award " + r.from_id + " is not in the policy.");
    if (!r.to) return refuse("award " + r.to_id + " is not in the policy.");
    if (r.amount <= 0) return refuse("the amount of a transfer must be more than zero.");
    if (r.amount > kMaxAmountMicros) return refuse("the amount of a transfer must be at most 1,000,000,000.");
    const Budget::Unit from_unit = r.from->budget.unit, to_unit = r.to->budget.unit;
    if (from_unit == to_unit && r.rate) {
        return refuse("awards " + r.from_id + " and " + r.to_id + " are both in " + unit_name(from_unit) +
                      ": a transfer between them takes no --rate.");
    }
    if (from_unit != to_unit && !r.rate) {
        return refuse("award " + r.from_id + " is in " + unit_name(from_unit) + " and " + r.to_id + " in " +
                      unit_name(to_unit) + ": give --rate, the " + unit_name(to_unit) + " credited per " +
                      unit_name(from_unit) + " moved.");
    }
    if (r.rate && *r.rate <= 0) return refuse("--rate must be more than zero.");
    if (r.to->valid.until && *r.to->valid.until < r.today) {
        return refuse("award " + r.to_id + " ended on " + format_date(*r.to->valid.until) +
                      "; a transfer cannot fund an award that has ended.");
    }
    Micros to_amount = r.amount;
    if (r.rate) {
        const WideInt product = static_cast<WideInt>(r.amount) * *r.rate;
        const WideInt rounded = (product + kMicrosPerUnit / 2) / kMicrosPerUnit;
        if (rounded <= 0) return refuse("at that --rate the transfer would credit " + r.to_id + " nothing.");
        if (rounded > kMaxAmountMicros) return refuse("at that --rate the transfer would credit " + r.to_id +
                                                      " more than 1,000,000,000.");
        to_amount = static_cast<Micros>(rounded);
    }
    if (r.from_left && ticks_of(r.amount) > *r.from_left) {
        return refuse("award " + r.from_id + " has " + exact(from_unit, *r.from_left > 0 ? *r.from_left : 0) +
                      " left (budget and deposits less charges, adjustments and its live jobs' holds); a transfer "
                      "may not take more than that.");
    }
    Transfer t;
    t.from.award = r.from_id;
    t.from.unit = unit_name(from_unit);
    t.from.amount = r.amount;  // a debit of FROM
    t.from.counterpart = r.to_id;
    t.to.award = r.to_id;
    t.to.unit = unit_name(to_unit);
    t.to.amount = -to_amount;  // a credit of TO
    t.to.counterpart = r.from_id;
    for (Adjustment* leg : {&t.from, &t.to}) {
        leg->reason = r.reason;
        leg->who = r.who;
        leg->at = r.at;
    }
    t.rate_micros = r.rate ? *r.rate : 0;
    TransferPlan p;
    p.transfer = std::move(t);
    return p;
}

}  // namespace grants
