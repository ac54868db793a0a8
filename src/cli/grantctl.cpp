// grantctl: the command-line face of slurm-grants, built on the same core.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "core/paths.h"
#include "core/policy_loader.h"
#include "grants_config.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;

const char kUsage[] =
    "Usage: grantctl COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  check [FILE]   validate a grants.yaml policy (default: grants.yaml next to slurm.conf)\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "  -V, --version  show the version\n"
    "\n"
    "Exit status: 0 success, 1 refused (e.g. an invalid policy), 2 usage error.\n";

const char kCheckUsage[] =
    "Usage: grantctl check [--json] [FILE]\n"
    "\n"
    "Validate a grants.yaml policy. Prints a summary and exits 0 when it is valid;\n"
    "prints every error as FILE:LINE:COLUMN: MESSAGE and exits 1 otherwise.\n"
    "FILE defaults to grants.yaml next to slurm.conf ($SLURM_CONF or " GRANTS_DEFAULT_SLURM_CONF ").\n"
    "\n"
    "Options:\n"
    "  --json       print the result as JSON\n"
    "  -h, --help   show this help\n";

std::string default_policy_path() {
    const char* conf = std::getenv("SLURM_CONF");
    return grants::policy_path_next_to(conf && *conf ? conf : GRANTS_DEFAULT_SLURM_CONF);
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", byte);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

int usage_error(const std::string& sentence) {
    std::cerr << "grantctl: " << sentence << " See 'grantctl --help'.\n";
    return kExitUsage;
}

int cmd_check(const std::vector<std::string>& args) {
    bool json = false;
    std::string file;
    for (const auto& a : args) {
        if (a == "-h" || a == "--help") {
            std::cout << kCheckUsage;
            return kExitOk;
        } else if (a == "--json") {
            json = true;
        } else if (!a.empty() && a[0] == '-') {
            return usage_error("unknown option '" + a + "' for check.");
        } else if (file.empty()) {
            file = a;
        } else {
            return usage_error("check takes at most one FILE.");
        }
    }
    if (file.empty()) file = default_policy_path();
    grants::PolicyLoad load = grants::load_policy_file(file);
    if (!load.policy) {
        if (json) {
            std::cout << "{\"file\":" << json_string(file) << ",\"valid\":false,\"errors\":[";
            for (std::size_t i = 0; i < load.errors.size(); ++i) {
                const auto& e = load.errors[i];
                std::cout << (i ? "," : "") << "{\"line\":" << e.mark.line << ",\"column\":" << e.mark.column
                          << ",\"message\":" << json_string(e.message) << "}";
            }
            std::cout << "]}\n";
        } else {
            for (const auto& e : load.errors) std::cerr << e.to_string() << "\n";
            std::cerr << "grantctl: " << file << ": " << load.errors.size() << " error"
                      << (load.errors.size() == 1 ? "" : "s") << "; the policy is not valid.\n";
        }
        return kExitRefused;
    }
    const grants::Policy& p = *load.policy;
    if (json) {
        std::cout << "{\"file\":" << json_string(file) << ",\"valid\":true,\"enforced_partitions\":[";
        bool first = true;
        for (const auto& part : p.enforced_partitions) {
            std::cout << (first ? "" : ",") << json_string(part);
            first = false;
        }
        std::cout << "],\"on_error\":\"" << (p.on_error == grants::OnError::Closed ? "closed" : "open")
                  << "\",\"awards\":[";
        first = true;
        for (const auto& [id, award] : p.awards) {
            std::cout << (first ? "" : ",") << "{\"id\":" << json_string(id) << ",\"title\":" << json_string(award.title)
                      << ",\"pi\":" << json_string(award.pi) << ",\"users\":" << award.members.users.size()
                      << ",\"groups\":" << award.members.groups.size()
                      << ",\"accounts\":" << award.members.accounts.size() << "}";
            first = false;
        }
        std::cout << "]}\n";
        return kExitOk;
    }
    std::cout << file << ": valid (policy version " << p.version << ")\n";
    std::cout << "enforced partitions:";
    for (const auto& part : p.enforced_partitions) std::cout << ' ' << part;
    std::cout << "\non error: " << (p.on_error == grants::OnError::Closed ? "closed" : "open") << "\n";
    std::cout << "awards: " << p.awards.size() << "\n";
    for (const auto& [id, award] : p.awards) {
        std::cout << "  " << id;
        if (!award.title.empty()) std::cout << "  \"" << award.title << "\"";
        if (!award.pi.empty()) std::cout << "  PI " << award.pi;
        std::cout << "  members: " << award.members.users.size() << " users, " << award.members.groups.size()
                  << " groups, " << award.members.accounts.size() << " accounts\n";
    }
    return kExitOk;
}

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) return usage_error("a command is required.");
    const std::string cmd = args.front();
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        std::cout << kUsage;
        return kExitOk;
    }
    if (cmd == "-V" || cmd == "--version") {
        std::cout << "grantctl (" PACKAGE_NAME ") " PACKAGE_VERSION "\n";
        return kExitOk;
    }
    if (cmd == "check") return cmd_check(rest);
    return usage_error("unknown command '" + cmd + "'.");
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "grantctl: internal error: " << e.what() << "\n";
    } catch (...) {
        std::cerr << "grantctl: internal error\n";
    }
    return kExitRefused;
}
