// The audit of policy changes: what of each award the controller records in
// the ledger when a policy it loads (at start and on every reload) differs
// from the last one the ledger recorded. Each audited field of an award is a
// line of text (YAML flow style, as an admin would write it), so a change is
// (award, field, old text, new text); an award added or removed is a change
// of its field "award" ("" -> "added", "present" -> "removed") plus each of
// its fields from or to "".
//
// The ledger keeps the last recorded state (every award's fields) beside the
// changes, and compares against that state in the same transaction that
// records the changes: a controller restarted with the same policy records
// nothing, a change made while slurmctld was down is recorded at the next
// start, and a write retried after a failure records nothing twice.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/policy/policy.h"

namespace grants {

using AwardFields = std::map<std::string, std::string>;   // field -> text; unset fields absent
using PolicyFields = std::map<std::string, AwardFields>;  // award id -> its fields

// The audited fields: title, pi, managers, users, groups, accounts, valid,
// budget, tranches, rollover, partitions, and each limit (limits.max_jobs,
// limits.per_user.max_jobs, ...).
AwardFields audited_fields(const Award& award);
PolicyFields audited_fields(const Policy& policy);

struct PolicyChange {
    std::string award, field, old_value, new_value;
};

// What changed from old to now, by award then field (byte order); empty
// when nothing did.
std::vector<PolicyChange> diff_awards(const PolicyFields& old, const PolicyFields& now);

// One recorded change, as grantctl audit lists it.
struct PolicyAuditRow {
    std::int64_t id = 0;
    std::int64_t at = 0;
    std::string cluster;  // the controller's cluster that loaded the policy
    std::string file;  // the policy file, or the award's file in awards_dir
    PolicyChange change;
};

}  // namespace grants
