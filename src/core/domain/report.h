// Usage reports from the ledger (grantctl report): charges grouped per award
// by user, job, day or month, with the award's adjustments, and totals that are the
// exact sums of the ledger's ticks, so they reconcile with grantctl balance.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/domain/ledger_records.h"
#include "core/policy/policy.h"

namespace grants {


enum class ReportGroup { User, Job, Day, Month, Cluster };
std::optional<ReportGroup> parse_report_group(const std::string& name);

struct ReportRow {
    std::string key;             // user name, job id ("123", "123@run-start" for a requeued run), day, month ("2027-03") or cluster
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

// The same report straight from the ledger (storage/ledger_report.h), without loading every charge:
// by user and by day the database sums the charges per group (memory for
// one group at a time), by job the charges come one at a time in award and
// job order. The sink sees exactly what build_report makes of
// ledger.charges(filter) and ledger.adjustments(filter), award by award.
class ReportSink {
public:
    virtual ~ReportSink() = default;
    // award and unit are set; no rows, adjustments or totals yet.
    virtual void begin_award(const AwardReport& award) = 0;
    virtual void row(const AwardReport& award, const ReportRow& row) = 0;
    // Everything but rows: adjustments, charges (the sum of the rows), totals.
    virtual void end_award(const AwardReport& award) = 0;
};

struct ReportQuery {
    LedgerFilter filter;
    ReportGroup group = ReportGroup::User;
    std::function<std::optional<Budget::Unit>(const std::string& award)> unit_of;
    std::function<DayNumber(std::int64_t epoch)> day_of;  // local calendar day of a time
};

// Adds one charge to a row: one run, its chip-seconds, chip-hours and
// dollars (none when the partition had no rate), saturating.
void add_charge(ReportRow& row, const ChargeRecord& c);
// An AwardReport's fields but its rows (what a sink's end_award sees).
AwardReport without_rows(const AwardReport& r);
// Hands reports to a sink as stream_report would.
void replay_report(const std::vector<AwardReport>& reports, ReportSink& sink);

}  // namespace grants
