// Reads grants.yaml into a Policy, reporting every error with file:line:column.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "diagnostic.h"
#include "policy.h"
#include "yaml_tree.h"

namespace grants {

struct PolicyLoad {
    std::shared_ptr<const Policy> policy;  // null whenever errors is not empty
    Diagnostics errors;                    // every problem found, in file order
};

PolicyLoad load_policy_text(std::string_view text, const std::string& file, const YamlLimits& limits = {});

// Reads path (refusing files over limits.max_bytes) and loads it.
PolicyLoad load_policy_file(const std::string& path, const YamlLimits& limits = {});

}  // namespace grants
