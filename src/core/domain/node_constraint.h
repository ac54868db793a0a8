// Which nodes a job's --constraint lets Slurm allocate, so that a job on a
// partition priced by its nodes' instance types (`instance_type: features`)
// is held at the dearest type it could really get: `-C "trn1.2xlarge|efa"`
// admits every node with efa too, whatever its type.
//
// Slurm's syntax, as slurmctld reads it (job_scheduler.c build_feature_list
// and node_scheduler.c valid_feature_counts / _valid_features, 22.05 to
// 24.11; neither has a NOT operator, so a `!` is part of a feature's name):
//   name            a node with that feature
//   a&b, a,b        both (Slurm reads a comma as '&')
//   a|b             either; each node may have either
//   left to right   no precedence: "a|b&c" is (a|b)&c
//   (a|b)&c         parentheses group features (not nested)
//   [a|b|c]         matching OR: all nodes share one of them (one set only)
//   [a*2&b*4]       multiple counts: 2 nodes with a and 4 with b
//   name*N, (..)*N  at least N of the job's nodes have it
// With a count anywhere, Slurm filters the job's nodes only by the bracketed
// set (when there is one): its other nodes may be any node of the partition.
// Where Slurm admits fewer nodes than the plain reading (it drops the terms
// outside brackets in "efa|[a|b]"), this admits the plain reading's nodes:
// more nodes, a higher price, never a lower one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grants {

// One operand of a constraint: a feature, a parenthesised group of
// features, or the bracketed set (features and groups).
struct ConstraintTerm {
    enum class Kind { Feature, Group, Bracket };
    Kind kind = Kind::Feature;
    std::string name;                  // Feature
    std::vector<ConstraintTerm> items; // Group, Bracket
    bool and_next = true;              // joined to the next term of its sequence by '&' (else '|')
};

class NodeConstraint {
public:
    // nullopt: not an expression Slurm reads (unbalanced brackets or
    // parentheses, an operator without a feature, a bad count, nesting Slurm
    // refuses, an empty name). Callers then admit every node: an unreadable
    // constraint is never priced at the cheapest type.
    static std::optional<NodeConstraint> parse(std::string_view expression);

    // Whether a node with these features (sorted, as split_features gives
    // them) can be one of the job's nodes.
    bool admits(const std::vector<std::string>& features) const;

private:
    std::vector<ConstraintTerm> terms_;  // left to right
    bool counted_ = false;               // a *N somewhere
    int bracket_ = -1;                   // index of the bracketed term in terms_, -1 none
};

// A node's comma-separated Features as a sorted list of distinct names,
// blanks around each trimmed ("efa, trn1.32xlarge" -> efa trn1.32xlarge).
std::vector<std::string> split_features(std::string_view features);

}  // namespace grants
