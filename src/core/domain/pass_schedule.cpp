#include "core/domain/pass_schedule.h"

#include <utility>

namespace grants {

// slurmctld sets last_job_update to time(NULL) whenever any job changes
// (22.05: creation, start, state changes, completion, requeue, update,
// suspend, purge, ...); kSettle covers its one-second resolution. Anything
// missed anyway (a Slurm code path that changes a job without setting it, a
// clock stepping back) is caught by a full pass at least every
// kFullPassEvery seconds.
bool nothing_changed(const SettledPass& last, const PolicyState* state, const JobListStamp& stamp, std::int64_t now) {
    if (!last.valid || state != last.state.get()) return false;
    if (now < last.at || now - last.at >= kFullPassEvery) return false;
    if (last.stamp.last_update + kSettle > last.stamp.read_at) return false;
    return stamp.list == last.stamp.list && stamp.last_update == last.stamp.last_update;
}

// Since the last full pass jobs were only submitted: every new job is held
// through its approval until the next full pass, and no hold can have been
// released or raised (starts, ends, cancellations and failures move
// slurmctld's counters; an accepted update requests a full pass; a requeue
// or anything else uncounted waits at most kBusyPassEvery). This keeps a
// submission burst from copying the whole queue every second.
bool only_submissions(const SettledPass& last, const PolicyState* state, const JobListStamp& stamp, std::int64_t now) {
    return last.valid && state == last.state.get() && now >= last.at && now - last.at < kBusyPassEvery &&
           stamp.same_activity(last.stamp);
}

PassKind decide_pass(const SettledPass& last, const PassInputs& in) {
    // Until usage is known every pass is a full one: slurmctld may recover
    // its jobs without changing anything the skip rules look at.
    if (in.full_requested || !in.usage_known) return PassKind::Full;
    if (only_submissions(last, in.state, in.stamp, in.now)) return PassKind::OnlySubmissions;
    if (nothing_changed(last, in.state, in.stamp, in.now)) return PassKind::Idle;
    return PassKind::Full;
}

SettledPass after_full_pass(const JobListStamp& stamp, std::shared_ptr<const PolicyState> state, std::int64_t at,
                            bool left_to_charge) {
    if (left_to_charge) return SettledPass{};
    return SettledPass{true, stamp, std::move(state), at};
}

ControlChange follow_control(bool was_in_control, bool recovered, bool named) {
    ControlChange c;
    c.in_control = recovered && named;
    c.forget = was_in_control && !c.in_control;
    c.restore_spool = !was_in_control && c.in_control;
    return c;
}

JobListChange notice_job_list(std::uintptr_t seen, std::uintptr_t current) {
    JobListChange c;
    if (current == seen) return c;
    c.changed = true;
    // The first list is this slurmctld's own: usage is unknown until its
    // first full pass anyway.
    c.taken_over = seen != 0;
    return c;
}

}  // namespace grants
