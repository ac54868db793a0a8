// What the ledger records, as plain values: charges, adjustments, deposits,
// transfers, alerts, instance time and the filters that select them. The
// rules (the charge book, reports, statements, migration checks) work on
// these without the storage behind them (storage/ledger.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/decimal.h"
#include "core/domain/charge_totals.h"
#include "core/domain/funding.h"
#include "core/domain/instance_time.h"
#include "core/domain/lease.h"
#include "core/domain/policy_audit.h"

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
    Adjustment() = default;
    // The six fields of a plain adjustment, in order (brace lists of six stay valid).
    Adjustment(std::string award_id, std::string unit_name, Micros micros, std::string why, std::string by,
               std::int64_t when)
        : award(std::move(award_id)), unit(std::move(unit_name)), amount(micros), reason(std::move(why)),
          who(std::move(by)), at(when) {}

    std::string award;
    std::string unit;  // "chip_hours" or "usd"
    Micros amount = 0; // millionths of the unit; positive debits (uses budget), negative credits
    std::string reason, who;
    std::int64_t at = 0;
    // A leg of a transfer (grantctl transfer): its id (0: a plain
    // adjustment), and the other award of the transfer. A transfer is two
    // adjustments recorded in one transaction, a debit of FROM and a credit of
    // TO, so that everything that counts adjustments counts transfers.
    std::int64_t transfer = 0;
    std::string counterpart;
};

// grantctl transfer: FROM's debit and TO's credit, each an Adjustment in its
// award's unit (from.amount > 0, to.amount < 0); rate_micros: TO units per
// FROM unit in millionths, 0 when both awards have the same unit.
struct Transfer {
    Adjustment from, to;
    Micros rate_micros = 0;
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

// Every row of a ledger, for grantctl ledger migrate.
struct InstanceRow {
    std::string cluster;
    InstanceSegment segment;
    bool open = false;  // instance_open (seconds 0) rather than instance_time
};

// How far the charge book (domain/charge_book.h) has read the three tables it
// holds: per table, an id (the highest read) or a number of rows.
struct BookMarks {
    std::int64_t charges = 0, adjustments = 0, deposits = 0;
};

// What Ledger::book_rows_after reads, all in one read transaction.
struct BookRows {
    // The rows with an id above the marks, in id order, each with its id.
    // Charges have every field; adjustments have their transfer and
    // counterpart, as adjustments() gives them.
    std::vector<std::pair<std::int64_t, ChargeRecord>> charges;
    std::vector<std::pair<std::int64_t, Adjustment>> adjustments;
    std::vector<Deposit> deposits;
    BookMarks rows;  // COUNT(*) of each table
    BookMarks last;  // MAX(id) of each table (0: empty)
    // Rows of the three tables deleted or changed in place since the
    // ledger was created, as far as the backend can tell (SQLite: counted
    // by triggers; MySQL: always 0, see docs/design.md "The charge book").
    std::int64_t rewrites = 0;
};

}  // namespace grants
