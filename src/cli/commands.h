// grantctl's commands. Each takes the words after its name and returns the
// exit status (cli/exit_codes.h).
#pragma once

#include <string>
#include <vector>

namespace grants::cli {

int run_balance(const std::vector<std::string>& args);
int run_quote(const std::vector<std::string>& args);
int run_metrics(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);
int run_adjust(const std::vector<std::string>& args);
int run_deposit(const std::vector<std::string>& args);

}  // namespace grants::cli
