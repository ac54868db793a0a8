// grantctl's channel to slurmctld (docs/design.md "grantctl's channel to the
// controller"): a job-will-run request marked SLURM_GRANTS_QUERY, answered by
// job_submit/grants. Only libslurm's public API is used, so it works from any
// node with slurm.conf and munge, as any user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/wire/query.h"

namespace grants::cli {

// The job a question is about (quote) or carries (balance: --account).
struct QueryJob {
    std::optional<std::string> partition;
    std::optional<std::string> award;
    std::optional<std::string> account;
    std::optional<std::string> gres;   // as sbatch --gres: "neuron:4"
    std::optional<std::string> array;  // as sbatch --array: "0-99%4"
    std::optional<std::string> constraint;  // as sbatch --constraint: "trn1.2xlarge"
    std::optional<std::uint32_t> min_nodes, max_nodes;
    std::optional<std::uint32_t> time_limit_minutes;
    std::optional<std::uint32_t> ntasks;
    std::optional<std::string> user;   // ask about another user (root and SlurmUser only)
    std::optional<std::string> args;   // encode_query_args: window, report's award, grouping, period
};

// The controller's answer, or nullopt with one sentence in *error.
std::optional<Answer> ask_controller(QueryKind kind, const QueryJob& job, std::string* error);

}  // namespace grants::cli
