// The ledger: every charge and manual adjustment, durable so that a kill -9 at
// any moment loses nothing committed. A charge is keyed by (cluster, job id,
// run start): recording it twice is a no-op, which is what makes "charged
// exactly once" hold across crashes and restarts.
//
// Two backends implement the one interface below: SqliteLedger (embedded, one
// cluster; sqlite_ledger.h) and MysqlLedger (the site's MySQL/MariaDB, shared
// by several clusters; mysql_ledger.h). open_ledger (ledger_config.h) picks one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/domain/ledger_records.h"

namespace grants {

class Ledger {
public:
    // The SQLite ledger at path (SqliteLedger::open): opens, creating it if
    // needed; null with *error on failure.
    static std::unique_ptr<Ledger> open(const std::string& path, std::string* error, bool read_only = false);
    virtual ~Ledger() = default;
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // "sqlite" or "mysql".
    virtual const char* backend() const = 0;

    // One transaction. inserted receives the records that were new (already
    // charged runs are skipped). false with *error leaves the ledger unchanged.
    virtual bool record_charges(const std::vector<ChargeRecord>& charges, std::vector<ChargeRecord>* inserted,
                        std::string* error) = 0;
    virtual bool record_adjustment(const Adjustment& adjustment, std::string* error) = 0;
    // Both legs in one transaction, linked by one transfer id (*id receives
    // it). false with *error: nothing written.
    virtual bool record_transfer(const Transfer& transfer, std::int64_t* id, std::string* error) = 0;

    virtual bool totals(std::map<std::string, ChargeTotals>* out, std::string* error) const = 0;
    // In job order (charges) and in the order they were made (adjustments).
    virtual bool charges(std::vector<ChargeRecord>* out, std::string* error, const LedgerFilter& filter = {}) const = 0;
    virtual bool adjustments(std::vector<Adjustment>* out, std::string* error, const LedgerFilter& filter = {}) const = 0;

    // Sums per (award, user) or (award, day_of(recorded_at)) in that order
    // (byte order of the text, then the day), one call of each per group:
    // memory for one group, whatever the number of charges. day_of (Day only)
    // is called by SQLite once per charge. An integer overflow of a sum is an
    // error (it cannot happen with amounts the accountant writes).
    virtual bool charge_sums(ChargeGrouping by, const LedgerFilter& filter,
                     const std::function<std::int64_t(std::int64_t)>& day_of,
                     const std::function<void(const ChargeSum&)>& each, std::string* error) const = 0;
    // Charges one at a time in award order, then job order (job id, run
    // start, then the order they were recorded). Only award, user, cluster, partition,
    // account, job_id, run_start, chips, seconds, chip_hours, usd and recorded_at are filled.
    virtual bool each_charge_by_award(const LedgerFilter& filter, const std::function<void(const ChargeRecord&)>& each,
                              std::string* error) const = 0;

    // grantctl deposit; *id receives the deposit's number.
    virtual bool record_deposit(const Deposit& deposit, std::int64_t* id, std::string* error) = 0;
    // In the order they were made (a ledger from before deposits has none).
    virtual bool deposits(std::vector<Deposit>* out, std::string* error, const LedgerFilter& filter = {}) const = 0;
    // An award's debits (charges and adjustments) per local day, both
    // units, in day order: charges by the day of the run's start,
    // adjustments by the day they were made (funding.h).
    virtual bool day_totals(const std::string& award, const std::function<std::int64_t(std::int64_t)>& day_of,
                    std::map<DayNumber, ChargeTotals>* out, std::string* error) const = 0;

    // grantctl alerts: every threshold recorded (sent, covered or still to
    // be sent); recording ignores thresholds already there (one transaction).
    virtual bool alerts(std::vector<AlertRow>* out, std::string* error) const = 0;
    virtual bool record_alerts(const std::vector<AlertRow>& rows, std::string* error) = 0;
    virtual bool mark_alert_sent(const std::string& award, const std::string& kind, int threshold, std::int64_t at,
                         std::string* error) = 0;

    // Instance time (instance_time.h): the segments that ended and the open
    // ones, in one transaction (recording a segment twice is a no-op).
    virtual bool record_instance_changes(const std::string& cluster, const InstanceChanges& changes, std::string* error) = 0;
    // The segments of a cluster (all clusters: nullopt) that overlap [since,
    // until), and every open one (seconds 0); none from a ledger from before
    // instance time.
    virtual bool instance_segments(const std::optional<std::string>& cluster, std::optional<std::int64_t> since,
                           std::optional<std::int64_t> until, std::vector<InstanceSegment>* closed,
                           std::vector<InstanceSegment>* open, std::string* error) const = 0;

    // What awards were charged per partition for the part of each run inside
    // [since, until) (the whole run without bounds), for report --instances.
    virtual bool charged_time(std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                      std::map<std::string, ChargedTime>* out, std::string* error) const = 0;

    // Several clusters (lease.h): whether this ledger is shared by clusters
    // that decide within leases (the MySQL backend), and its leases. One
    // transaction: the awards' rows are locked, the snapshot (their charged
    // totals and every cluster's leases) read, plan called, the rows it
    // returns written. The SQLite ledger, one cluster's, has no leases.
    virtual bool shared() const = 0;

    // A read transaction: every query between them sees the same ledger
    // (report reads the adjustments and, for a table, the charges twice).
    virtual bool begin_read(std::string* error) const = 0;
    virtual void end_read() const = 0;

    // The charge book's incremental read (charge_book.h): the rows of
    // charges, adjustments and deposits with an id above after's, the
    // tables' counts, highest ids and rewrites. Call it between begin_read
    // and end_read so that rows and counts come from one snapshot.
    virtual bool book_rows_after(const BookMarks& after, BookRows* out, std::string* error) const = 0;

    // Changes whenever another connection commits (PRAGMA data_version):
    // slurmctld re-reads its totals after `grantctl adjust`.
    virtual bool data_version(std::int64_t* out, std::string* error) const = 0;

    // Budget leases (mysql only; the sqlite backend answers false with
    // "leases need a ledger shared by several clusters ..."). One transaction: locks the awards
    // (in award order), reads their snapshot, calls plan(snapshot), writes
    // the rows it returns (this cluster's new leases and other clusters'
    // reclaimed ones), commits. false with *error: nothing written.
    virtual bool update_leases(const std::vector<std::string>& awards,
                               const std::function<std::vector<LeaseRow>(const LeaseSnapshot&)>& plan,
                               std::string* error) = 0;
    // Every lease, in award then cluster order.
    virtual bool leases(std::vector<LeaseRow>* out, std::string* error) const = 0;

    // The policy audit (policy_audit.h), per cluster (clusters sharing a
    // ledger may run different policies). One transaction: reads the
    // cluster's last recorded state, records what differs from now (each change dated at,
    // with the award's file from files, default_file for awards not in it),
    // and makes now the recorded state. *recorded receives the changes
    // (none: the policy is the one last recorded).
    virtual bool record_policy(const std::string& cluster, const PolicyFields& now, const std::map<std::string, std::string>& files,
                               const std::string& default_file, std::int64_t at,
                               std::vector<PolicyChange>* recorded, std::string* error) = 0;
    // The recorded changes (award, since, until; user ignored) in the order
    // they were made; none from a ledger from before the audit.
    virtual bool policy_changes(const LedgerFilter& filter, std::vector<PolicyAuditRow>* out,
                                std::string* error) const = 0;

    // Rows per table (grantctl ledger status and migrate), tables a ledger
    // does not have yet count 0.
    virtual bool row_counts(std::map<std::string, std::int64_t>* out, std::string* error) const = 0;
    // Every instance segment, closed and open, with its cluster (migrate).
    virtual bool instance_rows(std::vector<InstanceRow>* out, std::string* error) const = 0;

    // Where the ledger is, for messages: the SQLite file, or
    // mysql://user@host:port/database.
    const std::string& path() const { return path_; }

protected:
    explicit Ledger(std::string path) : path_(std::move(path)) {}

private:
    std::string path_;
};

}  // namespace grants
