// grantctl's commands. Each takes the words after its name and returns the
// exit status (cli/exit_codes.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ledger.h"

namespace grants::cli {

int run_balance(const std::vector<std::string>& args);
int run_quote(const std::vector<std::string>& args);
int run_metrics(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);
int run_adjust(const std::vector<std::string>& args);
int run_deposit(const std::vector<std::string>& args);
int run_alerts(const std::vector<std::string>& args);
int run_doctor(const std::vector<std::string>& args);

// Opens the ledger (--ledger, or the default from slurm.conf) for writing;
// root switches to the ledger's owner first, so SQLite's journal stays
// slurmctld's. nullopt: *out is open; else the exit status (a sentence printed).
std::optional<int> open_ledger_as_owner(const std::string* given, const char* command, std::string* path,
                                        std::unique_ptr<Ledger>* out);

}  // namespace grants::cli
