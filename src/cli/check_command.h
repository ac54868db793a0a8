// grantctl check: validate a policy and summarise it.
#pragma once

#include <string>
#include <vector>

namespace grants::cli {

int run_check(const std::vector<std::string>& args);

}  // namespace grants::cli
