// The ledger: every charge and manual adjustment, in SQLite (WAL, synchronous
// FULL), so a kill -9 at any moment loses nothing committed. A charge is keyed
// by (cluster, job id, run start): recording it twice is a no-op, which is
// what makes "charged exactly once" hold across crashes and restarts.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "decimal.h"
#include "funding.h"
#include "instance_time.h"

struct sqlite3;

namespace grants {

struct ChargeRecord {
    std::string cluster;
    std::uint32_t job_id = 0;
    std::int64_t run_start = 0;  // epoch seconds
    std::string award, user, account, partition;
    std::int64_t chips = 0;
    std::int64_t seconds = 0;
    Ticks chip_hours = 0;        // exact (decimal.h): chips x seconds x 10^6
    Ticks usd = -1;              // chips x seconds x rate; -1: the partition has no rate
    std::int64_t recorded_at = 0;
};

struct Adjustment {
    std::string award;
    std::string unit;  // "chip_hours" or "usd"
    Micros amount = 0; // millionths of the unit; positive debits (uses budget), negative credits
    std::string reason, who;
    std::int64_t at = 0;
};

struct ChargeTotals {
    Ticks chip_hours = 0;  // charges + chip_hours adjustments
    Ticks usd = 0;         // charges with a rate + usd adjustments
};

// Which charges and adjustments a report reads. Times are epoch seconds of
// recorded_at / at, since inclusive, until exclusive. Adjustments have no
// user: a user filter leaves them out.
struct LedgerFilter {
    std::optional<std::string> award, user;
    std::optional<std::int64_t> since, until;
};

// The charges of one group summed by the database (grantctl report without
// loading every charge): per award and user, or per award and local day.
// Every charge adds min(chips x seconds, kSaturatedCount) and
// min(ticks, kSaturatedTicks) (cost_model.h), so a sum at or above the cap
// means saturated, as build_report's saturating additions would have it.
struct ChargeSum {
    std::string award;
    std::string user;             // ChargeGrouping::User
    std::int64_t day = 0;         // ChargeGrouping::Day: day_of(recorded_at)
    std::int64_t runs = 0;
    std::int64_t chip_seconds = 0;
    Ticks chip_hours = 0;
    Ticks usd = 0;                // charges with a rate (NULL: none, adds 0)
};
enum class ChargeGrouping { User, Day };

// One threshold alert as the ledger remembers it (alerts.h, AlertRecord).
struct AlertRow {
    std::string award, kind;
    int threshold = 0;
    std::string recipients, subject, body;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> sent_at;
};

class Ledger {
public:
    // Opens (creating if needed) the database; null with *error on failure.
    static std::unique_ptr<Ledger> open(const std::string& path, std::string* error, bool read_only = false);
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // One transaction. inserted receives the records that were new (already
    // charged runs are skipped). false with *error leaves the ledger unchanged.
    bool record_charges(const std::vector<ChargeRecord>& charges, std::vector<ChargeRecord>* inserted,
                        std::string* error);
    bool record_adjustment(const Adjustment& adjustment, std::string* error);

    bool totals(std::map<std::string, ChargeTotals>* out, std::string* error) const;
    // In job order (charges) and in the order they were made (adjustments).
    bool charges(std::vector<ChargeRecord>* out, std::string* error, const LedgerFilter& filter = {}) const;
    bool adjustments(std::vector<Adjustment>* out, std::string* error, const LedgerFilter& filter = {}) const;

    // Sums per (award, user) or (award, day_of(recorded_at)) in that order
    // (byte order of the text, then the day), one call of each per group:
    // memory for one group, whatever the number of charges. day_of (Day only)
    // is called by SQLite once per charge. An integer overflow of a sum is an
    // error (it cannot happen with amounts the accountant writes).
    bool charge_sums(ChargeGrouping by, const LedgerFilter& filter,
                     const std::function<std::int64_t(std::int64_t)>& day_of,
                     const std::function<void(const ChargeSum&)>& each, std::string* error) const;
    // Charges one at a time in award order, then job order (job id, run
    // start, then the order they were recorded). Only award, user, job_id,
    // run_start, chips, seconds, chip_hours, usd and recorded_at are filled.
    bool each_charge_by_award(const LedgerFilter& filter, const std::function<void(const ChargeRecord&)>& each,
                              std::string* error) const;

    // grantctl deposit; *id receives the deposit's number.
    bool record_deposit(const Deposit& deposit, std::int64_t* id, std::string* error);
    // In the order they were made (a ledger from before deposits has none).
    bool deposits(std::vector<Deposit>* out, std::string* error, const LedgerFilter& filter = {}) const;
    // An award's debits (charges and adjustments) per local day, both
    // units, in day order: charges by the day of the run's start,
    // adjustments by the day they were made (funding.h).
    bool day_totals(const std::string& award, const std::function<std::int64_t(std::int64_t)>& day_of,
                    std::map<DayNumber, ChargeTotals>* out, std::string* error) const;

    // grantctl alerts: every threshold recorded (sent, covered or still to
    // be sent); recording ignores thresholds already there (one transaction).
    bool alerts(std::vector<AlertRow>* out, std::string* error) const;
    bool record_alerts(const std::vector<AlertRow>& rows, std::string* error);
    bool mark_alert_sent(const std::string& award, const std::string& kind, int threshold, std::int64_t at,
                         std::string* error);

    // Instance time (instance_time.h): the segments that ended and the open
    // ones, in one transaction (recording a segment twice is a no-op).
    bool record_instance_changes(const std::string& cluster, const InstanceChanges& changes, std::string* error);
    // The segments of a cluster (all clusters: nullopt) that overlap [since,
    // until), and every open one (seconds 0); none from a ledger from before
    // instance time.
    bool instance_segments(const std::optional<std::string>& cluster, std::optional<std::int64_t> since,
                           std::optional<std::int64_t> until, std::vector<InstanceSegment>* closed,
                           std::vector<InstanceSegment>* open, std::string* error) const;

    // What awards were charged per partition for the part of each run inside
    // [since, until) (the whole run without bounds), for report --instances.
    bool charged_time(std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                      std::map<std::string, ChargedTime>* out, std::string* error) const;

    // A read transaction: every query between them sees the same ledger
    // (report reads the adjustments and, for a table, the charges twice).
    bool begin_read(std::string* error) const;
    void end_read() const;

    // Changes whenever another connection commits (PRAGMA data_version):
    // slurmctld re-reads its totals after `grantctl adjust`.
    bool data_version(std::int64_t* out, std::string* error) const;

    const std::string& path() const { return path_; }

private:
    Ledger(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
    std::optional<bool> has_table(const char* name, std::string* error) const;
    sqlite3* db_;
    std::string path_;
};

}  // namespace grants
