#include "core/domain/rerun_admission.h"

#include <algorithm>
#include <map>

namespace grants {

std::vector<RerunVerdict> admit_reruns(const Policy& policy, std::vector<WaitingRerun> waiting,
                                       const UsageLookup& usage, DayNumber today) {
    std::sort(waiting.begin(), waiting.end(), [](const WaitingRerun& a, const WaitingRerun& b) {
        return a.queued_at != b.queued_at ? a.queued_at < b.queued_at : a.job_id < b.job_id;
    });
    std::vector<RerunVerdict> out;
    std::map<std::string, BudgetRoom> rooms;  // per award: its room, less what was admitted here
    for (WaitingRerun& r : waiting) {
        const Award* award = policy.find_award(r.award);
        if (!award || (award->valid.until && today > *award->valid.until)) continue;
        auto room = rooms.find(r.award);
        if (room == rooms.end()) room = rooms.emplace(r.award, budget_room(*award, usage(r.award, r.user))).first;
        RerunVerdict v;
        v.fits = room->second.fits(r.cost);
        if (v.fits) {
            room->second.committed += r.cost;
        } else {
            const Budget::Unit unit = room->second.budget.unit;
            v.reason = "requeued, and award " + r.award + " has " + format_left(unit, room->second.left()) + " of " +
                       format_budget(room->second.budget) + " left while this run needs up to " +
                       format_amount(unit, r.cost, true) + ", so it is held and does not run; release it (scontrol "
                       "release " + std::to_string(r.job_id) + ") once the award has room, or ask your PI";
        }
        v.rerun = std::move(r);
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace grants
