// When the accounting pass copies slurmctld's job list, and what following
// the controller in control means for it (docs/design.md "Holds", "Until
// usage is known" and "Standby controllers").
//
// A full pass copies every job under slurmctld's job read lock. Most passes
// need not: holds depend only on the job records and the policy (a running
// job holds its maximum cost, whatever its elapsed time), and charges are
// made when a job ends, which moves slurmctld's last_job_update. The rules
// here say when the snapshot the last full pass published still stands, from
// plain stamps and times; the accounting thread (src/slurm) reads them from
// slurmctld and carries the decision out.
#pragma once

#include <cstdint>
#include <memory>

#include "core/policy/policy_store.h"

namespace grants {

// slurmctld's job list as seen under one job read lock.
struct JobListStamp {
    // Identifies slurmctld's job list (0: none yet). It changes when a backup
    // controller takes over: it then recovers the jobs into a new list.
    std::uintptr_t list = 0;
    long long last_update = 0;  // slurmctld's last_job_update: set to time(NULL) by every change to any job
    long long read_at = 0;      // time(NULL) while the lock was held
    // slurmctld's counts of jobs started, completed, cancelled and failed
    // (sdiag's; reset to 0 by `sdiag --reset`). A submission changes none of them.
    std::uint32_t started = 0, completed = 0, canceled = 0, failed = 0;
    // slurmctld has recovered its jobs (see slurmctld_internals.h).
    bool recovered = false;
    bool same_activity(const JobListStamp& o) const {
        return list == o.list && started == o.started && completed == o.completed && canceled == o.canceled &&
               failed == o.failed;
    }
};

// A pass may skip copying the jobs when no job changed since the last full
// pass, but one pass in this many seconds is a full one anyway.
inline constexpr std::int64_t kFullPassEvery = 30;
// While the only change to the jobs is new submissions (no job started,
// completed, was cancelled or failed, no accepted update, same policy),
// full passes are at least this many seconds apart: the new jobs are held
// through their approvals meanwhile (docs/PERFORMANCE.md, item 3).
inline constexpr std::int64_t kBusyPassEvery = 5;
// last_job_update has a one-second resolution: a full pass is a base for
// skipping only if it read the value at least this many seconds after it
// was set (a change in the same second as the copy leaves it unchanged).
inline constexpr long long kSettle = 2;

// The last full pass that completed with nothing left to charge: what it
// saw (a skipped pass needs the same job list, last_job_update and policy).
struct SettledPass {
    bool valid = false;
    JobListStamp stamp;
    // Kept, not only compared: while it is held, a new policy can never be
    // given the same address.
    std::shared_ptr<const PolicyState> state;
    std::int64_t at = 0;
};

// What the thread knows as a pass begins.
struct PassInputs {
    const PolicyState* state = nullptr;  // the policy in force now
    JobListStamp stamp;                  // job_list_stamp(), read just now
    std::int64_t now = 0;
    bool full_requested = false;  // request_full_pass() since the last pass (an update raised a hold)
    bool usage_known = false;     // a full pass over the recovered jobs has published
};

enum class PassKind {
    Full,             // copy the job list, hold, charge and publish
    OnlySubmissions,  // copy nothing: jobs were only submitted, each held through its approval
    Idle,             // copy nothing: no job changed since the last settled full pass
};

PassKind decide_pass(const SettledPass& last, const PassInputs& in);

// The two skip rules decide_pass applies (exposed for their tests).
bool nothing_changed(const SettledPass& last, const PolicyState* state, const JobListStamp& stamp, std::int64_t now);
bool only_submissions(const SettledPass& last, const PolicyState* state, const JobListStamp& stamp, std::int64_t now);

// What a full pass leaves as the base for skipping: nothing when it had
// charges to make or requeued runs to admit (the snapshot it publishes still
// holds them, and charges that failed are retried by the next full pass).
SettledPass after_full_pass(const JobListStamp& stamp, std::shared_ptr<const PolicyState> state, std::int64_t at,
                            bool left_to_charge);

// Following the controller in control. A backup in standby (or a
// controller still recovering) leaves the ledger and the spool alone; the
// first pass that finds slurmctld's recovered jobs while this controller is
// the one in control takes them over.
struct ControlChange {
    bool in_control = false;  // this controller keeps the ledger: the pass goes on to holds and charges
    // Control was lost (a backup handing it back keeps its recovered jobs
    // in standby): close the ledger and forget everything read from it or
    // from the spool (charge book, ledger status, spool, runs to restore,
    // charges not yet written, instance time); usage is unknown again.
    bool forget = false;
    // Control was gained: restore the spool, once per gain (the controller
    // that had control may have written and removed it meanwhile).
    bool restore_spool = false;
};

// was_in_control: as of the last pass. recovered: the stamp of this pass's
// copy shows slurmctld recovered its jobs. named: slurmctld says this is the
// controller in control (always without backups; with them, the heartbeat).
ControlChange follow_control(bool was_in_control, bool recovered, bool named);

// slurmctld's job list against the one the last pass saw. A controller that
// takes over from another recovers the jobs into a new list; the other one
// charged jobs meanwhile.
struct JobListChange {
    bool changed = false;  // re-read the ledger's totals (when it is open)
    // A backup took over with the jobs it recovered (not the first list this
    // slurmctld made): holds are unknown until the next full pass over them.
    bool taken_over = false;
};
JobListChange notice_job_list(std::uintptr_t seen, std::uintptr_t current);

}  // namespace grants
