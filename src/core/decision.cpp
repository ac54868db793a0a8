#include "decision.h"

#include "award_id.h"

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

// "your awards: A, B" or a pointer to who can help.
std::string awards_hint(const Policy& policy, const Identity& who) {
    auto mine = awards_of(policy, who);
    if (mine.empty()) return "you are not a member of any award; ask your PI or the cluster admins to add you";
    return "your awards: " + join(mine);
}

std::string first_in_scope_partition(const Policy& policy, const JobRequest& job) {
    for (const auto& p : job.partitions) {
        if (policy.enforces(p)) return p;
    }
    return {};
}

}  // namespace

bool in_scope(const Policy& policy, const JobRequest& job) { return !first_in_scope_partition(policy, job).empty(); }

Decision decide_submit(const Policy& policy, const JobRequest& job) {
    const std::string partition = first_in_scope_partition(policy, job);
    if (partition.empty()) return Decision{};

    const Identity& who = job.who;
    std::string award_id;
    if (job.requested.conflicting) {
        // The values come from the user's environment: quote them, they end up in slurmctld's log.
        std::vector<std::string> quoted;
        for (const auto& v : job.requested.values) quoted.push_back(quote_untrusted(v));
        return reject("conflicting award requests (" + join(quoted) + "): give --award only once.");
    }
    if (job.requested.award) {
        award_id = *job.requested.award;
        if (!is_valid_award_id(award_id)) return reject(award_id_problem(award_id));
    } else if (auto it = policy.users.find(who.user); it != policy.users.end() && !it->second.default_award.empty()) {
        award_id = it->second.default_award;
    } else {
        auto mine = awards_of(policy, who);
        if (mine.size() == 1) {
            award_id = mine.front();
        } else {
            return reject("jobs on partition " + partition + " need an award: add --award=ID (" +
                          awards_hint(policy, who) + ").");
        }
    }

    const Award* award = policy.find_award(award_id);
    if (!award) {
        return reject("award " + award_id + " does not exist (" + awards_hint(policy, who) + ").");
    }
    if (!is_member(*award, who)) {
        return reject("user " + who.user + " is not a member of award " + award_id + " (" +
                      awards_hint(policy, who) + ").");
    }

    Decision d;
    d.verdict = Decision::Verdict::Accept;
    d.award = award_id;
    d.message = "award " + award_id + ": job accepted and tagged.";
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
