// Plugin arguments from plugstack.conf ("policy=/etc/slurm/grants.yaml").
#pragma once

#include <string>
#include <vector>

namespace grants {

struct SpankSettings {
    std::string policy_path;  // empty: grants.yaml next to slurm.conf
};

struct SpankSettingsParse {
    SpankSettings settings;
    std::string error;  // one sentence; empty on success
};

// Defaults first; an unknown key or a malformed argument is an error.
SpankSettingsParse parse_spank_args(const std::vector<std::string>& args);

}  // namespace grants
