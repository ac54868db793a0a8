// The embedded ledger: one SQLite file under StateSaveLocation (WAL,
// synchronous FULL), written by one cluster's controller.
#pragma once

#include <memory>
#include <string>

#include "core/storage/ledger.h"

struct sqlite3;

namespace grants {

class SqliteLedger final : public Ledger {
public:
    // Opens (creating if needed) the database; null with *error on failure.
    static std::unique_ptr<SqliteLedger> open(const std::string& path, std::string* error, bool read_only = false);
    ~SqliteLedger() override;

    const char* backend() const override { return "sqlite"; }
    bool shared() const override { return false; }

    bool record_charges(const std::vector<ChargeRecord>& charges, std::vector<ChargeRecord>* inserted,
                        std::string* error) override;
    bool record_adjustment(const Adjustment& adjustment, std::string* error) override;
    bool record_transfer(const Transfer& transfer, std::int64_t* id, std::string* error) override;
    bool record_policy(const std::string& cluster, const PolicyFields& now, const std::map<std::string, std::string>& files,
                       const std::string& default_file, std::int64_t at, std::vector<PolicyChange>* recorded,
                       std::string* error) override;
    bool policy_changes(const LedgerFilter& filter, std::vector<PolicyAuditRow>* out,
                        std::string* error) const override;
    bool totals(std::map<std::string, ChargeTotals>* out, std::string* error) const override;
    bool charges(std::vector<ChargeRecord>* out, std::string* error, const LedgerFilter& filter = {}) const override;
    bool adjustments(std::vector<Adjustment>* out, std::string* error, const LedgerFilter& filter = {}) const override;
    bool charge_sums(ChargeGrouping by, const LedgerFilter& filter,
                     const std::function<std::int64_t(std::int64_t)>& day_of,
                     const std::function<void(const ChargeSum&)>& each, std::string* error) const override;
    bool each_charge_by_award(const LedgerFilter& filter, const std::function<void(const ChargeRecord&)>& each,
                              std::string* error) const override;
    bool record_deposit(const Deposit& deposit, std::int64_t* id, std::string* error) override;
    bool deposits(std::vector<Deposit>* out, std::string* error, const LedgerFilter& filter = {}) const override;
    bool day_totals(const std::string& award, const std::function<std::int64_t(std::int64_t)>& day_of,
                    std::map<DayNumber, ChargeTotals>* out, std::string* error) const override;
    bool alerts(std::vector<AlertRow>* out, std::string* error) const override;
    bool record_alerts(const std::vector<AlertRow>& rows, std::string* error) override;
    bool mark_alert_sent(const std::string& award, const std::string& kind, int threshold, std::int64_t at,
                         std::string* error) override;
    bool record_instance_changes(const std::string& cluster, const InstanceChanges& changes, std::string* error) override;
    bool instance_segments(const std::optional<std::string>& cluster, std::optional<std::int64_t> since,
                           std::optional<std::int64_t> until, std::vector<InstanceSegment>* closed,
                           std::vector<InstanceSegment>* open, std::string* error) const override;
    bool charged_time(std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                      std::map<std::string, ChargedTime>* out, std::string* error) const override;
    bool begin_read(std::string* error) const override;
    void end_read() const override;
    bool data_version(std::int64_t* out, std::string* error) const override;
    bool update_leases(const std::vector<std::string>& awards,
                               const std::function<std::vector<LeaseRow>(const LeaseSnapshot&)>& plan,
                               std::string* error) override;
    bool leases(std::vector<LeaseRow>* out, std::string* error) const override;
    bool book_rows_after(const BookMarks& after, BookRows* out, std::string* error) const override;
    bool row_counts(std::map<std::string, std::int64_t>* out, std::string* error) const override;
    bool instance_rows(std::vector<InstanceRow>* out, std::string* error) const override;

private:
    SqliteLedger(sqlite3* db, std::string path) : Ledger(std::move(path)), db_(db) {}
    std::optional<bool> has_table(const char* name, std::string* error) const;
    sqlite3* db_;
};

}  // namespace grants
