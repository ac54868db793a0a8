// Reads grants.yaml into a Policy, reporting every error with file:line:column.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/diagnostic.h"
#include "core/policy/policy.h"
#include "core/policy/yaml_tree.h"

namespace grants {

struct PolicyLoad {
    std::shared_ptr<const Policy> policy;  // null whenever errors is not empty
    Diagnostics errors;                    // every problem found, in file order
};

// Drop-in award files (awards_dir in grants.yaml): what the file layer
// found in the directory, in name order, and its problems (ownership, a
// file that cannot be read), each with the file it is about.
struct DropInFile {
    std::string path;
    std::string text;
};
struct DropInSet {
    std::vector<DropInFile> files;
    Diagnostics errors;
};
// Called with awards_dir as written; reads the directory (policy_file.h).
using DropInSource = std::function<DropInSet(const std::string& awards_dir)>;

// With a policy that names awards_dir and no source, the directory is an
// error (nothing can read it).
PolicyLoad load_policy_text(std::string_view text, const std::string& file, const YamlLimits& limits = {},
                            const DropInSource& dropins = {});

// Reads path (refusing files over limits.max_bytes) and loads it.
PolicyLoad load_policy_file(const std::string& path, const YamlLimits& limits = {});

}  // namespace grants
