// Whether slurmstepd lets a job's tasks start (spank_grants(8): the
// defence in depth when job_submit/grants is missing or misconfigured), and
// which award its tasks get as SLURM_AWARD_ID.
//
// The job record comes from slurmctld (slurm_load_job, once per step). When
// it cannot be read after a short bounded retry, nothing says the job was
// approved: a job that may run on an enforced partition is refused (fail
// closed), one that the step says runs outside them starts as before.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/policy/policy.h"

namespace grants {

// What slurmstepd knows of its job when the step starts.
struct StepFacts {
    std::uint32_t job_id = 0;
    bool record_loaded = false;  // slurmctld answered with the job's record
    std::string admin_comment;   // from the record
    std::string partition;       // from the record: the partition the job runs in
    // Without a record: SLURM_JOB_PARTITION of the step's environment (set by
    // slurmctld for a batch step, by srun from slurmctld's answer for others);
    // nullopt when the environment has none.
    std::optional<std::string> partition_hint;
    int attempts = 0;  // how many times slurmctld was asked
};

struct TaskGate {
    std::optional<std::string> award;  // SLURM_AWARD_ID for every task; none: unset it
    std::string refusal;               // non-empty: no task may start (one sentence, for slurmd's log)
};

// The rule. With the record: an approved award tag (or the on_error=open
// mark) is needed on an enforced partition. Without it: refused when the
// hint names an enforced partition, or none at all.
TaskGate decide_task_gate(const Policy& policy, const StepFacts& facts);

// How often slurmctld is asked for the job record, and the pause before
// each retry: libslurm itself keeps trying to connect for MessageTimeout
// seconds per call, so one more call a second later doubles the patience for
// a briefly busy controller and bounds the wait at 2 x MessageTimeout + 1 s.
inline constexpr int kJobRecordAttempts = 2;
inline constexpr int kJobRecordRetryPauseSeconds = 1;

// Calls load until it returns true, at most attempts times, calling
// pause(retry) before each retry (retry = 1, 2, ...). Returns the number of
// calls made; *loaded says whether the last one succeeded.
int retry_bounded(const std::function<bool()>& load, int attempts, const std::function<void(int)>& pause,
                  bool* loaded);

}  // namespace grants
