// Holds and charges derived from slurmctld's own job records.
//
// Each accounting pass copies every job's relevant fields (JobObservation,
// filled by the adapter under slurmctld's read lock) and UsageAccountant
// turns them, outside any Slurm lock, into a UsageSnapshot (what each award
// holds and how many jobs and chips it has live) plus the charges of runs
// that ended. UsageTracker combines the latest snapshot with the approvals
// granted since (their jobs may not exist yet: slurmctld drops its read lock
// between job_submit and creating the job) and with the ledger's totals, and
// answers the submit path from memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/domain/cost_model.h"
#include "core/domain/decision.h"
#include "core/domain/funding.h"
#include "core/domain/instance_types.h"
#include "core/domain/job_rows.h"
#include "core/domain/job_shape.h"
#include "core/domain/lease.h"
#include "core/domain/ledger_records.h"
#include "core/domain/rerun_admission.h"
#include "core/domain/run_tracker.h"
#include "core/domain/spooled_runs.h"
#include "core/policy/policy.h"

namespace grants {

struct JobObservation {
    enum class Phase { Pending, Running, Finished };

    std::uint32_t job_id = 0;
    std::uint32_t user_id = 0;
    std::string user;           // filled from user_id outside the lock
    std::string account;
    std::string admin_comment;  // as Slurm keeps it; read_tag() takes the award out of it
    std::string award;          // the AdminComment's award= tag (read_tag); "" untagged
    std::int64_t tagged_deadline = 0;  // the AdminComment's grants_deadline= (the plugin set it); 0 none
    std::string partition;      // where it runs or ran; the requested list while pending
    Phase phase = Phase::Pending;
    std::int64_t start_time = 0;  // 0: never started (this run)
    std::int64_t end_time = 0;
    std::int64_t suspended_seconds = 0;
    std::int64_t requeue_time = 0;  // submit time, reset by Slurm when it requeues the job
    std::uint32_t attempt = 0;      // Slurm's restart count: 0 the submission, +1 every requeue
    bool held = false;              // pending with priority 0 (scontrol hold, requeuehold, ours)
    // Allocated, its (cloud) nodes still booting: start_time is the
    // allocation's, and Slurm resets it when the nodes are up.
    bool configuring = false;
    // Federation: a job another cluster runs or holds (its copy here was
    // revoked when it started elsewhere, or is a sibling's pending copy of a
    // job submitted elsewhere): neither held nor charged here. The cluster
    // that runs it holds and charges it; its origin holds it until then.
    bool elsewhere = false;
    std::int64_t time_limit_minutes = 0;  // kSaturatedCount when INFINITE
    JobShape shape;             // nodes are the allocated count once started
    std::uint64_t approval = 0; // marker of the approval that created the job; 0 none
    std::string tres_alloc;     // allocated TRES once started ("cpu=4,node=1,gres/neuron=4"); "" unknown
    std::string nodes;          // allocated node list once started ("n[1-2]"); "" unknown
    std::int64_t partition_nodes = 0;  // nodes of the largest partition it may run in; 0 unknown
};

struct UserTally {
    Ticks held = 0;  // in the last snapshot only: approvals are not split per user (balance per member)
    std::int64_t live_jobs = 0;
    std::int64_t live_chips = 0;
};

struct AwardTally {
    Ticks held = 0;
    std::int64_t live_jobs = 0;
    std::int64_t live_chips = 0;
    std::int64_t running_jobs = 0;
    std::int64_t pending_jobs = 0;
    std::unordered_map<std::string, UserTally> users;
};

struct UsageSnapshot {
    std::unordered_map<std::string, AwardTally> awards;
    // Every live run on an award (pending, running, finished but not yet in
    // the ledger) with what it holds, for grantctl jobs (job_rows.h).
    std::vector<JobRow> jobs;
};

struct PassResult {
    UsageSnapshot snapshot;
    std::vector<ChargeRecord> charges;  // runs that ended and are not known charged
    std::unordered_set<std::uint64_t> approvals_seen;
    // Requeued jobs waiting to run again that the budget has not admitted
    // yet (run_tracker.h): they hold nothing until admit_rerun.
    std::vector<WaitingRerun> reruns;
};

// Keeps what must survive between passes: the run each job was last seen
// in (to charge a run that a requeue has wiped from the job record) and the
// runs known to be in the ledger.
class UsageAccountant {
public:
    explicit UsageAccountant(std::string cluster) : cluster_(std::move(cluster)) {}

    // Prices every job.
    PassResult pass(const Policy& policy, const std::vector<JobObservation>& jobs, std::int64_t now);
    // The same result, but each job's price is remembered until the job's
    // priced fields or the policy change, so a pass over a large queue during
    // a submission burst prices only the new and changed jobs
    // (docs/PERFORMANCE.md, item 3). The policy is kept alive here, so a new
    // policy can never reuse the remembered one's address.
    PassResult pass(std::shared_ptr<const Policy> policy, const std::vector<JobObservation>& jobs, std::int64_t now);

    // Which instance type each node is (features partitions): pending jobs
    // are held at the most expensive type they could land on, runs priced
    // by their nodes' types. A new table re-prices the pending jobs.
    void set_node_types(std::shared_ptr<const NodeTypes> types);

    // After the ledger committed (or already had) these runs.
    void mark_charged(const std::vector<ChargeRecord>& charges);

    // Runs that ended and are not known to be in the ledger yet, in job
    // order: kept (and held) until mark_charged, even after Slurm purges
    // the job, so the adapter can spool them across a restart.
    std::vector<ChargeRecord> uncommitted() const;
    // Runs spooled by an earlier slurmctld: charged and held like the others.
    void restore_uncommitted(const std::vector<ChargeRecord>& charges);
    // Running jobs' runs that were shrunk (the most chips each held), in job
    // order, and restoring them in a new slurmctld: a run found again is held
    // and charged for at least that many chips.
    std::vector<ShrunkRun> shrunk_runs() const { return runs_.shrunk_runs(); }
    void restore_shrunk(const std::vector<ShrunkRun>& runs) { runs_.restore(runs, {}); }
    // Running jobs' runs whose time limit was lowered (the largest each had),
    // and restoring them: a run found again is still charged up to it.
    std::vector<RunCap> capped_runs() const { return runs_.capped_runs(); }
    void restore_caps(const std::vector<RunCap>& caps) { runs_.restore({}, caps); }
    // Jobs seen with their cloud nodes booting, and the allocation each boot
    // began at, in job order; restoring them in a new slurmctld (before its
    // first pass over the recovered jobs): a job still showing that start
    // has no run (a boot cancelled or failed before a restart costs nothing,
    // as without one), and a run Slurm settled since gets its boot.
    std::vector<BootRecord> booting_jobs() const;
    void restore_boots(const std::vector<BootRecord>& boots);

    // The budget admitted a waiting re-run (PassResult::reruns): from the
    // next pass on it is held like any pending job, and may start.
    void admit_rerun(std::uint32_t job_id, std::uint32_t attempt) { runs_.admit(job_id, attempt); }
    // Whether the last pass saw this job (it is still in slurmctld's list).
    bool saw(std::uint32_t job_id) const { return std::binary_search(present_.begin(), present_.end(), job_id); }

private:
    using RunKey = std::pair<std::uint32_t, std::int64_t>;

    // A job's maximum cost on the most expensive enforced partition it may
    // run in (or runs in), and what it depends on besides the policy.
    struct Price {
        std::string award, partitions;  // inputs (with shape, started, time limit)
        JobShape shape;
        bool started = false;
        std::int64_t time_limit_minutes = 0;
        std::int64_t partition_nodes = 0;
        const PartitionCost* part = nullptr;  // outputs; null: no enforced partition, else &cost
        PartitionCost cost;                   // the price (a features partition's: its dearest type's)
        std::string part_name;
        std::int64_t nodes = 0, chips = 0, tasks = 1;
        Ticks max_cost = 0;
        bool same_inputs(const JobObservation& job, bool job_started) const;
    };
    PassResult run_pass(const Policy& policy, const std::vector<JobObservation>& jobs, std::int64_t now, bool remember);

    // The steps of run_pass, one job at a time (usage.cpp says why each is so).
    // What a job costs now: its price, the chips it holds, its tasks.
    struct JobCost {
        const PartitionCost* part = nullptr;
        std::int64_t nodes = 0, chips = 0, tasks = 1;
        Ticks max_cost = 0;
    };
    // The tallies the last job was added to: consecutive jobs mostly share
    // an award and a user (a burst, an array), tried before the hash lookups.
    struct TallyCursor {
        AwardTally* award_tally = nullptr;
        const std::string* award = nullptr;
        UserTally* user_tally = nullptr;
        const std::string* user = nullptr;
    };
    void observe(const Policy& policy, const JobObservation& job, std::int64_t now, bool remember, Price& scratch,
                 TallyCursor& cursor, PassResult& out);
    void note_approval(const JobObservation& job, bool remember, PassResult& out);
    void end_replaced_run(const JobObservation& job, std::int64_t now);
    bool boot_in_progress(const JobObservation& job);
    void follow_run(const Policy& policy, const JobObservation& job, Run& run, JobCost& cost);
    bool holds_now(const JobObservation& job, const JobCost& cost, PassResult& out);
    void tally_live(const Policy& policy, const JobObservation& job, const JobCost& cost, bool booting,
                    std::int64_t now, TallyCursor& cursor, PassResult& out);
    void end_run(const JobObservation& job, Run* run, std::int64_t now);
    void hold_ended_runs(const Policy& policy, PassResult& out) const;
    void forget_purged();
    void price(const Policy& policy, const JobObservation& job, bool started, Price* out) const;
    ChargeRecord charge_for(const Run& run, std::uint32_t job_id, std::int64_t end,
                            std::int64_t now) const;
    Run* run_of(const Policy& policy, const JobObservation& job, const Price& priced);

    std::string cluster_;
    RunTracker runs_;  // each job's last started run, and its re-run attempts
    std::set<RunKey> charged_;
    std::map<RunKey, ChargeRecord> ended_;  // runs that ended (finished or requeued), not yet in the ledger
    std::shared_ptr<const Policy> priced_policy_;  // the policy prices_ were computed with
    std::unordered_map<std::uint32_t, Price> prices_;
    std::unordered_map<std::uint32_t, std::uint64_t> approvals_reported_;  // per job, the marker reported seen
    std::vector<std::uint32_t> present_;  // job IDs of the pass, sorted; reused by every pass
    // Cloud nodes: the allocation start of each job whose nodes were seen
    // booting (CONFIGURING). Such a job has no run until Slurm settles its
    // start once the nodes are up; a boot that never settles (failed
    // launch, cancelled while booting) is no run and costs nothing. Spooled
    // (booting_jobs) so that a restart does not turn such a boot into a run.
    std::unordered_map<std::uint32_t, std::int64_t> boots_;
    std::size_t awards_seen_ = 0;               // awards in the last snapshot (to reserve)
    std::shared_ptr<const NodeTypes> node_types_;
};

class UsageTracker {
public:
    // The submit path: everything the decision needs about one award and user.
    // Constant time: a few hash lookups, whatever the number of jobs or approvals.
    AwardUsageView view(const Policy& policy, const std::string& award, const std::string& user) const;

    // Records an approval (its job may not exist yet); returns its marker.
    std::uint64_t approve(const std::string& award, const std::string& user, Ticks hold, std::int64_t jobs,
                          std::int64_t chips, std::int64_t now);

    // An accepted update's extra hold (a longer time limit, more nodes, a
    // pending array's every task, another award): counted at once, and
    // until a pass that copied the jobs after it publishes (that pass sees
    // the changed job and holds it itself).
    void hold_until_next_pass(const std::string& award, const std::string& user, Ticks hold, std::int64_t jobs,
                              std::int64_t chips, std::int64_t now);
    // Read by the accounting pass before it copies the jobs; given back to publish.
    std::uint64_t next_marker() const;

    // Replaces the snapshot; approvals whose jobs it saw, and approvals older
    // than max_age seconds (their job was never created), are dropped, and
    // so are update holds made before copied_from (next_marker() read
    // before the pass copied the jobs; 0: none).
    void publish(UsageSnapshot snapshot, const std::unordered_set<std::uint64_t>& seen, std::int64_t now,
                 std::int64_t max_age = 60, std::uint64_t copied_from = 0);
    // What publish does to the approvals when no job changed: only those
    // older than max_age are dropped (their job was never created); the
    // snapshot stays.
    void expire_approvals(std::int64_t now, std::int64_t max_age = 60);

    void set_totals(std::map<std::string, ChargeTotals> totals);
    // What awards with tranches or deposits may spend now (funding_book.h).
    void set_funding(std::unordered_map<std::string, std::shared_ptr<const Funding>> funding);
    void add_charges(const std::vector<ChargeRecord>& inserted);
    std::map<std::string, ChargeTotals> totals() const;
    UsageSnapshot snapshot() const;
    // The last snapshot, shared (nothing copied under the lock): grantctl jobs.
    std::shared_ptr<const UsageSnapshot> snapshot_ptr() const;

    // Re-runs of requeued jobs the budget admitted (run_tracker.h), by job:
    // the attempt (restart count). The accounting pass admits them, and so
    // does job_modify when it lets one start (a release, an earlier begin
    // time), both under the decision lock; the pass gives them to its
    // UsageAccountant before each pass, and forgets the purged jobs'.
    bool rerun_admitted(std::uint32_t job_id, std::uint32_t attempt) const;
    void admit_rerun(std::uint32_t job_id, std::uint32_t attempt);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> admitted_reruns() const;
    template <class Present>
    void forget_reruns(Present present) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = admitted_reruns_.begin(); it != admitted_reruns_.end();) {
            it = present(it->first) ? std::next(it) : admitted_reruns_.erase(it);
        }
    }
    // Several clusters sharing one ledger (lease.h). Once enabled, view()
    // gives every award this cluster's lease of it (0 before the first
    // renewal), and add_charges takes each charge out of its award's lease,
    // as the ledger does in the charge's transaction.
    void enable_leases();
    bool leases_enabled() const;
    // mine: this cluster's rows; others_held: per award, what the other
    // clusters held at their last renewal (counted as held by the award).
    void set_leases(const std::vector<LeaseRow>& mine, const std::map<std::string, Ticks>& others_held = {});
    std::optional<Ticks> lease(const std::string& award) const;
    // A submission refused for want of lease: what it needed, remembered
    // for memory seconds so that renewals ask for it (the largest per award).
    void note_lease_demand(const std::string& award, Ticks amount, std::int64_t now);
    std::map<std::string, Ticks> lease_demands(std::int64_t now, std::int64_t memory = 60) const;

    // Each member's live jobs and holds in the last snapshot (a PI's balance):
    // jobs approved since are in the award's totals, not yet here.
    std::unordered_map<std::string, UserTally> members(const std::string& award) const;

private:
    // The sum of the outstanding approvals of one award (and per user), kept
    // as approvals come and go so that view() never walks the approvals.
    // Entries are never erased (all zero once their approvals are gone; at
    // most one per award and member that ever had an approval), so an
    // approval can point at its sums and dropping it hashes nothing.
    struct ApprovedSums {
        std::size_t count = 0;        // approvals
        std::size_t saturated = 0;    // approvals whose hold is saturated
        WideInt held = 0;             // sum of the other holds
        std::int64_t jobs = 0;
        std::int64_t chips = 0;
        std::unordered_map<std::string, UserTally> users;
    };
    struct Approval {
        std::string award, user;
        Ticks hold;
        std::int64_t jobs, chips, at;
        ApprovedSums* sums = nullptr;      // approved_[award], once added
        UserTally* user_sums = nullptr;    // sums->users[user]
        bool outstanding = true;           // false: dropped, waiting to leave the front of approvals_
        bool until_pass = false;           // an update's hold: dropped by the next pass, not by a marker
    };
    void add_approval(Approval& ap, int sign);
    // Under mutex_: drops the approvals seen (may be null) or older than
    // max_age. Costs a few nanoseconds per approval: every submission waits.
    void drop_approvals(const std::unordered_set<std::uint64_t>* seen, std::int64_t now, std::int64_t max_age,
                        std::uint64_t copied_from = 0);

    // Everything the submit path reads sits behind mutex_, and nothing big is
    // built or destroyed while holding it: the snapshot is swapped as a
    // pointer and the old one freed after unlocking.
    mutable std::mutex mutex_;
    std::shared_ptr<const UsageSnapshot> snapshot_ = std::make_shared<const UsageSnapshot>();
    // In marker order: approvals_[i] has marker first_marker_ + i. Dropped
    // ones stay (not outstanding) until everything before them is dropped.
    std::deque<Approval> approvals_;
    std::uint64_t first_marker_ = 1;
    std::unordered_map<std::string, ApprovedSums> approved_;  // approvals_ summed per award
    std::unordered_map<std::string, ChargeTotals> totals_;
    std::unordered_map<std::string, std::shared_ptr<const Funding>> funding_;
    std::uint64_t next_approval_ = 1;
    std::unordered_map<std::uint32_t, std::uint32_t> admitted_reruns_;
    struct LocalLease {
        std::string unit;
        Ticks amount = 0;
    };
    bool leasing_ = false;
    std::unordered_map<std::string, LocalLease> leases_;
    std::unordered_map<std::string, Ticks> others_held_;
    struct Demand {
        Ticks amount = 0;
        std::int64_t at = 0;
    };
    std::unordered_map<std::string, Demand> demands_;
};

// A ledger total (charges and adjustments: may be below zero) in an award's
// budget unit; charge_in_unit (cost_model.h) is one charge's, where a
// partition without a rate costs nothing.
Ticks total_in_unit(const ChargeTotals& totals, Budget::Unit unit);

}  // namespace grants
