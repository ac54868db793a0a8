// Where the policy file lives by default.
#pragma once

#include <string>

namespace grants {

inline constexpr char kPolicyFileName[] = "grants.yaml";

// grants.yaml in the directory of slurm_conf ("/etc/slurm/slurm.conf" ->
// "/etc/slurm/grants.yaml").
inline std::string policy_path_next_to(const std::string& slurm_conf) {
    auto slash = slurm_conf.rfind('/');
    if (slash == std::string::npos) return kPolicyFileName;
    return slurm_conf.substr(0, slash + 1) + kPolicyFileName;
}

}  // namespace grants
