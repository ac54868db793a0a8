#include "core/domain/submission.h"

#include "core/base/text.h"

namespace grants {

BudgetsUnknown budgets_unknown(bool usage_known, bool ledger_ok) {
    if (!usage_known) return BudgetsUnknown::UsageNotYetKnown;
    if (!ledger_ok) return BudgetsUnknown::LedgerUnusable;
    return BudgetsUnknown::No;
}

SubmissionVerdict decide_submission_without_policy(const PolicyState& state, const JobRequest& request,
                                                   std::uint32_t submit_uid) {
    SubmissionVerdict v;
    v.decision = decide_without_policy(state.fallback, request);
    v.log_is_error = true;
    const std::string uid = std::to_string(submit_uid);
    if (v.decision.verdict == Decision::Verdict::Reject) {
        v.log = "job of uid " + uid + " refused: no usable grant policy (" + state.problem + ")";
    } else if (v.decision.verdict == Decision::Verdict::AcceptUntagged) {
        v.log = "on_error=open: job of uid " + uid + " accepted WITHOUT an award check: no usable grant policy (" +
                state.problem + ")";
    }
    return v;
}

SubmissionVerdict refuse_unreadable_submission(std::string problem) {
    SubmissionVerdict v;
    v.decision.verdict = Decision::Verdict::Reject;
    v.decision.message = std::move(problem);
    return v;
}

SubmissionVerdict decide_submission(const Policy& policy, const JobRequest& request, std::uint32_t submit_uid,
                                    BudgetsUnknown unknown, const UsageLookup& usage) {
    SubmissionVerdict v;
    Admission a = admit(policy, request, usage, unknown);
    v.decision = std::move(a.decision);
    v.unchecked = a.unchecked;
    if (const Award* award = policy.find_award(v.decision.award)) v.unit = award->budget.unit;
    if (!a.unchecked_because.empty()) {
        // Whatever the verdict, it depended on budgets not being checked.
        v.log_is_error = true;
        const std::string uid = std::to_string(submit_uid);
        if (v.unchecked) {
            v.log = "on_error=open: job of uid " + uid + " accepted on award " + v.decision.award +
                    " WITHOUT a budget check (" + a.unchecked_because + "); tagged, held and charged as usual";
        } else {
            v.log = "job of uid " + uid + " refused: " + a.unchecked_because;
        }
    } else if (v.decision.verdict == Decision::Verdict::Reject) {
        v.log = "rejected job of " + loggable(request.who.user) + ": " + v.decision.message;
    }
    return v;
}

}  // namespace grants
