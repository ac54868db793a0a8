// The shared ledger: the site's MySQL/MariaDB (the engine slurmdbd uses),
// through MariaDB Connector/C, for several clusters or a cluster that is
// replaced (docs/design.md, "The MySQL/MariaDB ledger"). Same tables and
// guarantees as the SQLite ledger (InnoDB, one transaction per write, the
// unique key (cluster, job_id, run_start)), plus the budget leases.
//
// The schema is created and upgraded by `grantctl ledger init` only:
// open() refuses a database without the expected schema version. A lost
// connection makes the call fail with the server's message (timeouts of a
// few seconds, never a hang) and the next call connects again.
#pragma once

#include <memory>
#include <string>

#include "core/storage/ledger.h"
#include "core/storage/ledger_config.h"

struct st_mysql;

namespace grants {

// Everything grantctl ledger migrate copies.
struct LedgerContent {
    std::vector<ChargeRecord> charges;
    std::vector<Adjustment> adjustments;
    std::vector<Deposit> deposits;
    std::vector<AlertRow> alerts;
    std::vector<InstanceRow> instances;
};

class MysqlLedger final : public Ledger {
public:
    static constexpr int kSchemaVersion = 2;  // 2: transfers

    // Connects and checks the schema; null with *error on failure.
    static std::unique_ptr<MysqlLedger> open(const MysqlCredentials& credentials, std::string* error);
    // grantctl ledger init: creates the schema, or upgrades an older one
    // (idempotent). *found receives the version that was there (0: none).
    static bool init_schema(const MysqlCredentials& credentials, int* found, std::string* error);
    ~MysqlLedger() override;

    const char* backend() const override { return "mysql"; }
    bool shared() const override { return true; }
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

    // grantctl ledger migrate: adds what content holds and the ledger lacks,
    // in one transaction. A charge already there (same cluster, job, run
    // start) with other amounts, award or user refuses the whole copy
    // (*error names it); rows already there are skipped, so a second copy
    // adds nothing. *added receives the rows added per table.
    bool import(const LedgerContent& content, std::map<std::string, std::int64_t>* added, std::string* error);

private:
    MysqlLedger(MysqlCredentials credentials, std::string where);
    st_mysql* connection(std::string* error) const;
    bool run(const std::string& sql, std::string* error) const;
    bool fail(std::string* error) const;
    template <typename Row>
    bool select(const std::string& sql, const Row& row, std::string* error) const;
    template <typename Body>
    bool write(const Body& body, std::string* error);
    bool lock_awards(std::vector<std::string> awards, std::string* error);
    bool totals_where(const std::string& where, std::map<std::string, ChargeTotals>* out, std::string* error) const;

    MysqlCredentials credentials_;
    mutable st_mysql* db_ = nullptr;
    mutable std::int64_t seen_version_ = -1;  // meta 'version' last seen (data_version)
    mutable std::int64_t changes_ = 0;        // commits by others seen so far
};

}  // namespace grants
