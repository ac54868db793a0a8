// A monthly statement of one award (grantctl statement): the balance at the
// start of the month, each charge, adjustment and deposit dated in it
// (charge_date.h: a charge by its run's start, the others when made), and
// the balance at its end, in the award's unit and in exact ticks:
//
//   closing = opening + deposits + transfers - charges - adjustments
//
// where transfers is what came in less what went out (grantctl transfer):
// a transfer's leg is an adjustment of the ledger (ledger.h) listed as a
// line of its own, kind Transfer, and counted in transfers, not adjustments.
//
// where a balance is the award's budget (grants.yaml; with tranches, their
// sum) plus every deposit made before the moment, less every charge and
// adjustment dated before it. Amounts in the award's other unit (an
// adjustment or deposit made in dollars on a chip-hour award) are listed
// but count nothing, as in grantctl report's total and balance. For an award
// with tranches or deposits, each tranche as it stood at the start and at
// the end of the month (funding.h).
//
// Pure: the caller reads the ledger and the policy and passes the month's
// bounds in local time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/domain/funding.h"
#include "core/domain/ledger_records.h"
#include "core/policy/policy.h"

namespace grants {

struct Month {
    int year = 1970;
    unsigned month = 1;
    DayNumber first_day() const;
    DayNumber last_day() const;
    std::string text() const;  // "2026-06"
};
// Exactly YYYY-MM, years 1970-9999.
std::optional<Month> parse_month(std::string_view text);

struct StatementInput {
    const Award* award = nullptr;  // unit, budget, tranches, validity
    Month month;
    std::int64_t start = 0, end = 0;  // local midnights of the month's first day and of the next month's
    // The award's entries, any dates (others are ignored); charges in any order.
    std::vector<ChargeRecord> charges;
    std::vector<Adjustment> adjustments;
    std::vector<Deposit> deposits;
    std::function<DayNumber(std::int64_t)> day_of;  // local day of a time
};

struct StatementLine {
    enum class Kind { Charge, Adjustment, Deposit, Transfer };  // Transfer: index into adjustments
    Kind kind = Kind::Charge;
    std::int64_t at = 0;   // what dates it: a run's start, an adjustment's or deposit's time
    Ticks amount = 0;      // in the award's unit (0 for another unit): a debit for charges and
                           // adjustments, a credit for deposits (negative: the opposite)
    bool counted = true;   // false: in the award's other unit
    Ticks balance = 0;     // after this line
    std::size_t index = 0; // into the input's charges, adjustments or deposits
};

// "charge", "adjustment", "deposit", "transfer": a line's kind as statements print
// it and as it travels from slurmctld (query.h).
const char* statement_kind_name(StatementLine::Kind kind);

struct StatementTranche {
    TrancheState opening, closing;  // at the end of the day before the month, at its last day
};

struct Statement {
    Budget::Unit unit = Budget::Unit::ChipHours;
    Ticks opening = 0, closing = 0;
    Ticks charged = 0, adjusted = 0, deposited = 0;  // in the month, in the unit
    Ticks transferred_in = 0, transferred_out = 0;    // in the month, in the unit, both >= 0 for a
                                                      // transfer's legs (a credit in, a debit out)
    Ticks transferred() const;                         // in - out
    std::int64_t runs = 0;
    Ticks chip_hours = 0, usd = 0;  // the month's charges in both units (report's sums)
    std::vector<StatementLine> lines;  // by date, then charges, adjustments, deposits in their order
    std::vector<StatementTranche> tranches;  // empty: the award has neither tranches nor deposits
};

Statement build_statement(const StatementInput& input);

// A statement as grantctl prints it: the statement and only the entries
// its lines name (its lines index into these vectors). What slurmctld sends
// a PI (query.h), and what grantctl makes of the ledger itself, so that both
// print the same bytes.
struct StatementReport {
    std::string award;
    Month month;
    std::int64_t start = 0, end = 0;  // as in StatementInput
    Statement statement;
    std::vector<ChargeRecord> charges;
    std::vector<Adjustment> adjustments;
    std::vector<Deposit> deposits;
};
// statement built from input, keeping the entries of its lines only.
StatementReport month_report(const StatementInput& input, Statement statement);

// A charge's price per chip-hour in millionths of a dollar (nullopt: no
// rate), from its exact amounts.
std::optional<Micros> rate_of(const ChargeRecord& c);

}  // namespace grants
