// The submit-time decision: pure function of the policy and the request.
#pragma once

#include <string>
#include <vector>

#include "award_request.h"
#include "enforce_scope.h"
#include "membership.h"
#include "policy.h"

namespace grants {

// A job as the controller sees it at submission, translated by the adapter.
struct JobRequest {
    Identity who;
    std::vector<std::string> partitions;  // every partition the job may run in (default resolved)
    AwardRequest requested;               // from the SPANK channel (untrusted)
};

struct Decision {
    enum class Verdict {
        Untouched,  // not in scope: leave the job exactly as it is
        Accept,     // in scope and approved: tag it with award
        Reject,     // in scope and refused: message says why
        AcceptUntagged,  // in scope, no usable policy, on_error=open: accept without a tag
    };
    Verdict verdict = Verdict::Untouched;
    std::string award;    // Accept: the approved award
    std::string message;  // one sentence for the user (Accept and Reject)
};

// True when any of the job's partitions is enforced.
bool in_scope(const Policy& policy, const JobRequest& job);

Decision decide_submit(const Policy& policy, const JobRequest& job);

// The decision when no usable policy exists (missing or invalid at start).
// scope is what is known of enforce (see enforce_scope.h); with no scope at
// all, no partition is known to be enforced and every job passes untouched.
Decision decide_without_policy(const std::optional<EnforceScope>& scope, const JobRequest& job);

}  // namespace grants
