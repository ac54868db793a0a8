// grantctl statement: one award's monthly statement from the ledger, for
// grant offices (core/domain/statement.h does the arithmetic).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "cli/controller_query.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/local_time.h"
#include "cli/options.h"
#include "cli/row_output.h"
#include "cli/slurm_conf.h"
#include "core/base/award_id.h"
#include "core/domain/charge_date.h"
#include "core/domain/cost_model.h"
#include "core/domain/statement.h"
#include "core/policy/policy_file.h"
#include "core/storage/ledger_config.h"
#include "core/wire/query.h"

namespace grants::cli {

namespace {

const char kStatementUsage[] =
    "Usage: grantctl statement --award ID --month YYYY-MM [--format table|csv|json|FIELDS]\n"
    "                          [-o FIELDS] [--parsable2] [-n|--noheader] [--json]\n"
    "                          [--ledger FILE] [--policy FILE]\n"
    "\n"
    "One award's statement for one month (local time), from the ledger: the\n"
    "opening balance, each charge, adjustment, deposit and transfer (in or out)\n"
    "dated in the month (a charge by its run's start), and the closing balance,\n"
    "in the award's unit; for an award with tranches or deposits, each tranche\n"
    "at the start and the end of the month. A balance is the award's budget plus\n"
    "deposits and transfers in, less charges, adjustments and transfers out\n"
    "(holds are not in a statement):\n"
    "closing = opening + deposits + transfers - charges - adjustments, to the tick.\n"
    "The CSV has one row per line with every field (per job: user, account,\n"
    "partition, chips, start, end, seconds, rate, cost, cluster).\n"
    "Where the ledger can be read (the controller host as root or SlurmUser,\n"
    "--ledger, or the shared ledger's credentials) it is read; elsewhere (a PI\n"
    "or manager on a login node) slurmctld answers from its memory, the same\n"
    "statement to the byte.\n"
    "\n"
    "Options:\n"
    "  --award ID          the award (required)\n"
    "  --month YYYY-MM     the month (required)\n"
    "  --format FORMAT     table (default), csv or json; or a field list as -o\n"
    "  -o, --format FIELDS the fields to print, comma-separated, any case:\n"
    "                      kind,date,job,user,account,partition,chips,start,end,\n"
    "                      seconds,rate,chip_hours,usd,cost,amount,balance,who,reason,cluster\n"
    "  --parsable2         fields separated by '|', none after the last (sacct's)\n"
    "  -n, --noheader      no header line\n"
    "  --json              same as --format json\n"
    "  --ledger FILE       default: <StateSaveLocation>/grants/ledger.db from slurm.conf\n"
    "  --policy FILE       the award's budget and unit; default: grants.yaml next to slurm.conf\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 refused (e.g. the ledger cannot be read), 2 usage error.\n";

const std::vector<std::string> kFields = {"kind",   "date", "job",  "user",       "account", "partition", "chips",
                                          "start",  "end",  "seconds", "rate",     "chip_hours", "usd",   "cost",
                                          "amount", "balance", "who", "reason",    "cluster"};
enum Field { Kind, Date, Job, User, Account, Partition, Chips, Start, End, Seconds, Rate, ChipHours, Usd, Cost,
             Amount, Balance, Who, Reason, Cluster };
const std::vector<bool> kRight = {false, false, true, false, false, false, true, false, false, true, true,
                                  true,  true,  true, true,  true,  false, false, false};
const std::vector<std::size_t> kTableFields = {Date, Kind, Job, User, Partition, Chips, Seconds, Amount, Balance, Reason};

// The effect on the balance: charges and adjustments take, deposits add.
Ticks signed_amount(const StatementLine& l) { return l.kind == StatementLine::Kind::Deposit ? l.amount : -l.amount; }

struct Rendered {
    std::vector<std::vector<std::string>> rows;
};

std::string amount_text(Budget::Unit unit, Ticks t, bool table) {
    return table ? format_amount(unit, t) : format_ticks(t);
}

Rendered render(const StatementReport& in, bool table) {
    const Statement& s = in.statement;
    Rendered r;
    auto blank = [] { return std::vector<std::string>(kFields.size()); };
    auto opening = blank();
    opening[Kind] = "opening";
    opening[Date] = local_timestamp(in.start);
    opening[Balance] = amount_text(s.unit, s.opening, table);
    r.rows.push_back(opening);
    for (const StatementLine& l : s.lines) {
        auto row = blank();
        row[Kind] = statement_kind_name(l.kind);
        row[Date] = local_timestamp(l.at);
        row[Amount] = l.counted ? amount_text(s.unit, signed_amount(l), table) : "";
        row[Balance] = amount_text(s.unit, l.balance, table);
        if (l.kind == StatementLine::Kind::Charge) {
            const ChargeRecord& c = in.charges[l.index];
            row[Job] = std::to_string(c.job_id);
            row[User] = c.user;
            row[Account] = c.account;
            row[Partition] = c.partition;
            row[Chips] = std::to_string(c.chips);
            row[Start] = local_timestamp(c.run_start);
            row[End] = local_timestamp(c.run_start + c.seconds);
            row[Seconds] = std::to_string(c.seconds);
            if (auto rate = rate_of(c)) row[Rate] = format_decimal(*rate);
            row[ChipHours] = format_ticks(c.chip_hours);
            row[Usd] = c.usd >= 0 ? format_ticks(c.usd) : "";
            row[Cost] = amount_text(s.unit, charge_in_unit(s.unit, c.chip_hours, c.usd), table);
            row[Cluster] = c.cluster;
        } else if (l.kind == StatementLine::Kind::Transfer) {
            const Adjustment& a = in.adjustments[l.index];
            row[Job] = "transfer " + std::to_string(a.transfer);
            row[Who] = a.who;
            row[Reason] = a.reason + (a.amount > 0 ? " (to " : " (from ") + a.counterpart + ")" +
                          (l.counted ? "" : " (" + a.unit + ": not in the award's unit)");
            if (!l.counted) row[Amount] = table ? "(" + format_decimal(-a.amount) + " " + a.unit + ")" : "";
        } else if (l.kind == StatementLine::Kind::Adjustment) {
            const Adjustment& a = in.adjustments[l.index];
            row[Who] = a.who;
            row[Reason] = a.reason + (l.counted ? "" : " (" + a.unit + ": not in the award's unit)");
            if (!l.counted) row[Amount] = table ? "(" + format_decimal(-a.amount) + " " + a.unit + ")" : "";
        } else {
            const Deposit& d = in.deposits[l.index];
            row[Job] = "deposit " + std::to_string(d.id);
            row[Who] = d.who;
            row[Reason] = d.reason + (l.counted ? "" : " (" + d.unit + ": not in the award's unit)");
        }
        r.rows.push_back(row);
    }
    auto closing = blank();
    closing[Kind] = "closing";
    closing[Date] = local_timestamp(in.end);
    closing[Amount] = amount_text(
        s.unit, clamp_ticks(static_cast<WideInt>(s.deposited) + s.transferred_in - s.transferred_out - s.charged - s.adjusted),
        table);
    closing[Balance] = amount_text(s.unit, s.closing, table);
    closing[Reason] = "runs: " + std::to_string(s.runs);
    r.rows.push_back(closing);
    return r;
}

std::string tranche_json(const TrancheState& t, Budget::Unit) {
    return "{\"source\":" + json_string(t.source) + ",\"from\":" + (t.from ? json_string(format_date(*t.from)) : "null") +
           ",\"until\":" + (t.until ? json_string(format_date(*t.until)) : "null") +
           ",\"amount\":" + format_ticks(t.amount) + ",\"rolled_in\":" + format_ticks(t.rolled_in) +
           ",\"spent\":" + format_ticks(t.spent) + ",\"lapsed\":" + format_ticks(t.lapsed) +
           ",\"left\":" + format_ticks(t.phase == TrancheState::Phase::Ended ? 0 : t.left()) +
           ",\"state\":" + json_string(std::string(phase_name(t.phase))) + "}";
}

void print_json(const StatementReport& in, const Rendered& r) {
    const Statement& s = in.statement;
    std::cout << "{\"award\":" << json_string(in.award) << ",\"month\":" << json_string(in.month.text())
              << ",\"unit\":" << json_string(unit_name(s.unit)) << ",\"from\":" << json_string(local_timestamp(in.start))
              << ",\"until\":" << json_string(local_timestamp(in.end)) << ",\"opening\":" << format_ticks(s.opening)
              << ",\"deposits\":" << format_ticks(s.deposited) << ",\"charges\":" << format_ticks(s.charged)
              << ",\"adjustments\":" << format_ticks(s.adjusted) << ",\"transfers_in\":" << format_ticks(s.transferred_in)
              << ",\"transfers_out\":" << format_ticks(s.transferred_out) << ",\"closing\":" << format_ticks(s.closing)
              << ",\"runs\":" << s.runs << ",\"chip_hours\":" << format_ticks(s.chip_hours)
              << ",\"usd\":" << format_ticks(s.usd) << ",\"lines\":[";
    bool first = true;
    for (std::size_t i = 1; i + 1 < r.rows.size(); ++i) {
        const auto& row = r.rows[i];
        std::cout << (first ? "" : ",") << "{";
        bool f2 = true;
        for (std::size_t k = 0; k < kFields.size(); ++k) {
            if (row[k].empty()) continue;
            const bool number = k == Job ? row[k].find(' ') == std::string::npos
                                         : (k == Chips || k == Seconds || k == Rate || k == ChipHours || k == Usd ||
                                            k == Cost || k == Amount || k == Balance);
            std::cout << (f2 ? "" : ",") << json_string(kFields[k]) << ":" << (number ? row[k] : json_string(row[k]));
            f2 = false;
        }
        std::cout << "}";
        first = false;
    }
    std::cout << "],\"tranches\":[";
    for (std::size_t i = 0; i < s.tranches.size(); ++i) {
        std::cout << (i ? "," : "") << "{\"opening\":" << tranche_json(s.tranches[i].opening, s.unit)
                  << ",\"closing\":" << tranche_json(s.tranches[i].closing, s.unit) << "}";
    }
    std::cout << "]}\n";
}

void print_tranche_table(const Statement& s) {
    if (s.tranches.empty()) return;
    Table t({"TRANCHE", "FROM", "UNTIL", "AMOUNT", "LEFT AT OPENING", "SPENT IN MONTH", "LEFT AT CLOSING", "STATE"},
            {false, false, false, true, true, true, true, false});
    for (const StatementTranche& st : s.tranches) {
        const TrancheState& o = st.opening;
        const TrancheState& c = st.closing;
        auto left = [&](const TrancheState& x) {
            return x.phase == TrancheState::Phase::Ended ? std::string("-") : format_amount(s.unit, x.left());
        };
        std::string state(phase_name(c.phase));
        if (c.lapsed > 0) state += ", " + format_amount(s.unit, c.lapsed) + " lapsed";
        t.add({c.source, c.from ? format_date(*c.from) : "-", c.until ? format_date(*c.until) : "-",
               format_amount(s.unit, c.amount), left(o),
               format_amount(s.unit, clamp_ticks(static_cast<WideInt>(c.spent) - o.spent)), left(c), state});
    }
    std::cout << "\nTranches (a charge draws from the active one that ends first, by its run's start):\n";
    t.print(std::cout);
}

// The statement from the ledger (or a copy of it): the policy gives the
// award's budget and unit.
int statement_from_ledger(const ParsedArgs& a, const std::string& award_id, const Month& month,
                          const std::optional<LedgerConfig>& configured, StatementReport* out) {
    const std::string policy_path = a.value("policy") ? *a.value("policy") : default_policy_path();
    PolicyFileLoad load = load_trusted_policy_file(policy_path, trusted_owners(slurm_conf_path()));
    if (!load.policy) return refused("cannot read the policy " + policy_path + " for the award's budget and unit.");
    const Award* award = load.policy->find_award(award_id);
    if (!award) return refused("award " + award_id + " is not in the policy " + policy_path + ".");

    std::string error, where;
    std::unique_ptr<Ledger> ledger;
    if (auto stop = open_ledger_to_read(a.value("ledger"), configured.value_or(LedgerConfig{}), "", &where, &ledger)) {
        return *stop;
    }
    StatementInput in;
    in.award = award;
    in.month = month;
    in.start = local_midnight(month.first_day());
    in.end = local_midnight(month.last_day() + 1);
    in.day_of = local_day_of;
    LedgerFilter filter;
    filter.award = award_id;
    // One read transaction: charges, adjustments (transfers among them) and deposits of one ledger.
    bool ok = ledger->begin_read(&error);
    if (ok) {
        ok = ledger->charges(&in.charges, &error, filter) && ledger->adjustments(&in.adjustments, &error, filter) &&
             ledger->deposits(&in.deposits, &error, filter);
        ledger->end_read();
    }
    if (!ok) return refused("cannot read the ledger " + where + ": " + error + ".");
    *out = month_report(in, build_statement(in));
    return kExitOk;
}

// The statement from slurmctld's memory (a PI or manager on a login node).
int statement_from_controller(const std::string& award_id, const Month& month, StatementReport* out) {
    QueryArgs args;
    args.award = award_id;
    args.month = month.text();
    QueryJob job;
    job.args = encode_query_args(args);
    std::string error;
    auto answer = ask_controller(QueryKind::Statement, job, &error);
    if (!answer) return refused(error);
    if (!answer->refused.empty()) return refused(answer->refused);
    if (!answer->statement) return refused("slurmctld answered without a statement.");
    *out = std::move(*answer->statement);
    return kExitOk;
}

void print_statement(const StatementReport& r, const RowOutput& output) {
    const Statement& s = r.statement;
    const bool table = output.format == "table" && output.style.kind == RowStyle::Kind::Table;
    if (output.format == "json") {
        print_json(r, render(r, false));
    } else {
        if (table && output.style.header) {
            std::cout << "Statement of award " << r.award << " for " << r.month.text() << " ("
                      << format_date(r.month.first_day()) << " to " << format_date(r.month.last_day())
                      << ", local time; amounts in " << unit_name(s.unit) << ")\n\n";
        }
        print_rows(std::cout, kFields, kRight, render(r, table).rows, output.style,
                   output.style.kind == RowStyle::Kind::Csv ? std::vector<std::size_t>{} : kTableFields);
        if (table && output.style.header) {
            std::cout << "\nOpening " << format_amount(s.unit, s.opening) << " + deposits "
                      << format_amount(s.unit, s.deposited) << " + transfers in "
                      << format_amount(s.unit, s.transferred_in) << " - transfers out "
                      << format_amount(s.unit, s.transferred_out) << " - charges " << format_amount(s.unit, s.charged)
                      << " (runs: " << s.runs << ") - adjustments " << format_amount(s.unit, s.adjusted)
                      << " = closing " << format_amount(s.unit, s.closing) << "\n";
            print_tranche_table(s);
        }
    }
    std::cout.flush();
}

}  // namespace

int run_statement(const std::vector<std::string>& args) {
    ParsedArgs a;
    std::vector<OptionSpec> specs = {{"award", 0, true}, {"month", 0, true},  {"format", 'o', true},
                                     {"json", 0, false}, {"ledger", 0, true}, {"policy", 0, true}};
    add_row_options(specs);
    if (auto stop = parse_command(args, specs, kStatementUsage, "statement", &a)) return *stop;
    const std::string* award_id = a.value("award");
    if (!award_id) return usage_error("statement", "--award ID is required.");
    if (!is_valid_award_id(*award_id)) return usage_error("statement", award_id_problem(*award_id));
    const std::string* month_text = a.value("month");
    if (!month_text) return usage_error("statement", "--month YYYY-MM is required.");
    auto month = parse_month(*month_text);
    if (!month) return usage_error("statement", "--month wants YYYY-MM (e.g. 2026-06), not '" + *month_text + "'.");
    RowOutput output;
    if (auto stop = parse_row_output(a, "statement", kFields, &output)) return *stop;

    std::string why;
    std::optional<LedgerConfig> configured;
    if (!a.value("ledger")) {
        configured = read_ledger_config(a.value("policy"), &why);
        if (!configured) return refused(why);
    }
    StatementReport report;
    int rc = kExitOk;
    if (!a.value("ledger") && !ledger_readable_here(*configured)) {
        // A PI or manager on a login node: slurmctld answers from its memory.
        rc = statement_from_controller(*award_id, *month, &report);
    } else {
        rc = statement_from_ledger(a, *award_id, *month, configured, &report);
    }
    if (rc != kExitOk) return rc;
    print_statement(report, output);
    return kExitOk;
}

}  // namespace grants::cli
