// grantctl ood-balance: Open OnDemand's balance file (core/render/ood_balance.h),
// from what slurmctld enforces now and the policy's members; written
// atomically, for the dashboard's OOD_BALANCE_PATH (a systemd timer runs it).
#include <grp.h>
#include <pwd.h>

#include <ctime>
#include <iostream>
#include <set>

#include "cli/atomic_file.h"
#include "cli/commands.h"
#include "cli/controller_query.h"
#include "cli/exit_codes.h"
#include "cli/options.h"
#include "cli/slurm_conf.h"
#include "core/policy/policy_file.h"
#include "core/render/ood_balance.h"

namespace grants::cli {

namespace {

const char kOodUsage[] =
    "Usage: grantctl ood-balance --output FILE [--unit chip_hours|usd] [--policy FILE]\n"
    "\n"
    "Write Open OnDemand's balance file (the dashboard's OOD_BALANCE_PATH): one\n"
    "entry per award and user (its members, the users of its groups, its PI and\n"
    "managers) whose value is what is left of the award now (budget - charged -\n"
    "held, as slurmctld enforces it), rounded down to a whole chip-hour or dollar.\n"
    "A file has one unit: write one per unit (OOD_BALANCE_PATH takes both,\n"
    "separated by ':'). Members by Slurm account are not listed.\n"
    "Only root, SlurmUser and Slurm operators may run it (it asks slurmctld).\n"
    "\n"
    "Options:\n"
    "  --output FILE       the file to write, atomically (a temporary file, then rename)\n"
    "  --unit UNIT         the awards in chip_hours or usd; needed when the policy has\n"
    "                      awards in both (default: the one unit of every award)\n"
    "  --policy FILE       for the awards' members; default: grants.yaml next to slurm.conf\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 refused (e.g. slurmctld does not answer, FILE cannot be\n"
    "written), 2 usage error.\n";

// Members of a group from NSS: listed members and the users whose primary
// group it is (the passwd scan sees only what NSS enumerates).
std::vector<std::string> group_users(const std::string& name) {
    std::vector<std::string> out;
    const struct group* gr = ::getgrnam(name.c_str());
    if (!gr) return out;
    const gid_t gid = gr->gr_gid;
    for (char** m = gr->gr_mem; m && *m; ++m) out.emplace_back(*m);
    ::setpwent();
    while (const struct passwd* pw = ::getpwent()) {
        if (pw->pw_gid == gid) out.emplace_back(pw->pw_name);
    }
    ::endpwent();
    return out;
}

}  // namespace

int run_ood_balance(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop = parse_command(args, {{"output", 0, true}, {"unit", 0, true}, {"policy", 0, true}}, kOodUsage,
                                  "ood-balance", &a))
        return *stop;
    const std::string* output = a.value("output");
    if (!output) return usage_error("ood-balance", "--output FILE is required (the file OOD_BALANCE_PATH names).");
    if (output->empty()) return usage_error("ood-balance", "--output needs a file name.");
    std::optional<Budget::Unit> unit;
    if (const std::string* v = a.value("unit")) {
        unit = parse_unit_name(*v);
        if (!unit) return usage_error("ood-balance", "--unit wants chip_hours or usd, not '" + *v + "'.");
    }
    const std::string policy_path = a.value("policy") ? *a.value("policy") : default_policy_path();
    PolicyFileLoad load = load_trusted_policy_file(policy_path, trusted_owners(slurm_conf_path()));
    if (!load.policy) {
        return refused("cannot use the policy " + policy_path + " for the awards' members: " +
                       (load.errors.empty() ? std::string("it cannot be read") : load.errors.front().to_string()) + ".");
    }
    if (!unit) {
        std::set<Budget::Unit> units;
        for (const auto& [id, award] : load.policy->awards) units.insert(award.budget.unit);
        if (units.size() > 1) {
            return usage_error("ood-balance", "the policy has awards in chip_hours and in usd, and a balance file has "
                                              "one unit: give --unit chip_hours or --unit usd (one file each).");
        }
        unit = units.empty() ? Budget::Unit::ChipHours : *units.begin();
    }
    std::string error;
    auto answer = ask_controller(QueryKind::Metrics, QueryJob{}, &error);
    if (!answer) return refused(error);
    if (!answer->refused.empty()) return refused(answer->refused);
    const OodBalanceFile file = ood_balance_file(*unit, answer->awards, *load.policy, group_users,
                                                 static_cast<std::int64_t>(std::time(nullptr)));
    std::string tmp;
    switch (write_atomically(*output, file.text, &tmp)) {
        case AtomicWrite::Ok: break;
        case AtomicWrite::WriteFailed: return refused("cannot write the balance file to " + tmp + ".");
        case AtomicWrite::RenameFailed: return refused("cannot rename " + tmp + " to " + *output + ".");
    }
    std::cerr << "grantctl: " << file.entries << " balance" << (file.entries == 1 ? "" : "s") << " of " << file.awards
              << " award" << (file.awards == 1 ? "" : "s") << " in " << ood_unit(*unit) << "s written to " << *output
              << "\n";
    return kExitOk;
}

}  // namespace grants::cli
