#include "accounting_thread.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "core/base/hostlist.h"
#include "core/domain/admin_comment.h"
#include "core/domain/job_observation.h"
#include "core/storage/book_loader.h"
#include "core/storage/charge_spool.h"
#include "job_desc_request.h"
#include "slurmctld_bridge.h"

namespace grants::slurmctld {

AccountingThread::AccountingThread(PolicyStore& policy, UsageTracker& tracker, IdentityCache& identities,
                                   std::string ledger_path, std::string cluster, bool first_start,
                                   std::mutex& decide, LedgerConfig ledger)
    : policy_(policy),
      tracker_(tracker),
      identities_(identities),
      decide_(decide),
      ledger_path_(std::move(ledger_path)),
      ledger_config_(std::move(ledger)),
      cluster_(cluster),
      accountant_(std::move(cluster)),
      had_ledger_(!first_start),
      spool_path_(ledger_path_ + ".uncommitted") {
    if (ledger_config_.backend == LedgerBackend::Mysql) ledger_path_ = "(mysql, " + ledger_config_.credentials + ")";
    lease_settings_.timeout = ledger_config_.lease_timeout;
}

AccountingThread::~AccountingThread() {
    if (!stop(std::chrono::milliseconds(10'000))) log_error("accounting thread did not stop; left running");
}

void AccountingThread::start(std::chrono::milliseconds interval) {
    // The ledger and the spool are opened by the first pass over recovered
    // jobs, not here: slurmctld initialises job_submit plugins in a backup
    // controller too, before it waits in standby, and a standby must never
    // touch the files the controller in control writes (SQLite's WAL is not
    // safe across hosts sharing StateSaveLocation).
    thread_ = std::thread([this, interval] {
        // Named for `top -H` and `ps -L`, and for the benchmark's per-thread CPU (Linux: at most 15 characters).
        pthread_setname_np(pthread_self(), "grants_acct");
        run(interval);
    });
}

bool AccountingThread::stop(std::chrono::milliseconds patience) {
    std::unique_lock<std::mutex> lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
    if (!thread_.joinable()) return true;
    // A pass waiting for slurmctld's locks cannot finish while our caller
    // holds them (fini() under `scontrol reconfigure` of JobSubmitPlugins):
    // give up after patience instead of hanging slurmctld.
    if (!finished_cv_.wait_for(lock, patience, [this] { return finished_; })) {
        thread_.detach();
        return false;
    }
    lock.unlock();
    thread_.join();
    return true;
}

void AccountingThread::wake() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        woken_ = true;
    }
    wake_.notify_all();
}

bool AccountingThread::usage_known() {
    if (usage_known_.load()) return true;
    request_full_pass();
    return false;
}

void AccountingThread::request_full_pass() {
    full_pass_requested_ = true;
    wake();
}

void AccountingThread::report_problem(const std::string& problem) {
    if (ledger_status_.report_problem(problem)) {
        log_error("ledger " + ledger_path_ + " unusable: " + problem +
                  "; new in-scope jobs follow enforce.on_error, charges stay held and are retried every pass");
    }
}

// Who may own the ledger, its directory and the spool beside it (root always may).
std::vector<uid_t> AccountingThread::trusted_owners() const {
    std::vector<uid_t> owners{::geteuid()};
    if (slurm_user_id() != 0) owners.push_back(slurm_user_id());
    return owners;
}

// Before every pass: the file at the path must still be the one we opened, a
// regular file nobody else can write, on a writable filesystem with room.
// A ledger that existed once is never silently re-created empty (that would
// forget every charge): the admin restores it, or creates an empty file to
// start a new one.
bool AccountingThread::ensure_ledger() {
    if (ledger_config_.backend == LedgerBackend::Mysql) return ensure_shared_ledger();
    LedgerHealth health = check_ledger_file(ledger_path_, ledger_ ? &opened_ : nullptr, trusted_owners());
    if (health.replaced) {
        log_info("ledger " + ledger_path_ + " was replaced by another file; reopening it");
        ledger_.reset();
    }
    const bool first_creation = health.missing && !had_ledger_;
    if (!health.problem.empty() && !first_creation) {
        if (health.missing) health.problem += ": restore it, or create an empty file there to start a new ledger";
        ledger_.reset();
        report_problem(health.problem);
        return false;
    }
    if (ledger_) {
        mark_usable();
        return true;
    }
    auto slash = ledger_path_.rfind('/');
    if (slash != std::string::npos && slash > 0) ::mkdir(ledger_path_.substr(0, slash).c_str(), 0700);
    std::string error;
    ledger_ = Ledger::open(ledger_path_, &error);
    std::map<std::string, ChargeTotals> totals;
    if (ledger_ && !ledger_->totals(&totals, &error)) ledger_.reset();
    struct stat st {};
    if (ledger_ && ::lstat(ledger_path_.c_str(), &st) != 0) {
        error = "it vanished while it was opened";
        ledger_.reset();
    }
    if (!ledger_) {
        report_problem(error);
        return false;
    }
    opened_ = FileIdentity{st.st_dev, st.st_ino};
    adopt_ledger(std::move(totals));
    return true;
}

// The shared ledger (grants.yaml ledger: { backend: mysql }): no file to
// watch; a lost connection fails the writes (charges stay spooled and held)
// and the ledger reconnects by itself on the next call.
bool AccountingThread::ensure_shared_ledger() {
    if (ledger_) {
        mark_usable();
        return true;
    }
    // The spool of charges not yet written stays local, beside where the
    // SQLite ledger would be.
    auto slash = spool_path_.rfind('/');
    if (slash != std::string::npos && slash > 0) ::mkdir(spool_path_.substr(0, slash).c_str(), 0700);
    std::string error;
    ledger_ = open_ledger(ledger_config_, "", trusted_owners(), false, &error);
    std::map<std::string, ChargeTotals> totals;
    if (ledger_ && !ledger_->totals(&totals, &error)) ledger_.reset();
    if (!ledger_) {
        report_problem(error);
        return false;
    }
    ledger_path_ = ledger_->path();
    adopt_ledger(std::move(totals));
    return true;
}

// A ledger just opened (either backend): its totals are the tracker's, the
// funding and the charge book are read from it again, and its data version
// is the one later changes are told by.
void AccountingThread::adopt_ledger(std::map<std::string, ChargeTotals> totals) {
    had_ledger_ = true;
    tracker_.set_totals(std::move(totals));
    funding_stale_ = true;
    book_stale_ = true;
    std::string error;
    if (!ledger_->data_version(&data_version_, &error)) data_version_ = -1;
    mark_usable();
}

// The file looks healthy (LedgerStatus::mark_usable: not yet usable while
// charges it refused still wait).
void AccountingThread::mark_usable() {
    if (ledger_status_.mark_usable()) log_info("ledger " + ledger_path_ + " usable again");
}

// What an earlier slurmctld could not let go (charge_spool.h): charges the
// ledger did not take, held and recorded like those of this one, and shrunk
// runs' largest allocations. The spool is trusted as the ledger is (owner,
// mode, no link: checked by read_charge_spool before it reads a byte, since
// this runs before the pass checks the ledger's directory), and every value
// in it must be possible; a spool that is not, or cannot be read, is moved
// aside (never overwritten) and the admin is told where.
void AccountingThread::restore_spool() {
    ChargeSpool spool;
    std::string error;
    if (read_charge_spool(spool_path_, trusted_owners(), &spool, &error)) {
        if (spool.empty()) return;
        accountant_.restore_uncommitted(spool.charges);
        // Given to the accountant by the first pass over the recovered jobs:
        // passes before it see no job and would forget them.
        shrunk_to_restore_ = spool.shrunk;
        caps_to_restore_ = spool.caps;
        boots_to_restore_ = spool.boots;
        spooled_ = std::move(spool);
        log_info(std::to_string(spooled_.charges.size()) + " uncommitted charge(s) and " +
                 std::to_string(spooled_.shrunk.size()) + " shrunk run(s) restored, with " +
                 std::to_string(spooled_.caps.size()) + " lowered time limit(s) and " +
                 std::to_string(spooled_.boots.size()) + " cloud-node boot(s), from " + spool_path_ +
                 "; the charges are held and recorded as soon as the ledger takes them");
        return;
    }
    const std::string aside = spool_path_ + ".unreadable." + std::to_string(std::time(nullptr));
    const bool moved = ::rename(spool_path_.c_str(), aside.c_str()) == 0;
    log_error("cannot use the uncommitted charges: " + error + (moved ? "; the file was moved to " + aside : "") +
              "; the charges in it are not held or recorded: check them and record them with grantctl adjust");
}

namespace {

bool same_charges(const std::vector<ChargeRecord>& a, const std::vector<ChargeRecord>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].job_id != b[i].job_id || a[i].run_start != b[i].run_start) return false;
    }
    return true;
}

}  // namespace

// After a pass: the spool holds exactly the charges the ledger does not
// have yet and the shrunk runs (rewritten only when that changes, removed
// when empty).
void AccountingThread::sync_spool() {
    ChargeSpool spool;
    spool.charges = accountant_.uncommitted();
    spool.shrunk = accountant_.shrunk_runs();
    spool.shrunk.insert(spool.shrunk.end(), shrunk_to_restore_.begin(), shrunk_to_restore_.end());
    spool.caps = accountant_.capped_runs();
    spool.caps.insert(spool.caps.end(), caps_to_restore_.begin(), caps_to_restore_.end());
    spool.boots = accountant_.booting_jobs();
    spool.boots.insert(spool.boots.end(), boots_to_restore_.begin(), boots_to_restore_.end());
    if (same_charges(spool.charges, spooled_.charges) && spool.shrunk == spooled_.shrunk &&
        spool.caps == spooled_.caps && spool.boots == spooled_.boots) {
        return;
    }
    std::string error;
    if (!write_charge_spool(spool_path_, spool, &error)) {
        if (error != spool_error_) {
            log_error("cannot keep " + std::to_string(spool.charges.size()) + " uncommitted charge(s), " +
                      std::to_string(spool.shrunk.size()) + " shrunk run(s), " + std::to_string(spool.caps.size()) +
                      " lowered time limit(s) and " + std::to_string(spool.boots.size()) + " cloud-node boot(s) in " +
                      spool_path_ + ": " + error +
                      "; they stay in memory and are lost if slurmctld restarts (charges: after Slurm purged "
                      "their jobs)");
        }
        spool_error_ = error;
        return;
    }
    if (!spool_error_.empty()) log_info("uncommitted charges kept in " + spool_path_ + " again");
    spool_error_.clear();
    spooled_ = std::move(spool);
}

// `grantctl adjust` commits from another process: re-read the totals so that
// balances and the next decisions include the adjustment within a pass.
void AccountingThread::notice_other_writers() {
    if (!ledger_) return;
    std::int64_t version = 0;
    std::string error;
    if (!ledger_->data_version(&version, &error) || version == data_version_) return;
    std::map<std::string, ChargeTotals> totals;
    if (!ledger_->totals(&totals, &error)) {
        log_error("cannot re-read the totals of " + ledger_path_ + " after another writer's change: " + error);
        return;
    }
    tracker_.set_totals(std::move(totals));
    funding_stale_ = true;
    book_behind_ = true;
    data_version_ = version;
    log_info("ledger " + ledger_path_ + " changed by another writer (grantctl adjust); totals re-read");
}

void AccountingThread::run(std::chrono::milliseconds interval) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        try {
            pass();
        } catch (const std::exception& e) {
            try { log_error(std::string("accounting pass failed: ") + e.what()); } catch (...) {}
        } catch (...) {
        }
        ++passes_;
        lock.lock();
        wake_.wait_for(lock, interval, [this] { return stopping_ || woken_; });
        woken_ = false;
    }
    finished_ = true;
    finished_cv_.notify_all();
}

// Queued jobs whose award was removed from the policy or has ended must not
// start (they would run on, and be charged to, an award that is gone): they
// are held, with a reason users read in squeue, once each.
void AccountingThread::hold_jobs_without_award(const Policy& policy, const std::vector<JobObservation>& jobs,
                                               std::int64_t now) {
    std::vector<JobToHold> wanted = jobs_to_hold(policy, jobs, local_today(now));
    std::vector<JobToHold> fresh;
    std::set<std::uint32_t> still;
    for (auto& j : wanted) {
        still.insert(j.job_id);
        if (!held_.count(j.job_id)) fresh.push_back(std::move(j));
    }
    held_.swap(still);
    if (fresh.empty()) return;
    const int held = hold_jobs(fresh);
    for (const auto& j : fresh) log_info("job " + std::to_string(j.job_id) + " held: " + j.reason);
    if (held != static_cast<int>(fresh.size())) {
        log_info(std::to_string(fresh.size() - static_cast<std::size_t>(held)) +
                 " of them had started, ended or were held already");
    }
}

// Publishes the pass's usage and, when requeued jobs wait to run again,
// admits those whose new run fits (rerun_admission.h) in the same step under
// the submit path's decision lock: no submission can be approved between the
// snapshot that leaves them out and their admission. An admitted re-run is
// held at once (until the next pass, which holds it as a pending job); the
// others are held in Slurm, after the lock is released (the job write lock
// must never be waited for under it: job_modify takes it the other way round).
void AccountingThread::publish_and_admit_reruns(const Policy& policy, PassResult& result, std::int64_t now,
                                                std::uint64_t copied_from) {
    if (result.reruns.empty()) {
        tracker_.publish(std::move(result.snapshot), result.approvals_seen, now, 60, copied_from);
        return;
    }
    std::vector<RerunVerdict> verdicts;
    {
        std::lock_guard<std::mutex> decide(decide_);
        tracker_.publish(std::move(result.snapshot), result.approvals_seen, now, 60, copied_from);
        // Those job_modify admitted after this pass copied the jobs are held
        // by its own hold until the next pass, which counts them.
        auto& waiting = result.reruns;
        waiting.erase(std::remove_if(waiting.begin(), waiting.end(),
                                     [this](const WaitingRerun& r) { return tracker_.rerun_admitted(r.job_id, r.attempt); }),
                      waiting.end());
        verdicts = admit_reruns(
            policy, std::move(result.reruns),
            [&](const std::string& award, const std::string& user) { return tracker_.view(policy, award, user); },
            local_today(now));
        for (const RerunVerdict& v : verdicts) {
            if (!v.fits) continue;
            const WaitingRerun& r = v.rerun;
            tracker_.hold_until_next_pass(r.award, r.user, r.cost, r.tasks, r.chips * r.tasks, now);
            tracker_.admit_rerun(r.job_id, r.attempt);
            accountant_.admit_rerun(r.job_id, r.attempt);
        }
    }
    std::vector<RerunVerdict> refused;
    for (RerunVerdict& v : verdicts) {
        if (v.fits) {
            log_info("job " + std::to_string(v.rerun.job_id) + " (requeued, restart " +
                     std::to_string(v.rerun.attempt) + "): its new run fits award " + v.rerun.award +
                     " and may start");
        } else {
            refused.push_back(std::move(v));
        }
    }
    if (refused.empty()) return;
    const int held = hold_reruns(refused);
    for (const auto& v : refused) log_info("job " + std::to_string(v.rerun.job_id) + " held: " + v.reason);
    if (held != static_cast<int>(refused.size())) {
        log_info(std::to_string(refused.size() - static_cast<std::size_t>(held)) +
                 " of them had started, ended, were held already or were requeued again");
    }
}

// An award's end moved (valid.until edited): queued jobs' deadlines follow
// it, so that a job neither runs past the new end nor is removed at the old.
void AccountingThread::move_deadlines_to_award_ends(const Policy& policy, const std::vector<JobObservation>& jobs,
                                                    std::int64_t now) {
    const std::vector<DeadlineMove> moves = deadlines_to_move(policy, jobs, local_today(now), local_day_end);
    if (moves.empty()) return;
    const int moved = move_deadlines(moves);
    for (const auto& m : moves) {
        log_info("job " + std::to_string(m.job_id) + ": deadline " +
                 (m.deadline > 0 ? "moved to its award's end, " + std::to_string(m.deadline)
                                 : std::string("removed: its award no longer ends")));
    }
    if (moved != static_cast<int>(moves.size())) {
        log_info(std::to_string(moves.size() - static_cast<std::size_t>(moved)) + " of them had started or ended");
    }
}

// A controller that takes over from another recovers the jobs into a new
// list; the other one charged jobs meanwhile, so the totals are re-read
// (pass_schedule.h, notice_job_list).
void AccountingThread::notice_takeover(std::uintptr_t identity) {
    const JobListChange change = notice_job_list(job_list_identity_, identity);
    if (!change.changed) return;
    job_list_identity_ = identity;
    if (change.taken_over) usage_known_ = false;
    if (!ledger_) return;  // ensure_ledger reads them when it opens
    std::map<std::string, ChargeTotals> totals;
    std::string error;
    if (!ledger_->totals(&totals, &error)) {
        log_error("cannot re-read the totals of " + ledger_path_ + ": " + error);
        ledger_.reset();  // reopen (and re-read) next pass
        return;
    }
    tracker_.set_totals(std::move(totals));
    funding_stale_ = true;
    book_stale_ = true;
    if (change.taken_over) {
        log_info("slurmctld's job list was replaced (this controller took over); ledger totals re-read");
    }
}

// Node features change rarely, but last_node_update moves with every node
// state change: the table is rebuilt (one walk of the nodes under the node
// and partition read locks) only when a policy prices nodes by their
// Features, and at most every kNodeTypesEvery seconds unless the policy changed.
void AccountingThread::refresh_node_types(const std::shared_ptr<const Policy>& policy, std::int64_t now) {
    const bool wanted = std::any_of(policy->partitions.begin(), policy->partitions.end(),
                                    [](const auto& p) { return p.second.types_from_features; });
    if (!wanted) {
        if (std::atomic_load(&node_types_)) std::atomic_store(&node_types_, std::shared_ptr<const NodeTypes>());
        node_types_policy_ = policy;
        return;
    }
    if (policy != node_types_policy_) {
        node_stamp_[0] = node_stamp_[1] = 0;  // types are names of this policy's table
        node_types_policy_ = policy;
    } else if (now >= node_types_at_ && now - node_types_at_ < kNodeTypesEvery) {
        return;
    }
    auto nodes = nodes_if_changed(node_stamp_);
    if (!nodes) return;
    node_types_at_ = now;
    std::atomic_store(&node_types_, std::shared_ptr<const NodeTypes>(
                                        std::make_shared<const NodeTypes>(build_node_types(*policy, *nodes))));
}

// The charge book follows the ledger: the rows other writers appended are
// read alone (update_charge_book decides when that cannot be trusted and a
// whole read is needed), and so are this thread's own charges once many
// wait to be read back (each keeps its key in the book until then).
void AccountingThread::refresh_book() {
    constexpr std::size_t kRecordedUnreadMax = 4096;
    std::string error;
    if (!book_stale_ && (book_behind_ || book_.recorded_unread() >= kRecordedUnreadMax)) {
        switch (update_charge_book(*ledger_, &book_, &error)) {
            case BookUpdate::Updated:
                book_behind_ = false;
                log_info("charge book: the rows appended to " + ledger_path_ + " read (" +
                         std::to_string(book_.charges()) + " charges in memory)");
                break;
            case BookUpdate::Reload:
                log_info("charge book: the ledger " + ledger_path_ + " changed beyond appended rows; reading it whole");
                book_stale_ = true;
                break;
            case BookUpdate::Failed:  // still behind: tried again next pass
                log_error("cannot read the new charges of " + ledger_path_ + " for PIs' reports: " + error);
                return;
        }
    }
    if (!book_stale_) return;
    // Dated as report --by day and the forecast date charges: by local day.
    ChargeBook::Contents contents([](std::int64_t t) { return local_today(static_cast<std::time_t>(t)); });
    if (!load_charge_book(*ledger_, &contents, &error)) {
        log_error("cannot read the charges of " + ledger_path_ + " for PIs' reports: " + error);
        return;
    }
    const std::size_t n = contents.charges();
    book_.replace(std::move(contents));
    book_stale_ = false;
    book_behind_ = false;
    log_info("charge book: " + std::to_string(n) + " charges in memory (about " +
             std::to_string(book_.bytes() / 1024) + " KiB)");
}

// Publishes what each award with tranches or deposits may spend today.
// The ledger is read only when its totals were (deposits, and each such
// award's debits per day) or an award needs it for the first time.
void AccountingThread::refresh_funding(const std::shared_ptr<const Policy>& policy, std::int64_t now) {
    if (!ledger_) return;
    refresh_book();
    std::string error;
    if (funding_stale_) {
        std::vector<Deposit> deposits;
        if (!ledger_->deposits(&deposits, &error)) {
            log_error("cannot read the deposits of " + ledger_path_ + ": " + error);
            return;
        }
        funding_.set_deposits(std::move(deposits));
        funding_.clear_days();
        funding_stale_ = false;
        funding_changed_ = true;
    }
    const std::set<std::string> wanted = funding_.wanted(*policy);
    const auto day_of = [](std::int64_t t) -> std::int64_t { return local_today(static_cast<std::time_t>(t)); };
    for (const std::string& award : wanted) {
        if (funding_.has_days(award)) continue;
        std::map<DayNumber, ChargeTotals> days;
        if (!ledger_->day_totals(award, day_of, &days, &error)) {
            log_error("cannot read the daily debits of award " + award + " from " + ledger_path_ + ": " + error);
            funding_stale_ = true;
            return;
        }
        funding_.set_days(award, std::move(days));
        funding_changed_ = true;
    }
    const DayNumber today = local_today(static_cast<std::time_t>(now));
    if (!funding_changed_ && funding_policy_ == policy && funding_day_ == today) return;
    funding_.keep_only(wanted);
    tracker_.set_funding(funding_.fund_all(*policy, today));
    funding_changed_ = false;
    funding_policy_ = policy;
    funding_day_ = today;
}

// Unenforced partitions over enforced nodes (partition_overlap.h): one error
// line per such partition when a policy is loaded, and when the partitions
// change so that what is found changes (a partition gains or loses enforced
// nodes); not every pass. Comparing the stamp takes the node and partition
// read locks for a moment.
void AccountingThread::tell_partition_overlaps(const std::shared_ptr<const Policy>& policy) {
    if (auto parts = partitions_if_changed(&partition_stamp_)) {
        partitions_.clear();
        for (const auto& [name, list] : *parts) {
            std::string error;
            auto nodes = expand_hostlist(list, &error);
            if (!nodes) {
                log_error("partition " + name + ": " + error + "; its nodes are not checked for enforced ones");
                continue;
            }
            partitions_[name] = std::move(*nodes);
        }
    } else if (policy == overlaps_policy_) {
        return;
    }
    const bool loaded = policy != overlaps_policy_;
    overlaps_policy_ = policy;
    std::vector<PartitionOverlap> found = unenforced_overlaps(partitions_, *policy);
    for (const auto& o : found) {
        if (loaded || std::find(overlaps_told_.begin(), overlaps_told_.end(), o) == overlaps_told_.end()) {
            log_error(overlap_warning(o));
        }
    }
    for (const auto& t : overlaps_told_) {
        const bool still = std::any_of(found.begin(), found.end(),
                                       [&](const PartitionOverlap& o) { return o.partition == t.partition; });
        if (still) continue;
        log_info("partition " + t.partition + " is no longer an unenforced partition on enforced nodes (" +
                 (policy->enforces(t.partition)          ? "it is enforced now"
                  : policy->exempt_partitions.count(t.partition) ? "it is in enforce.exempt now"
                                                                 : "it has none of their nodes now") +
                 ")");
    }
    // Exempt on purpose: said once per load (and when one becomes so), so
    // the log shows it was a decision.
    std::vector<PartitionOverlap> exempt;
    for (auto& o : unenforced_overlaps(partitions_, policy->enforced_partitions, NameSet{})) {
        if (policy->exempt_partitions.count(o.partition)) exempt.push_back(std::move(o));
    }
    for (const auto& o : exempt) {
        if (!loaded && std::find(exempt_told_.begin(), exempt_told_.end(), o) != exempt_told_.end()) continue;
        log_info("partition " + o.partition + " shares " + std::to_string(o.shared_nodes.size()) +
                 " node(s) with enforced partitions and is in enforce.exempt: its jobs run there unbudgeted");
    }
    overlaps_told_ = std::move(found);
    exempt_told_ = std::move(exempt);
}

// Instance time (instance_time.h): every pass, skipped ones too (nodes
// power down with no job changing); slurmctld_internals.c compares one state
// byte per node and copies out only the nodes that changed (every node after
// a start, a policy change or a new node table). The open segments of before a restart come from the
// ledger, so the first observation continues them; until the ledger opens,
// nothing is observed (a transition meanwhile is timed when it opens).
void AccountingThread::observe_instances(const std::shared_ptr<const Policy>& policy) {
    if (!ledger_) return;
    std::string error;
    if (!instances_restored_) {
        std::vector<InstanceSegment> closed, open;
        const std::int64_t now = std::time(nullptr);
        if (!ledger_->instance_segments(cluster_, now, now, &closed, &open, &error)) {
            // Read again next pass (a read waits for no writer in WAL mode).
            if (error != instances_error_) log_error("cannot read the open instance segments of " + ledger_path_ + ": " + error);
            instances_error_ = error;
            return;
        }
        instances_.restore(std::move(open));
        instances_restored_ = true;
        instances_full_ = true;
    }
    if (policy != instances_policy_) {
        instances_full_ = true;  // every node attributed and priced anew under the new policy
        instances_policy_ = policy;
    }
    bool complete = false;
    if (auto nodes = node_power_changes(instances_full_, &complete)) {
        instances_full_ = false;
        const auto types = std::atomic_load(&node_types_);
        InstanceChanges changes =
            instances_.observe(*policy, types.get(), *nodes, std::time(nullptr), complete, &configuring_nodes_);
        for (auto& c : changes.closed) {
            instances_touched_.insert(c.node);
            if (instances_closed_.size() < kMaxWaitingSegments) instances_closed_.push_back(std::move(c));
        }
        for (const auto& o : changes.opened) instances_touched_.insert(o.node);
        for (const auto& e : changes.ended) instances_touched_.insert(e);
    }
    if (instances_touched_.empty()) return;
    // Never while charges wait for the ledger, and at most every
    // kInstanceRetryEvery seconds after a refusal: a ledger locked by another
    // process makes each write wait SQLite's busy timeout, and the pass
    // (holds, charges) must not wait for instance time.
    const std::int64_t now = std::time(nullptr);
    if (ledger_status_.charges_failing() || !ledger_status_.usable() || now < instances_retry_at_) return;
    // What is written is each touched node's segment as it is now, so the
    // order of changes while the ledger refused them does not matter.
    InstanceChanges write;
    write.closed = instances_closed_;
    for (const std::string& node : instances_touched_) {
        auto it = instances_.open().find(node);
        if (it == instances_.open().end()) {
            write.ended.push_back(node);
        } else {
            write.opened.push_back(it->second);
        }
    }
    if (!ledger_->record_instance_changes(cluster_, write, &error)) {
        if (error != instances_error_) {
            log_error("cannot record instance time in " + ledger_path_ + ": " + error + "; " +
                      std::to_string(instances_closed_.size()) + " segment(s) wait in memory and are retried every pass");
        }
        instances_error_ = error;
        instances_retry_at_ = now + kInstanceRetryEvery;
        return;
    }
    if (!instances_error_.empty()) log_info("instance time recorded in " + ledger_path_ + " again");
    instances_error_.clear();
    instances_closed_.clear();
    instances_touched_.clear();
}

void AccountingThread::forget_instances() {
    instances_ = InstanceTracker{};
    instances_restored_ = false;
    instances_full_ = true;
    forget_node_power();
    instances_policy_.reset();
    instances_closed_.clear();
    instances_touched_.clear();
}

void AccountingThread::renew_leases(const std::shared_ptr<const Policy>& policy, std::int64_t now) {
    if (!ledger_ || !ledger_->shared() || !in_control_.load()) return;
    if (!tracker_.leases_enabled()) tracker_.enable_leases();
    const std::map<std::string, Ticks> demands = tracker_.lease_demands(now);
    if (demands.empty() && now - leases_at_ < kLeaseEvery) return;
    const std::map<std::string, ChargeTotals> totals = tracker_.totals();
    std::vector<LeaseNeed> needs;
    std::vector<std::string> awards;
    needs.reserve(policy->awards.size());
    for (const auto& [id, award] : policy->awards) {
        AwardUsageView view = tracker_.view(*policy, id, "");
        LeaseNeed n;
        n.award = id;
        n.unit = award.budget.unit;
        n.held = view.held;
        view.held = 0;
        const BudgetRoom room = budget_room(award, view);
        n.budget = room.budget_ticks;
        n.charged_seen = view.charged;
        if (auto t = totals.find(id); t != totals.end()) n.total_seen = total_in_unit(t->second, award.budget.unit);
        if (auto d = demands.find(id); d != demands.end()) n.demand = d->second;
        awards.push_back(id);
        needs.push_back(std::move(n));
    }
    std::vector<LeaseRow> mine;
    std::map<std::string, Ticks> others_held;
    std::string error;
    const bool ok = ledger_->update_leases(awards, [&](const LeaseSnapshot& snapshot) {
        std::vector<LeaseRow> rows = plan_leases(cluster_, needs, snapshot, now, lease_settings_);
        others_held = other_clusters_held(cluster_, needs, snapshot);
        mine.clear();
        for (const LeaseRow& r : rows) {
            if (r.cluster == cluster_) mine.push_back(r);
            else log_info("lease of award " + r.award + " by cluster " + r.cluster + " reclaimed: silent for over " +
                          std::to_string(lease_settings_.timeout) + " s; it keeps what backs its jobs");
        }
        return rows;
    }, &error);
    if (!ok) {
        // Decisions go on within the leases this cluster has.
        if (error != lease_error_) log_error("cannot renew the leases in " + ledger_path_ + ": " + error +
                                             "; this cluster decides within the leases it has");
        lease_error_ = error;
        return;
    }
    if (!lease_error_.empty()) log_info("leases renewed in " + ledger_path_ + " again");
    lease_error_.clear();
    tracker_.set_leases(mine, others_held);
    leases_at_ = now;
}

void AccountingThread::audit_policy(const std::shared_ptr<const Policy>& policy) {
    if (policy && policy != audited_policy_) {
        audited_policy_ = policy;
        PendingAudit p;
        p.at = std::time(nullptr);
        p.fields = audited_fields(*policy);
        for (const auto& [id, award] : policy->awards) {
            p.files[id] = award.file;
            audit_files_[id] = award.file;
        }
        // Not in control: only the latest matters (the one in control records its own).
        if (!in_control_.load()) pending_audits_.clear();
        // A reload of the same awards (scontrol reconfigure) adds nothing to wait for.
        if (pending_audits_.empty() || pending_audits_.back().fields != p.fields) pending_audits_.push_back(std::move(p));
    }
    if (!in_control_.load() || !ledger_) return;
    while (!pending_audits_.empty()) {
        PendingAudit& p = pending_audits_.front();
        std::map<std::string, std::string> files = audit_files_;
        for (const auto& [id, file] : p.files) files[id] = file;
        std::vector<PolicyChange> recorded;
        std::string error;
        if (!ledger_->record_policy(cluster_, p.fields, files, "", p.at, &recorded, &error)) {
            if (error != audit_error_) {
                log_error("cannot record the policy's changes in " + ledger_path_ + ": " + error +
                          "; kept and retried every pass");
            }
            audit_error_ = error;
            return;
        }
        if (!audit_error_.empty()) log_info("policy changes recorded in " + ledger_path_ + " again");
        audit_error_.clear();
        std::size_t awards = 0;
        for (const auto& c : recorded) awards += c.field == "award" ? 1 : 0;
        if (!recorded.empty()) {
            log_info("recorded " + std::to_string(recorded.size()) + " policy change(s) in the ledger (" +
                     std::to_string(awards) + " award(s) added or removed)");
        }
        pending_audits_.pop_front();
    }
}

// The last snapshot still stands and nothing waits to be charged: only
// what time or other processes change.
void AccountingThread::idle_pass(const std::shared_ptr<const PolicyState>& state, std::int64_t started, bool deferred) {
    ensure_ledger();
    if (!state->policy) return;
    audit_policy(state->policy);
    notice_other_writers();
    observe_instances(state->policy);
    refresh_funding(state->policy, started);
    renew_leases(state->policy, started);
    tracker_.expire_approvals(std::time(nullptr));
    ++idle_passes_;
    if (deferred) ++deferred_passes_;
}

// Who keeps the ledger (pass_schedule.h, follow_control): a backup that
// hands control back keeps its recovered jobs in standby, and the heartbeat
// file tells it (slurmctld_bridge.h, in_control). true: this controller
// keeps the ledger.
bool AccountingThread::follow_control(const JobListStamp& stamp) {
    // The heartbeat file is read only once slurmctld has recovered its jobs.
    const bool named = stamp.recovered && in_control();
    const ControlChange change = grants::follow_control(in_control_.load(), stamp.recovered, named);
    if (change.forget) let_go_of_ledger();
    if (!change.in_control) return false;
    if (change.restore_spool) {
        in_control_ = true;
        log_info("slurmctld has recovered its jobs: this controller keeps the ledger " + ledger_path_);
        restore_spool();
    }
    return true;
}

// Control lost: what was read from the ledger or the spool is the other
// controller's now, and may change before this one is in control again.
void AccountingThread::let_go_of_ledger() {
    in_control_ = false;
    usage_known_ = false;
    ledger_.reset();
    book_.clear();
    ledger_status_.forget();
    spooled_ = ChargeSpool{};
    shrunk_to_restore_.clear();
    caps_to_restore_.clear();
    boots_to_restore_.clear();
    accountant_ = UsageAccountant(cluster_);
    forget_instances();
    log_info("this controller is no longer in control: the ledger " + ledger_path_ + " is left to the one that is");
}

// Each job's award from its AdminComment tag (the whole comment is kept
// only until here), its user's name, and the nodes still booting for a job
// (instance_time.h). Returns the tagged jobs admitted without a budget
// check (on_error=open while the ledger was unusable or usage unknown):
// charged like the others; their charge lines say so.
std::unordered_set<std::uint32_t> AccountingThread::resolve_tags(std::vector<JobObservation>& jobs) {
    configuring_nodes_.clear();
    for (const auto& job : jobs) {
        if (!job.configuring || job.nodes.empty()) continue;
        if (auto names = expand_hostlist(job.nodes)) configuring_nodes_.insert(names->begin(), names->end());
    }
    // Many jobs share a user: one cache lookup (and lock) per user per pass.
    std::unordered_map<std::uint32_t, std::shared_ptr<const UnixIdentity>> users;
    std::unordered_set<std::uint32_t> unchecked;
    for (auto& job : jobs) {
        if (read_tag(job)) unchecked.insert(job.job_id);
        if (!job.award.empty()) {
            auto it = users.find(job.user_id);
            if (it == users.end()) it = users.emplace(job.user_id, identities_.find(job.user_id)).first;
            const auto& who = it->second;
            job.user = who ? who->user : "uid " + std::to_string(job.user_id);
        }
    }
    return unchecked;
}

// Without a policy nothing can be priced; holds stay as last published.
// Runs that ended meanwhile are kept, so that they are charged once a
// policy loads even if Slurm has purged their jobs by then.
void AccountingThread::keep_unpriced(const std::vector<JobObservation>& jobs) {
    for (const auto& job : jobs) {
        if (job.phase == JobObservation::Phase::Finished && job.start_time > 0 && !job.award.empty()) {
            unpriced_.emplace(job.job_id, job);
        }
    }
}

// The runs kept while there was no policy that Slurm no longer lists join
// this pass's jobs.
void AccountingThread::return_unpriced(std::vector<JobObservation>& jobs) {
    if (unpriced_.empty()) return;
    std::unordered_set<std::uint32_t> present;
    for (const auto& job : jobs) present.insert(job.job_id);
    for (auto& [id, job] : unpriced_) {
        if (!present.count(id)) jobs.push_back(std::move(job));
    }
    unpriced_.clear();
}

// What the spool kept of running jobs across a restart (shrunk runs, caps,
// boots), once slurmctld has recovered its jobs.
void AccountingThread::restore_spooled_runs(const JobListStamp& stamp) {
    if (!stamp.recovered) return;
    if (!shrunk_to_restore_.empty()) {
        accountant_.restore_shrunk(shrunk_to_restore_);
        shrunk_to_restore_.clear();
    }
    if (!caps_to_restore_.empty()) {
        accountant_.restore_caps(caps_to_restore_);
        caps_to_restore_.clear();
    }
    if (!boots_to_restore_.empty()) {
        accountant_.restore_boots(boots_to_restore_);
        boots_to_restore_.clear();
    }
}

// The pass's charges into the ledger, then into the tracker, the funding
// and charge books; on failure they stay held and are retried next pass.
void AccountingThread::record_pass_charges(const PassResult& result, const std::unordered_set<std::uint32_t>& unchecked,
                                           bool ledger_usable) {
    if (result.charges.empty()) return;
    if (!ledger_usable) {
        ledger_status_.cannot_record();
        return;
    }
    std::vector<ChargeRecord> inserted;
    std::string error;
    if (ledger_->record_charges(result.charges, &inserted, &error)) {
        tracker_.add_charges(inserted);
        funding_.add_charges(inserted, [](std::int64_t t) { return local_today(static_cast<std::time_t>(t)); });
        book_.add_charges(inserted);
        funding_changed_ = true;
        accountant_.mark_charged(result.charges);
        for (const auto& c : inserted) {
            log_info("charged job " + std::to_string(c.job_id) + " (run started " + std::to_string(c.run_start) +
                     ") to award " + c.award + ": " + std::to_string(c.chips) + " chips x " +
                     std::to_string(c.seconds) + " s" +
                     (unchecked.count(c.job_id) ? " (admitted without a budget check)" : ""));
        }
        if (ledger_status_.charges_recorded()) {
            log_info("ledger " + ledger_path_ + " writable again; pending charges recorded");
        }
        return;
    }
    if (ledger_status_.charges_refused(error)) {
        log_error("cannot record " + std::to_string(result.charges.size()) + " charge(s) in " + ledger_path_ + ": " +
                  error + "; they stay held and are retried every pass; new in-scope jobs follow "
                  "enforce.on_error meanwhile");
    }
    ledger_.reset();  // reopen next time: the file may have been replaced
}

void AccountingThread::pass() {
    auto state = policy_.current();
    if (state->policy) tell_partition_overlaps(state->policy);
    const JobListStamp current = job_list_stamp();
    notice_takeover(current.list);
    const std::int64_t started = std::time(nullptr);
    // The request is taken whatever the pass: a full one is what it asked for.
    const bool requested = full_pass_requested_.exchange(false);
    const PassKind kind =
        decide_pass(last_full_, PassInputs{state.get(), current, started, requested, usage_known_.load()});
    if (kind != PassKind::Full) {
        idle_pass(state, started, kind == PassKind::OnlySubmissions);
        return;
    }
    last_full_ = SettledPass{};
    std::vector<JobObservation>& jobs = observed_;
    JobListStamp stamp;
    // Update holds made before this (under the job write lock of their
    // update) are in the copy below: publishing it ends them.
    const std::uint64_t copied_from = tracker_.next_marker();
    if (!observe_jobs(kApprovalMarker, &jobs, &stamp)) {
        // Holds stay as last published; the next pass tries again.
        log_error("could not copy slurmctld's job list (out of memory); holds stay as last published");
        return;
    }
    ++full_passes_;
    if (!follow_control(stamp)) return;
    const std::int64_t now = std::time(nullptr);
    const std::unordered_set<std::uint32_t> unchecked = resolve_tags(jobs);
    if (!state->policy) {
        ensure_ledger();  // every pass: see below
        keep_unpriced(jobs);
        return;
    }
    return_unpriced(jobs);
    restore_spooled_runs(stamp);
    refresh_node_types(state->policy, now);
    accountant_.set_node_types(std::atomic_load(&node_types_));
    // Re-runs job_modify admitted since the last pass (a release, an earlier
    // begin time) count like those the pass admitted.
    for (const auto& [job, attempt] : tracker_.admitted_reruns()) accountant_.admit_rerun(job, attempt);
    PassResult result = accountant_.pass(state->policy, jobs, now);
    tracker_.forget_reruns([this](std::uint32_t id) { return accountant_.saw(id); });
    hold_jobs_without_award(*state->policy, jobs, now);
    move_deadlines_to_award_ends(*state->policy, jobs, now);
    // What only this pass knows of running jobs (a shrunk run's chips, a
    // lowered run's cap, a job whose nodes boot) is spooled before the ledger
    // is touched: another process holding the ledger makes opening or
    // writing it wait (SQLite's busy timeout), and a crash meanwhile must not
    // lose it.
    if (accountant_.shrunk_runs() != spooled_.shrunk || accountant_.capped_runs() != spooled_.caps ||
        accountant_.booting_jobs() != spooled_.boots) {
        sync_spool();
    }
    // Every pass, so that new in-scope jobs follow enforce.on_error as soon as
    // the ledger becomes unusable, not only once a charge fails.
    const bool ledger_usable = ensure_ledger();
    audit_policy(state->policy);
    notice_other_writers();
    if (ledger_usable) observe_instances(state->policy);
    record_pass_charges(result, unchecked, ledger_usable);
    sync_spool();
    // Before the snapshot that drops the holds of the runs just charged.
    refresh_funding(state->policy, now);
    const bool left_to_charge = !result.charges.empty() || !result.reruns.empty();
    publish_and_admit_reruns(*state->policy, result, now, copied_from);
    renew_leases(state->policy, now);
    if (stamp.recovered && !usage_known_.load()) {
        usage_known_ = true;
        log_info("usage known: holds of " + std::to_string(jobs.size()) + " job(s) read; budgets are checked again");
    }
    last_full_ = after_full_pass(stamp, state, now, left_to_charge);
}

}  // namespace grants::slurmctld
