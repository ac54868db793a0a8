// The nodes of each partition as slurm.conf defines them, read without
// Slurm (grantctl runs on hosts without slurmctld; slurmstepd reads its own
// node's Features without asking the controller): NodeName, NodeSet and
// PartitionName lines, hostlists expanded, Nodes=ALL resolved, and
// `include` lines followed as Slurm does (ParallelCluster splits its
// slurm.conf into included files). read_slurm_conf_partitions touches no
// disk (the caller reads the files); load_slurm_conf reads them.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/partition_overlap.h"

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
    // Each NodeName's Features as written ("dynamic,trn1.32xlarge,efa"; a
    // NodeName=DEFAULT line's for a node without its own), in order.
    std::map<std::string, std::string, std::less<>> node_features;
    // "FILE:LINE: sentence" for what could not be read or understood (an
    // include that cannot be read, a malformed node list): the partitions
    // above may then be incomplete.
    std::vector<std::string> problems;
};

SlurmConfPartitions read_slurm_conf_partitions(const SlurmConfText& slurm_conf, const SlurmConfIncludes& includes);

// The same, read from disk: slurm_conf and what its include lines name
// (globs expanded). nullopt with one sentence in *error when slurm_conf
// itself cannot be read; an include that cannot be read is a problem.
std::optional<SlurmConfPartitions> load_slurm_conf(const std::string& slurm_conf, std::string* error);

// The whole file at path; false with the reason (strerror) in *error.
bool read_text(const std::string& path, std::string* text, std::string* error);
// The files an include line names, read into files: a path with '*' (or any
// path, always_glob: plugstack.conf's includes) is a glob whose matches are
// read (none: nothing); a plain path must be readable.
bool read_matching_files(const std::string& pattern, std::vector<SlurmConfText>* files, std::string* error,
                         bool always_glob = false);

}  // namespace grants
