// Threshold alerts for PIs and managers (grantctl alerts): which thresholds
// of budget used (charged and held, as a percent of the budget) and of days
// before an award's end each award has crossed, and the one message per
// award and kind that announces the newly crossed ones. What was announced
// is remembered in the ledger (Ledger::alerts), so each crossing is told
// once, whatever restarts in between. Pure: the figures come from slurmctld.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/base/date.h"
#include "core/domain/award_status.h"
#include "core/domain/ledger_records.h"
#include "core/policy/policy.h"

namespace grants {

inline const std::vector<int> kDefaultUsedAlerts{50, 80, 95, 100};
inline const std::vector<int> kDefaultDaysAlerts{30, 7};

// An award's rules: its own, else the policy's top-level alerts:, else the defaults.
struct EffectiveAlertRules {
    std::vector<int> used, days_before_end;  // ascending
    bool notify_members = false;
};
EffectiveAlertRules alert_rules(const Policy& policy, const Award& award);

using AlertKey = std::tuple<std::string, std::string, int>;

// The messages due now: per award and kind, thresholds crossed and not in
// known become records; the highest percentage (or the fewest days) carries
// the message, the others are covered by it. statuses: from slurmctld
// (grantctl metrics' answer). cluster names the sender in the text.
std::vector<AlertRow> due_alerts(const Policy& policy, const std::vector<AwardStatus>& statuses,
                                    const std::set<AlertKey>& known, DayNumber today, std::int64_t now,
                                    const std::string& cluster);

// What the ledger remembers of alerts (Ledger::alerts): every crossing
// already recorded, told or not, which is never announced again; and the
// messages an earlier run recorded but could not send, which the next run
// sends first (a failed send is retried, never lost, never doubled: a
// message is marked sent only after MailProg took it).
struct RecordedAlerts {
    std::set<AlertKey> known;
    std::vector<AlertRow> unsent;
};
RecordedAlerts recorded_alerts(const std::vector<AlertRow>& rows);

// The recipients of an award's alerts: its PI and managers, and the members
// listed by user name when notify_members is on; sorted, no duplicates.
std::vector<std::string> alert_recipients(const Award& award, bool notify_members);

// Why name cannot be handed to MailProg as its recipient, or "" when it can.
// MailProg is called as slurmctld calls it, `MailProg -s SUBJECT USER`, with
// no "--" before USER: Slurm's own smail and many site scripts take the
// recipient as their third argument, and "--" would become it. So a name
// mail(1) could read as an option (a leading '-') or a shell script could
// misread (blanks, control bytes, quotes, '$', '/', ';' ...) is refused: a
// user name is letters, digits, '.', '_', '-' and '@' (user@domain from
// SSSD), starting with a letter, a digit or '_', at most 255 characters.
std::string mail_recipient_problem(std::string_view name);

}  // namespace grants
