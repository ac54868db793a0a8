// The update rule (enforcement: a user's own `scontrol update` that
// raises cost is re-validated; an operator may change a job's award, and it
// is re-validated): a pure function of the policy, the job before and after
// the change, and the award's usage. job_modify translates and applies it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/decision.h"
#include "core/policy/policy_store.h"

namespace grants {

// A change to an existing job, as job_modify sees it.
struct JobUpdate {
    std::uint32_t job_id = 0;
    std::uint32_t changed_by = 0;  // uid, for the log
    // Partition, time limit, node or task counts, GRES or AdminComment:
    // what can move a job into scope or change its cost or award.
    bool touches_cost = false;
    // A requeued job waiting to run again that this update lets start sooner
    // (a release of its hold, an earlier begin time): its new run must fit
    // the budget, like a submission. It holds nothing while held or not yet
    // admitted (run_tracker.h), so nothing of its own is taken off the
    // award's holds; an admitted one that still holds is then counted twice,
    // which can only refuse, never overspend.
    bool rerun_start = false;
    JobRequest before;                    // the job as it is (who, partitions, shape, facts)
    std::optional<std::string> award;     // the award in its AdminComment tag
    std::optional<std::string> wanted;    // another award an operator's AdminComment names
    std::vector<std::string> partitions;  // after the change
    JobShape shape;                       // after the change (array_tasks: the pending tasks it covers)
};

// A node-count change an update carries (Slurm's job_desc min_nodes and
// max_nodes; nullopt: not changed). Slurm stores a maximum of 0 as "no
// maximum" (job_mgr.c update_job, 22.05 to 24.11; the adapter passes
// INFINITE as 0 too), dropping the cap the job was submitted with: the job
// is then priced at every node of its partition. A minimum below 1 is
// refused by Slurm for a queued job and left alone here.
void apply_node_counts(JobShape& shape, std::optional<std::uint32_t> min_nodes, std::optional<std::uint32_t> max_nodes);

struct UpdateVerdict {
    bool refused = false;
    std::string message;  // refused: the sentence for the user
    std::string log;      // a line for slurmctld's log ("" none)
    bool log_is_error = false;
    // Accepted in scope: the award the job holds afterwards, whether that
    // changed, and how much more than before it holds (at least 0), to be
    // held at once until the accounting pass sees the changed job.
    std::string award;
    bool award_changed = false;
    Ticks extra_hold = 0;
    std::int64_t extra_jobs = 0;
    std::int64_t extra_chips = 0;
    std::optional<std::int64_t> set_deadline;  // the award's end, when the job's deadline is later or unset
};

// A pending job as job_modify sees it, for rerun_start below.
struct PendingRerun {
    std::uint32_t restart_count = 0;  // Slurm's: 0 the submission, +1 every requeue
    bool held = false;                // priority 0
    std::int64_t begin_time = 0;      // its earliest start now
    bool admitted = false;            // this attempt was admitted (UsageTracker::rerun_admitted)
};
// Whether an update of a pending job lets a requeued job's new run start
// sooner without the accounting pass having admitted it: a release of its
// hold (a held re-run holds nothing), or an earlier begin time of a re-run
// not admitted yet (Slurm delays every requeued job; that delay is when the
// pass admits it). An admitted re-run that is not held holds its cost, and
// then an earlier begin time is an ordinary update.
bool lets_rerun_start(const PendingRerun& job, bool releases, std::int64_t new_begin_time);

// usage_known: the accounting pass has read the jobs slurmctld recovered;
// ledger_ok: the ledger takes charges. Without either, a cost-touching
// update follows enforce.on_error, as a submission would.
UpdateVerdict decide_update(const PolicyState& state, bool usage_known, bool ledger_ok, const JobUpdate& update,
                            const UsageLookup& usage);

// `scontrol update EndTime=` of a running job: Slurm moves its time limit by
// the same amount, rounded to minutes (job_mgr.c), never below 0.
std::int64_t limit_after_end_time_change(std::int64_t limit_minutes, std::int64_t old_end, std::int64_t new_end);

// What an accepted update writes back into the job besides Slurm's own
// change: the AdminComment (nullopt: as the update leaves it) and the
// deadline (nullopt: untouched).
struct UpdateWriteBack {
    std::optional<std::string> admin_comment;
    std::optional<std::int64_t> deadline;
};
// - An operator rewriting the AdminComment keeps the plugin's tags unless the
//   new comment names another award.
// - A changed award is tagged (unless the operator wrote the comment).
// - Another award, or an operator's later Deadline=: a queued job must still
//   not run past its award's end (Slurm takes deadlines only from operators,
//   and only for jobs not running): the award's end, tagged.
// requested_comment: the update's AdminComment (nullptr: none);
// sets_deadline: the update carries a Deadline=.
UpdateWriteBack update_write_back(const UpdateVerdict& verdict, const JobUpdate& update,
                                  const std::string& job_comment, const char* requested_comment, bool running,
                                  bool sets_deadline);


}  // namespace grants
