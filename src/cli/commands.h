// grantctl's commands. Each takes the words after its name and returns the
// exit status (cli/exit_codes.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/storage/ledger.h"
#include "core/storage/ledger_config.h"

namespace grants::cli {

int run_balance(const std::vector<std::string>& args);
int run_quote(const std::vector<std::string>& args);
int run_metrics(const std::vector<std::string>& args);
int run_ood_balance(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);
int run_jobs(const std::vector<std::string>& args);
int run_statement(const std::vector<std::string>& args);
int run_adjust(const std::vector<std::string>& args);
int run_deposit(const std::vector<std::string>& args);
int run_transfer(const std::vector<std::string>& args);
int run_audit(const std::vector<std::string>& args);
int run_alerts(const std::vector<std::string>& args);
int run_doctor(const std::vector<std::string>& args);
int run_ledger(const std::vector<std::string>& args);

// grants.yaml's ledger: (--policy FILE, else the policy next to slurm.conf;
// no policy file at all: the defaults). nullopt: *out is set; else the exit
// status (a sentence printed).
std::optional<int> configured_ledger(const std::string* policy, LedgerConfig* out);
// The same without printing: nullopt with *why when the policy is unusable.
std::optional<LedgerConfig> read_ledger_config(const std::string* policy, std::string* why);
// Who may own the ledger credentials: root, SlurmUser, and the caller.
std::vector<uid_t> ledger_owners();
// Opens the mysql ledger of config (credentials checked); *where its name.
std::optional<int> open_shared_ledger(const LedgerConfig& config, std::string* where, std::unique_ptr<Ledger>* out);
// Whether this caller can read config's ledger here: the SQLite file, or
// the shared ledger's credentials file. Where it cannot (a PI or manager on
// a login node), report --award and statement ask slurmctld instead.
bool ledger_readable_here(const LedgerConfig& config);
// Opens a ledger to read: the file given (--ledger), else config's (the
// shared one with its credentials, or its path, or the default in
// StateSaveLocation). A file that cannot be read is refused with its error
// and unreadable_hint (" (...)" or ""). nullopt: *out and *where are set;
// else the exit status (a sentence printed).
std::optional<int> open_ledger_to_read(const std::string* given, const LedgerConfig& config,
                                       const std::string& unreadable_hint, std::string* where,
                                       std::unique_ptr<Ledger>* out);

// Opens the ledger (--ledger, or the default from slurm.conf) for writing;
// root switches to the ledger's owner first, so SQLite's journal stays
// slurmctld's. nullopt: *out is open; else the exit status (a sentence printed).
// Without --ledger, grants.yaml's ledger: decides (policy: --policy FILE);
// the mysql backend needs no switch of user.
std::optional<int> open_ledger_as_owner(const std::string* given, const char* command, std::string* path,
                                        std::unique_ptr<Ledger>* out, const std::string* policy = nullptr);

}  // namespace grants::cli
