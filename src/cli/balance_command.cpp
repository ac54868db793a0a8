// grantctl balance: the caller's awards, asked of slurmctld (controller_query.h).
#include <iostream>

#include "cli/award_status_json.h"
#include "cli/commands.h"
#include "cli/controller_query.h"
#include "cli/exit_codes.h"
#include "cli/options.h"
#include "cli/row_output.h"
#include "cli/table.h"
#include "cli/tranche_table.h"
#include "core/base/award_id.h"
#include "core/domain/cost_model.h"
#include "core/domain/forecast.h"

namespace grants::cli {

namespace {

const char kBalanceUsage[] =
    "Usage: grantctl balance [--award ID] [--account NAME] [--user NAME] [--window DAYS] [--json]\n"
    "                        [-o FIELDS] [--parsable2] [-n|--noheader]\n"
    "\n"
    "Show your awards: budget, charged, held (the maximum cost of your award's\n"
    "pending and running jobs), left, and the validity window. The numbers come\n"
    "from slurmctld, as they stand for the next job submission; this works on any\n"
    "node with slurm.conf and munge, without admin rights. Each award's burn rate\n"
    "(what was charged per day over the window) says when its money runs out at\n"
    "that rate; held jobs count as spent, not as burn. The award's PI and managers\n"
    "also see every member's charges and holds.\n"
    "\n"
    "Options:\n"
    "  --award ID       only this award\n"
    "  -A, --account    also awards you use through this Slurm account\n"
    "  --user NAME      another user's awards (root and SlurmUser only)\n"
    "  --window DAYS    days of the burn rate (default 14)\n"
    "  --json           print JSON\n"
    "  -o, --format FIELDS  only the awards' rows, with these fields, comma-separated,\n"
    "                   any case: award, unit, budget, charged, held, left, running,\n"
    "                   pending, valid_until, state (or table, csv, json)\n"
    "  --parsable2      the awards' rows, fields separated by '|', amounts exact (sacct's)\n"
    "  -n, --noheader   no header line\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 success, 1 refused (e.g. not a member of --award), 2 usage error.\n";

// The awards' rows in Slurm's styles (-o, --parsable2, -n).
const std::vector<std::string> kBalanceFields = {"award", "unit", "budget", "charged", "held",
                                                 "left", "running", "pending", "valid_until", "state"};
const std::vector<bool> kBalanceRight = {false, false, true, true, true, true, true, true, false, false};

// Every member's share, for the awards whose PI or manager asks.
void print_members(const std::vector<AwardStatus>& shown, std::ostream& out) {
    Table t({"AWARD", "MEMBER", "RUNS", "CHARGED", "HELD", "LIVE JOBS"}, {false, false, true, true, true, true});
    for (const auto& s : shown) {
        for (const MemberStatus& m : s.members) {
            t.add({s.id, m.user, std::to_string(m.runs), format_amount(s.unit, m.charged),
                   format_amount(s.unit, m.held, true), std::to_string(m.live_jobs)});
        }
    }
    if (t.empty()) return;
    out << "\nMembers (charges from the ledger; adjustments and deposits belong to the award):\n";
    t.print(out);
}

}  // namespace

int run_balance(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop =
            parse_command(args,
                          {{"award", 0, true},
                           {"account", 'A', true},
                           {"user", 0, true},
                           {"window", 0, true},
                           {"json", 0, false},
                           {"format", 'o', true},
                           {"parsable2", 0, false},
                           {"noheader", 'n', false}},
                          kBalanceUsage, "balance", &a))
        return *stop;
    QueryArgs query_args;
    if (auto v = a.value("window")) {
        auto days = parse_window(*v);
        if (!days) return usage_error("balance", window_problem(*v));
        query_args.window = *days;
    }
    if (const std::string* award = a.value("award"); award && !is_valid_award_id(*award)) {
        return usage_error("balance", award_id_problem(*award));
    }
    RowOutput output;
    if (auto stop = parse_row_output(a, "balance", kBalanceFields, &output)) return *stop;
    // Slurm's styles print the awards' rows only (the burn rate, members,
    // tranches and prices are in the table and --json).
    const bool rows_only = output.format == "csv" || output.style.kind != RowStyle::Kind::Table ||
                           !output.style.header || !output.style.fields.empty();
    QueryJob job;
    if (auto v = a.value("account")) job.account = *v;
    if (auto v = a.value("user")) job.user = *v;
    job.args = encode_query_args(query_args);
    std::string error;
    auto answer = ask_controller(QueryKind::Balance, job, &error);
    if (!answer) return refused(error);
    if (!answer->refused.empty()) return refused(answer->refused);

    std::vector<AwardStatus> shown;
    for (const auto& s : answer->awards) {
        if (!a.value("award") || s.id == *a.value("award")) shown.push_back(s);
    }
    if (a.value("award") && shown.empty()) {
        return refused("you (" + answer->user + ") are not a member, PI or manager of award " + *a.value("award") +
                       ", or it does not exist.");
    }
    if (output.format == "json") {
        std::cout << "{\"user\":" << json_string(answer->user) << ",\"awards\":[";
        for (std::size_t i = 0; i < shown.size(); ++i) std::cout << (i ? "," : "") << award_status_json(shown[i]);
        std::cout << "]}\n";
        return kExitOk;
    }
    if (rows_only) {
        const bool pretty = output.style.kind == RowStyle::Kind::Table;
        std::vector<std::vector<std::string>> rows;
        for (const auto& s : shown) {
            auto amount = [&](Ticks t, bool up) { return pretty ? format_amount(s.unit, t, up) : format_ticks(t); };
            rows.push_back({s.id, unit_name(s.unit), amount(s.budget, false), amount(s.charged, false),
                            amount(s.held, true), amount(s.left(), false), std::to_string(s.running_jobs),
                            std::to_string(s.pending_jobs), s.valid_until ? format_date(*s.valid_until) : "",
                            s.state});
        }
        print_rows(std::cout, kBalanceFields, kBalanceRight, rows, output.style);
        return kExitOk;
    }
    if (shown.empty()) {
        std::cout << "No award lists " << answer->user << " as a member.\n";
        return kExitOk;
    }
    Table t({"AWARD", "BUDGET", "CHARGED", "HELD", "LEFT", "JOBS(R/P)", "VALID UNTIL", "STATE"},
            {false, true, true, true, true, true, false, false});
    for (const auto& s : shown) {
        Budget b{s.unit, micros_of_ticks(s.budget)};
        t.add({s.id, format_budget(b), format_amount(s.unit, s.charged), format_amount(s.unit, s.held, true),
               format_amount(s.unit, s.left()),
               std::to_string(s.running_jobs) + "/" + std::to_string(s.pending_jobs),
               s.valid_until ? format_date(*s.valid_until) : "-", s.state});
    }
    t.print(std::cout);
    for (const auto& s : shown) {
        if (s.forecast) std::cout << s.id << ": " << forecast_sentence(*s.forecast, s.unit) << ".\n";
    }
    for (const auto& s : shown) {
        // Several clusters share the award (its ledger is shared): what this
        // one may commit now, and what the columns above count.
        if (s.lease) {
            std::cout << s.id << ": this cluster may commit " << format_amount(s.unit, *s.lease)
                      << " of it (its lease, its own holds included); charged, held and left count every cluster "
                      << "(the other clusters' holds as of their last lease renewal).\n";
        }
    }
    print_members(shown, std::cout);
    print_tranches(shown, std::cout);
    // Where nodes differ in price, say what each type costs: a job is held at
    // the dearest type it may land on and charged for the nodes it gets.
    Table prices({"AWARD", "PARTITION", "INSTANCE TYPE", "CHIPS", "PER NODE-HOUR"}, {false, false, false, true, true});
    for (const auto& s : shown) {
        for (const NodePrice& p : s.node_prices) {
            prices.add({s.id, p.partition, p.instance_type.empty() ? "(no type)" : p.instance_type,
                        std::to_string(p.chips),
                        p.per_node_hour ? format_amount(s.unit, *p.per_node_hour, true) : "no price"});
        }
    }
    if (!prices.empty()) {
        std::cout << "\nNodes by instance type (a job is held at the dearest type it may run on, among the nodes\n"
                     "its --constraint admits, and charged for the nodes it gets):\n";
        prices.print(std::cout);
    }
    return kExitOk;
}

}  // namespace grants::cli
