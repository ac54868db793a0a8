// Usage reports from the ledger (grantctl report): charges grouped per award
// by user, job or day, with the award's adjustments, and totals that are the
// exact sums of the ledger's ticks, so they reconcile with grantctl balance.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "date.h"
#include "decimal.h"
#include "ledger.h"
#include "policy.h"

namespace grants {

enum class ReportGroup { User, Job, Day };
std::optional<ReportGroup> parse_report_group(const std::string& name);

struct ReportRow {
    std::string key;             // user name, job id ("123", "123@run-start" for a requeued run) or day
    std::int64_t runs = 0;       // charged runs
    std::int64_t chip_seconds = 0;
    Ticks chip_hours = 0;
    Ticks usd = 0;               // runs on partitions without a rate add nothing
};

struct AwardReport {
    std::string award;
    std::optional<Budget::Unit> unit;  // from the policy; nullopt when the award is no longer in it
    std::vector<ReportRow> rows;       // sorted by key (days and users), job order for jobs
    std::vector<Adjustment> adjustments;
    ReportRow charges;                 // the sum of rows (key "")
    Ticks adjusted_chip_hours = 0;     // sums of the adjustments per unit
    Ticks adjusted_usd = 0;
    // charges + adjustments in the award's unit (chip-hours when unknown):
    // with no filter, exactly what grantctl balance shows as charged.
    Ticks total = 0;
};

struct ReportInput {
    std::vector<ChargeRecord> charges;
    std::vector<Adjustment> adjustments;
    ReportGroup group = ReportGroup::User;
    std::function<std::optional<Budget::Unit>(const std::string& award)> unit_of;
    std::function<DayNumber(std::int64_t epoch)> day_of;  // local calendar day of a time
};

// One AwardReport per award that has charges or adjustments, sorted by award.
std::vector<AwardReport> build_report(const ReportInput& input);

}  // namespace grants
