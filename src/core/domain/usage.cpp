#include "core/domain/usage.h"

#include <algorithm>

namespace grants {
namespace {

bool same_shape(const JobShape& a, const JobShape& b) {
    return a.min_nodes == b.min_nodes && a.max_nodes == b.max_nodes && a.time_limit_minutes == b.time_limit_minutes &&
           a.time_limit_infinite == b.time_limit_infinite && a.tasks == b.tasks && a.array_tasks == b.array_tasks &&
           a.tres_per_node == b.tres_per_node && a.tres_per_job == b.tres_per_job &&
           a.tres_per_task == b.tres_per_task && a.tasks_given == b.tasks_given && a.exclusive == b.exclusive &&
           a.constraint == b.constraint;
}

}  // namespace

Ticks total_in_unit(const ChargeTotals& totals, Budget::Unit unit) {
    return unit == Budget::Unit::Usd ? totals.usd : totals.chip_hours;
}

ChargeRecord UsageAccountant::charge_for(const Run& run, std::uint32_t job_id, std::int64_t end,
                                         std::int64_t now) const {
    ChargeRecord c;
    c.cluster = cluster_;
    c.job_id = job_id;
    c.run_start = run.start;
    c.award = run.award;
    c.user = run.user;
    c.account = run.account;
    c.partition = run.partition;
    // Priced as when the run started (Run::cost), not with today's policy.
    const PartitionCost& part = run.cost;
    c.chips = run.chips;
    c.seconds = run.charged_seconds(end);
    c.chip_hours = cost_ticks(Budget::Unit::ChipHours, part, c.chips, c.seconds);
    c.usd = part.usd_per_chip_hour ? cost_ticks(Budget::Unit::Usd, part, c.chips, c.seconds) : -1;
    c.recorded_at = now;
    return c;
}

bool UsageAccountant::Price::same_inputs(const JobObservation& job, bool job_started) const {
    return started == job_started && time_limit_minutes == job.time_limit_minutes && award == job.award &&
           partitions == job.partition && partition_nodes == job.partition_nodes && same_shape(shape, job.shape);
}

// The partition the job runs in, or the most expensive enforced one it may run in
// (by cost, as the decision prices it: rates and GRES counts differ between partitions).
void UsageAccountant::set_node_types(std::shared_ptr<const NodeTypes> types) {
    if (types == node_types_) return;
    node_types_ = std::move(types);
    prices_.clear();
}

void UsageAccountant::price(const Policy& policy, const JobObservation& job, bool started, Price* out) const {
    out->award = job.award;
    out->partitions = job.partition;
    out->shape = job.shape;
    out->started = started;
    out->time_limit_minutes = job.time_limit_minutes;
    out->partition_nodes = job.partition_nodes;

    const Award* award = policy.find_award(job.award);
    // As the decision counts them (max_nodes, no more than the partition
    // has: a job without a maximum may get all of it).
    PartitionFacts facts;
    facts.total_nodes = job.partition_nodes;
    std::int64_t nodes = charged_nodes(job.shape, facts);
    if (started) nodes = std::max<std::int64_t>(job.shape.min_nodes, 1);
    const std::int64_t tasks = std::max<std::int64_t>(job.shape.array_tasks, 1);
    const Budget::Unit unit = award ? award->budget.unit : Budget::Unit::ChipHours;
    const std::int64_t limit_seconds =
        job.time_limit_minutes >= kSaturatedCount / 60 ? kSaturatedCount : job.time_limit_minutes * 60;
    out->part = nullptr;
    out->part_name.clear();
    out->nodes = nodes;
    out->tasks = tasks;
    out->chips = 0;
    out->max_cost = 0;
    for (const std::string& name : split_partition_list(job.partition)) {
        const PartitionCost* listed = policy.enforces(name) ? policy.find_partition(name) : nullptr;
        if (!listed) continue;
        std::vector<PartitionCost> options =
            partition_options(policy, *listed, name, node_types_.get(), job.shape.constraint);
        if (options.empty() && listed->types_from_features && !job.shape.constraint.empty()) {
            // The node table says no node satisfies the job's constraint, yet
            // Slurm queued the job: its nodes' features changed since, or the
            // table is older than they are. Held at the partition's dearest
            // type rather than at nothing.
            options = partition_options(policy, *listed, name, node_types_.get(), {});
        }
        for (PartitionCost& p : options) {
            const std::int64_t c = chips_of(p, job.shape, nodes);
            const Ticks m = cost_ticks(unit, p, c, limit_seconds, tasks);
            if (!out->part || m > out->max_cost || (m == out->max_cost && c > out->chips)) {
                out->cost = std::move(p);
                out->part = &out->cost;
                out->part_name = name;
                out->chips = c;
                out->max_cost = m;
            }
        }
    }
}

PassResult UsageAccountant::pass(const Policy& policy, const std::vector<JobObservation>& jobs, std::int64_t now) {
    priced_policy_.reset();
    prices_.clear();
    approvals_reported_.clear();
    return run_pass(policy, jobs, now, false);
}

PassResult UsageAccountant::pass(std::shared_ptr<const Policy> policy, const std::vector<JobObservation>& jobs,
                                 std::int64_t now) {
    if (policy != priced_policy_) {
        prices_.clear();
        priced_policy_ = std::move(policy);
    }
    return run_pass(*priced_policy_, jobs, now, true);
}

// The job's current run: the one remembered, or a new one when the job is
// seen with another start. A run is priced with the policy in force when it
// started (first seen running): a later rate change, or its partition
// leaving enforce.partitions, changes neither its hold nor its charge.
// Null when the run is new and the job is in no enforced partition.
Run* UsageAccountant::run_of(const Policy& policy, const JobObservation& job, const Price& priced) {
    if (Run* run = runs_.find(job.job_id, job.start_time)) return run;
    if (!priced.part) return nullptr;
    Run& run = runs_.begin(job.job_id, job.start_time);
    run.partition = priced.part_name;
    run.cost = *priced.part;
    // A features partition: priced by the types of the nodes it got.
    const PartitionCost* listed = policy.find_partition(priced.part_name);
    if (listed && listed->types_from_features && node_types_ && !job.nodes.empty()) {
        if (auto types = types_of_nodes(*node_types_, job.nodes)) run.cost = cost_on_nodes(policy, *listed, *types);
    }
    // The run its (cloud) nodes booted for: with boot_time: charged (as the
    // partition says when the run starts) the boot is part of its one charge.
    if (auto b = boots_.find(job.job_id); b != boots_.end()) {
        if (run.cost.charge_boot && b->second < job.start_time) run.boot_start = b->second;
        boots_.erase(b);
    }
    return &run;
}

PassResult UsageAccountant::run_pass(const Policy& policy, const std::vector<JobObservation>& jobs, std::int64_t now,
                                     bool remember) {
    PassResult out;
    out.snapshot.awards.reserve(awards_seen_);
    // The jobs present in this pass, sorted (a reused vector: no allocation per job).
    present_.clear();
    for (const JobObservation& job : jobs) present_.push_back(job.job_id);
    std::sort(present_.begin(), present_.end());
    Price scratch;
    TallyCursor cursor;
    for (const JobObservation& job : jobs) observe(policy, job, now, remember, scratch, cursor, out);
    hold_ended_runs(policy, out);
    forget_purged();
    awards_seen_ = out.snapshot.awards.size();
    return out;
}

// The steps of a pass run once per job, for every job slurmctld has: they
// are inlined into run_pass, as when they were one function. As calls they
// made run_pass execute 44% more instructions (callgrind over
// bench_accounting 2: 41.0 million inlined, the same count as the one long
// function, against 59.1 million as calls).
[[gnu::always_inline]] inline void UsageAccountant::observe(const Policy& policy, const JobObservation& job, std::int64_t now, bool remember,
                              Price& scratch, TallyCursor& cursor, PassResult& out) {
    note_approval(job, remember, out);
    if (job.elsewhere) return;  // held and charged by the cluster that runs it
    end_replaced_run(job, now);
    if (job.award.empty()) return;
    const bool booting = boot_in_progress(job);

    const bool started = job.phase != JobObservation::Phase::Pending && job.start_time > 0;
    Price* priced = &scratch;
    if (remember) {
        priced = &prices_[job.job_id];
        if (priced->award.empty() || !priced->same_inputs(job, started)) price(policy, job, started, priced);
    } else {
        price(policy, job, started, priced);
    }
    JobCost cost{priced->part, priced->nodes, priced->chips, priced->tasks, priced->max_cost};
    Run* run = job.start_time > 0 && !booting ? run_of(policy, job, *priced) : nullptr;
    if (!cost.part && !run) return;  // ran outside the enforced partitions: nothing held, nothing charged
    if (run) follow_run(policy, job, *run, cost);
    const bool holds = holds_now(job, cost, out);

    if (!cursor.award || *cursor.award != job.award) {
        cursor.award_tally = &out.snapshot.awards[job.award];
        cursor.award = &job.award;
        cursor.user = nullptr;
    }
    switch (job.phase) {
        case JobObservation::Phase::Pending:
        case JobObservation::Phase::Running:
            if (!holds) cost.max_cost = 0;
            tally_live(policy, job, cost, booting, now, cursor, out);
            break;
        case JobObservation::Phase::Finished:
            end_run(job, run, now);
            break;
    }
}

// Reported once per job when prices are remembered: the tracker drops an
// approval the first time its job is seen, and a job's marker never
// changes. Only a tagged job's marker counts: job_submit sets it when it
// tags the job, and an untagged job's could only be forged.
[[gnu::always_inline]] inline void UsageAccountant::note_approval(const JobObservation& job, bool remember, PassResult& out) {
    if (job.approval && !job.award.empty() && !remember) {
        out.approvals_seen.insert(job.approval);
    } else if (job.approval && !job.award.empty()) {
        std::uint64_t& reported = approvals_reported_[job.job_id];
        if (reported != job.approval) out.approvals_seen.insert(job.approval);
        reported = job.approval;
    }
}

// A run we saw earlier that is no longer this job's current run ended:
// Slurm requeued the job and wiped the run from its record.
[[gnu::always_inline]] inline void UsageAccountant::end_replaced_run(const JobObservation& job, std::int64_t now) {
    if (std::optional<Run> old = runs_.take_replaced(job.job_id, job.start_time)) {
        if (!charged_.count({job.job_id, old->start})) {
            std::int64_t end = job.requeue_time > old->start ? job.requeue_time : now;
            // Kept until the ledger has it: the job record no longer shows this run.
            ended_.emplace(RunKey{job.job_id, old->start}, charge_for(*old, job.job_id, end, now));
        }
    }
}

// Cloud nodes: a job whose nodes boot has no run yet; one whose record
// still shows the boot's allocation start never had one (the launch failed
// and Slurm requeued it, or it was cancelled while its nodes booted):
// nothing to charge, whatever boot_time says.
[[gnu::always_inline]] inline bool UsageAccountant::boot_in_progress(const JobObservation& job) {
    if (job.start_time <= 0) return false;
    if (job.configuring && job.phase == JobObservation::Phase::Running) {
        boots_[job.job_id] = job.start_time;  // this attempt's allocation (a retry has its own)
        return true;
    }
    auto b = boots_.find(job.job_id);
    return b != boots_.end() && b->second == job.start_time;
}

// A run in progress or just ended: what it is held and charged for.
[[gnu::always_inline]] inline void UsageAccountant::follow_run(const Policy& policy, const JobObservation& job, Run& run, JobCost& cost) {
    run.award = job.award;
    run.user = job.user;
    run.account = job.account;
    run.shape = job.shape;
    run.shape.min_nodes = cost.nodes;
    run.shape.max_nodes.reset();
    run.suspended = job.suspended_seconds;
    // The run's cap: the largest limit it had (a limit lowered while it runs
    // caps what is left, never what it used).
    run.see_limit(job.time_limit_minutes >= kSaturatedCount / 60 ? kSaturatedCount : job.time_limit_minutes * 60);
    const Award* award = policy.find_award(job.award);
    const Budget::Unit unit = award ? award->budget.unit : Budget::Unit::ChipHours;
    // A running job can be shrunk (`scontrol update NumNodes=`): the run is
    // held and charged for the most it held, so shrinking it never makes the
    // hours it already ran on more nodes cheaper.
    run.see_chips(allocated_chips(run.cost, job.shape, cost.nodes, job.tres_alloc));
    cost.chips = run.chips;
    cost.max_cost = cost_ticks(unit, run.cost, cost.chips, run.cap_seconds, cost.tasks);
}

// A requeued job waiting to run again holds nothing until the budget admits
// the new run (the adapter asks admit_reruns with what this pass
// publishes), nor while it is held: it cannot start either way.
[[gnu::always_inline]] inline bool UsageAccountant::holds_now(const JobObservation& job, const JobCost& cost, PassResult& out) {
    if (job.phase != JobObservation::Phase::Pending) return true;
    switch (runs_.gate(job.job_id, job.attempt, job.held)) {
        case AttemptGate::Counted:
            return true;
        case AttemptGate::Waiting:
            out.reruns.push_back(WaitingRerun{job.job_id, job.attempt, job.award, job.user, cost.max_cost, cost.chips,
                                              cost.tasks, job.requeue_time});
            return false;
        case AttemptGate::Held:
            return false;
    }
    return true;
}

// A pending or running job: its hold in the award's and the user's tallies,
// and its row for grantctl jobs.
[[gnu::always_inline]] inline void UsageAccountant::tally_live(const Policy& policy, const JobObservation& job, const JobCost& cost, bool booting,
                                 std::int64_t now, TallyCursor& cursor, PassResult& out) {
    AwardTally& tally = *cursor.award_tally;
    const bool running = job.phase == JobObservation::Phase::Running;
    tally.held = add_saturating(tally.held, cost.max_cost);
    tally.live_jobs += cost.tasks;
    tally.live_chips += cost.chips * cost.tasks;
    (running ? tally.running_jobs : tally.pending_jobs) += cost.tasks;
    if (!cursor.user || *cursor.user != job.user) {
        cursor.user_tally = &tally.users[job.user];
        cursor.user = &job.user;
    }
    UserTally& u = *cursor.user_tally;
    u.held = add_saturating(u.held, cost.max_cost);
    u.live_jobs += cost.tasks;
    u.live_chips += cost.chips * cost.tasks;
    JobRow row;
    row.job_id = job.job_id;
    row.user = job.user;
    row.award = job.award;
    row.partition = job.partition;
    row.state = running ? JobRow::State::Running : JobRow::State::Pending;
    row.amount = cost.max_cost;
    const Award* award = policy.find_award(job.award);
    row.unit = award ? award->budget.unit : Budget::Unit::ChipHours;
    row.chips = cost.chips;
    row.tasks = cost.tasks;
    if (running && job.start_time > 0 && !booting) {
        row.start = job.start_time;
        row.seconds = std::max<std::int64_t>(0, now - job.start_time - job.suspended_seconds);
    }
    out.snapshot.jobs.push_back(std::move(row));
}

// A finished job's run: its charge, kept (and held, hold_ended_runs) until
// the ledger has it, even once Slurm purges the job.
[[gnu::always_inline]] inline void UsageAccountant::end_run(const JobObservation& job, Run* run, std::int64_t now) {
    if (job.start_time <= 0) return;  // cancelled while pending: costs nothing
    if (run) run->ended = true;
    if (charged_.count({job.job_id, job.start_time})) return;
    // No run: a boot that ended without one (failed launch, cancelled while
    // booting) costs nothing.
    if (!run) return;
    ended_.emplace(RunKey{job.job_id, job.start_time},
                   charge_for(*run, job.job_id, job.end_time > 0 ? job.end_time : now, now));
}

// Runs that ended (finished, or wiped from the record by a requeue):
// charged every pass, and held meanwhile at their charge, until the ledger
// has them (kept even when Slurm purges the job).
void UsageAccountant::hold_ended_runs(const Policy& policy, PassResult& out) const {
    for (const auto& [key, charge] : ended_) {
        out.charges.push_back(charge);
        const Award* award = policy.find_award(charge.award);
        const Budget::Unit unit = award ? award->budget.unit : Budget::Unit::ChipHours;
        AwardTally& tally = out.snapshot.awards[charge.award];
        const Ticks held = charge_in_unit(unit, charge.chip_hours, charge.usd);
        tally.held = add_saturating(tally.held, held);
        UserTally& u = tally.users[charge.user];
        u.held = add_saturating(u.held, held);
        JobRow row;
        row.job_id = charge.job_id;
        row.user = charge.user;
        row.award = charge.award;
        row.partition = charge.partition;
        row.state = JobRow::State::Finished;
        row.amount = held;
        row.unit = unit;
        row.chips = charge.chips;
        row.seconds = charge.seconds;
        row.start = charge.run_start;
        row.end = charge.run_start + charge.seconds;
        out.snapshot.jobs.push_back(std::move(row));
    }
}

// Forgets jobs Slurm has purged (not in this pass's present_).
void UsageAccountant::forget_purged() {
    auto is_present = [this](std::uint32_t id) { return saw(id); };
    for (auto it = prices_.begin(); it != prices_.end();) {
        it = is_present(it->first) ? std::next(it) : prices_.erase(it);
    }
    for (auto it = approvals_reported_.begin(); it != approvals_reported_.end();) {
        it = is_present(it->first) ? std::next(it) : approvals_reported_.erase(it);
    }
    runs_.forget_absent(is_present);
    for (auto it = charged_.begin(); it != charged_.end();) {
        it = is_present(it->first) ? std::next(it) : charged_.erase(it);
    }
    for (auto it = boots_.begin(); it != boots_.end();) {
        it = is_present(it->first) ? std::next(it) : boots_.erase(it);
    }
}

void UsageAccountant::mark_charged(const std::vector<ChargeRecord>& charges) {
    for (const auto& c : charges) {
        charged_.insert({c.job_id, c.run_start});
        ended_.erase({c.job_id, c.run_start});
    }
}

std::vector<ChargeRecord> UsageAccountant::uncommitted() const {
    std::vector<ChargeRecord> out;
    out.reserve(ended_.size());
    for (const auto& [key, charge] : ended_) out.push_back(charge);
    return out;
}

void UsageAccountant::restore_uncommitted(const std::vector<ChargeRecord>& charges) {
    for (const auto& c : charges) {
        if (!charged_.count({c.job_id, c.run_start})) ended_.emplace(RunKey{c.job_id, c.run_start}, c);
    }
}

std::vector<BootRecord> UsageAccountant::booting_jobs() const {
    std::vector<BootRecord> out;
    out.reserve(boots_.size());
    for (const auto& [id, allocated] : boots_) out.push_back({id, allocated});
    std::sort(out.begin(), out.end(), [](const BootRecord& a, const BootRecord& b) { return a.job_id < b.job_id; });
    return out;
}

void UsageAccountant::restore_boots(const std::vector<BootRecord>& boots) {
    // What this controller saw itself is newer.
    for (const BootRecord& b : boots) boots_.emplace(b.job_id, b.allocated);
}

AwardUsageView UsageTracker::view(const Policy& policy, const std::string& award, const std::string& user) const {
    const Award* a = policy.find_award(award);
    AwardUsageView v;
    std::lock_guard<std::mutex> lock(mutex_);
    if (leasing_) {
        auto l = leases_.find(award);
        v.lease = l == leases_.end() ? 0 : l->second.amount;
        if (auto o = others_held_.find(award); o != others_held_.end()) v.other_clusters_held = o->second;
    }
    if (a) {
        if (auto f = funding_.find(award); f != funding_.end()) {
            v.funding = f->second;
            v.charged = f->second->charged;
        } else if (auto t = totals_.find(award); t != totals_.end()) {
            v.charged = total_in_unit(t->second, a->budget.unit);
        }
    }
    if (auto s = snapshot_->awards.find(award); s != snapshot_->awards.end()) {
        v.held = s->second.held;
        v.live_jobs = s->second.live_jobs;
        v.live_chips = s->second.live_chips;
        v.running_jobs = s->second.running_jobs;
        v.pending_jobs = s->second.pending_jobs;
        if (auto u = s->second.users.find(user); u != s->second.users.end()) {
            v.user_live_jobs = u->second.live_jobs;
            v.user_live_chips = u->second.live_chips;
        }
    }
    if (auto it = approved_.find(award); it != approved_.end()) {
        const ApprovedSums& ap = it->second;
        // Holds are never negative, so adding them one by one with saturation
        // (as a walk over the approvals would) equals adding the sum once.
        const Ticks held = ap.saturated || ap.held >= kSaturatedTicks ? kSaturatedTicks : static_cast<Ticks>(ap.held);
        v.held = add_saturating(v.held, held);
        v.live_jobs += ap.jobs;
        v.live_chips += ap.chips;
        v.pending_jobs += ap.jobs;
        if (auto u = ap.users.find(user); u != ap.users.end()) {
            v.user_live_jobs += u->second.live_jobs;
            v.user_live_chips += u->second.live_chips;
        }
    }
    return v;
}

std::unordered_map<std::string, UserTally> UsageTracker::members(const std::string& award) const {
    std::shared_ptr<const UsageSnapshot> snapshot;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        snapshot = snapshot_;
    }
    auto s = snapshot->awards.find(award);
    return s == snapshot->awards.end() ? std::unordered_map<std::string, UserTally>{} : s->second.users;
}

void UsageTracker::add_approval(Approval& ap, int sign) {
    if (!ap.sums) {
        ap.sums = &approved_[ap.award];
        ap.user_sums = &ap.sums->users[ap.user];
    }
    ApprovedSums& sums = *ap.sums;
    sums.count += sign;
    if (ap.hold >= kSaturatedTicks) {
        sums.saturated += sign;
    } else {
        sums.held += static_cast<WideInt>(sign) * ap.hold;
    }
    sums.jobs += sign * ap.jobs;
    sums.chips += sign * ap.chips;
    ap.user_sums->live_jobs += sign * ap.jobs;
    ap.user_sums->live_chips += sign * ap.chips;
}

std::uint64_t UsageTracker::approve(const std::string& award, const std::string& user, Ticks hold, std::int64_t jobs,
                                    std::int64_t chips, std::int64_t now) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::uint64_t seq = next_approval_++;
    if (approvals_.empty()) first_marker_ = seq;
    approvals_.push_back(Approval{award, user, hold, jobs, chips, now});
    add_approval(approvals_.back(), +1);
    return seq;
}

void UsageTracker::hold_until_next_pass(const std::string& award, const std::string& user, Ticks hold,
                                        std::int64_t jobs, std::int64_t chips, std::int64_t now) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::uint64_t seq = next_approval_++;
    if (approvals_.empty()) first_marker_ = seq;
    approvals_.push_back(Approval{award, user, hold, jobs, chips, now});
    approvals_.back().until_pass = true;
    add_approval(approvals_.back(), +1);
}

std::uint64_t UsageTracker::next_marker() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_approval_;
}

void UsageTracker::publish(UsageSnapshot snapshot, const std::unordered_set<std::uint64_t>& seen, std::int64_t now,
                           std::int64_t max_age, std::uint64_t copied_from) {
    // Built before and freed after the lock: destroying a snapshot of
    // 100,000 jobs takes milliseconds, and every submission waits on mutex_.
    std::shared_ptr<const UsageSnapshot> fresh = std::make_shared<const UsageSnapshot>(std::move(snapshot));
    {
        std::lock_guard<std::mutex> lock(mutex_);
        snapshot_.swap(fresh);
        drop_approvals(&seen, now, max_age, copied_from);
    }
}

void UsageTracker::expire_approvals(std::int64_t now, std::int64_t max_age) {
    std::lock_guard<std::mutex> lock(mutex_);
    drop_approvals(nullptr, now, max_age);
}

void UsageTracker::drop_approvals(const std::unordered_set<std::uint64_t>* seen, std::int64_t now,
                                  std::int64_t max_age, std::uint64_t copied_from) {
    auto drop = [this](Approval& ap) {
        if (!ap.outstanding) return;
        add_approval(ap, -1);
        ap.outstanding = false;
    };
    if (seen) {
        for (std::uint64_t marker : *seen) {
            if (marker >= first_marker_ && marker - first_marker_ < approvals_.size()) {
                Approval& ap = approvals_[static_cast<std::size_t>(marker - first_marker_)];
                if (!ap.until_pass) drop(ap);  // a forged marker naming an update's hold drops nothing
            }
        }
    }
    std::uint64_t marker = first_marker_;
    for (Approval& ap : approvals_) {
        if (now - ap.at > max_age || (ap.until_pass && marker < copied_from)) drop(ap);
        ++marker;
    }
    while (!approvals_.empty() && !approvals_.front().outstanding) {
        approvals_.pop_front();
        ++first_marker_;
    }
}

void UsageTracker::set_totals(std::map<std::string, ChargeTotals> totals) {
    std::unordered_map<std::string, ChargeTotals> fresh(totals.size());
    for (auto& [award, t] : totals) fresh.emplace(award, t);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        totals_.swap(fresh);
    }
}

void UsageTracker::set_funding(std::unordered_map<std::string, std::shared_ptr<const Funding>> funding) {
    std::lock_guard<std::mutex> lock(mutex_);
    funding_.swap(funding);
}  // the old table is freed here, after unlocking

void UsageTracker::add_charges(const std::vector<ChargeRecord>& inserted) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& c : inserted) {
        ChargeTotals& t = totals_[c.award];
        t.chip_hours = add_saturating(t.chip_hours, c.chip_hours);
        if (c.usd > 0) t.usd = add_saturating(t.usd, c.usd);
        if (leasing_) {
            if (auto l = leases_.find(c.award); l != leases_.end()) {
                l->second.amount = std::max<Ticks>(0, l->second.amount - lease_charge(l->second.unit, c.chip_hours, c.usd));
            }
        }
    }
}

void UsageTracker::enable_leases() {
    std::lock_guard<std::mutex> lock(mutex_);
    leasing_ = true;
}

bool UsageTracker::leases_enabled() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return leasing_;
}

void UsageTracker::set_leases(const std::vector<LeaseRow>& mine, const std::map<std::string, Ticks>& others_held) {
    std::unordered_map<std::string, Ticks> others(others_held.begin(), others_held.end());
    std::lock_guard<std::mutex> lock(mutex_);
    for (const LeaseRow& r : mine) leases_[r.award] = LocalLease{r.unit, r.amount};
    others_held_.swap(others);
}

std::optional<Ticks> UsageTracker::lease(const std::string& award) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!leasing_) return std::nullopt;
    auto l = leases_.find(award);
    return l == leases_.end() ? 0 : l->second.amount;
}

void UsageTracker::note_lease_demand(const std::string& award, Ticks amount, std::int64_t now) {
    std::lock_guard<std::mutex> lock(mutex_);
    Demand& d = demands_[award];
    if (now - d.at > 60 || amount > d.amount) d.amount = amount;
    d.at = now;
}

std::map<std::string, Ticks> UsageTracker::lease_demands(std::int64_t now, std::int64_t memory) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, Ticks> out;
    for (const auto& [award, d] : demands_) {
        if (now - d.at <= memory) out[award] = d.amount;
    }
    return out;
}

std::map<std::string, ChargeTotals> UsageTracker::totals() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::map<std::string, ChargeTotals>(totals_.begin(), totals_.end());
}

bool UsageTracker::rerun_admitted(std::uint32_t job_id, std::uint32_t attempt) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = admitted_reruns_.find(job_id);
    return it != admitted_reruns_.end() && it->second == attempt;
}

void UsageTracker::admit_rerun(std::uint32_t job_id, std::uint32_t attempt) {
    std::lock_guard<std::mutex> lock(mutex_);
    admitted_reruns_[job_id] = attempt;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> UsageTracker::admitted_reruns() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {admitted_reruns_.begin(), admitted_reruns_.end()};
}

std::shared_ptr<const UsageSnapshot> UsageTracker::snapshot_ptr() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return snapshot_;
}

UsageSnapshot UsageTracker::snapshot() const {
    std::shared_ptr<const UsageSnapshot> s;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        s = snapshot_;
    }
    return *s;
}

}  // namespace grants
