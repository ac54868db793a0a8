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
#include "core/base/decimal.h"
#include "core/domain/cost_model.h"
#include "core/policy/policy_file.h"
#include "core/storage/ledger.h"
#include "core/storage/ledger_config.h"
#include "core/storage/migration_check.h"
#include "core/storage/mysql_ledger.h"
#include "core/storage/sqlite_ledger.h"

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

bool ledger_readable_here(const LedgerConfig& config) {
    if (config.backend == LedgerBackend::Mysql) return ::access(config.credentials.c_str(), R_OK) == 0;
    std::string why;
    const std::string* given = config.path.empty() ? nullptr : &config.path;
    auto path = ledger_path_or_default(given, &why);
    return path && ::access(path->c_str(), R_OK) == 0;
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

// What migrate copied and how it compares, as JSON or a table.
void print_migration(const ParsedArgs& a, const std::string& from, const std::string& to, const MigrationSource& source,
                     const MigrationTarget& target, std::map<std::string, std::int64_t> added,
                     const MigrationCheck& check) {
    std::map<std::string, std::int64_t> target_counts = target.row_counts;
    if (a.has("json")) {
        std::cout << "{\"from\":" << json_string(from) << ",\"to\":" << json_string(to)
                  << ",\"verified\":" << (check.verified ? "true" : "false") << ",\"tables\":{";
        bool first = true;
        for (const auto& [table, n] : source.row_counts) {
            std::cout << (first ? "" : ",") << json_string(table) << ":{\"source\":" << n << ",\"added\":" << added[table]
                      << ",\"target\":" << target_counts[table] << "}";
            first = false;
        }
        std::cout << "},\"awards\":{";
        first = true;
        for (const auto& l : check.awards) {
            std::cout << (first ? "" : ",") << json_string(l.award) << ":{\"source_chip_hours_ticks\":"
                      << l.source.chip_hours << ",\"source_usd_ticks\":" << l.source.usd
                      << ",\"copied_chip_hours_ticks\":" << l.copied.chip_hours << ",\"copied_usd_ticks\":" << l.copied.usd
                      << ",\"same\":" << (l.same ? "true" : "false") << "}";
            first = false;
        }
        std::cout << "}}\n";
        return;
    }
    std::cout << "copied " << from << " into " << to << "\n";
    std::cout << "table          source   added  target\n";
    for (const auto& [table, n] : source.row_counts) {
        std::printf("%-13s %7lld %7lld %7lld\n", table.c_str(), static_cast<long long>(n),
                    static_cast<long long>(added[table]), static_cast<long long>(target_counts[table]));
    }
    std::cout << "award: source chip-h / usd -> copied chip-h / usd\n";
    for (const auto& l : check.awards) {
        std::cout << l.award << ": " << format_ticks(l.source.chip_hours) << " / " << format_ticks(l.source.usd)
                  << " -> " << format_ticks(l.copied.chip_hours) << " / " << format_ticks(l.copied.usd)
                  << (l.same ? "  same" : "  DIFFERENT") << "\n";
    }
    std::cout << (check.verified ? "verified: every row is there and every award's totals match\n"
                                 : "NOT verified: see the lines above\n");
}

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
    auto source_ledger = Ledger::open(from, &error, true);
    if (!source_ledger) return refused("cannot open the SQLite ledger " + from + ": " + error + ".");
    LedgerContent content;
    MigrationSource source;
    source.charges = &content.charges;
    source.adjustments = &content.adjustments;
    if (!source_ledger->begin_read(&error) || !source_ledger->charges(&content.charges, &error) ||
        !source_ledger->adjustments(&content.adjustments, &error) || !source_ledger->deposits(&content.deposits, &error) ||
        !source_ledger->alerts(&content.alerts, &error) || !source_ledger->instance_rows(&content.instances, &error) ||
        !source_ledger->totals(&source.totals, &error) || !source_ledger->row_counts(&source.row_counts, &error)) {
        return refused("cannot read the SQLite ledger " + from + ": " + error + ".");
    }
    source_ledger->end_read();

    auto credentials = read_mysql_credentials(config.credentials, ledger_owners(), &error);
    if (!credentials) return refused(error + ".");
    auto target_ledger = MysqlLedger::open(*credentials, &error);
    if (!target_ledger) return refused("cannot open the shared ledger: " + error + ".");
    std::map<std::string, std::int64_t> added;
    if (!target_ledger->import(content, &added, &error)) return refused("ledger migrate refused: " + error + ".");

    // Verification, read back from the database after the commit.
    MigrationTarget target;
    if (!target_ledger->begin_read(&error) || !target_ledger->charges(&target.charges, &error) ||
        !target_ledger->adjustments(&target.adjustments, &error) || !target_ledger->row_counts(&target.row_counts, &error)) {
        return refused("the copy was committed but cannot be read back from " + target_ledger->path() + ": " + error + ".");
    }
    target_ledger->end_read();
    const MigrationCheck check = check_migration(source, target);
    print_migration(a, from, target_ledger->path(), source, target, added, check);
    if (!check.verified) {
        return refused("ledger migrate: the copy in " + target_ledger->path() + " does not match " + from + ".");
    }
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
