// Slurm hostlists ("trn1-dy-trn1-32xl-[1-4]", "n[1-3,5],login1",
// "n[01-10]") as node names, without Slurm: grantctl reads them from
// slurm.conf, and the accounting thread from slurmctld's partitions
// (bitmap2node_name's compressed form), through this one expansion.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grants {

// Bounds what one list may expand to: a typo such as n[1-100000000] must give
// a sentence, not exhaust memory.
inline constexpr std::size_t kMaxHostlistNames = 1'000'000;

// The names of list, in order (duplicates kept). Items are separated by ','
// or whitespace outside brackets; each bracket group is a ','-separated list
// of numbers and ranges a-b, zero-padded to the width of its lower bound
// ("n[08-10]" is n08 n09 n10); several groups in one item expand to every
// combination ("r[1-2]n[1-2]"). nullopt with one sentence in *error when the
// list is malformed or too large.
std::optional<std::vector<std::string>> expand_hostlist(std::string_view list, std::string* error);

// Splits a Slurm node list at the ',' that are outside brackets
// ("n[1-3,5],gpus" -> "n[1-3,5]", "gpus"); empty items dropped.
std::vector<std::string_view> split_node_list(std::string_view list);

}  // namespace grants
