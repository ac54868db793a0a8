#include "cli/slurm_conf.h"

#include <pwd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/policy/paths.h"
#include "grants_config.h"

namespace grants::cli {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

}  // namespace

std::optional<SlurmConfPartitions> read_slurm_conf_partitions(const std::string& slurm_conf, std::string* error) {
    return load_slurm_conf(slurm_conf, error);
}

std::string slurm_conf_path() {
    const char* env = std::getenv("SLURM_CONF");
    return env && *env ? env : GRANTS_DEFAULT_SLURM_CONF;
}

std::optional<std::string> slurm_conf_value(const std::string& slurm_conf, const std::string& key) {
    std::ifstream in(slurm_conf);
    std::string line;
    std::optional<std::string> found;
    const std::string wanted = lower(key);
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        if (lower(trim(line.substr(0, eq))) != wanted) continue;
        std::string value = trim(line.substr(eq + 1));
        value = value.substr(0, value.find_first_of(" \t"));
        found = value;
    }
    return found;
}

std::string default_policy_path() { return policy_path_next_to(slurm_conf_path()); }

std::optional<std::string> default_ledger_path() {
    auto save = slurm_conf_value(slurm_conf_path(), "StateSaveLocation");
    if (!save || save->empty()) return std::nullopt;
    return ledger_path_under(*save);
}

std::optional<std::string> ledger_path_or_default(const std::string* given, std::string* why) {
    if (given) return *given;
    if (auto path = default_ledger_path()) return path;
    *why = "slurm.conf (" + slurm_conf_path() + ") names no StateSaveLocation: pass --ledger FILE.";
    return std::nullopt;
}

PolicyFileOwners trusted_owners(const std::string& slurm_conf) {
    PolicyFileOwners owners;
    if (auto name = slurm_conf_value(slurm_conf, "SlurmUser")) {
        if (const struct passwd* pw = getpwnam(name->c_str())) owners.uids.push_back(pw->pw_uid);
    }
    return owners;
}

}  // namespace grants::cli
