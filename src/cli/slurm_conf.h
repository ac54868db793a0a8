// What grantctl reads from slurm.conf on the local node: the paths of the
// policy and the ledger, and who may own the policy.
#pragma once

#include <optional>
#include <string>

#include "core/policy/policy_file.h"
#include "core/site/slurm_conf_nodes.h"

namespace grants::cli {

// $SLURM_CONF, else the default slurm.conf.
std::string slurm_conf_path();

// The value of KEY (case-insensitive) in slurm.conf; the last one wins.
// Include lines are not followed.
std::optional<std::string> slurm_conf_value(const std::string& slurm_conf, const std::string& key);

// grants.yaml next to slurm.conf.
std::string default_policy_path();

// <StateSaveLocation>/grants/ledger.db, or nullopt when slurm.conf names no StateSaveLocation.
std::optional<std::string> default_ledger_path();

// The ledger a command reads or writes: --ledger's value (given), else the
// default; nullopt with the sentence to print in *why.
std::optional<std::string> ledger_path_or_default(const std::string* given, std::string* why);

// The partitions slurm_conf defines and their nodes, its include lines
// followed as slurmctld follows them (globs too); nullopt with one sentence
// in *error when slurm_conf itself cannot be read.
std::optional<SlurmConfPartitions> read_slurm_conf_partitions(const std::string& slurm_conf, std::string* error);

// root and SlurmUser (as slurmctld trusts them).
PolicyFileOwners trusted_owners(const std::string& slurm_conf);

}  // namespace grants::cli
