// grants.yaml's ledger: mapping, as the policy holds it: which backend,
// where, and for whom (storage/ledger_config.h opens it).
#pragma once

#include <cstdint>
#include <string>

namespace grants {

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

}  // namespace grants
