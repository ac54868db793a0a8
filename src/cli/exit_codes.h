// grantctl's exit status contract: 0 success, 1 refused, 2 usage error.
#pragma once

namespace grants::cli {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;

}  // namespace grants::cli
