// The submit-time decision (the enforcement order, job_submit_grants(8)): a pure function of the
// policy, the request, the clock and the award's usage.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include "core/base/date.h"
#include "core/domain/award_request.h"
#include "core/domain/cost_model.h"
#include "core/domain/funding.h"
#include "core/domain/instance_types.h"
#include "core/domain/job_shape.h"
#include "core/policy/enforce_scope.h"
#include "core/policy/membership.h"
#include "core/policy/policy.h"

namespace grants {

// A job as the controller sees it at submission, translated by the adapter.
struct JobRequest {
    Identity who;
    std::vector<std::string> partitions;  // every partition the job may run in (default resolved)
    AwardRequest requested;               // from the SPANK channel (untrusted)
    JobShape shape;
    std::map<std::string, PartitionFacts, std::less<>> facts;  // per partition, from slurmctld
    std::shared_ptr<const NodeTypes> node_types;  // instance types of the nodes (features partitions)
    DayNumber today = 0;                  // controller's local date
    std::int64_t now = 0;                 // seconds since the epoch
    std::int64_t started_at = 0;          // a running job's start (updates); 0: not started
    // A federation sibling's copy of a job submitted elsewhere: the origin
    // cluster's federation id (core/domain/federation.h); 0: submitted here. Not used
    // by decisions yet.
    std::uint32_t federation_origin = 0;
    // An award that does not exist and one the user is not a member of get
    // one sentence, so that naming IDs cannot tell which awards exist (as
    // grantctl balance and report answer). True where the award was not
    // chosen by whoever asks (an update: the job's own tag, or an
    // operator's AdminComment): the precise reason.
    bool precise_award_refusals = false;
    // The first second after a day, in the controller's local time zone
    // (nullptr: UTC): where an award whose valid.until is that day ends.
    std::int64_t (*day_end)(DayNumber day) = nullptr;
};

// The first second after an award's last valid day: job.day_end or UTC.
std::int64_t award_end(const JobRequest& job, DayNumber until);

// What the award already has at this moment (live = pending + running).
struct AwardUsageView {
    // An award with tranches or deposits: what it may spend now (funding.h);
    // then budget is funding->budget and charged what its active tranches spent.
    std::shared_ptr<const Funding> funding;
    Ticks charged = 0;  // ledger charges and adjustments
    Ticks held = 0;     // maximum cost of pending, running and not-yet-charged jobs
    std::int64_t live_jobs = 0;
    std::int64_t live_chips = 0;
    std::int64_t user_live_jobs = 0;   // of the submitting user
    std::int64_t user_live_chips = 0;
    std::int64_t running_jobs = 0;     // of the award (balance, metrics)
    std::int64_t pending_jobs = 0;     // of the award, approvals whose job is not yet seen included
    // Several clusters sharing one ledger (lease.h): what this cluster may
    // commit of the award in all, its holds included. nullopt: one cluster,
    // the whole budget is this cluster's.
    std::optional<Ticks> lease;
    // What the other clusters held at the last renewal (their lease rows):
    // counted in the award's budget check and in what is left.
    Ticks other_clusters_held = 0;
};
using UsageLookup = std::function<AwardUsageView(const std::string& award, const std::string& user)>;

struct Decision {
    enum class Verdict {
        Untouched,       // not in scope: leave the job exactly as it is
        Accept,          // in scope and approved: tag it with award
        Reject,          // in scope and refused: message says why
        AcceptUntagged,  // in scope, no usable policy, on_error=open: accept without a tag
    };
    Verdict verdict = Verdict::Untouched;
    std::string award;    // Accept: the approved award; Reject with lease_demand: the award
    std::string message;  // one sentence for the user (Accept and Reject)

    // Accept only: what the job holds and what to write back into it.
    Ticks hold = 0;
    std::int64_t chips = 0;  // per array task
    std::string instance_type;  // the node type the hold was priced at, when the partition names types
    std::int64_t time_limit_minutes = 0;
    std::optional<std::int64_t> set_time_limit_minutes;  // the job gave none
    std::optional<std::int64_t> set_max_nodes;           // the job gave none
    // The award ends (valid.until): the job's deadline, so that Slurm removes
    // it if it is still queued when it can no longer finish before the end.
    // Set when the job has no deadline of its own or a later one.
    std::optional<std::int64_t> set_deadline;
    // The job asks for no devices of a GRES partition that shares nodes: it
    // is held and charged for whole nodes, so it is given them (--exclusive).
    bool set_exclusive = false;

    // Reject only: the award had room across the clusters but this
    // cluster's lease of it was too small; what the job needed, so that the
    // next lease renewal asks for it (lease.h).
    Ticks lease_demand = 0;
};

// "trn1,trn2" -> {"trn1", "trn2"}: Slurm's comma-separated partition list, empty names dropped.
std::vector<std::string> split_partition_list(std::string_view list);

// True when any of the job's partitions is enforced.
bool in_scope(const Policy& policy, const JobRequest& job);

Decision decide_submit(const Policy& policy, const JobRequest& job, const UsageLookup& usage);

// The decision when no usable policy exists (missing or invalid at start).
// scope is what is known of enforce (see enforce_scope.h); with no scope at
// all, no partition is known to be enforced and every job passes untouched.
Decision decide_without_policy(const std::optional<EnforceScope>& scope, const JobRequest& job);

// The sentences for an in-scope request (submission or update) whose budget
// cannot be checked, under enforce.on_error=closed.
inline constexpr char kLedgerUnusableRefusal[] =
    "the grant ledger is unavailable, so budgets cannot be checked right now; please try again later or ask the "
    "cluster admins.";
inline constexpr char kUsageUnknownRefusal[] =
    "slurmctld has just (re)started and is still reading what each award holds, so budgets cannot be checked yet; "
    "please try again in a moment.";

// What an award may still take (enforcement step 5, the budget): its budget, or
// with tranches or deposits what its active tranches hold, less what is
// charged and held. Submissions and re-runs of requeued jobs ask the same.
struct BudgetRoom {
    Budget budget;            // as the user reads it ("of 50,000 chip-h")
    Ticks budget_ticks = 0;
    WideInt committed = 0;    // charged + held
    // Several clusters: this cluster's lease of the award and its holds
    // (AwardUsageView::lease); the job must fit both the award and the lease.
    std::optional<Ticks> lease;
    Ticks held = 0;
    bool fits_budget(Ticks amount) const { return committed + amount <= budget_ticks; }
    bool fits_lease(Ticks amount) const { return !lease || static_cast<WideInt>(held) + amount <= *lease; }
    bool fits(Ticks amount) const { return fits_budget(amount) && fits_lease(amount); }
    // What is left before amount (0 when committed already reaches the budget).
    Ticks left() const { return committed >= budget_ticks ? 0 : static_cast<Ticks>(budget_ticks - committed); }
    // What this cluster's lease has left (the award's left() with one cluster).
    Ticks lease_left() const { return !lease ? left() : (held >= *lease ? 0 : *lease - held); }
};
BudgetRoom budget_room(const Award& award, const AwardUsageView& usage);

// Award validity on day today: "" when valid, else the reason as a clause.
std::string validity_problem(const Award& award, DayNumber today);

// The maximum cost of the job for award: per in-scope partition, the most
// expensive one. nullopt when the time limit is unbounded.
struct JobCost {
    Ticks amount = 0;               // all array tasks
    std::int64_t chips = 0;         // per task, on the most expensive partition
    std::int64_t nodes = 0;
    std::int64_t time_limit_minutes = 0;
    std::string partition;          // the most expensive in-scope partition
    std::string instance_type;      // its nodes' type there, when typed ("trn1.32xlarge")
    bool unpriced = false;          // a dollar award and nodes without a price could take the job
};
std::optional<JobCost> max_job_cost(const Policy& policy, const Award& award, const JobRequest& job,
                                    std::int64_t time_limit_minutes);

}  // namespace grants
