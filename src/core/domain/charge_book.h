// What slurmctld keeps of the ledger in memory, so that PIs' questions (a
// balance per member, a report, a forecast) are answered from a login node
// without SQLite or disk I/O in slurmctld's RPC threads (docs/design.md
// "The charge book"): every charge of every award, compactly, and every
// adjustment. The accounting thread loads it whole when it opens the ledger
// or takes over, off the lock, adds each charge it records, and reads only
// the rows other writers append (update_charge_book); readers hold the
// book's own mutex only while they copy or sum one award's entries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/base/date.h"
#include "core/domain/funding.h"
#include "core/domain/job_rows.h"
#include "core/domain/ledger_records.h"
#include "core/policy/policy.h"

namespace grants {


// One charged run: 64 bytes (a ChargeRecord is about 250).
struct BookedCharge {
    std::int64_t run_start = 0, recorded_at = 0, chips = 0, seconds = 0;
    Ticks chip_hours = 0, usd = -1;  // usd -1: the partition had no rate
    std::uint32_t job_id = 0;
    std::uint32_t user = 0;   // index into the award's user names
    std::uint32_t place = 0;  // index into the award's places: partition, account, cluster
};

// Where a charge ran and whom it was billed to, beyond its user: one entry
// per distinct triple of an award (few), shared by its charges.
struct ChargePlace {
    std::string partition, account, cluster;
    bool operator==(const ChargePlace& o) const {
        return partition == o.partition && account == o.account && cluster == o.cluster;
    }
};

// A member's charges to one award, in the award's unit.
struct MemberCharges {
    std::int64_t runs = 0;
    Ticks charged = 0;
};

// The local day of a time (the controller's local day in slurmctld); a
// charge counts on the day of its run's start (charge_date.h), as `report
// --by day` and tranches date charges.
using ChargeDayOf = std::function<DayNumber(std::int64_t)>;
// Days of UTC (the default for a book built without one).
DayNumber utc_day_of(std::int64_t at);

class ChargeBook {
public:
    // Everything the book holds, built off the book's lock by the loader.
    //
    // Besides every entry, each award keeps running sums, brought up to
    // date as each charge is added: per member (runs, chip-hours, dollars)
    // and per day (chip-hours, dollars). A balance's members and a forecast
    // (members(), daily()) then cost O(members) and O(days asked), not
    // O(charges): an award with a million charges answers a metrics or
    // balance question as fast as one with ten. Each sum is made in the
    // order the charges were added, with the same saturating addition a scan
    // of the entries would use, so it equals that scan exactly.
    class Contents {
    public:
        explicit Contents(ChargeDayOf day_of = utc_day_of) : day_of_(std::move(day_of)) {}
        void add(const ChargeRecord& charge);  // award, user, run_start, recorded_at and the amounts are read
        void add(const Adjustment& adjustment);
        void add(const Deposit& deposit);
        std::size_t charges() const { return charges_; }
        const ChargeDayOf& day_of() const { return day_of_; }
        // Gives back what the vectors reserved beyond their size (after a load).
        void shrink();
        // Ends a whole load (storage/book_loader.h): once every charge is
        // added, adds the adjustments and deposits and remembers where the
        // ledger stood (marks: book_rows_after past every row) for the next
        // incremental read.
        void finish_load(const std::vector<Adjustment>& adjustments, const std::vector<Deposit>& deposits,
                         const BookRows& marks);

    private:
        friend class ChargeBook;
        struct MemberSums {
            std::int64_t runs = 0;
            Ticks chip_hours = 0;
            Ticks usd = 0;  // charge_in_unit(Usd, ...): charges without a rate count 0
        };
        struct DaySums {
            DayNumber day = 0;
            Ticks chip_hours = 0;
            Ticks usd = 0;
        };
        struct AwardEntries {
            std::vector<std::string> users;
            std::unordered_map<std::string, std::uint32_t> user_index;
            std::vector<ChargePlace> places;      // few: found by a linear search
            std::vector<MemberSums> member_sums;  // by user index
            std::vector<DaySums> days;            // sorted by day, one entry per day with charges
            std::vector<BookedCharge> charges;
            std::vector<Adjustment> adjustments;
            std::vector<Deposit> deposits;
        };
        std::unordered_map<std::string, AwardEntries> awards_;
        std::size_t charges_ = 0;
        ChargeDayOf day_of_;
        // How far the ledger was read (docs/design.md "The charge book"),
        // known only when load_charge_book filled the contents: the
        // highest id read of each table, the ledger's rows held of each
        // table, and the ledger's rewrites then.
        bool read_ = false;
        BookMarks last_, held_;
        std::int64_t rewrites_ = 0;
        // The charges add_charges added since the ledger was last read,
        // by their key (cluster, job id, run start). The ledger holds each
        // key at most once, so the next read, which returns them among the
        // rows appended, finds them here and does not add them again.
        std::set<std::tuple<std::string, std::uint32_t, std::int64_t>> recorded_;
    };

    // Replaces everything (the ledger was read again); the old contents are
    // freed after the lock is released.
    void replace(Contents contents);
    // Runs the accounting pass recorded.
    void add_charges(const std::vector<ChargeRecord>& inserted);
    // The ids up to which the ledger was read; none when the contents were
    // not loaded from a ledger (or not at all): only a full load will do.
    std::optional<BookMarks> read_marks() const;
    // Adds the rows read after marks (Ledger::book_rows_after), unless they
    // do not follow from what the book holds: the marks moved, a row was
    // deleted or changed, a row appeared below the marks (a MySQL id made
    // visible late), a charge recorded here is missing. false: nothing
    // added, only a full load will do.
    bool append_read(const BookMarks& marks, const BookRows& rows);
    // Charges added by add_charges and not yet read back from the ledger
    // (each keeps its key until then): the accounting thread reads the
    // ledger before they grow many.
    std::size_t recorded_unread() const;
    // Until the first replace, and after clear(), the book knows nothing.
    bool loaded() const;
    void clear();

    // One award's charges as ChargeRecords (award, user, job_id, run_start,
    // chips, seconds, chip_hours, usd, recorded_at) and adjustments that pass
    // filter (its award is ignored), in the ledger's orders: build_report
    // turns them into exactly what grantctl report reads from the ledger.
    void award_entries(const std::string& award, const LedgerFilter& filter, std::vector<ChargeRecord>* charges,
                       std::vector<Adjustment>* adjustments) const;
    // What a monthly statement of an award needs (statement.h), in the
    // ledger's orders: its charges whose run started before until, with
    // every field a statement prints (user, account, partition, cluster,
    // job, run, chips, seconds, amounts), and its adjustments and deposits
    // made before until.
    void statement_entries(const std::string& award, std::int64_t until, std::vector<ChargeRecord>* charges,
                           std::vector<Adjustment>* adjustments, std::vector<Deposit>* deposits) const;
    // Charged runs as grantctl jobs rows (charged, finished), those that
    // job_row_selected(scope, question, now) keeps, in the book's order;
    // unit_of gives an award's unit (chip-hours for one no longer in the
    // policy). Only the wanted awards' and user's charges are looked at.
    std::vector<JobRow> job_rows(const JobsScope& scope, const JobsQuestion& question, std::int64_t now,
                                 const std::function<Budget::Unit(const std::string&)>& unit_of) const;
    // Per member (user name) of an award: runs and charges in unit.
    // O(members), from the running sums.
    std::map<std::string, MemberCharges> members(const std::string& award, Budget::Unit unit) const;
    // An award's charges in unit per day (the contents' day_of of
    // the run's start), for the days from first_day on. O(log days + days
    // returned), from the running sums.
    std::map<DayNumber, Ticks> daily(const std::string& award, Budget::Unit unit, DayNumber first_day) const;

    // What the book holds, and roughly what it costs in bytes (capacity of
    // its vectors, names, hash nodes and running sums), for benchmarks and the log.
    std::size_t charges() const;
    std::size_t bytes() const;

private:
    // Under the book's lock, hands one award's entries to pick, which copies
    // what it wants (false: nothing to give); then, off the lock, turns the
    // charges it picked into ChargeRecords in the ledger's order. Nothing
    // when the book or the award is empty.
    template <class Pick>
    void pick_entries(const std::string& award, std::vector<ChargeRecord>* charges, Pick&& pick) const;

    mutable std::mutex mutex_;
    std::unique_ptr<Contents> contents_;  // null: not loaded
};

}  // namespace grants
