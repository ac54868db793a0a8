// The nodes of each partition as slurm.conf defines them, read without
// Slurm (grantctl runs on hosts without slurmctld): NodeName, NodeSet and
// PartitionName lines, hostlists expanded, Nodes=ALL resolved, and
// `include` lines followed as Slurm does (ParallelCluster splits its
// slurm.conf into included files). The caller reads the files: the core
// touches no disk.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "partition_overlap.h"

namespace grants {

struct SlurmConfText {
    std::string path;
    std::string text;
};

// Reads what an include line names: path is absolute (a relative name is
// resolved against slurm.conf's directory first, %c replaced by the
// lower-cased ClusterName) and may hold '*' (Slurm 24.11 expands globs):
// every match, in order. false with one sentence in *error.
using SlurmConfIncludes =
    std::function<bool(const std::string& path, std::vector<SlurmConfText>* files, std::string* error)>;

struct SlurmConfPartitions {
    PartitionNodes partitions;
    // "FILE:LINE: sentence" for what could not be read or understood (an
    // include that cannot be read, a malformed node list): the partitions
    // above may then be incomplete.
    std::vector<std::string> problems;
};

SlurmConfPartitions read_slurm_conf_partitions(const SlurmConfText& slurm_conf, const SlurmConfIncludes& includes);

}  // namespace grants
