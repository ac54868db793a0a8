#include "core/domain/charge_date.h"

#include <cstdint>

namespace grants {

namespace {
constexpr std::int64_t kSlack = 86400;
}  // namespace

LedgerFilter charges_superset(const LedgerFilter& filter) {
    LedgerFilter wide = filter;
    wide.until.reset();
    // A day of slack for a controller clock stepped back while a run ran.
    if (wide.since) wide.since = *wide.since > INT64_MIN + kSlack ? *wide.since - kSlack : INT64_MIN;
    return wide;
}

}  // namespace grants
