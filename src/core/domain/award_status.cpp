#include "core/domain/award_status.h"

#include "core/domain/cost_model.h"

namespace grants {

Ticks AwardStatus::left() const { return clamp_ticks(static_cast<WideInt>(budget) - charged - held); }

std::string validity_state(const Validity& valid, DayNumber today) {
    if (valid.from && today < *valid.from) return "not yet valid";
    if (valid.until && today > *valid.until) return "expired";
    return "active";
}

AwardStatus award_status(const Award& award, const AwardUsageView& usage, DayNumber today) {
    AwardStatus s;
    s.id = award.id;
    s.title = award.title;
    s.pi = award.pi;
    s.unit = award.budget.unit;
    s.budget = ticks_of(award.budget.amount);
    s.charged = usage.charged;
    if (usage.funding) {
        s.budget = usage.funding->budget;
        s.tranches = usage.funding->tranches;
    }
    // Several clusters: the others' holds as of their last lease renewal too.
    s.held = add_saturating(usage.held, usage.other_clusters_held);
    s.lease = usage.lease;
    s.running_jobs = usage.running_jobs;
    s.pending_jobs = usage.pending_jobs;
    s.valid_from = award.valid.from;
    s.valid_until = award.valid.until;
    s.state = validity_state(award.valid, today);
    return s;
}

}  // namespace grants
