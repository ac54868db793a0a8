// Where the ledger lives (grants.yaml's ledger: mapping) and how to open it:
// the one factory that the accounting thread and every grantctl command use.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/policy/ledger_settings.h"

namespace grants {

class Ledger;

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
