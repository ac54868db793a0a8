// grantctl audit: one award's trail from the ledger, in time order: the
// policy changes the controller recorded (core/domain/policy_audit.h), and the
// adjustments, deposits and transfers made with grantctl.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/local_time.h"
#include "cli/options.h"
#include "cli/row_output.h"
#include "cli/slurm_conf.h"
#include "core/base/award_id.h"
#include "core/policy/policy_file.h"
#include "core/storage/ledger_config.h"

namespace grants::cli {

namespace {

const char kAuditUsage[] =
    "Usage: grantctl audit --award ID [-S WHEN] [-E WHEN] [--format table|csv|json|FIELDS]\n"
    "                      [-o FIELDS] [--parsable2] [-n|--noheader] [--json]\n"
    "                      [--ledger FILE] [--policy FILE]\n"
    "\n"
    "One award's audit trail from the ledger, in time order: each change of the\n"
    "award in the policy that slurmctld loaded (budget, tranches, validity,\n"
    "members, limits, partitions; the award added or removed), with the file\n"
    "and the old and new values, and each adjustment, deposit and transfer made\n"
    "with grantctl, with who and why. Policy changes are recorded by the\n"
    "controller in control when it loads a policy (at start and on every reload),\n"
    "against the last policy the ledger recorded.\n"
    "Run it where the ledger can be read (the controller host as root or\n"
    "SlurmUser, or --ledger; a shared mysql ledger from any host with its\n"
    "credentials).\n"
    "\n"
    "Options:\n"
    "  --award ID          the award (required)\n"
    "  -S, --since WHEN    from WHEN, in Slurm's time syntax (as report)\n"
    "  -E, --until WHEN    to WHEN (exclusive); a bare day includes that day\n"
    "  --format FORMAT     table (default), csv or json; or a field list as -o\n"
    "  -o, --format FIELDS the fields to print, comma-separated, any case:\n"
    "                      time,kind,field,old,new,amount,unit,who,reason,file,id,cluster\n"
    "  --parsable2         fields separated by '|', none after the last (sacct's)\n"
    "  -n, --noheader      no header line\n"
    "  --json              same as --format json\n"
    "  --ledger FILE       default: <StateSaveLocation>/grants/ledger.db from slurm.conf\n"
    "  --policy FILE       where the ledger is configured; default: grants.yaml next to slurm.conf\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 refused (e.g. the ledger cannot be read), 2 usage error.\n";

const std::vector<std::string> kFields = {"time", "kind", "field", "old",    "new", "amount",
                                          "unit", "who",  "reason", "file", "id",  "cluster"};
enum Field { Time, Kind, FieldName, Old, New, Amount, Unit, Who, Reason, File, Id, Cluster };
const std::vector<bool> kRight = {false, false, false, false, false, true, false, false, false, false, true, false};
const std::vector<std::size_t> kTableFields = {Time, Kind, FieldName, Old, New, Amount, Who, Reason};

struct Entry {
    std::int64_t at = 0;
    int order = 0;  // policy, adjustment/transfer, deposit at the same time
    std::int64_t seq = 0;
    std::vector<std::string> row;
};

// The award's policy changes, adjustments (transfer legs among them) and
// deposits as rows, in time order (at the same time: policy, adjustments,
// deposits, each in the ledger's order).
std::vector<Entry> audit_entries(const std::vector<PolicyAuditRow>& changes, const std::vector<Adjustment>& adjustments,
                                 const std::vector<Deposit>& deposits, bool table) {
    std::vector<Entry> entries;
    auto blank = [] { return std::vector<std::string>(kFields.size()); };
    for (const PolicyAuditRow& c : changes) {
        Entry e{c.at, 0, c.id, blank()};
        e.row[Kind] = "policy";
        e.row[FieldName] = c.change.field;
        e.row[Old] = c.change.old_value;
        e.row[New] = c.change.new_value;
        e.row[File] = c.file;
        e.row[Cluster] = c.cluster;
        e.row[Id] = std::to_string(c.id);
        if (table) {
            if (e.row[Old].empty()) e.row[Old] = "-";
            if (e.row[New].empty()) e.row[New] = "-";
        }
        entries.push_back(std::move(e));
    }
    std::int64_t seq = 0;
    for (const Adjustment& x : adjustments) {
        Entry e{x.at, 1, seq++, blank()};
        e.row[Kind] = x.transfer ? "transfer" : "adjustment";
        // The ledger stores use of budget; shown as the effect on the award: + credits.
        e.row[Amount] = format_decimal(-x.amount);
        if (x.amount < 0) e.row[Amount] = "+" + e.row[Amount];
        e.row[Unit] = x.unit;
        e.row[Who] = x.who;
        e.row[Reason] = x.reason;
        if (x.transfer) {
            e.row[Id] = std::to_string(x.transfer);
            e.row[Reason] += std::string(x.amount > 0 ? " (to " : " (from ") + x.counterpart + ")";
        }
        entries.push_back(std::move(e));
    }
    for (const Deposit& d : deposits) {
        Entry e{d.at, 2, d.id, blank()};
        e.row[Kind] = "deposit";
        e.row[Amount] = (d.amount > 0 ? "+" : "") + format_decimal(d.amount);
        e.row[Unit] = d.unit;
        e.row[Who] = d.who;
        e.row[Reason] = d.reason;
        e.row[Id] = std::to_string(d.id);
        entries.push_back(std::move(e));
    }
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
        if (x.at != y.at) return x.at < y.at;
        if (x.order != y.order) return x.order < y.order;
        return x.seq < y.seq;
    });
    for (Entry& e : entries) e.row[Time] = local_timestamp(e.at);
    return entries;
}

void print_audit(const std::string& award_id, const std::vector<Entry>& entries, const RowOutput& output, bool table) {
    if (output.format == "json") {
        std::cout << "{\"award\":" << json_string(award_id) << ",\"entries\":[";
        for (std::size_t i = 0; i < entries.size(); ++i) {
            std::cout << (i ? "," : "") << "{";
            bool first = true;
            for (std::size_t k = 0; k < kFields.size(); ++k) {
                const std::string& v = entries[i].row[k];
                if (v.empty() && (k == Amount || k == Unit || k == Id || k == File || k == FieldName || k == Cluster)) continue;
                std::cout << (first ? "" : ",") << json_string(kFields[k]) << ":" << json_string(v);
                first = false;
            }
            std::cout << "}";
        }
        std::cout << "]}\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const Entry& e : entries) rows.push_back(e.row);
    if (table && output.style.header) {
        std::cout << "Audit of award " << award_id << " (" << entries.size() << " entries, local time)\n\n";
    }
    print_rows(std::cout, kFields, kRight, rows, output.style,
               output.style.kind == RowStyle::Kind::Csv ? std::vector<std::size_t>{} : kTableFields);
}

}  // namespace

int run_audit(const std::vector<std::string>& args) {
    ParsedArgs a;
    std::vector<OptionSpec> specs = {{"award", 0, true}, {"since", 'S', true}, {"until", 'E', true},
                                     {"format", 'o', true}, {"json", 0, false}, {"ledger", 0, true},
                                     {"policy", 0, true}};
    add_row_options(specs);
    if (auto stop = parse_command(args, specs, kAuditUsage, "audit", &a)) return *stop;
    const std::string* award_id = a.value("award");
    if (!award_id) return usage_error("audit", "--award ID is required.");
    if (!is_valid_award_id(*award_id)) return usage_error("audit", award_id_problem(*award_id));
    LedgerFilter filter;
    filter.award = *award_id;
    for (const char* bound : {"since", "until"}) {
        if (auto v = a.value(bound)) {
            std::string why;
            auto t = parse_bound(*v, std::string(bound) == "until", &why);
            if (!t) return usage_error("audit", std::string("--") + bound + ": " + why);
            (std::string(bound) == "since" ? filter.since : filter.until) = *t;
        }
    }
    if (filter.since && filter.until && *filter.until <= *filter.since) {
        return usage_error("audit", "--until must be later than --since.");
    }
    RowOutput output;
    if (auto stop = parse_row_output(a, "audit", kFields, &output)) return *stop;

    // The ledger's place: the policy's ledger: (a removed award is still audited).
    const std::string policy_path = a.value("policy") ? *a.value("policy") : default_policy_path();
    LedgerConfig config;
    if (!a.value("ledger")) {
        PolicyFileLoad load = load_trusted_policy_file(policy_path, trusted_owners(slurm_conf_path()));
        if (load.policy) config = load.policy->ledger;
    }
    std::string error, where;
    std::unique_ptr<Ledger> ledger;
    if (auto stop = open_ledger_to_read(a.value("ledger"), config,
                                        " (the audit reads the ledger: run it on the controller host as root or "
                                        "SlurmUser, or give --ledger with a copy)",
                                        &where, &ledger)) {
        return *stop;
    }
    std::vector<PolicyAuditRow> changes;
    std::vector<Adjustment> adjustments;
    std::vector<Deposit> deposits;
    bool ok = ledger->begin_read(&error);
    if (ok) {
        ok = ledger->policy_changes(filter, &changes, &error) && ledger->adjustments(&adjustments, &error, filter) &&
             ledger->deposits(&deposits, &error, filter);
        ledger->end_read();
    }
    if (!ok) return refused("cannot read the ledger " + where + ": " + error + ".");
    const bool table = output.format == "table" && output.style.kind == RowStyle::Kind::Table;
    print_audit(*award_id, audit_entries(changes, adjustments, deposits, table), output, table);
    return kExitOk;
}

}  // namespace grants::cli
