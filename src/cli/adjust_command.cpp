// grantctl adjust: a manual credit or debit, recorded in the ledger with who,
// when and why. slurmctld notices the ledger changed and re-reads its totals
// within a pass (about a second).
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/local_time.h"
#include "cli/options.h"
#include "cli/slurm_conf.h"
#include "core/award_id.h"
#include "core/cost_model.h"
#include "core/ledger.h"
#include "core/policy_file.h"
#include "core/query.h"

namespace grants::cli {

namespace {

const char kAdjustUsage[] =
    "Usage: grantctl adjust AWARD AMOUNT --reason TEXT [--json] [--ledger FILE] [--policy FILE]\n"
    "\n"
    "Record a manual adjustment of an award's budget use, in the award's unit\n"
    "(chip-hours or dollars, as its budget). A positive AMOUNT credits the award\n"
    "(gives budget back, e.g. for a job lost to a hardware fault); a negative\n"
    "AMOUNT debits it (e.g. usage run outside Slurm). The ledger keeps the amount,\n"
    "the reason, who made it and when; grantctl report lists it. slurmctld applies\n"
    "it to balances and decisions within a few seconds.\n"
    "Run it on the controller host as root or SlurmUser.\n"
    "\n"
    "Options:\n"
    "  -r, --reason TEXT   why (required)\n"
    "  --json              print the recorded adjustment as JSON\n"
    "  --ledger FILE       default: <StateSaveLocation>/grants/ledger.db from slurm.conf\n"
    "  --policy FILE       default: grants.yaml next to slurm.conf\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 recorded, 1 refused, 2 usage error.\n";

// "+12.5" / "-3" / "7": millionths of the unit, positive = credit.
std::optional<Micros> signed_amount(const std::string& text) {
    if (text.empty()) return std::nullopt;
    bool negative = text[0] == '-';
    std::string digits = (text[0] == '-' || text[0] == '+') ? text.substr(1) : text;
    auto v = parse_decimal(digits);
    if (!v) return std::nullopt;
    return negative ? -*v : *v;
}

std::string who_am_i() {
    uid_t uid = ::getuid();
    std::string name = "uid " + std::to_string(uid);
    if (const struct passwd* pw = ::getpwuid(uid)) name = pw->pw_name;
    const char* sudo = std::getenv("SUDO_USER");
    if (uid == 0 && sudo && *sudo) name += " (sudo by " + std::string(sudo) + ")";
    return name;
}

}  // namespace

int run_adjust(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop =
            parse_command(args, {{"reason", 'r', true}, {"json", 0, false}, {"ledger", 0, true}, {"policy", 0, true}},
                          kAdjustUsage, "adjust", &a, Positionals::Allowed))
        return *stop;
    if (a.positionals.size() != 2) return usage_error("adjust", "adjust takes an AWARD and an AMOUNT.");
    const std::string& award_id = a.positionals[0];
    if (!is_valid_award_id(award_id)) return usage_error("adjust", award_id_problem(award_id));
    auto amount = signed_amount(a.positionals[1]);
    if (!amount || *amount == 0) {
        return usage_error("adjust", "AMOUNT wants a non-zero number with at most 6 decimals, such as +100 or -2.5, not '" +
                                         a.positionals[1] + "'.");
    }
    const std::string* reason = a.value("reason");
    if (!reason || reason->find_first_not_of(" \t") == std::string::npos) {
        return usage_error("adjust", "--reason is required: say why the budget changes.");
    }
    if (reason->size() > 1000) return usage_error("adjust", "--reason is limited to 1000 characters.");
    for (unsigned char c : *reason) {
        if (c < 0x20 || c == 0x7f) return usage_error("adjust", "--reason must be one line of printable text.");
    }

    const std::string policy_path = a.value("policy") ? *a.value("policy") : default_policy_path();
    PolicyFileLoad load = load_trusted_policy_file(policy_path, trusted_owners(slurm_conf_path()));
    if (!load.policy) {
        return refused("cannot use the policy " + policy_path + " to find award " + award_id +
                       "'s unit (run grantctl check for details).");
    }
    const Award* award = load.policy->find_award(award_id);
    if (!award) return refused("award " + award_id + " is not in the policy " + policy_path + ".");

    std::string why;
    auto path = ledger_path_or_default(a.value("ledger"), &why);
    if (!path) return refused(why);
    const std::string ledger_path = *path;
    struct stat st {};
    if (::stat(ledger_path.c_str(), &st) != 0) {
        return refused("there is no ledger at " + ledger_path + " (" + std::strerror(errno) +
                       "): run adjust on the controller host, or pass --ledger.");
    }
    const std::string who = who_am_i();
    // Root writes as the ledger's owner (SlurmUser), so that SQLite's journal
    // files stay slurmctld's.
    if (::geteuid() == 0 && st.st_uid != 0) {
        if (::setgid(st.st_gid) != 0 || ::setuid(st.st_uid) != 0) {
            return refused("cannot switch to the ledger's owner (uid " + std::to_string(st.st_uid) + ").");
        }
    }
    std::string error;
    auto ledger = Ledger::open(ledger_path, &error);
    if (!ledger) return refused("cannot open the ledger " + ledger_path + ": " + error + ".");

    Adjustment adj;
    adj.award = award_id;
    adj.unit = unit_name(award->budget.unit);
    adj.amount = -*amount;  // the ledger stores use of budget: a credit is negative
    adj.reason = *reason;
    adj.who = who;
    adj.at = static_cast<std::int64_t>(std::time(nullptr));
    if (!ledger->record_adjustment(adj, &error)) {
        return refused("cannot record the adjustment in " + ledger_path + ": " + error + ".");
    }
    const Ticks magnitude = ticks_of(*amount < 0 ? -*amount : *amount);
    if (a.has("json")) {
        std::cout << "{\"award\":" << json_string(award_id) << ",\"credit\":" << format_decimal(*amount)
                  << ",\"unit\":" << json_string(adj.unit) << ",\"reason\":" << json_string(adj.reason)
                  << ",\"who\":" << json_string(adj.who) << ",\"at\":" << json_string(local_timestamp(adj.at)) << "}\n";
    } else {
        std::cout << (*amount > 0 ? "credited " : "debited ") << format_amount(award->budget.unit, magnitude)
                  << (*amount > 0 ? " to" : " from") << " award " << award_id << " (by " << who << ", "
                  << local_timestamp(adj.at) << "); slurmctld applies it within a few seconds.\n";
    }
    return kExitOk;
}

}  // namespace grants::cli
