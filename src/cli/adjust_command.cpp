// grantctl adjust, deposit and transfer: a manual credit or debit of an
// award's use, a supplement (correction) of its budget, or budget moved from
// one award to another (core/domain/transfer.h), recorded in the ledger with who,
// when and why. slurmctld notices the ledger changed and re-reads its
// totals within a pass (about a second).
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>

#include "cli/become_owner.h"
#include "cli/commands.h"
#include "cli/controller_query.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/local_time.h"
#include "cli/options.h"
#include "cli/slurm_conf.h"
#include "core/base/award_id.h"
#include "core/base/date.h"
#include "core/domain/cost_model.h"
#include "core/domain/funding.h"
#include "core/domain/transfer.h"
#include "core/policy/policy_file.h"
#include "core/storage/ledger.h"
#include "core/wire/query.h"

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

const char kDepositUsage[] =
    "Usage: grantctl deposit AWARD AMOUNT --reason TEXT [--until DATE] [--json] [--ledger FILE] [--policy FILE]\n"
    "\n"
    "Add a supplement to an award's budget, in the award's unit (chip-hours or\n"
    "dollars), from today until DATE (default: the award's valid.until). A negative\n"
    "AMOUNT is a correction that lowers the budget. The ledger keeps each deposit\n"
    "with the reason, who made it and when; balance and report show them, and\n"
    "grants.yaml keeps the award's initial budget. A deposit is a tranche of its\n"
    "own: charges draw from the tranche that ends first, and what is unspent at its\n"
    "end rolls over only when the award says rollover: true.\n"
    "slurmctld applies it to balances and decisions within a few seconds.\n"
    "Run it on the controller host as root or SlurmUser.\n"
    "\n"
    "Options:\n"
    "  -r, --reason TEXT   why (required)\n"
    "  --until DATE        last day it may be spent, YYYY-MM-DD (default: the award's end)\n"
    "  --json              print the recorded deposit as JSON\n"
    "  --ledger FILE       default: <StateSaveLocation>/grants/ledger.db from slurm.conf\n"
    "  --policy FILE       default: grants.yaml next to slurm.conf\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 recorded, 1 refused, 2 usage error.\n";

const char kTransferUsage[] =
    "Usage: grantctl transfer FROM TO AMOUNT --reason TEXT [--rate R] [--json] [--ledger FILE] [--policy FILE]\n"
    "\n"
    "Move budget from award FROM to award TO: one entry of the ledger, with the\n"
    "reason, who made it and when, that debits FROM by AMOUNT (in FROM's unit)\n"
    "and credits TO, linked by one transfer number. Between awards of the same\n"
    "unit TO receives AMOUNT; between a chip-hour and a dollar award give --rate,\n"
    "TO's units per FROM unit (TO receives AMOUNT x R). A transfer may not take\n"
    "more than FROM has left (budget and deposits less charges, adjustments and\n"
    "the holds of its live jobs, as slurmctld counts them now), nor fund an award\n"
    "that has ended. balance, report, statement and audit count and list it;\n"
    "slurmctld applies it to balances and decisions within a few seconds.\n"
    "Run it on the controller host as root or SlurmUser, with slurmctld up.\n"
    "\n"
    "Options:\n"
    "  -r, --reason TEXT   why (required)\n"
    "  --rate R            TO units per FROM unit, between awards of different units\n"
    "  --json              print the recorded transfer as JSON\n"
    "  --ledger FILE       default: <StateSaveLocation>/grants/ledger.db from slurm.conf\n"
    "  --policy FILE       default: grants.yaml next to slurm.conf\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 recorded, 1 refused, 2 usage error.\n";

std::string who_am_i() {
    uid_t uid = ::getuid();
    std::string name = "uid " + std::to_string(uid);
    if (const struct passwd* pw = ::getpwuid(uid)) name = pw->pw_name;
    const char* sudo = std::getenv("SUDO_USER");
    if (uid == 0 && sudo && *sudo) name += " (sudo by " + std::string(sudo) + ")";
    return name;
}

// What adjust and deposit share: the award and its policy, who writes, and
// the ledger opened as its owner. nullopt: *out is ready; else the exit status.
struct LedgerWrite {
    PolicyFileLoad load;
    const Award* award = nullptr;
    std::string who, ledger_path;
    std::unique_ptr<Ledger> ledger;
};

std::optional<int> check_reason(const ParsedArgs& a, const char* command) {
    const std::string* reason = a.value("reason");
    if (!reason || reason->find_first_not_of(" \t") == std::string::npos) {
        return usage_error(command, "--reason is required: say why the budget changes.");
    }
    if (reason->size() > 1000) return usage_error(command, "--reason is limited to 1000 characters.");
    for (unsigned char c : *reason) {
        if (c < 0x20 || c == 0x7f) return usage_error(command, "--reason must be one line of printable text.");
    }
    return std::nullopt;
}

std::optional<int> open_for_write(const ParsedArgs& a, const char* command, const std::string& award_id,
                                  LedgerWrite* out) {
    const std::string policy_path = a.value("policy") ? *a.value("policy") : default_policy_path();
    out->load = load_trusted_policy_file(policy_path, trusted_owners(slurm_conf_path()));
    if (!out->load.policy) {
        return refused("cannot use the policy " + policy_path + " to find award " + award_id +
                       "'s unit (run grantctl check for details).");
    }
    out->award = out->load.policy->find_award(award_id);
    if (!out->award) return refused("award " + award_id + " is not in the policy " + policy_path + ".");

    out->who = who_am_i();
    return open_ledger_as_owner(a.value("ledger"), command, &out->ledger_path, &out->ledger, a.value("policy"));
}

}  // namespace

std::optional<int> open_ledger_as_owner(const std::string* given, const char* command, std::string* path_out,
                                        std::unique_ptr<Ledger>* out, const std::string* policy) {
    std::string why;
    LedgerConfig config;
    if (!given) {
        if (auto stop = configured_ledger(policy, &config)) return stop;
        if (config.backend == LedgerBackend::Mysql) return open_shared_ledger(config, path_out, out);
        if (!config.path.empty()) given = &config.path;
    }
    auto path = ledger_path_or_default(given, &why);
    if (!path) return refused(why);
    *path_out = *path;
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0) {
        return refused("there is no ledger at " + *path + " (" + std::strerror(errno) + "): run " + command +
                       " on the controller host, or pass --ledger.");
    }
    // Root writes as the ledger's owner (SlurmUser), so that SQLite's journal
    // files stay slurmctld's.
    if (::geteuid() == 0 && st.st_uid != 0) {
        if (std::string denied = become_owner(st.st_uid, st.st_gid); !denied.empty()) {
            return refused("cannot switch to the ledger's owner (uid " + std::to_string(st.st_uid) + "): " + denied + ".");
        }
    }
    std::string error;
    *out = Ledger::open(*path, &error);
    if (!*out) return refused("cannot open the ledger " + *path + ": " + error + ".");
    return std::nullopt;
}

int run_adjust(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop =
            parse_command(args, {{"reason", 'r', true}, {"json", 0, false}, {"ledger", 0, true}, {"policy", 0, true}},
                          kAdjustUsage, "adjust", &a, Positionals::Allowed))
        return *stop;
    if (a.positionals.size() != 2) return usage_error("adjust", "adjust takes an AWARD and an AMOUNT.");
    const std::string& award_id = a.positionals[0];
    if (!is_valid_award_id(award_id)) return usage_error("adjust", award_id_problem(award_id));
    auto amount = parse_signed_decimal(a.positionals[1]);
    if (!amount || *amount == 0) {
        return usage_error("adjust", "AMOUNT wants a non-zero number with at most 6 decimals, such as +100 or -2.5, not '" +
                                         a.positionals[1] + "'.");
    }
    if (auto stop = check_reason(a, "adjust")) return *stop;
    LedgerWrite w;
    if (auto stop = open_for_write(a, "adjust", award_id, &w)) return *stop;

    Adjustment adj;
    adj.award = award_id;
    adj.unit = unit_name(w.award->budget.unit);
    adj.amount = -*amount;  // the ledger stores use of budget: a credit is negative
    adj.reason = *a.value("reason");
    adj.who = w.who;
    adj.at = static_cast<std::int64_t>(std::time(nullptr));
    std::string error;
    if (!w.ledger->record_adjustment(adj, &error)) {
        return refused("cannot record the adjustment in " + w.ledger_path + ": " + error + ".");
    }
    const Ticks magnitude = ticks_of(*amount < 0 ? -*amount : *amount);
    if (a.has("json")) {
        std::cout << "{\"award\":" << json_string(award_id) << ",\"credit\":" << format_decimal(*amount)
                  << ",\"unit\":" << json_string(adj.unit) << ",\"reason\":" << json_string(adj.reason)
                  << ",\"who\":" << json_string(adj.who) << ",\"at\":" << json_string(local_timestamp(adj.at)) << "}\n";
    } else {
        std::cout << (*amount > 0 ? "credited " : "debited ") << format_amount(w.award->budget.unit, magnitude)
                  << (*amount > 0 ? " to" : " from") << " award " << award_id << " (by " << w.who << ", "
                  << local_timestamp(adj.at) << "); slurmctld applies it within a few seconds.\n";
    }
    return kExitOk;
}

int run_deposit(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop = parse_command(args,
                                  {{"reason", 'r', true},
                                   {"until", 0, true},
                                   {"json", 0, false},
                                   {"ledger", 0, true},
                                   {"policy", 0, true}},
                                  kDepositUsage, "deposit", &a, Positionals::Allowed))
        return *stop;
    if (a.positionals.size() != 2) return usage_error("deposit", "deposit takes an AWARD and an AMOUNT.");
    const std::string& award_id = a.positionals[0];
    if (!is_valid_award_id(award_id)) return usage_error("deposit", award_id_problem(award_id));
    auto amount = parse_signed_decimal(a.positionals[1]);
    if (!amount || *amount == 0) {
        return usage_error("deposit", "AMOUNT wants a non-zero number with at most 6 decimals, such as 5000 or -2.5, "
                                      "not '" + a.positionals[1] + "'.");
    }
    if (auto stop = check_reason(a, "deposit")) return *stop;
    std::optional<DayNumber> until;
    if (const std::string* u = a.value("until")) {
        until = parse_date(*u);
        if (!until) return usage_error("deposit", "--until wants a date YYYY-MM-DD, not '" + *u + "'.");
    }
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    const DayNumber today = local_day_of(now);
    if (until && *until < today) {  // before the policy is read: what was typed is wrong whatever the award
        return usage_error("deposit", deposit_window(award_id, Validity{}, today, until).usage_problem);
    }
    LedgerWrite w;
    if (auto stop = open_for_write(a, "deposit", award_id, &w)) return *stop;
    const Validity& valid = w.award->valid;
    const DepositWindow window = deposit_window(award_id, valid, today, until);
    if (!window.refusal.empty()) return refused(window.refusal);

    Deposit d;
    d.award = award_id;
    d.unit = unit_name(w.award->budget.unit);
    d.amount = *amount;
    d.from = window.from;
    d.until = window.until;
    d.reason = *a.value("reason");
    d.who = w.who;
    d.at = now;
    std::int64_t id = 0;
    std::string error;
    if (!w.ledger->record_deposit(d, &id, &error)) {
        return refused("cannot record the deposit in " + w.ledger_path + ": " + error + ".");
    }
    const Ticks magnitude = ticks_of(*amount < 0 ? -*amount : *amount);
    const std::string last_day = until ? format_date(*until) : valid.until ? format_date(*valid.until) : "";
    if (a.has("json")) {
        std::cout << "{\"deposit\":" << id << ",\"award\":" << json_string(award_id)
                  << ",\"amount\":" << (*amount < 0 ? "-" : "") << format_decimal(*amount < 0 ? -*amount : *amount)
                  << ",\"unit\":" << json_string(d.unit) << ",\"from\":" << json_string(format_date(d.from))
                  << ",\"until\":" << (last_day.empty() ? "null" : json_string(last_day))
                  << ",\"reason\":" << json_string(d.reason) << ",\"who\":" << json_string(d.who)
                  << ",\"at\":" << json_string(local_timestamp(d.at)) << "}\n";
    } else {
        std::cout << (*amount > 0 ? "deposited " : "withdrew ") << format_amount(w.award->budget.unit, magnitude)
                  << (*amount > 0 ? " to" : " from") << " award " << award_id << " as deposit " << id << ", from "
                  << format_date(d.from) << (last_day.empty() ? std::string(" with no end") : " until " + last_day)
                  << " (by " << w.who << ", " << local_timestamp(d.at)
                  << "); slurmctld applies it within a few seconds.\n";
    }
    return kExitOk;
}

int run_transfer(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop = parse_command(args,
                                  {{"reason", 'r', true},
                                   {"rate", 0, true},
                                   {"json", 0, false},
                                   {"ledger", 0, true},
                                   {"policy", 0, true}},
                                  kTransferUsage, "transfer", &a, Positionals::Allowed))
        return *stop;
    if (a.positionals.size() != 3) return usage_error("transfer", "transfer takes FROM, TO and an AMOUNT.");
    const std::string& from_id = a.positionals[0];
    const std::string& to_id = a.positionals[1];
    for (const std::string* id : {&from_id, &to_id}) {
        if (!is_valid_award_id(*id)) return usage_error("transfer", award_id_problem(*id));
    }
    if (from_id == to_id) return usage_error("transfer", "a transfer needs two different awards, not " + from_id + " twice.");
    auto amount = parse_decimal(a.positionals[2]);
    if (!amount || *amount <= 0) {
        return usage_error("transfer", "AMOUNT wants a number more than zero with at most 6 decimals, in FROM's unit, "
                                       "not '" + a.positionals[2] + "'.");
    }
    std::optional<Micros> rate;
    if (const std::string* r = a.value("rate")) {
        rate = parse_decimal(*r);
        if (!rate || *rate <= 0) {
            return usage_error("transfer", "--rate wants a number more than zero with at most 6 decimals, not '" + *r + "'.");
        }
    }
    if (auto stop = check_reason(a, "transfer")) return *stop;
    LedgerWrite w;
    if (auto stop = open_for_write(a, "transfer", from_id, &w)) return *stop;

    TransferRequest request;
    request.from = w.award;
    request.to = w.load.policy->find_award(to_id);
    request.from_id = from_id;
    request.to_id = to_id;
    request.amount = *amount;
    request.rate = rate;
    request.reason = *a.value("reason");
    request.who = w.who;
    request.at = static_cast<std::int64_t>(std::time(nullptr));
    request.today = local_day_of(request.at);
    // Refusals that need no controller first (unknown TO, units, rate).
    if (TransferPlan early = plan_transfer(request); !early.transfer) return refused(early.refusal);
    // What FROM has left, holds included: slurmctld's memory (as balance).
    std::string error;
    QueryJob job;
    auto answer = ask_controller(QueryKind::Metrics, job, &error);
    if (!answer) return refused("cannot ask slurmctld what award " + from_id + " has left (" + error +
                                "); a transfer needs it.");
    if (!answer->refused.empty()) return refused(answer->refused);
    for (const AwardStatus& st : answer->awards) {
        if (st.id == from_id) request.from_left = st.left();
    }
    if (!request.from_left) return refused("slurmctld does not know award " + from_id + " (is its policy the one given?).");
    TransferPlan plan = plan_transfer(request);
    if (!plan.transfer) return refused(plan.refusal);

    std::int64_t id = 0;
    if (!w.ledger->record_transfer(*plan.transfer, &id, &error)) {
        return refused("cannot record the transfer in " + w.ledger_path + ": " + error + ".");
    }
    const Transfer& t = *plan.transfer;
    const Budget::Unit to_unit = request.to->budget.unit;
    if (a.has("json")) {
        std::cout << "{\"transfer\":" << id << ",\"from\":" << json_string(from_id) << ",\"to\":" << json_string(to_id)
                  << ",\"amount\":" << format_decimal(t.from.amount) << ",\"unit\":" << json_string(t.from.unit)
                  << ",\"credited\":" << format_decimal(-t.to.amount) << ",\"to_unit\":" << json_string(t.to.unit)
                  << ",\"rate\":" << (rate ? format_decimal(*rate) : std::string("null"))
                  << ",\"reason\":" << json_string(t.from.reason) << ",\"who\":" << json_string(t.from.who)
                  << ",\"at\":" << json_string(local_timestamp(t.from.at)) << "}\n";
    } else {
        // Exact amounts (a grant office reconciles them), as "7.25 chip-h" / "$2.68".
        auto exact = [](Budget::Unit unit, Micros m) {
            return unit == Budget::Unit::Usd ? "$" + format_decimal(m) : format_decimal(m) + " chip-h";
        };
        std::cout << "transferred " << exact(w.award->budget.unit, t.from.amount) << " from award " << from_id
                  << " to award " << to_id;
        if (rate) std::cout << " (credited " << exact(to_unit, -t.to.amount) << ")";
        std::cout << " as transfer " << id << " (by " << w.who << ", " << local_timestamp(t.from.at)
                  << "); slurmctld applies it within a few seconds.\n";
    }
    return kExitOk;
}

}  // namespace grants::cli
