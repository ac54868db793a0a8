// Open OnDemand's balance file (grantctl ood-balance): what the dashboard
// reads from OOD_BALANCE_PATH to warn a user whose project is running out.
//
// Its format, as the dashboard's Balance model reads it (version 1):
//   {"version":1,"timestamp":<epoch>,"config":{"unit":U,"project_type":T},
//    "balances":[{"user":NAME,"project":P,"value":N},...]}
// A user sees the entries whose "user" equals their login name exactly; the
// value is read as an integer (Ruby's to_i: a fraction is cut off) and
// shown as "<unit> balance is <value>"; the dashboard warns when value <=
// OOD_BALANCE_THRESHOLD. One file has one unit, and OOD_BALANCE_PATH takes
// several files separated by ':', so awards are written one file per unit:
// chip-hour awards in whole chip-hours, dollar awards in whole dollars.
// A value is what is left (budget - charged - held, as slurmctld enforces
// it) rounded down: the dashboard never shows more than may be spent, and a
// fraction of a chip-hour or a dollar is below any job's cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/policy/policy.h"
#include "core/wire/query.h"

namespace grants {

// The users of a Unix group (its members and those whose primary group it is).
using GroupUsers = std::function<std::vector<std::string>(const std::string& group)>;

// "chip-hour" / "dollar": the dashboard pluralises it ("additional chip-hours").
std::string ood_unit(Budget::Unit unit);

// ticks of a unit, rounded down to a whole unit (toward minus infinity).
std::int64_t whole_units_down(Ticks ticks);

// The users who see an award's balance: its listed users, the users of its
// groups, its PI and managers, sorted, once each. Members by Slurm account
// are not listed (their associations live in slurmdbd).
std::vector<std::string> ood_users(const Award& award, const GroupUsers& group_users);

struct OodBalanceFile {
    std::string text;          // the JSON document, one line
    std::size_t entries = 0;   // balances written
    std::size_t awards = 0;    // awards of the unit
};

// The file of one unit: an entry per user and award of that unit, for every
// award slurmctld reported (awards: its metrics answer) that is still in the
// policy, sorted by award then user. now: the timestamp (epoch seconds).
OodBalanceFile ood_balance_file(Budget::Unit unit, const std::vector<AwardStatus>& awards, const Policy& policy,
                                const GroupUsers& group_users, std::int64_t now);

}  // namespace grants
