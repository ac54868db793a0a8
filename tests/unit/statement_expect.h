// Shared by the statement tests: "these two statements are the same", field
// by field (the ledger's and slurmctld's, before and after the wire).
#pragma once

#include <cstddef>

#include "cmocka.h"
#include "core/domain/statement.h"

namespace statement_expect {

inline void same_tranche(const grants::TrancheState& a, const grants::TrancheState& b) {
    assert_string_equal(a.source.c_str(), b.source.c_str());
    assert_int_equal(static_cast<int>(a.phase), static_cast<int>(b.phase));
    assert_true(a.from == b.from);
    assert_true(a.until == b.until);
    assert_int_equal(a.amount, b.amount);
    assert_int_equal(a.rolled_in, b.rolled_in);
    assert_int_equal(a.spent, b.spent);
    assert_int_equal(a.passed_on, b.passed_on);
    assert_int_equal(a.lapsed, b.lapsed);
}

inline void same_charge(const grants::ChargeRecord& a, const grants::ChargeRecord& b) {
    assert_string_equal(a.cluster.c_str(), b.cluster.c_str());
    assert_int_equal(a.job_id, b.job_id);
    assert_int_equal(a.run_start, b.run_start);
    assert_string_equal(a.award.c_str(), b.award.c_str());
    assert_string_equal(a.user.c_str(), b.user.c_str());
    assert_string_equal(a.account.c_str(), b.account.c_str());
    assert_string_equal(a.partition.c_str(), b.partition.c_str());
    assert_int_equal(a.chips, b.chips);
    assert_int_equal(a.seconds, b.seconds);
    assert_int_equal(a.chip_hours, b.chip_hours);
    assert_int_equal(a.usd, b.usd);
    assert_int_equal(a.recorded_at, b.recorded_at);
}

inline void same_adjustment(const grants::Adjustment& a, const grants::Adjustment& b) {
    assert_string_equal(a.award.c_str(), b.award.c_str());
    assert_string_equal(a.unit.c_str(), b.unit.c_str());
    assert_int_equal(a.amount, b.amount);
    assert_string_equal(a.reason.c_str(), b.reason.c_str());
    assert_string_equal(a.who.c_str(), b.who.c_str());
    assert_int_equal(a.at, b.at);
    assert_int_equal(a.transfer, b.transfer);
    assert_string_equal(a.counterpart.c_str(), b.counterpart.c_str());
}

inline void same_deposit(const grants::Deposit& a, const grants::Deposit& b) {
    assert_int_equal(a.id, b.id);
    assert_string_equal(a.award.c_str(), b.award.c_str());
    assert_string_equal(a.unit.c_str(), b.unit.c_str());
    assert_int_equal(a.amount, b.amount);
    assert_int_equal(a.from, b.from);
    assert_true(a.until == b.until);
    assert_string_equal(a.reason.c_str(), b.reason.c_str());
    assert_string_equal(a.who.c_str(), b.who.c_str());
    assert_int_equal(a.at, b.at);
}

inline void same_report(const grants::StatementReport& a, const grants::StatementReport& b) {
    assert_string_equal(a.award.c_str(), b.award.c_str());
    assert_string_equal(a.month.text().c_str(), b.month.text().c_str());
    assert_int_equal(a.start, b.start);
    assert_int_equal(a.end, b.end);
    const grants::Statement& s = a.statement;
    const grants::Statement& t = b.statement;
    assert_int_equal(static_cast<int>(s.unit), static_cast<int>(t.unit));
    assert_int_equal(s.opening, t.opening);
    assert_int_equal(s.closing, t.closing);
    assert_int_equal(s.charged, t.charged);
    assert_int_equal(s.adjusted, t.adjusted);
    assert_int_equal(s.deposited, t.deposited);
    assert_int_equal(s.transferred_in, t.transferred_in);
    assert_int_equal(s.transferred_out, t.transferred_out);
    assert_int_equal(s.runs, t.runs);
    assert_int_equal(s.chip_hours, t.chip_hours);
    assert_int_equal(s.usd, t.usd);
    assert_int_equal(s.lines.size(), t.lines.size());
    for (std::size_t i = 0; i < s.lines.size(); ++i) {
        const grants::StatementLine& x = s.lines[i];
        const grants::StatementLine& y = t.lines[i];
        assert_int_equal(static_cast<int>(x.kind), static_cast<int>(y.kind));
        assert_int_equal(x.at, y.at);
        assert_int_equal(x.amount, y.amount);
        assert_int_equal(x.counted, y.counted);
        assert_int_equal(x.balance, y.balance);
        switch (x.kind) {
            case grants::StatementLine::Kind::Charge: same_charge(a.charges.at(x.index), b.charges.at(y.index)); break;
            case grants::StatementLine::Kind::Deposit: same_deposit(a.deposits.at(x.index), b.deposits.at(y.index)); break;
            default: same_adjustment(a.adjustments.at(x.index), b.adjustments.at(y.index)); break;
        }
    }
    assert_int_equal(a.charges.size(), b.charges.size());
    assert_int_equal(a.adjustments.size(), b.adjustments.size());
    assert_int_equal(a.deposits.size(), b.deposits.size());
    assert_int_equal(s.tranches.size(), t.tranches.size());
    for (std::size_t i = 0; i < s.tranches.size(); ++i) {
        same_tranche(s.tranches[i].opening, t.tranches[i].opening);
        same_tranche(s.tranches[i].closing, t.tranches[i].closing);
    }
}

}  // namespace statement_expect
