#include "core/domain/decision.h"

#include <algorithm>

#include "core/base/award_id.h"
#include "core/base/duration.h"

namespace grants {
namespace {

Decision reject(std::string message) {
    Decision d;
    d.verdict = Decision::Verdict::Reject;
    d.message = std::move(message);
    return d;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::vector<std::string> in_scope_partitions(const Policy& policy, const JobRequest& job) {
    std::vector<std::string> out;
    for (const auto& p : job.partitions) {
        if (policy.enforces(p) && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
    return out;
}

bool usable_for(const Award& award, const std::vector<std::string>& partitions, DayNumber today) {
    if (!validity_problem(award, today).empty()) return false;
    for (const auto& p : partitions) {
        if (!award.allows_partition(p)) return false;
    }
    return true;
}

// "your awards: A, B" or a pointer to who can help.
std::string awards_hint(const Policy& policy, const Identity& who) {
    auto mine = awards_of(policy, who);
    if (mine.empty()) return "you are not a member of any award; ask your PI or the cluster admins to add you";
    return "your awards: " + join(mine);
}

std::string minutes_text(std::int64_t minutes) { return format_duration(minutes * 60); }

}  // namespace

std::vector<std::string> split_partition_list(std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
        auto comma = list.find(',');
        auto name = list.substr(0, comma);
        if (!name.empty()) out.emplace_back(name);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

bool in_scope(const Policy& policy, const JobRequest& job) {
    for (const auto& p : job.partitions) {
        if (policy.enforces(p)) return true;
    }
    return false;
}

std::string validity_problem(const Award& award, DayNumber today) {
    if (award.valid.from && today < *award.valid.from) {
        return "is not valid before " + format_date(*award.valid.from);
    }
    if (award.valid.until && today > *award.valid.until) {
        return "expired on " + format_date(*award.valid.until);
    }
    return {};
}

std::int64_t award_end(const JobRequest& job, DayNumber until) {
    if (job.day_end) return job.day_end(until);
    return (static_cast<std::int64_t>(until) + 1) * 86400;
}

namespace {

std::optional<JobCost> max_cost_over(const Policy& policy, const Award& award, const JobRequest& job,
                                     const std::vector<std::string>& scoped, std::int64_t time_limit_minutes) {
    std::optional<JobCost> best;
    bool unpriced = false;
    for (const auto& name : scoped) {
        const PartitionCost* listed = policy.find_partition(name);
        if (!listed) continue;
        auto facts_it = job.facts.find(name);
        const PartitionFacts facts = facts_it == job.facts.end() ? PartitionFacts{} : facts_it->second;
        auto consider = [&](const PartitionCost& part) {
            JobCost c;
            c.partition = name;
            c.instance_type = part.instance_type;
            c.nodes = charged_nodes(job.shape, facts);
            if (facts.exclusive && !job.shape.exclusive) {
                // OverSubscribe=EXCLUSIVE: every job there has whole nodes.
                JobShape whole = job.shape;
                whole.exclusive = true;
                c.chips = chips_of(part, whole, c.nodes);
            } else {
                c.chips = chips_of(part, job.shape, c.nodes);
            }
            c.time_limit_minutes = time_limit_minutes;
            c.amount = cost_ticks(award.budget.unit, part, c.chips,
                                   time_limit_minutes > kSaturatedCount / 60 ? kSaturatedCount : time_limit_minutes * 60,
                                   std::max<std::int64_t>(job.shape.array_tasks, 1));
            if (award.budget.unit == Budget::Unit::Usd && !part.usd_per_chip_hour) unpriced = true;
            if (!best || c.amount > best->amount || (c.amount == best->amount && c.chips > best->chips)) {
                best = std::move(c);
            }
        };
        if (!listed->types_from_features) {
            consider(*listed);  // the common case: no copy of the partition's costs
            continue;
        }
        // A features partition: the most expensive instance type the job could land on.
        for (const PartitionCost& part :
             partition_options(policy, *listed, name, job.node_types.get(), job.shape.constraint)) {
            consider(part);
        }
    }
    if (best) best->unpriced = unpriced;
    return best;
}

// Every partition of the job counts chips by a GRES, shares its nodes, and the
// job asks for none of that GRES: it is priced as whole nodes (chips_of), so
// it must have them. Empty: the job keeps the sharing it asked for.
std::string devices_not_asked(const Policy& policy, const JobRequest& job) {
    if (job.shape.exclusive || job.partitions.empty()) return {};
    std::string gres;
    for (const auto& name : job.partitions) {
        const PartitionCost* part = policy.find_partition(name);
        if (!part || part->gres.empty() || !policy.enforces(name)) return {};
        auto facts = job.facts.find(name);
        if (facts != job.facts.end() && facts->second.exclusive) return {};
        for (const std::string* tres : {&job.shape.tres_per_node, &job.shape.tres_per_job, &job.shape.tres_per_task}) {
            auto n = gres_count(*tres, part->gres, nullptr, part->gres_type);
            if (n && *n > 0) return {};
        }
        if (gres.empty()) gres = part->gres;
    }
    return gres;
}

}  // namespace

std::optional<JobCost> max_job_cost(const Policy& policy, const Award& award, const JobRequest& job,
                                    std::int64_t time_limit_minutes) {
    return max_cost_over(policy, award, job, in_scope_partitions(policy, job), time_limit_minutes);
}

BudgetRoom budget_room(const Award& award, const AwardUsageView& u) {
    BudgetRoom room;
    room.budget = u.funding ? Budget{award.budget.unit, micros_of_ticks(u.funding->budget)} : award.budget;
    room.budget_ticks = u.funding ? u.funding->budget : ticks_of(room.budget.amount);
    room.committed = static_cast<WideInt>(u.charged) + u.held + u.other_clusters_held;
    room.lease = u.lease;
    room.held = u.held;
    return room;
}

namespace {

// Each step of decide_submit returns its refusal, or nothing and the next
// step runs (SPEC: the enforcement order).
using Refusal = std::optional<Decision>;

std::optional<std::int64_t> max_minutes_of(const Award& award) {
    if (!award.limits.max_walltime_seconds) return std::nullopt;
    return *award.limits.max_walltime_seconds / 60;
}

// 1. Which award: --award, the user's default, or the one award usable here.
Refusal resolve_award(const Policy& policy, const JobRequest& job, const std::vector<std::string>& scoped,
                      std::string* award_id) {
    const Identity& who = job.who;
    // Conflicting values, or more entries than any client sends: one bounded
    // sentence (the values are the user's and end up in slurmctld's log).
    if (std::string problem = award_request_problem(job.requested); !problem.empty()) return reject(problem);
    if (job.requested.award) {
        *award_id = *job.requested.award;
        if (!is_valid_award_id(*award_id)) return reject(award_id_problem(*award_id));
        return std::nullopt;
    }
    if (const UserSettings* settings = policy.find_user(who.user); settings && !settings->default_award.empty()) {
        *award_id = settings->default_award;
        return std::nullopt;
    }
    std::size_t usable = 0;
    if (policy.name_index.built) {
        for (std::uint32_t n : award_numbers_of(policy, who)) {
            if (usable_for(*policy.name_index.award_at[n], scoped, job.today) && ++usable == 1) {
                *award_id = policy.member_index.awards.name(n);
            }
        }
    } else {
        for (const auto& id : awards_of(policy, who)) {
            if (usable_for(*policy.find_award(id), scoped, job.today) && ++usable == 1) *award_id = id;
        }
    }
    if (usable == 1) return std::nullopt;
    const std::string& partition = scoped.front();
    if (usable == 0) {
        return reject("jobs on partition " + partition + " need an award: add --award=ID (" + awards_hint(policy, who) +
                      ").");
    }
    return reject("jobs on partition " + partition + " need an award and you have several: add --award=ID (" +
                  awards_hint(policy, who) + ").");
}

// 2. The award exists, the user is a member, it is valid today and allows
// every partition of the job.
Refusal check_award(const Policy& policy, const JobRequest& job, const std::vector<std::string>& scoped,
                    const std::string& award_id, const Award** found) {
    const Identity& who = job.who;
    const Award* award = nullptr;
    bool member = false;
    if (policy.name_index.built) {
        const std::uint32_t n = policy.member_index.awards.find(award_id);
        if (n != NameTable::kNone) {
            award = policy.name_index.award_at[n];
            member = is_member(policy, n, who);
        }
    } else if ((award = policy.find_award(award_id))) {
        member = is_member(*award, who);
    }
    if (!award || !member) {
        if (!job.precise_award_refusals) {
            return reject("user " + who.user + " is not a member of award " + award_id + ", or it does not exist (" +
                          awards_hint(policy, who) + ").");
        }
        if (!award) return reject("award " + award_id + " does not exist (" + awards_hint(policy, who) + ").");
        return reject("user " + who.user + " is not a member of award " + award_id + " (" + awards_hint(policy, who) +
                      ").");
    }
    if (auto why = validity_problem(*award, job.today); !why.empty()) {
        return reject("award " + award_id + " " + why + "; ask your PI about a current award (" +
                      awards_hint(policy, who) + ").");
    }
    for (const auto& p : scoped) {
        if (!award->allows_partition(p)) {
            std::string allowed;
            for (const auto& a : award->partitions) allowed += (allowed.empty() ? "" : ", ") + a;
            return reject("award " + award_id + " cannot be used on partition " + p + " (it allows " + allowed +
                          "); submit with -p " + *award->partitions.begin() + ".");
        }
    }
    *found = award;
    return std::nullopt;
}

// 3. A finite time limit: the job's, or the smallest default of its
// partitions and the award's maximum (then written back: *set_time_limit).
Refusal settle_time_limit(const JobRequest& job, const std::vector<std::string>& scoped, const Award& award,
                          const std::string& award_id, std::int64_t* time_limit,
                          std::optional<std::int64_t>* set_time_limit) {
    const std::string& partition = scoped.front();
    const std::optional<std::int64_t> max_minutes = max_minutes_of(award);
    if (job.shape.time_limit_infinite) {
        return reject("jobs on partition " + partition + " need a finite time limit: set --time" +
                      (max_minutes ? " (award " + award_id + " allows at most " + minutes_text(*max_minutes) + ")"
                                   : std::string()) +
                      ".");
    }
    if (job.shape.time_limit_minutes) {
        *time_limit = *job.shape.time_limit_minutes;
    } else {
        std::optional<std::int64_t> def;
        for (const auto& p : scoped) {
            auto f = job.facts.find(p);
            if (f != job.facts.end() && f->second.default_time_minutes) {
                def = def ? std::min(*def, *f->second.default_time_minutes) : *f->second.default_time_minutes;
            }
        }
        if (max_minutes) def = def ? std::min(*def, *max_minutes) : *max_minutes;
        if (!def) {
            return reject("jobs on partition " + partition +
                          " need a time limit and the partition has no finite default: set --time.");
        }
        *time_limit = *def;
        *set_time_limit = *time_limit;
    }
    if (*time_limit <= 0) return reject("the time limit must be at least one minute: set --time.");
    if (max_minutes && *time_limit > *max_minutes) {
        return reject("the time limit " + minutes_text(*time_limit) + " is over award " + award_id +
                      "'s maximum of " + minutes_text(*max_minutes) + ": lower --time.");
    }
    return std::nullopt;
}

// 4. The award's end: a job must be able to finish by it (then its deadline
// is the award's end, *set_deadline, unless it has an earlier one).
Refusal check_award_end(const Policy& policy, const JobRequest& job, const Award& award, const std::string& award_id,
                        std::int64_t time_limit, std::optional<std::int64_t>* set_deadline) {
    if (!award.valid.until) return std::nullopt;
    const std::int64_t end = award_end(job, *award.valid.until);
    const std::int64_t start = job.started_at > 0 ? job.started_at : std::max(job.now, job.shape.begin_time);
    if (start + time_limit * 60 > end) {
        const std::int64_t fits = end > start ? (end - start) / 60 : 0;
        const std::string ends = "award " + award_id + " ends with " + format_date(*award.valid.until);
        if (job.started_at > 0) {
            return reject(ends + ", and this job, running since " + minutes_text((job.now - start) / 60) +
                          " ago, would run past it with the time limit " + minutes_text(time_limit) +
                          (fits > 0 ? ": at most " + minutes_text(fits) + "." : "."));
        }
        if (fits < 1) {
            return reject(ends + (start > job.now ? ", before this job may begin" : ", in less than a minute") +
                          ": no job can finish by then; ask your PI about a current award (" +
                          awards_hint(policy, job.who) + ").");
        }
        return reject(ends + " (" + minutes_text(fits) + (start > job.now ? " after the job's --begin" : " from now") +
                      ") and a job with the time limit " + minutes_text(time_limit) +
                      " could not finish by then: lower --time to at most " + minutes_text(fits) + ".");
    }
    if (job.shape.deadline <= 0 || job.shape.deadline > end) *set_deadline = end;
    return std::nullopt;
}

// 4. The job's price: the most it could cost on any of its partitions. A chip
// count that cannot be read must not be priced as "no GRES" (whole nodes):
// Slurm may read it differently, so it is refused.
Refusal price_job(const Policy& policy, const Award& award, const JobRequest& job,
                  const std::vector<std::string>& scoped, const std::string& award_id, std::int64_t time_limit,
                  JobCost* out) {
    for (const auto& p : scoped) {
        const PartitionCost* part = policy.find_partition(p);
        if (!part || part->gres.empty()) continue;
        for (const std::string* tres : {&job.shape.tres_per_node, &job.shape.tres_per_job, &job.shape.tres_per_task}) {
            bool malformed = false;
            gres_count(*tres, part->gres, &malformed, part->gres_type);
            if (malformed) {
                return reject("the " + part->gres + " request " + quote_untrusted(*tres) +
                              " has a count that cannot be read: ask for a whole number, e.g. --gres=" + part->gres +
                              ":4.");
            }
        }
    }
    auto cost = max_cost_over(policy, award, job, scoped, time_limit);
    if (!cost) {
        // Only a features partition has no price: no node of it has a type of the policy.
        for (const auto& p : scoped) {
            const PartitionCost* part = policy.find_partition(p);
            if (!part || !part->types_from_features) continue;
            // The partition has typed nodes, but none the constraint admits.
            if (!job.shape.constraint.empty() && !candidate_types(job.node_types.get(), p, {}).empty() &&
                candidate_types(job.node_types.get(), p, job.shape.constraint).empty()) {
                return reject("no node of partition " + p + " has the features your --constraint " +
                              quote_untrusted(job.shape.constraint) + " asks for: see `sinfo -p " + p +
                              " -o '%N %f'`.");
            }
            return reject("no node of partition " + p +
                          " has a Feature naming an instance type of the grant policy, so its jobs cannot be "
                          "priced; ask the cluster admins.");
        }
        return reject("no enforced partition of this job is priced in the policy; ask the cluster admins.");
    }
    if (cost->unpriced) {
        return reject("award " + award_id + " has a dollar budget, but some nodes this job could run on have "
                      "an instance type without a price in the grant policy; narrow --constraint or ask the "
                      "cluster admins.");
    }
    *out = std::move(*cost);
    return std::nullopt;
}

// 4. The award's limits on chips per job and on live jobs and chips (the
// award's and each user's). "" when the job is within them.
std::string limits_problem(const Award& award, const std::string& award_id, const AwardUsageView& u,
                           const JobCost& cost, std::int64_t new_jobs) {
    const auto& limits = award.limits;
    if (limits.max_chips_per_job && cost.chips > *limits.max_chips_per_job) {
        return "this job would use " + std::to_string(cost.chips) + " chips; award " + award_id + " allows at most " +
               std::to_string(*limits.max_chips_per_job) + " per job: ask for fewer nodes or chips.";
    }
    const std::int64_t new_chips = cost.chips > kSaturatedCount / new_jobs ? kSaturatedCount : cost.chips * new_jobs;
    if (limits.max_jobs && u.live_jobs + new_jobs > *limits.max_jobs) {
        return "award " + award_id + " has " + std::to_string(u.live_jobs) + " pending or running jobs and allows " +
               std::to_string(*limits.max_jobs) + "; this " +
               (new_jobs > 1 ? "array adds " + std::to_string(new_jobs) : std::string("job would be one more")) +
               ": wait for some to finish.";
    }
    if (limits.per_user.max_jobs && u.user_live_jobs + new_jobs > *limits.per_user.max_jobs) {
        return "you have " + std::to_string(u.user_live_jobs) + " pending or running jobs on award " + award_id +
               ", which allows " + std::to_string(*limits.per_user.max_jobs) + " per user: wait for some to finish.";
    }
    if (limits.max_running_chips && u.live_chips + new_chips > *limits.max_running_chips) {
        return "award " + award_id + " has " + std::to_string(u.live_chips) +
               " chips in pending or running jobs and allows " + std::to_string(*limits.max_running_chips) +
               " at once; this job needs " + std::to_string(new_chips) + ": wait for some to finish.";
    }
    if (limits.per_user.max_running_chips && u.user_live_chips + new_chips > *limits.per_user.max_running_chips) {
        return "you have " + std::to_string(u.user_live_chips) + " chips in pending or running jobs on award " +
               award_id + ", which allows " + std::to_string(*limits.per_user.max_running_chips) +
               " per user at once; this job needs " + std::to_string(new_chips) + ": wait for some to finish.";
    }
    return {};
}

// 5. The budget: charged + held + this job <= budget (with tranches or
// deposits: what the active tranches hold and have spent), and with several
// clusters, within this cluster's lease (then the refusal records the demand).
Refusal check_budget(const BudgetRoom& room, const std::string& award_id, const JobCost& cost,
                     std::int64_t time_limit, std::int64_t new_jobs) {
    const Budget& budget = room.budget;
    if (room.fits_budget(cost.amount) && !room.fits_lease(cost.amount)) {
        Decision d = reject("award " + award_id + " has " + format_left(budget.unit, room.left()) + " of " +
                            format_budget(budget) + " left across all clusters, but this cluster may commit only " +
                            format_amount(budget.unit, room.lease_left()) + " of it right now and this job needs up to " +
                            format_amount(budget.unit, cost.amount, true) +
                            ": this cluster asks the others for more now; please try again in a minute.");
        d.lease_demand = cost.amount;
        return d;
    }
    if (room.fits(cost.amount)) return std::nullopt;
    return reject("award " + award_id + " has " + format_left(budget.unit, room.left()) + " of " +
                  format_budget(budget) + " left and this job needs up to " +
                  format_amount(budget.unit, cost.amount, true) + " (" + std::to_string(cost.chips) + " chips x " +
                  minutes_text(time_limit) + (new_jobs > 1 ? " x " + std::to_string(new_jobs) + " tasks" : std::string()) +
                  "): lower --time or the node count, or ask your PI.");
}

// Refusals from the limits on know the award and the job's cost (grantctl
// quote shows them).
Decision costed(Decision d, const std::string& award_id, const JobCost& cost, std::int64_t time_limit) {
    d.award = award_id;
    d.hold = cost.amount;
    d.chips = cost.chips;
    d.instance_type = cost.instance_type;
    d.time_limit_minutes = time_limit;
    return d;
}

// 6. The user's sentence on acceptance: what the job holds, what is left and
// until when. Appended in place: it is formatted on every accepted submission.
void acceptance_message(const Policy& policy, const Award& award, const std::string& award_id, const JobCost& cost,
                        const Budget& budget, Ticks left, const std::string& whole_nodes_of, std::string& m) {
    m.reserve(128);
    m += "award ";
    m += award_id;
    m += ": this job holds ";
    append_amount(m, budget.unit, cost.amount, true);
    if (const PartitionCost* listed = policy.find_partition(cost.partition);
        listed && listed->types_from_features && !cost.instance_type.empty()) {
        // A partition of several instance types: which one the hold assumes.
        m += " (as on ";
        m += cost.instance_type;
        m += " nodes)";
    }
    m += "; ";
    append_left(m, budget.unit, left);
    m += " of ";
    append_budget(m, budget);
    m += " left";
    if (award.valid.until) {
        m += " (until ";
        m += format_date(*award.valid.until);
        m += ')';
    }
    if (!whole_nodes_of.empty()) {
        m += "; it asks for no ";
        m += whole_nodes_of;
        m += " devices, so it has whole nodes (as with --exclusive)";
    }
    m += '.';
}

}  // namespace

Decision decide_submit(const Policy& policy, const JobRequest& job, const UsageLookup& usage) {
    const std::vector<std::string> scoped = in_scope_partitions(policy, job);
    if (scoped.empty()) return Decision{};

    std::string award_id;
    if (Refusal r = resolve_award(policy, job, scoped, &award_id)) return std::move(*r);
    const Award* award = nullptr;
    if (Refusal r = check_award(policy, job, scoped, award_id, &award)) return std::move(*r);
    std::int64_t time_limit = 0;
    std::optional<std::int64_t> set_time_limit;
    if (Refusal r = settle_time_limit(job, scoped, *award, award_id, &time_limit, &set_time_limit)) {
        return std::move(*r);
    }
    std::optional<std::int64_t> set_deadline;
    if (Refusal r = check_award_end(policy, job, *award, award_id, time_limit, &set_deadline)) return std::move(*r);
    JobCost cost;
    if (Refusal r = price_job(policy, *award, job, scoped, award_id, time_limit, &cost)) return std::move(*r);

    const AwardUsageView u = usage ? usage(award_id, job.who.user) : AwardUsageView{};
    const std::int64_t new_jobs = std::max<std::int64_t>(job.shape.array_tasks, 1);
    if (std::string problem = limits_problem(*award, award_id, u, cost, new_jobs); !problem.empty()) {
        return costed(reject(std::move(problem)), award_id, cost, time_limit);
    }
    const BudgetRoom room = budget_room(*award, u);
    if (Refusal r = check_budget(room, award_id, cost, time_limit, new_jobs)) {
        return costed(std::move(*r), award_id, cost, time_limit);
    }

    // 6. Accept and tag.
    Decision d;
    d.verdict = Decision::Verdict::Accept;
    d.hold = cost.amount;
    d.chips = cost.chips;
    d.instance_type = cost.instance_type;
    d.time_limit_minutes = time_limit;
    d.set_time_limit_minutes = set_time_limit;
    if (!job.shape.max_nodes) d.set_max_nodes = cost.nodes;
    d.set_deadline = set_deadline;
    const std::string whole_nodes_of = devices_not_asked(policy, job);
    d.set_exclusive = !whole_nodes_of.empty();
    const Ticks left = static_cast<Ticks>(room.budget_ticks - (room.committed + cost.amount));
    acceptance_message(policy, *award, award_id, cost, room.budget, left, whole_nodes_of, d.message);
    d.award = std::move(award_id);
    return d;
}

Decision decide_without_policy(const std::optional<EnforceScope>& scope, const JobRequest& job) {
    if (!scope) return Decision{};
    std::string partition;
    for (const auto& p : job.partitions) {
        if (scope->enforces(p)) {
            partition = p;
            break;
        }
    }
    if (partition.empty()) return Decision{};
    if (scope->on_error == OnError::Open) {
        Decision d;
        d.verdict = Decision::Verdict::AcceptUntagged;
        d.message = "the grant policy is unavailable; this job on partition " + partition +
                    " was accepted without an award check.";
        return d;
    }
    return reject("the grant policy is unavailable, so jobs on partition " + partition +
                  " cannot be checked against an award right now; please try again later or ask the cluster "
                  "admins.");
}

}  // namespace grants
