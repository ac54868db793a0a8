// grantctl ledger: the shared (MySQL/MariaDB) ledger's schema, its state,
// and the copy of an SQLite ledger into it; and the one place where grantctl
// learns from grants.yaml which ledger to open.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>
#include <tuple>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/slurm_conf.h"
#include "core/cost_model.h"
#include "core/decimal.h"
#include "core/ledger.h"
#include "core/ledger_config.h"
#include "core/mysql_ledger.h"
#include "core/policy_file.h"
#include "core/sqlite_ledger.h"

namespace grants::cli {

std::optional<LedgerConfig> read_ledger_config(const std::string* policy, std::string* why) {
    const std::string path = policy ? *policy : default_policy_path();
    struct stat st {};
    // No policy here (a login node, a test): the embedded default.
    if (!policy && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) return LedgerConfig{};
    PolicyFileLoad load = load_trusted_policy_file(path, trusted_owners(slurm_conf_path()));
    if (!load.policy) {
        std::string first = "it cannot be read";
        if (!load.errors.empty()) {
            const Diagnostic& d = load.errors.front();
            first = d.file + ":" + std::to_string(d.mark.line) + ":" + std::to_string(d.mark.column) + ": " + d.message;
        }
        *why = "cannot tell which ledger to open: the policy " + path + " is not usable (" + first + ").";
        return std::nullopt;
    }
    return load.policy->ledger;
}

std::optional<int> configured_ledger(const std::string* policy, LedgerConfig* out) {
    std::string why;
    auto config = read_ledger_config(policy, &why);
    if (!config) return refused(why);
    *out = *config;
    return std::nullopt;
}

std::vector<uid_t> ledger_owners() {
    std::vector<uid_t> uids = trusted_owners(slurm_conf_path()).uids;
    uids.push_back(::geteuid());
    return uids;
}

std::optional<int> open_ledger_to_read(const std::string* given, const LedgerConfig& config,
                                       const std::string& unreadable_hint, std::string* where,
                                       std::unique_ptr<Ledger>* out) {
    if (!given && config.backend == LedgerBackend::Mysql) return open_shared_ledger(config, where, out);
    std::string why;
    if (!given && !config.path.empty()) given = &config.path;
    auto path = ledger_path_or_default(given, &why);
    if (!path) return refused(why);
    if (::access(path->c_str(), R_OK) != 0) {
        const int err = errno;
        return refused("cannot read the ledger " + *path + ": " + std::strerror(err) + unreadable_hint + ".");
    }
    *where = *path;
    std::string error;
    *out = Ledger::open(*where, &error, true);
    if (!*out) return refused("cannot open the ledger " + *where + ": " + error + ".");
    return std::nullopt;
}

std::optional<int> open_shared_ledger(const LedgerConfig& config, std::string* where, std::unique_ptr<Ledger>* out) {
    std::string error;
    *out = open_ledger(config, "", ledger_owners(), false, &error);
    if (!*out) return refused("cannot open the shared ledger: " + error + ".");
    *where = (*out)->path();
    return std::nullopt;
}

namespace {

const char kLedgerUsage[] =
    "Usage: grantctl ledger init [--policy FILE]\n"
    "       grantctl ledger status [--policy FILE] [--ledger FILE] [--json]\n"
    "       grantctl ledger migrate --to mysql [--from FILE] [--policy FILE] [--json]\n"
    "\n"
    "The ledger that grants.yaml's ledger: names (default: SQLite under\n"
    "StateSaveLocation; backend mysql: the database in the credentials file).\n"
    "\n"
    "  init     create the schema of the mysql ledger, or upgrade an older one;\n"
    "           running it again changes nothing. slurmctld never creates it.\n"
    "  status   backend, where, schema version and rows per table\n"
    "  migrate  copy an SQLite ledger (--from, default the one under\n"
    "           StateSaveLocation) into the mysql ledger, in one transaction:\n"
    "           charges, adjustments, deposits, alerts and instance time. Rows\n"
    "           already there are skipped (a second run adds nothing); a charge\n"
    "           already there with other amounts refuses the whole copy. Row\n"
    "           counts and per-award totals are compared after the copy.\n"
    "\n"
    "Options:\n"
    "  --policy FILE  grants.yaml (default: next to slurm.conf)\n"
    "  --ledger FILE  status of this SQLite ledger\n"
    "  --from FILE    the SQLite ledger to copy\n"
    "  --to mysql     the backend to copy into (the only one)\n"
    "  --json         print the result as JSON\n"
    "  -h, --help     show this help\n"
    "\n"
    "Exit status: 0 done, 1 refused (no usable policy, credentials or database;\n"
    "a conflicting or unverified copy: nothing was written), 2 usage error.\n";

std::optional<int> mysql_config(const ParsedArgs& a, const char* what, LedgerConfig* config) {
    if (auto stop = configured_ledger(a.value("policy"), config)) return stop;
    if (config->backend != LedgerBackend::Mysql) {
        return refused(std::string("ledger ") + what +
                       " works on the mysql backend, and grants.yaml names none (add ledger: { backend: mysql,"
                       " credentials: FILE }).");
    }
    return std::nullopt;
}

int run_init(const ParsedArgs& a) {
    LedgerConfig config;
    if (auto stop = mysql_config(a, "init", &config)) return *stop;
    std::string error;
    auto credentials = read_mysql_credentials(config.credentials, ledger_owners(), &error);
    if (!credentials) return refused(error + ".");
    int found = 0;
    if (!MysqlLedger::init_schema(*credentials, &found, &error)) return refused("ledger init: " + error + ".");
    auto ledger = MysqlLedger::open(*credentials, &error);
    if (!ledger) return refused("ledger init: " + error + ".");
    const std::string v = std::to_string(MysqlLedger::kSchemaVersion);
    if (found == 0) {
        std::cout << "created the grants ledger schema (version " << v << ") in " << ledger->path() << "\n";
    } else if (found < MysqlLedger::kSchemaVersion) {
        std::cout << "upgraded the grants ledger in " << ledger->path() << " from schema version " << found << " to "
                  << v << "\n";
    } else {
        std::cout << "the grants ledger in " << ledger->path() << " already has schema version " << v
                  << "; nothing to do\n";
    }
    return kExitOk;
}

int sqlite_schema_version(const std::string& path) {
    // The SQLite ledger keeps schema_version in meta too (version 1).
    (void)path;
    return 1;
}

int run_status(const ParsedArgs& a) {
    std::unique_ptr<Ledger> ledger;
    std::string where, error;
    int version = 0;
    if (const std::string* file = a.value("ledger")) {
        ledger = Ledger::open(*file, &error, true);
        if (!ledger) return refused("cannot open the ledger " + *file + ": " + error + ".");
        version = sqlite_schema_version(*file);
    } else {
        LedgerConfig config;
        if (auto stop = configured_ledger(a.value("policy"), &config)) return *stop;
        if (config.backend == LedgerBackend::Mysql) {
            if (auto stop = open_shared_ledger(config, &where, &ledger)) return *stop;
            version = MysqlLedger::kSchemaVersion;  // open refuses any other
        } else {
            std::string why;
            auto path = config.path.empty() ? ledger_path_or_default(nullptr, &why) : std::optional(config.path);
            if (!path) return refused(why);
            ledger = Ledger::open(*path, &error, true);
            if (!ledger) return refused("cannot open the ledger " + *path + ": " + error + ".");
            version = sqlite_schema_version(*path);
        }
    }
    std::map<std::string, std::int64_t> counts;
    if (!ledger->row_counts(&counts, &error)) return refused("cannot count the rows of " + ledger->path() + ": " + error + ".");
    if (a.has("json")) {
        std::cout << "{\"backend\":" << json_string(ledger->backend()) << ",\"where\":" << json_string(ledger->path())
                  << ",\"schema_version\":" << version << ",\"rows\":{";
        bool first = true;
        for (const auto& [table, n] : counts) {
            std::cout << (first ? "" : ",") << json_string(table) << ":" << n;
            first = false;
        }
        std::cout << "}}\n";
        return kExitOk;
    }
    std::cout << "backend:        " << ledger->backend() << "\n"
              << "where:          " << ledger->path() << "\n"
              << "schema version: " << version << "\n";
    for (const auto& [table, n] : counts) std::cout << "rows " << table << ": " << std::string(14 - std::min<std::size_t>(13, table.size()), ' ') << n << "\n";
    return kExitOk;
}

using ChargeKey = std::tuple<std::string, std::uint32_t, std::int64_t>;

int run_migrate(const ParsedArgs& a) {
    const std::string* to = a.value("to");
    if (!to) return usage_error("ledger", "ledger migrate needs --to mysql.");
    if (*to != "mysql") return usage_error("ledger", "ledger migrate copies into mysql only (--to mysql), not '" + *to + "'.");
    LedgerConfig config;
    if (auto stop = mysql_config(a, "migrate", &config)) return *stop;
    std::string from, why, error;
    if (const std::string* f = a.value("from")) {
        from = *f;
    } else {
        auto path = ledger_path_or_default(nullptr, &why);
        if (!path) return refused(why);
        from = *path;
    }
    if (::access(from.c_str(), R_OK) != 0) {
        return refused("cannot read the SQLite ledger " + from + ": " + std::strerror(errno) + " (pass --from FILE).");
    }
    auto source = Ledger::open(from, &error, true);
    if (!source) return refused("cannot open the SQLite ledger " + from + ": " + error + ".");
    LedgerContent content;
    std::map<std::string, ChargeTotals> source_totals;
    std::map<std::string, std::int64_t> source_counts;
    if (!source->begin_read(&error) || !source->charges(&content.charges, &error) ||
        !source->adjustments(&content.adjustments, &error) || !source->deposits(&content.deposits, &error) ||
        !source->alerts(&content.alerts, &error) || !source->instance_rows(&content.instances, &error) ||
        !source->totals(&source_totals, &error) || !source->row_counts(&source_counts, &error)) {
        return refused("cannot read the SQLite ledger " + from + ": " + error + ".");
    }
    source->end_read();

    auto credentials = read_mysql_credentials(config.credentials, ledger_owners(), &error);
    if (!credentials) return refused(error + ".");
    auto target = MysqlLedger::open(*credentials, &error);
    if (!target) return refused("cannot open the shared ledger: " + error + ".");
    std::map<std::string, std::int64_t> added;
    if (!target->import(content, &added, &error)) return refused("ledger migrate refused: " + error + ".");

    // Verification, read back from the database after the commit: every
    // source charge and adjustment is there, and per award they add up to
    // the source's totals.
    std::vector<ChargeRecord> charges;
    std::vector<Adjustment> adjustments;
    std::map<std::string, std::int64_t> target_counts;
    if (!target->begin_read(&error) || !target->charges(&charges, &error) || !target->adjustments(&adjustments, &error) ||
        !target->row_counts(&target_counts, &error)) {
        return refused("the copy was committed but cannot be read back from " + target->path() + ": " + error + ".");
    }
    target->end_read();
    std::set<ChargeKey> keys;
    for (const auto& c : content.charges) keys.insert({c.cluster, c.job_id, c.run_start});
    std::map<std::string, std::pair<WideInt, WideInt>> copied;
    std::int64_t found_charges = 0;
    for (const auto& c : charges) {
        if (!keys.count({c.cluster, c.job_id, c.run_start})) continue;
        ++found_charges;
        auto& t = copied[c.award];
        t.first += c.chip_hours;
        t.second += c.usd >= 0 ? c.usd : 0;
    }
    std::multiset<std::tuple<std::string, std::string, Micros, std::string, std::string, std::int64_t>> wanted;
    for (const auto& x : content.adjustments) wanted.insert({x.award, x.unit, x.amount, x.reason, x.who, x.at});
    std::int64_t found_adjustments = 0;
    for (const auto& x : adjustments) {
        auto it = wanted.find({x.award, x.unit, x.amount, x.reason, x.who, x.at});
        if (it == wanted.end()) continue;
        wanted.erase(it);
        ++found_adjustments;
        auto& t = copied[x.award];
        (x.unit == "usd" ? t.second : t.first) += static_cast<WideInt>(x.amount) * kTicksPerMicro;
    }
    bool verified = found_charges == static_cast<std::int64_t>(content.charges.size()) &&
                    found_adjustments == static_cast<std::int64_t>(content.adjustments.size());
    for (const auto& [table, n] : source_counts) {
        if (target_counts[table] < n) verified = false;
    }
    struct Line {
        std::string award;
        ChargeTotals source, target;
        bool same;
    };
    std::vector<Line> lines;
    for (const auto& [award, t] : source_totals) {
        auto it = copied.find(award);
        ChargeTotals got = it == copied.end() ? ChargeTotals{}
                                              : ChargeTotals{clamp_ticks(it->second.first), clamp_ticks(it->second.second)};
        const bool same = got.chip_hours == t.chip_hours && got.usd == t.usd;
        verified = verified && same;
        lines.push_back(Line{award, t, got, same});
    }
    if (a.has("json")) {
        std::cout << "{\"from\":" << json_string(from) << ",\"to\":" << json_string(target->path())
                  << ",\"verified\":" << (verified ? "true" : "false") << ",\"tables\":{";
        bool first = true;
        for (const auto& [table, n] : source_counts) {
            std::cout << (first ? "" : ",") << json_string(table) << ":{\"source\":" << n << ",\"added\":" << added[table]
                      << ",\"target\":" << target_counts[table] << "}";
            first = false;
        }
        std::cout << "},\"awards\":{";
        first = true;
        for (const auto& l : lines) {
            std::cout << (first ? "" : ",") << json_string(l.award) << ":{\"source_chip_hours_ticks\":"
                      << l.source.chip_hours << ",\"source_usd_ticks\":" << l.source.usd
                      << ",\"copied_chip_hours_ticks\":" << l.target.chip_hours << ",\"copied_usd_ticks\":" << l.target.usd
                      << ",\"same\":" << (l.same ? "true" : "false") << "}";
            first = false;
        }
        std::cout << "}}\n";
    } else {
        std::cout << "copied " << from << " into " << target->path() << "\n";
        std::cout << "table          source   added  target\n";
        for (const auto& [table, n] : source_counts) {
            std::printf("%-13s %7lld %7lld %7lld\n", table.c_str(), static_cast<long long>(n),
                        static_cast<long long>(added[table]), static_cast<long long>(target_counts[table]));
        }
        std::cout << "award: source chip-h / usd -> copied chip-h / usd\n";
        for (const auto& l : lines) {
            std::cout << l.award << ": " << format_ticks(l.source.chip_hours) << " / " << format_ticks(l.source.usd)
                      << " -> " << format_ticks(l.target.chip_hours) << " / " << format_ticks(l.target.usd)
                      << (l.same ? "  same" : "  DIFFERENT") << "\n";
        }
        std::cout << (verified ? "verified: every row is there and every award's totals match\n"
                               : "NOT verified: see the lines above\n");
    }
    if (!verified) return refused("ledger migrate: the copy in " + target->path() + " does not match " + from + ".");
    return kExitOk;
}

}  // namespace

int run_ledger(const std::vector<std::string>& args) {
    if (args.empty()) return usage_error("ledger", "ledger needs init, status or migrate.");
    if (args[0] == "-h" || args[0] == "--help") {
        std::cout << kLedgerUsage;
        return kExitOk;
    }
    const std::string sub = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    ParsedArgs a;
    std::vector<OptionSpec> specs{{"policy", 0, true}, {"json", 0, false}};
    if (sub == "status") specs.push_back({"ledger", 0, true});
    if (sub == "migrate") {
        specs.push_back({"to", 0, true});
        specs.push_back({"from", 0, true});
    }
    if (sub != "init" && sub != "status" && sub != "migrate") {
        return usage_error("ledger", "unknown ledger command '" + sub + "'; expected init, status or migrate.");
    }
    if (auto stop = parse_command(rest, specs, kLedgerUsage, "ledger", &a)) return *stop;
    if (sub == "init") return run_init(a);
    if (sub == "status") return run_status(a);
    return run_migrate(a);
}

}  // namespace grants::cli
