#include "core/domain/alerts.h"

#include <algorithm>

#include "core/base/text.h"
#include "core/domain/cost_model.h"

namespace grants {

EffectiveAlertRules alert_rules(const Policy& policy, const Award& award) {
    EffectiveAlertRules r;
    r.used = award.alerts.used.value_or(policy.alerts.used.value_or(kDefaultUsedAlerts));
    r.days_before_end = award.alerts.days_before_end.value_or(policy.alerts.days_before_end.value_or(kDefaultDaysAlerts));
    r.notify_members = award.alerts.notify_members.value_or(policy.alerts.notify_members.value_or(false));
    std::sort(r.used.begin(), r.used.end());
    std::sort(r.days_before_end.begin(), r.days_before_end.end());
    return r;
}

std::vector<std::string> alert_recipients(const Award& award, bool notify_members) {
    std::set<std::string> names;
    if (!award.pi.empty()) names.insert(award.pi);
    names.insert(award.managers.begin(), award.managers.end());
    if (notify_members) names.insert(award.members.users.begin(), award.members.users.end());
    return {names.begin(), names.end()};
}

std::string mail_recipient_problem(std::string_view name) {
    const auto letter_or_digit = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    const std::string shown = "recipient " + loggable(name);
    if (name.empty()) return "an empty recipient name";
    if (name.front() == '-') {
        return shown + " starts with '-', which MailProg (called as slurmctld calls it: MailProg -s SUBJECT USER) "
                       "would take for an option";
    }
    if (name.size() > 255) return shown + " is longer than 255 characters";
    if (!letter_or_digit(name.front()) && name.front() != '_') {
        return shown + " does not start with a letter, a digit or '_'";
    }
    for (char c : name) {
        if (!letter_or_digit(c) && c != '.' && c != '_' && c != '-' && c != '@') {
            return shown + " is not a user name (letters, digits, '.', '_', '-' and '@' only)";
        }
    }
    return {};
}

namespace {

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
}

std::string figures(const AwardStatus& s) {
    std::string b = "  budget   " + format_amount(s.unit, s.budget) + "\n";
    b += "  charged  " + format_amount(s.unit, s.charged) + "\n";
    b += "  held     " + format_amount(s.unit, s.held, true) + " (running and pending jobs)\n";
    b += "  left     " + format_amount(s.unit, s.left()) + "\n";
    if (s.valid_until) b += "  valid until " + format_date(*s.valid_until) + "\n";
    if (s.forecast) b += "\nForecast: " + forecast_sentence(*s.forecast, s.unit) + ".\n";
    return b;
}

std::string footer(const std::string& award, const std::string& cluster) {
    return "\nslurm-grants on cluster " + cluster + " sends this once per threshold. `grantctl balance --award " +
           award + "` shows the award as it stands.\n";
}

}  // namespace

std::vector<AlertRow> due_alerts(const Policy& policy, const std::vector<AwardStatus>& statuses,
                                    const std::set<AlertKey>& known, DayNumber today, std::int64_t now,
                                    const std::string& cluster) {
    std::vector<AlertRow> out;
    for (const AwardStatus& s : statuses) {
        const Award* award = policy.find_award(s.id);
        if (!award) continue;
        const EffectiveAlertRules rules = alert_rules(policy, *award);
        const std::string recipients = joined(alert_recipients(*award, rules.notify_members));
        if (recipients.empty()) continue;  // nobody to tell: nothing recorded, so a PI named later hears
        const std::string name = "award " + s.id + (s.title.empty() ? "" : " (" + s.title + ")");
        // Add the records of one kind: the message on `lead`, the others covered.
        auto add = [&](const char* kind, const std::vector<int>& crossed, int lead, std::string subject,
                       std::string body) {
            for (int t : crossed) {
                AlertRow r;
                r.award = s.id;
                r.kind = kind;
                r.threshold = t;
                r.created_at = now;
                if (t == lead) {
                    r.recipients = recipients;
                    r.subject = subject;
                    r.body = body;
                } else {
                    r.sent_at = now;  // told by the lead's message
                }
                out.push_back(std::move(r));
            }
        };
        // Budget used: charged and held against the budget.
        if (s.budget > 0) {
            const WideInt used = static_cast<WideInt>(s.charged) + s.held;
            std::vector<int> crossed;
            for (int t : rules.used) {
                if (used * 100 >= static_cast<WideInt>(t) * s.budget && !known.count({s.id, "used", t})) {
                    crossed.push_back(t);
                }
            }
            if (!crossed.empty()) {
                const int lead = crossed.back();
                const std::string what = lead >= 100 ? "has used all of its budget" : "has used " + std::to_string(lead) + "% of its budget";
                add("used", crossed, lead, "[slurm-grants] award " + s.id + " " + what,
                    "The " + name + " " + what + " (charged and held by jobs).\n\n" + figures(s) + footer(s.id, cluster));
            }
        }
        // Days before the end, while the award has not ended.
        if (s.valid_until && today <= *s.valid_until) {
            const std::int64_t left = static_cast<std::int64_t>(*s.valid_until) - today;
            std::vector<int> crossed;
            for (int t : rules.days_before_end) {
                if (left <= t && !known.count({s.id, "days_before_end", t})) crossed.push_back(t);
            }
            if (!crossed.empty()) {
                const int lead = crossed.front();
                const std::string when = left == 0 ? "ends today" : "ends in " + std::to_string(left) + (left == 1 ? " day" : " days");
                add("days_before_end", crossed, lead,
                    "[slurm-grants] award " + s.id + " " + when + " (" + format_date(*s.valid_until) + ")",
                    "The " + name + " " + when + ", on " + format_date(*s.valid_until) +
                        ". Jobs that cannot finish by then are refused, and queued jobs do not start after it.\n\n" +
                        figures(s) + footer(s.id, cluster));
            }
        }
    }
    return out;
}

RecordedAlerts recorded_alerts(const std::vector<AlertRow>& rows) {
    RecordedAlerts r;
    for (const AlertRow& row : rows) {
        r.known.insert({row.award, row.kind, row.threshold});
        // A row without a subject is a threshold covered by a higher one's
        // message: nothing of its own to send.
        if (!row.sent_at && !row.subject.empty()) r.unsent.push_back(row);
    }
    return r;
}

}  // namespace grants
