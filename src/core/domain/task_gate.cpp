#include "core/domain/task_gate.h"

#include "core/base/award_id.h"
#include "core/base/text.h"
#include "core/domain/admin_comment.h"
#include "core/domain/decision.h"

namespace grants {

TaskGate decide_task_gate(const Policy& policy, const StepFacts& facts) {
    TaskGate gate;
    const std::string job = "job " + std::to_string(facts.job_id);
    if (!facts.record_loaded) {
        // Nothing says the controller approved this job.
        const std::vector<std::string> hinted = split_partition_list(facts.partition_hint.value_or(""));
        std::string enforced;
        for (const auto& p : hinted) {
            if (policy.enforces(p)) {
                enforced = p;
                break;
            }
        }
        if (enforced.empty() && !hinted.empty()) return gate;  // outside the enforced partitions: untouched
        gate.refusal = job + ": slurmctld did not answer for its job record (" + std::to_string(facts.attempts) +
                       (facts.attempts == 1 ? " try" : " tries") + "), so its award tag cannot be checked; " +
                       (enforced.empty() ? std::string("its partition is unknown here, so")
                                         : "it runs on partition " + loggable(enforced) + ", which needs an approved award:") +
                       " refusing to start its tasks; run it again when the controller answers";
        return gate;
    }
    auto award = award_in_admin_comment(facts.admin_comment);
    if (award && is_valid_award_id(*award)) gate.award = *award;
    JobRequest request;
    request.partitions.push_back(facts.partition);
    if (in_scope(policy, request) && !gate.award && !has_unchecked_mark(facts.admin_comment)) {
        gate.refusal = job + " runs on partition " + loggable(facts.partition) +
                       ", which needs an approved award, but it carries none; refusing to start its tasks";
    }
    return gate;
}

int retry_bounded(const std::function<bool()>& load, int attempts, const std::function<void(int)>& pause,
                  bool* loaded) {
    *loaded = false;
    int calls = 0;
    while (calls < attempts) {
        if (calls > 0) pause(calls);
        ++calls;
        if (load()) {
            *loaded = true;
            break;
        }
    }
    return calls;
}

}  // namespace grants
