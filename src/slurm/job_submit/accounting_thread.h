// The controller's accounting loop: once per interval it copies the job
// records (slurmctld_bridge::observe_jobs, under slurmctld's read locks),
// then, with no Slurm lock held, tallies holds, writes the charges of ended
// runs to the ledger, and publishes the new usage to the submit path.
#pragma once

#include <atomic>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/domain/charge_book.h"
#include "core/domain/funding_book.h"
#include "core/domain/identity_cache.h"
#include "core/domain/instance_time.h"
#include "core/domain/ledger_health.h"
#include "core/domain/partition_overlap.h"
#include "core/domain/pass_schedule.h"
#include "core/domain/usage.h"
#include "core/policy/policy_store.h"
#include "core/storage/charge_spool.h"
#include "core/storage/ledger.h"
#include "core/storage/ledger_config.h"
#include "slurmctld_bridge.h"

namespace grants::slurmctld {

inline constexpr char kApprovalMarker[] = "SLURM_GRANTS_APPROVAL";

class AccountingThread {
public:
    // first_start: this StateSaveLocation has never run slurm-grants (no
    // enforce.state yet), so a missing ledger is created; otherwise a missing
    // ledger is an error until the admin restores it or creates an empty file.
    // decide: what job_submit and job_modify hold from a decision to its
    // approval; re-runs of requeued jobs are admitted under it too.
    // ledger_path: the SQLite ledger (and, for every backend, where the
    // spool of charges not yet written lives beside it: <path>.uncommitted).
    // ledger: grants.yaml's ledger: at start (mysql: the shared database).
    AccountingThread(PolicyStore& policy, UsageTracker& tracker, IdentityCache& identities, std::string ledger_path,
                     std::string cluster, bool first_start, std::mutex& decide, LedgerConfig ledger = {});
    ~AccountingThread();

    void start(std::chrono::milliseconds interval);
    // Stops the loop; false when the thread did not finish within patience
    // (it is then detached, and everything it uses must be kept alive).
    bool stop(std::chrono::milliseconds patience = std::chrono::milliseconds(10'000));
    void wake();  // run a pass now (e.g. after a ledger adjustment)
    // Run a full pass now, even within kBusyPassEvery of the last one (an
    // accepted job update may have raised the job's hold).
    void request_full_pass();

    // This controller is in control and its ledger does not take charges.
    // Never on a standby, or before this controller has recovered its jobs
    // (and so opened the ledger): usage is not known either, and that is
    // what decisions report.
    bool ledger_failing() const { return in_control_.load() && !ledger_status_.usable(); }
    // Whether holds are known: a full pass has published usage read after
    // slurmctld recovered its jobs. Until then (start, `scontrol reconfigure`
    // from 23.11, which re-executes slurmctld, or a takeover) every hold
    // would read as zero. Asking while unknown requests a full pass now.
    bool usage_known();
    // Which instance type each node is, for policies with `instance_type:
    // features` partitions (null otherwise, or before the first pass).
    std::shared_ptr<const NodeTypes> node_types() const { return std::atomic_load(&node_types_); }
    // Every charge and adjustment, for PIs' balances, reports and forecasts
    // (charge_book.h); not loaded until the ledger is.
    const ChargeBook& book() const { return book_; }
    std::size_t passes() const { return passes_.load(); }
    std::size_t idle_passes() const { return idle_passes_.load(); }  // passes that copied no job
    std::size_t deferred_passes() const { return deferred_passes_.load(); }  // of those: only submissions since
    std::size_t full_passes() const { return full_passes_.load(); }  // passes that copied the job list

private:
    void run(std::chrono::milliseconds interval);
    void pass();
    // The parts of a pass (pass() calls them in this order).
    void idle_pass(const std::shared_ptr<const PolicyState>& state, std::int64_t started, bool deferred);
    bool follow_control(const JobListStamp& stamp);
    std::unordered_set<std::uint32_t> resolve_tags(std::vector<JobObservation>& jobs);
    void keep_unpriced(const std::vector<JobObservation>& jobs);
    void return_unpriced(std::vector<JobObservation>& jobs);
    void restore_spooled_runs(const JobListStamp& stamp);
    void record_pass_charges(const PassResult& result, const std::unordered_set<std::uint32_t>& unchecked,
                             bool ledger_usable);
    bool ensure_ledger();
    bool ensure_shared_ledger();
    void adopt_ledger(std::map<std::string, ChargeTotals> totals);
    std::vector<uid_t> trusted_owners() const;
    void notice_other_writers();
    void notice_takeover(std::uintptr_t job_list);  // job_list: JobListStamp::list of this pass
    void report_problem(const std::string& problem);
    void mark_usable();
    void let_go_of_ledger();
    void hold_jobs_without_award(const Policy& policy, const std::vector<JobObservation>& jobs, std::int64_t now);
    void publish_and_admit_reruns(const Policy& policy, PassResult& result, std::int64_t now,
                                  std::uint64_t copied_from);
    void move_deadlines_to_award_ends(const Policy& policy, const std::vector<JobObservation>& jobs,
                                      std::int64_t now);
    void restore_spool();
    void sync_spool();
    void refresh_node_types(const std::shared_ptr<const Policy>& policy, std::int64_t now);
    void refresh_funding(const std::shared_ptr<const Policy>& policy, std::int64_t now);
    void refresh_book();
    void tell_partition_overlaps(const std::shared_ptr<const Policy>& policy);
    void observe_instances(const std::shared_ptr<const Policy>& policy);
    void forget_instances();
    void renew_leases(const std::shared_ptr<const Policy>& policy, std::int64_t now);
    // The policy audit (policy_audit.h): each policy loaded is queued with
    // the time it was seen; the controller in control records the queue in
    // order, and keeps what fails for the next pass (the ledger compares
    // with its last recorded state, so a retry records nothing twice).
    void audit_policy(const std::shared_ptr<const Policy>& policy);
    struct PendingAudit {
        std::int64_t at = 0;
        PolicyFields fields;
        std::map<std::string, std::string> files;
    };
    std::shared_ptr<const Policy> audited_policy_;
    std::deque<PendingAudit> pending_audits_;
    std::map<std::string, std::string> audit_files_;  // every award's file seen, for removed awards
    std::string audit_error_;

    PolicyStore& policy_;
    UsageTracker& tracker_;
    IdentityCache& identities_;
    std::mutex& decide_;
    std::string ledger_path_;
    LedgerConfig ledger_config_;
    std::string cluster_;
    UsageAccountant accountant_;
    std::vector<JobObservation> observed_;  // reused every pass (see observe_jobs)
    // Tagged runs that ended while no policy could price them, by job ID:
    // fed to the first pass that has one (their jobs may be purged by then).
    std::map<std::uint32_t, JobObservation> unpriced_;
    std::set<std::uint32_t> held_;  // jobs held for their award (jobs_to_hold), not to be held again
    std::unique_ptr<Ledger> ledger_;
    LedgerStatus ledger_status_;
    std::atomic<std::size_t> passes_{0};
    std::atomic<std::size_t> idle_passes_{0};
    std::atomic<std::size_t> deferred_passes_{0};
    std::atomic<std::size_t> full_passes_{0};
    std::atomic<bool> full_pass_requested_{false};
    std::atomic<bool> usage_known_{false};
    std::atomic<bool> in_control_{false};  // a pass has seen recovered jobs: the ledger is ours
    SettledPass last_full_;                // the base for skipping copies (pass_schedule.h)
    std::int64_t data_version_ = -1;        // of ledger_, when its totals were read
    std::uintptr_t job_list_identity_ = 0;  // slurmctld's job list at the last pass
    FileIdentity opened_;      // of the file ledger_ has open
    bool had_ledger_ = false;  // opened once (or not a first start): never re-create it empty
    // Several clusters (core/domain/lease.h): when leases were last renewed, and
    // the last renewal's error (logged once).
    static constexpr std::int64_t kLeaseEvery = 5;
    std::int64_t leases_at_ = 0;
    std::string lease_error_;
    LeaseSettings lease_settings_;
    std::string spool_path_;  // uncommitted charges (charge_spool.h)
    std::string spool_error_;
    ChargeSpool spooled_;  // what the spool file holds
    std::vector<ShrunkRun> shrunk_to_restore_;  // from the spool, until slurmctld has recovered its jobs
    std::vector<RunCap> caps_to_restore_;       // likewise
    std::vector<BootRecord> boots_to_restore_;  // likewise
    // Node instance types (refresh_node_types): rebuilt when the node table or
    // the partitions changed, at most every kNodeTypesEvery seconds, or the policy changed.
    static constexpr std::int64_t kNodeTypesEvery = 10;
    std::shared_ptr<const NodeTypes> node_types_;  // std::atomic_load/store: read by submissions
    std::shared_ptr<const Policy> node_types_policy_;
    long long node_stamp_[2] = {0, 0};
    std::int64_t node_types_at_ = 0;
    // Awards with tranches or deposits (funding_book.h): re-read from the
    // ledger whenever its totals are, then kept up to date by the charges
    // this thread records; fund() published every pass (the day may change).
    FundingBook funding_;
    bool funding_stale_ = true;
    bool funding_changed_ = true;             // since it was last published
    std::shared_ptr<const Policy> funding_policy_;  // published for this policy...
    DayNumber funding_day_ = 0;               // ...and this day
    // What PIs see (charge_book.h), kept in refresh_book: read whole when
    // the ledger is (re)opened or this controller takes over (stale), only
    // the rows appended since when another writer changed it (behind).
    ChargeBook book_;
    bool book_stale_ = true;
    bool book_behind_ = false;
    // Partitions that share enforced nodes without being enforced
    // (tell_partition_overlaps): slurmctld's partitions as last read, and
    // what was told for which policy.
    long long partition_stamp_ = 0;
    PartitionNodes partitions_;
    std::shared_ptr<const Policy> overlaps_policy_;
    std::vector<PartitionOverlap> overlaps_told_;
    std::vector<PartitionOverlap> exempt_told_;  // those in enforce.exempt, told as such
    // Instance time (instance_time.h): each node's open segment, continued
    // from the ledger's after a restart; segments that ended and nodes whose
    // open segment changed wait here while the ledger does not take them.
    InstanceTracker instances_;
    std::set<std::string> configuring_nodes_;  // of CONFIGURING jobs, from the last full pass
    bool instances_restored_ = false;
    bool instances_full_ = true;  // list every node next time (start, policy change)
    std::shared_ptr<const Policy> instances_policy_;
    std::vector<InstanceSegment> instances_closed_;
    std::set<std::string> instances_touched_;
    std::string instances_error_;
    static constexpr std::size_t kMaxWaitingSegments = 1'000'000;
    static constexpr std::int64_t kInstanceRetryEvery = 30;
    std::int64_t instances_retry_at_ = 0;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool woken_ = false;
    bool finished_ = false;
    std::condition_variable finished_cv_;
    std::thread thread_;
};

}  // namespace grants::slurmctld
