// grantctl: the command-line face of slurm-grants, built on the same core.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/check_command.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "grants_config.h"

namespace {

using grants::cli::kExitOk;
using grants::cli::kExitRefused;
using grants::cli::kExitUsage;

int usage_error(const std::string& sentence) {
    std::cerr << "grantctl: " << sentence << " See 'grantctl --help'.\n";
    return kExitUsage;
}

const char kUsage[] =
    "Usage: grantctl COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  check [FILE]   validate a grants.yaml policy (default: grants.yaml next to slurm.conf)\n"
    "  balance        your awards: budget, charged, held, left, valid until\n"
    "  quote          what a job would cost and whether it would be accepted now\n"
    "  jobs           your jobs on awards: what each holds or was charged (PIs: their awards')\n"
    "  report         usage by user, job, day, month or cluster (admins; PIs and managers: one award)\n"
    "  statement      one award's monthly statement: opening, charges, adjustments, deposits, closing (admins)\n"
    "  adjust         credit or debit an award, with a reason (admins)\n"
    "  deposit        add a supplement (or correction) to an award's budget (admins)\n"
    "  transfer       move budget from one award to another, with a reason (admins)\n"
    "  audit          one award's policy changes, adjustments, deposits and transfers (admins)\n"
    "  metrics        every award in Prometheus text format (admins)\n"
    "  ood-balance    Open OnDemand's balance file: what is left per award and user (admins, timer)\n"
    "  alerts         tell PIs and managers of thresholds crossed, once each (admins, timer)\n"
    "  doctor         check the live installation; one line per problem and its fix (admins)\n"
    "  ledger         the shared MySQL/MariaDB ledger: init, status, migrate (admins)\n"
    "\n"
    "'grantctl COMMAND --help' describes a command.\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "  -V, --version  show the version\n"
    "\n"
    "Exit status: 0 success, 1 refused (e.g. an invalid policy), 2 usage error.\n";

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
    if (cmd == "check") return grants::cli::run_check(rest);
    if (cmd == "balance") return grants::cli::run_balance(rest);
    if (cmd == "quote") return grants::cli::run_quote(rest);
    if (cmd == "report") return grants::cli::run_report(rest);
    if (cmd == "jobs") return grants::cli::run_jobs(rest);
    if (cmd == "statement") return grants::cli::run_statement(rest);
    if (cmd == "adjust") return grants::cli::run_adjust(rest);
    if (cmd == "deposit") return grants::cli::run_deposit(rest);
    if (cmd == "transfer") return grants::cli::run_transfer(rest);
    if (cmd == "audit") return grants::cli::run_audit(rest);
    if (cmd == "alerts") return grants::cli::run_alerts(rest);
    if (cmd == "metrics") return grants::cli::run_metrics(rest);
    if (cmd == "ood-balance") return grants::cli::run_ood_balance(rest);
    if (cmd == "doctor") return grants::cli::run_doctor(rest);
    if (cmd == "ledger") return grants::cli::run_ledger(rest);
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
