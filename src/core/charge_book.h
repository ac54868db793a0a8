// What slurmctld keeps of the ledger in memory, so that PIs' questions (a
// balance per member, a report, a forecast) are answered from a login node
// without SQLite or disk I/O in slurmctld's RPC threads (docs/design.md
// "The charge book"): every charge of every award, compactly, and every
// adjustment. The accounting thread fills it whenever it reads the ledger's
// totals, off the lock, and adds each charge it records; readers hold the
// book's own mutex only while they copy or sum one award's entries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "date.h"
#include "ledger.h"
#include "policy.h"

namespace grants {

// One charged run: 56 bytes (a ChargeRecord is about 250).
struct BookedCharge {
    std::int64_t run_start = 0, recorded_at = 0, chips = 0, seconds = 0;
    Ticks chip_hours = 0, usd = -1;  // usd -1: the partition had no rate
    std::uint32_t job_id = 0;
    std::uint32_t user = 0;  // index into the award's user names
};

// A member's charges to one award, in the award's unit.
struct MemberCharges {
    std::int64_t runs = 0;
    Ticks charged = 0;
};

class ChargeBook {
public:
    // Everything the book holds, built off the book's lock by the loader.
    class Contents {
    public:
        void add(const ChargeRecord& charge);  // award, user and the amounts are read
        void add(const Adjustment& adjustment);
        std::size_t charges() const { return charges_; }
        // Gives back what the vectors reserved beyond their size (after a load).
        void shrink();

    private:
        friend class ChargeBook;
        struct AwardEntries {
            std::vector<std::string> users;
            std::unordered_map<std::string, std::uint32_t> user_index;
            std::vector<BookedCharge> charges;
            std::vector<Adjustment> adjustments;
        };
        std::unordered_map<std::string, AwardEntries> awards_;
        std::size_t charges_ = 0;
    };

    // Replaces everything (the ledger was read again); the old contents are
    // freed after the lock is released.
    void replace(Contents contents);
    // Runs the accounting pass recorded.
    void add_charges(const std::vector<ChargeRecord>& inserted);
    // Until the first replace, and after clear(), the book knows nothing.
    bool loaded() const;
    void clear();

    // One award's charges as ChargeRecords (award, user, job_id, run_start,
    // chips, seconds, chip_hours, usd, recorded_at) and adjustments that pass
    // filter (its award is ignored), in the ledger's orders: build_report
    // turns them into exactly what grantctl report reads from the ledger.
    void award_entries(const std::string& award, const LedgerFilter& filter, std::vector<ChargeRecord>* charges,
                       std::vector<Adjustment>* adjustments) const;
    // Per member (user name) of an award: runs and charges in unit.
    std::map<std::string, MemberCharges> members(const std::string& award, Budget::Unit unit) const;
    // An award's charges in unit per day_of(recorded_at), for those recorded
    // at or after since (epoch seconds).
    std::map<DayNumber, Ticks> daily(const std::string& award, Budget::Unit unit, std::int64_t since,
                                     const std::function<DayNumber(std::int64_t)>& day_of) const;

    // What the book holds, and roughly what it costs in bytes (capacity of
    // its vectors, names and hash nodes), for benchmarks and the log.
    std::size_t charges() const;
    std::size_t bytes() const;

private:
    mutable std::mutex mutex_;
    std::unique_ptr<Contents> contents_;  // null: not loaded
};

// Reads every charge and adjustment of the ledger into contents (in one read
// transaction). false with *error when the ledger cannot be read.
bool load_charge_book(const Ledger& ledger, ChargeBook::Contents* contents, std::string* error);

}  // namespace grants
