// The award a user asked for, as it reaches slurmctld through SPANK.
//
// sbatch/srun/salloc put a SPANK option into the job's spank environment as
// _SLURM_SPANK_OPTION_grants_award=ID. Users can forge that variable
// (SLURM_SPANK_* in their environment, or a client of their own that sends
// any spank environment at all), so the value is only a request: the
// decision checks membership. Conflicting values are refused, and so is a
// job that carries more award entries than any real client sends.
//
// A forged request may carry 100,000 entries: reading it is linear and
// bounded (each entry is compared with at most kMaxAwardEntries values
// kept), and the refusal quotes at most kAwardValuesQuoted of them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grants {

inline constexpr std::string_view kSpankOptionVariable = "_SLURM_SPANK_OPTION_grants_award";
// sbatch, srun and salloc send one entry (a repeated --award overwrites it);
// more than this many is a forged request and is refused whatever they say.
inline constexpr std::size_t kMaxAwardEntries = 16;
// Values a refusal quotes (each cut at kAwardValueQuotedChars); the rest are counted.
inline constexpr std::size_t kAwardValuesQuoted = 3;
inline constexpr std::size_t kAwardValueQuotedChars = 40;

struct AwardRequest {
    std::optional<std::string> award;  // nullopt: none requested
    bool conflicting = false;          // several different values were found
    // Every award entry in the environment, identical ones included.
    std::size_t entries = 0;
    // The distinct values among the first kMaxAwardEntries entries, in order
    // (so never more than kMaxAwardEntries of them).
    std::vector<std::string> values;

    bool too_many() const { return entries > kMaxAwardEntries; }
};

// Scans NAME=VALUE entries (a job's spank_job_env or environment).
AwardRequest award_request_from_env(const std::vector<std::string_view>& env);
// The same over a C array (a job_desc_msg_t's spank_job_env; null entries
// skipped), without building a vector on the submit path.
AwardRequest award_request_from_env(const char* const* env, std::size_t count);

// One sentence refusing a request with conflicting values or too many
// entries, for the user and slurmctld's log: at most kAwardValuesQuoted
// values, quoted (control bytes escaped, each cut), then "and N more", so it
// stays under kMaxAwardRequestProblemChars whatever the job carries. Empty
// when the request is fine (none, or one value, however often repeated up to
// kMaxAwardEntries).
std::string award_request_problem(const AwardRequest& request);
inline constexpr std::size_t kMaxAwardRequestProblemChars = 800;

}  // namespace grants
