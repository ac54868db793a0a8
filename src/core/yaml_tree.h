// A small, bounded YAML document tree built from libyaml events.
//
// The policy loader walks this tree rather than libyaml events so that every
// node keeps its line and column, duplicate keys can be reported, and hostile
// input is bounded in one place: aliases are refused (no alias bombs), and
// size, depth and node count are capped.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "diagnostic.h"

namespace grants {

struct YamlLimits {
    std::size_t max_bytes = 16u << 20;  // 16 MiB
    std::size_t max_depth = 64;
    std::size_t max_nodes = 2'000'000;
};

struct YamlNode {
    enum class Kind { Scalar, Sequence, Mapping };

    Kind kind = Kind::Scalar;
    Mark mark;
    std::string value;   // scalars only
    bool quoted = false; // scalar written in quotes (never a number/bool/null)
    std::vector<YamlNode> items;                          // sequences
    std::vector<std::pair<YamlNode, YamlNode>> entries;  // mappings, in file order

    bool is_scalar() const { return kind == Kind::Scalar; }
    bool is_sequence() const { return kind == Kind::Sequence; }
    bool is_mapping() const { return kind == Kind::Mapping; }
    // "a mapping", "a list", "a string": for "expected X, found Y" messages.
    const char* kind_name() const;
};

struct YamlParse {
    std::unique_ptr<YamlNode> root;  // null when errors is not empty or the file is empty
    Diagnostics errors;
};

// Parse one YAML document. file names the source in diagnostics.
YamlParse parse_yaml(std::string_view text, const std::string& file, const YamlLimits& limits = {});

}  // namespace grants
