// A Slurm federation's sibling copy of a job: what job_submit sees on a
// sibling cluster (docs/design.md, "Several clusters and federation").
#pragma once

#include <cstdint>

namespace grants {

// A federated job id is local id + (origin cluster's federation id << 26)
// (Slurm's fed_mgr.c, FED_MGR_CLUSTER_ID_BEGIN).
constexpr unsigned kFederationIdShift = 26;

// What job_submit was given, in plain values.
struct SubmitOrigin {
    std::uint32_t submit_uid = 0;         // who sent the request (0 on a sibling)
    std::uint32_t job_id = 0xfffffffeu;   // job_desc->job_id (Slurm's NO_VAL if unset)
    std::uint64_t siblings_viable = 0;    // job_desc->fed_siblings_viable
};

// The federation id (1..63) of the cluster the job was submitted to when this
// request is a sibling's copy of it, 0 otherwise. A sibling runs job_submit
// with submit_uid 0 and the job id already set; on the origin the id is
// never set at job_submit time (a federation refuses a given job id), and a
// user cannot submit as uid 0, so a user's values cannot pass for a copy.
std::uint32_t federation_origin(const SubmitOrigin& s);

}  // namespace grants
