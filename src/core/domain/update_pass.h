// Which accepted job updates ask the accounting thread for a full pass at
// once, and how often (docs/design.md "Holds").
//
// A full pass copies slurmctld's whole job list under its job read lock.
// While only submissions happen, full passes are kept at least
// kBusyPassEvery seconds apart (pass_schedule.h); job_modify used to
// request one after every accepted update, so a loop of `scontrol update
// JobId=N Comment=x` by any user kept the copy running every second.
//
// Correctness never depends on such a request: an update that raises a
// job's hold is held at once as an "update hold" (UsageTracker::
// hold_until_next_pass), which lasts until a pass that copied the jobs after
// the update publishes; any accepted update moves slurmctld's
// last_job_update (_update_job in job_mgr.c, 22.05 and 24.11), so that pass
// comes within kBusyPassEvery seconds whether or not it was requested, well
// inside the 60 s an update hold may wait. An update that
// lowers a hold (a shorter limit, fewer nodes, a job moved out of scope) is
// over-held until then, never under-held. The request only makes the new
// figures show sooner; so only updates that can change what a job holds,
// costs or which award it draws on ask for one, at most one per kEvery
// seconds. Holds, releases, priorities, comments, names and the like ask
// for none.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

namespace grants {

class UpdatePassThrottle {
public:
    // At most one update-requested full pass per this many seconds.
    static constexpr std::int64_t kEvery = 5;

    explicit UpdatePassThrottle(std::int64_t every = kEvery) : every_(every) {}

    // An update was accepted at now (seconds). touches_cost: it names a field
    // a job's hold, cost or award depends on (JobUpdate::touches_cost).
    // True: request a full pass now.
    bool should_request(bool touches_cost, std::int64_t now);

    std::uint64_t requested() const;  // updates that requested a full pass
    std::uint64_t declined() const;   // cost-touching updates inside the rate limit

private:
    const std::int64_t every_;
    mutable std::mutex mutex_;
    std::optional<std::int64_t> last_;
    std::uint64_t requested_ = 0;
    std::uint64_t declined_ = 0;
};

}  // namespace grants
