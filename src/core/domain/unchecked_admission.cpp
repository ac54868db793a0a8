#include "core/domain/unchecked_admission.h"

namespace grants {

Admission admit(const Policy& policy, const JobRequest& job, const UsageLookup& usage, BudgetsUnknown unknown) {
    Admission a;
    if (unknown == BudgetsUnknown::No) {
        a.decision = decide_submit(policy, job, usage);
        return a;
    }
    // Nothing used: what the decision concludes from the award alone. The
    // lookup is asked only once everything that needs no usage has passed.
    bool needed_usage = false;
    a.decision = decide_submit(policy, job, [&](const std::string&, const std::string&) {
        needed_usage = true;
        return AwardUsageView{};
    });
    if (!needed_usage) return a;  // refused for a reason of its own (no award, not a member, ...)
    const bool ledger = unknown == BudgetsUnknown::LedgerUnusable;
    a.unchecked_because = ledger ? "the ledger is unusable" : "usage not known yet after (re)start";
    if (policy.on_error == OnError::Closed) {
        Decision refused;
        refused.verdict = Decision::Verdict::Reject;
        refused.message = ledger ? kLedgerUnusableRefusal : kUsageUnknownRefusal;
        a.decision = std::move(refused);
        return a;
    }
    if (a.decision.verdict != Decision::Verdict::Accept) return a;  // would not fit even an unused award
    a.unchecked = true;
    const Award* award = policy.find_award(a.decision.award);
    const Budget::Unit unit = award ? award->budget.unit : Budget::Unit::ChipHours;
    a.decision.message = "award " + a.decision.award + ": " +
                         (ledger ? std::string("the grant ledger is unavailable")
                                 : std::string("budgets are not known yet after a controller restart")) +
                         "; this job was accepted without a budget check. It holds " +
                         format_amount(unit, a.decision.hold, true) +
                         " and is charged to the award as usual.";
    if (a.decision.set_exclusive) {
        a.decision.message += " It asks for no devices of its partition, so it has whole nodes (as with --exclusive).";
    }
    return a;
}

}  // namespace grants
