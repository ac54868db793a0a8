// Where the policy file and the SQLite ledger live by default.
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

// The SQLite ledger's default place: grants/ledger.db under slurm.conf's
// StateSaveLocation (the controller's own state, as Slurm keeps its own).
inline std::string ledger_path_under(const std::string& state_save_location) {
    return (state_save_location.empty() ? std::string(".") : state_save_location) + "/grants/ledger.db";
}

}  // namespace grants
