// Minimal JSON text helpers for grantctl's --json output.
#pragma once

#include "core/base/json_text.h"

namespace grants::cli {

using grants::json_string;

}  // namespace grants::cli
