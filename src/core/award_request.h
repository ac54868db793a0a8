// The award a user asked for, as it reaches slurmctld through SPANK.
//
// sbatch/srun/salloc put a SPANK option into the job's spank environment as
// _SLURM_SPANK_OPTION_grants_award=ID. Users can forge that variable
// (SLURM_SPANK_* in their environment), so the value is only a request: the
// decision checks membership. Conflicting values are refused.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grants {

inline constexpr std::string_view kSpankOptionVariable = "_SLURM_SPANK_OPTION_grants_award";

struct AwardRequest {
    std::optional<std::string> award;  // nullopt: none requested
    bool conflicting = false;          // several different values were found
    std::vector<std::string> values;   // every distinct value seen (for messages)
};

// Scans NAME=VALUE entries (a job's spank_job_env or environment).
AwardRequest award_request_from_env(const std::vector<std::string_view>& env);
// The same over a C array (a job_desc_msg_t's spank_job_env; null entries
// skipped), without building a vector on the submit path.
AwardRequest award_request_from_env(const char* const* env, std::size_t count);

}  // namespace grants
