// What the accounting pass remembers of each job's runs (the cost model, docs/admin-guide.md):
// which run a job record shows, what each run may be charged, and whether a
// job that Slurm is about to run again may start.
//
// A run is one start of a job (job ID and start time). It pays for the time
// it ran, for the most chips it held (a shrunk run), and never beyond its
// cap: the largest time limit it had while it ran. The cap exists only
// because Slurm's OverTimeLimit lets a job run past its limit, and the hold
// covered the limit; a limit lowered while the run goes on caps what is left,
// never what was used, so the cap never goes down.
//
// An attempt is one time Slurm queues a job to run: the first is the
// submission (checked by job_submit), and every requeue (owner, operator,
// node failure, a finished job requeued while Slurm still keeps it) makes
// another, numbered by Slurm's restart count. A re-run is a new run that must
// fit the budget before it starts, like a submission: until it is admitted
// it holds nothing, and a held one (priority 0) holds nothing either, since
// it cannot start; releasing it is checked again (job_modify).
//
// Pure bookkeeping: no Slurm header, no clock, no policy lookups.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/domain/cost_model.h"
#include "core/domain/job_shape.h"
#include "core/domain/spooled_runs.h"
#include "core/policy/policy.h"

namespace grants {

struct Run {
    std::int64_t start = 0;
    std::string award, user, account, partition;
    JobShape shape;
    std::int64_t suspended = 0;
    PartitionCost cost;  // the partition's price when the run was first seen
    // The largest time limit the run had (seconds): it is never charged
    // beyond it, and it never goes down (see above).
    std::int64_t cap_seconds = 0;
    bool limit_lowered = false;  // its time limit now is below cap_seconds
    std::int64_t chips = 0;      // the most it was allocated (a shrunk run pays for what it held)
    bool shrunk = false;         // it holds fewer chips now than chips
    // Cloud nodes with boot_time: charged: the allocation its boot began
    // at; it is charged from there (within its cap). 0: from start.
    std::int64_t boot_start = 0;
    bool ended = false;          // the job finished: its charge is made, nothing of it to keep

    // What the job record shows now: its time limit (seconds) and the chips
    // it holds.
    void see_limit(std::int64_t limit_seconds);
    void see_chips(std::int64_t allocated);
    // Seconds charged for a run that ended at end: what it ran (less
    // suspended time), at most its cap.
    std::int64_t charged_seconds(std::int64_t end) const;
};

// Whether a pending job's attempt counts against its award's budget.
enum class AttemptGate {
    Counted,  // a first run (checked at submission), or a re-run admitted
    Waiting,  // a re-run not checked yet: holds nothing, cannot be let start unchecked
    Held,     // a re-run that is held (priority 0): holds nothing until released
};

class RunTracker {
public:
    // The job's run that started at start, when it is the one remembered.
    Run* find(std::uint32_t job_id, std::int64_t start);
    // A run seen for the first time: remembered as the job's current run,
    // with what an earlier controller kept of it (restore).
    Run& begin(std::uint32_t job_id, std::int64_t start);
    // The job's remembered run, when the job record shows another start (0:
    // none): Slurm requeued the job and wiped that run from the record. It is
    // forgotten here; the caller charges it.
    std::optional<Run> take_replaced(std::uint32_t job_id, std::int64_t start);

    // The gate of a pending job's attempt (its restart count; 0 the first).
    AttemptGate gate(std::uint32_t job_id, std::uint32_t attempt, bool held) const;
    // The budget admitted this re-run: it counts (and may start) from now on.
    void admit(std::uint32_t job_id, std::uint32_t attempt);

    // Runs of running jobs (not ended) that were shrunk or whose time limit
    // was lowered, in job order, for the spool (charge_spool.h), and giving
    // them back to a new controller: a run found again keeps its chips and
    // its cap.
    std::vector<ShrunkRun> shrunk_runs() const;
    std::vector<RunCap> capped_runs() const;
    void restore(const std::vector<ShrunkRun>& shrunk, const std::vector<RunCap>& caps);

    // Forgets jobs Slurm has purged (present(id) false): their runs, their
    // admissions and what was restored for them.
    void forget_absent(const std::function<bool(std::uint32_t)>& present);

private:
    using RunKey = std::pair<std::uint32_t, std::int64_t>;
    std::unordered_map<std::uint32_t, Run> runs_;  // last started run per job
    std::unordered_map<std::uint32_t, std::uint32_t> admitted_;  // job -> re-run attempt admitted
    std::map<RunKey, std::int64_t> restored_chips_;  // restore(), until the run is seen or gone
    std::map<RunKey, std::int64_t> restored_caps_;
};

}  // namespace grants
