// Where the ledger lives (grants.yaml's ledger: mapping) and how to open it:
// the one factory that the accounting thread and every grantctl command use.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace grants {

class Ledger;

enum class LedgerBackend { Sqlite, Mysql };

inline constexpr const char* kDefaultLedgerCredentials = "/etc/slurm/grants-ledger.conf";

struct LedgerConfig {
    LedgerBackend backend = LedgerBackend::Sqlite;
    std::string path;                                  // sqlite: "" = <StateSaveLocation>/grants/ledger.db
    std::string credentials = kDefaultLedgerCredentials;  // mysql: slurmdbd.conf-style Storage* file
    std::string cluster;                               // "" = slurm.conf's ClusterName
    // mysql: seconds without a lease renewal before another cluster
    // reclaims the free part of a cluster's leases (lease.h).
    std::int64_t lease_timeout = 120;
};

// The credentials file, in slurmdbd.conf's manner: StorageHost, StoragePort,
// StorageUser, StoragePass, StorageLoc (the database), StorageSocket.
struct MysqlCredentials {
    std::string host = "localhost";
    unsigned port = 3306;
    std::string user, password, database, socket;
};

// Parses the text of a credentials file ('#' comments, blank lines,
// Key=Value, keys case-insensitive as in slurmdbd.conf). StorageUser and
// StorageLoc are required. nullopt with one sentence naming file:line.
std::optional<MysqlCredentials> parse_mysql_credentials(const std::string& text, const std::string& file,
                                                        std::string* error);

// Reads and parses the file after checking that it is a regular file owned
// by root or one of owners and that neither group nor others may read or
// write it (it holds a password).
std::optional<MysqlCredentials> read_mysql_credentials(const std::string& file, const std::vector<uid_t>& owners,
                                                       std::string* error);

// Opens the configured ledger. sqlite: config.path, else default_sqlite_path
// (read_only as Ledger::open). mysql: the credentials file (checked as
// above), then the database, which must hold the current schema.
std::unique_ptr<Ledger> open_ledger(const LedgerConfig& config, const std::string& default_sqlite_path,
                                    const std::vector<uid_t>& owners, bool read_only, std::string* error);

}  // namespace grants
