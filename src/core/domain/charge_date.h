// The one dating rule for charges (grants.yaml(5) "DATING CHARGES"): a
// charge is dated by the start of its run, in the controller's local time.
//
// Why the start and not the day it was recorded (the run's end): the start
// is where the run's hold began and the policy that priced it was in force
// (a run is priced with the policy in force when it started), and it is what
// tranches have always drawn on. A run across 30 June therefore draws on the
// tranche of June, is in June's report and statement, and in June's row of
// report --by day, all alike. Adjustments and deposits have no run: they are
// dated when they were made.
//
// Reports, statements, tranches and slurmctld's charge book all go through
// these functions; nothing else looks at a charge's recorded_at for dating.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "core/base/date.h"
#include "core/domain/ledger_records.h"

namespace grants {

// The moment a charge is dated by.
inline std::int64_t charge_moment(std::int64_t run_start, std::int64_t /*recorded_at*/) { return run_start; }
inline std::int64_t charge_moment(const ChargeRecord& c) { return charge_moment(c.run_start, c.recorded_at); }

// The local day a charge counts on (day_of: the controller's local day of a time).
inline DayNumber charge_day(const ChargeRecord& c, const std::function<DayNumber(std::int64_t)>& day_of) {
    return day_of(charge_moment(c));
}

// Whether a charge falls in the period [since, until) (either open).
inline bool charge_in_period(std::int64_t moment, std::optional<std::int64_t> since,
                             std::optional<std::int64_t> until) {
    return (!since || moment >= *since) && (!until || moment < *until);
}
inline bool charge_in_period(const ChargeRecord& c, const LedgerFilter& f) {
    return charge_in_period(charge_moment(c), f.since, f.until);
}

// What to ask the ledger for so that every charge of the period is among
// the answers: the ledger's filter reads recorded_at, which is never before
// the run's start (a run is recorded after it ends), so since stays (less a
// day, for a clock stepped back) and until goes; the caller keeps the charges charge_in_period accepts.
LedgerFilter charges_superset(const LedgerFilter& filter);

}  // namespace grants
