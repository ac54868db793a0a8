// The translation job_desc_msg_t -> JobRequest, apart from slurmctld.
//
// job_submit/grants calls it with slurmctld's answers (default partition,
// identities, partition facts); the libFuzzer target tests/fuzz/fuzz_job_desc
// calls it with arbitrary strings and numbers in every field it reads. It
// reads only the public job_desc_msg_t (slurm/slurm.h) and never writes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/decision.h"

struct job_descriptor;  // job_desc_msg_t

namespace grants {

// What the translation needs from slurmctld, injected.
struct DescContext {
    std::function<std::string()> default_partition;                    // "" when none
    std::function<Identity(std::uint32_t uid, const char* account)> identity;
    std::function<PartitionFacts(const std::string& partition)> partition_facts;
    DayNumber today = 0;
};

// The partitions the job may run in: its comma-separated list, or the default
// partition when it names none.
std::vector<std::string> job_partitions_from_desc(const job_descriptor* desc, const DescContext& ctx);

// Fills the rest of request (identity, requested award, shape, facts, today).
// Returns the sentence for the user when the request itself is malformed
// (an invalid or oversized job array), nullopt otherwise.
std::optional<std::string> fill_job_request_from_desc(const job_descriptor* desc, std::uint32_t submit_uid,
                                                      const DescContext& ctx, JobRequest* request);

}  // namespace grants
