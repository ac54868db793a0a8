#include "core/domain/statement.h"

#include <algorithm>
#include <functional>
#include <map>

#include "core/domain/charge_date.h"
#include "core/domain/cost_model.h"
#include "core/domain/cost_model.h"
#include "core/domain/funding_book.h"
#include "core/domain/usage.h"

namespace grants {

namespace {

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in(int year, unsigned month) {
    static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

Ticks sub_saturating(Ticks a, Ticks b) { return clamp_ticks(static_cast<WideInt>(a) - b); }

Ticks in_unit(const Adjustment& a, Budget::Unit unit, bool* counted) {
    *counted = a.unit == unit_name(unit);
    return *counted ? ticks_of(a.amount) : 0;
}

Ticks in_unit(const Deposit& d, Budget::Unit unit, bool* counted) {
    *counted = d.unit == unit_name(unit);
    return *counted ? ticks_of(d.amount) : 0;
}

}  // namespace

DayNumber Month::first_day() const { return day_number(year, month, 1); }
DayNumber Month::last_day() const { return day_number(year, month, days_in(year, month)); }

std::string Month::text() const { return format_date(first_day()).substr(0, 7); }

std::optional<Month> parse_month(std::string_view text) {
    if (text.size() != 7 || text[4] != '-') return std::nullopt;
    auto day = parse_date(std::string(text) + "-01");
    if (!day) return std::nullopt;
    Month m;
    m.year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    m.month = static_cast<unsigned>((text[5] - '0') * 10 + (text[6] - '0'));
    return m;
}

std::optional<Micros> rate_of(const ChargeRecord& c) {
    if (c.usd < 0 || c.chip_hours <= 0) return std::nullopt;
    const WideInt micros = (static_cast<WideInt>(c.usd) * kMicrosPerUnit * 2 + c.chip_hours) / (2 * c.chip_hours);
    return static_cast<Micros>(micros);
}

const char* statement_kind_name(StatementLine::Kind k) {
    switch (k) {
        case StatementLine::Kind::Charge: return "charge";
        case StatementLine::Kind::Adjustment: return "adjustment";
        case StatementLine::Kind::Deposit: return "deposit";
        case StatementLine::Kind::Transfer: return "transfer";
    }
    return "";
}

Ticks Statement::transferred() const { return sub_saturating(transferred_in, transferred_out); }

Statement build_statement(const StatementInput& in) {
    Statement s;
    const Award& award = *in.award;
    s.unit = award.budget.unit;
    Ticks before = ticks_of(award.budget.amount);
    // Tranches: the debits per day and the deposits made by each bound.
    std::map<DayNumber, ChargeTotals> days_before, days_through;
    std::vector<Deposit> deposits_before, deposits_through;
    auto add_day = [](std::map<DayNumber, ChargeTotals>& days, DayNumber day, Ticks ch, Ticks usd) {
        ChargeTotals& t = days[day];
        t.chip_hours = add_saturating(t.chip_hours, ch);
        t.usd = add_saturating(t.usd, usd);
    };
    for (std::size_t i = 0; i < in.charges.size(); ++i) {
        const ChargeRecord& c = in.charges[i];
        if (c.award != award.id) continue;
        const std::int64_t at = charge_moment(c);
        if (at >= in.end) continue;
        const Ticks amount = charge_in_unit(s.unit, c.chip_hours, c.usd);
        const Ticks usd = c.usd > 0 ? c.usd : 0;
        add_day(days_through, in.day_of(at), c.chip_hours, usd);
        if (at < in.start) {
            add_day(days_before, in.day_of(at), c.chip_hours, usd);
            before = sub_saturating(before, amount);
            continue;
        }
        s.runs += 1;
        s.chip_hours = add_saturating(s.chip_hours, c.chip_hours);
        s.usd = add_saturating(s.usd, usd);
        s.charged = add_saturating(s.charged, amount);
        s.lines.push_back(StatementLine{StatementLine::Kind::Charge, at, amount, true, 0, i});
    }
    for (std::size_t i = 0; i < in.adjustments.size(); ++i) {
        const Adjustment& a = in.adjustments[i];
        if (a.award != award.id || a.at >= in.end) continue;
        bool counted = false;
        const Ticks amount = in_unit(a, s.unit, &counted);
        const bool usd = a.unit == "usd";
        add_day(days_through, in.day_of(a.at), usd ? 0 : ticks_of(a.amount), usd ? ticks_of(a.amount) : 0);
        if (a.at < in.start) {
            add_day(days_before, in.day_of(a.at), usd ? 0 : ticks_of(a.amount), usd ? ticks_of(a.amount) : 0);
            before = sub_saturating(before, amount);
            continue;
        }
        if (a.transfer != 0) {
            // A leg's amount is a debit like an adjustment's: > 0 out, < 0 in.
            Ticks& side = amount < 0 ? s.transferred_in : s.transferred_out;
            side = add_saturating(side, amount < 0 ? -amount : amount);
            s.lines.push_back(StatementLine{StatementLine::Kind::Transfer, a.at, amount, counted, 0, i});
            continue;
        }
        s.adjusted = add_saturating(s.adjusted, amount);
        s.lines.push_back(StatementLine{StatementLine::Kind::Adjustment, a.at, amount, counted, 0, i});
    }
    for (std::size_t i = 0; i < in.deposits.size(); ++i) {
        const Deposit& d = in.deposits[i];
        if (d.award != award.id || d.at >= in.end) continue;
        bool counted = false;
        const Ticks amount = in_unit(d, s.unit, &counted);
        deposits_through.push_back(d);
        if (d.at < in.start) {
            deposits_before.push_back(d);
            before = add_saturating(before, amount);
            continue;
        }
        s.deposited = add_saturating(s.deposited, amount);
        s.lines.push_back(StatementLine{StatementLine::Kind::Deposit, d.at, amount, counted, 0, i});
    }
    std::stable_sort(s.lines.begin(), s.lines.end(), [](const StatementLine& x, const StatementLine& y) {
        return x.at != y.at ? x.at < y.at : static_cast<int>(x.kind) < static_cast<int>(y.kind);
    });
    s.opening = before;
    Ticks running = before;
    for (StatementLine& l : s.lines) {
        running = l.kind == StatementLine::Kind::Deposit ? add_saturating(running, l.amount)
                                                         : sub_saturating(running, l.amount);
        l.balance = running;
    }
    s.closing = running;
    if (has_funding_rules(award, !deposits_through.empty())) {
        Funding open = FundingBook::fund_award(award, deposits_before, days_before, in.month.first_day() - 1);
        Funding close = FundingBook::fund_award(award, deposits_through, days_through, in.month.last_day());
        for (std::size_t i = 0; i < close.tranches.size(); ++i) {
            StatementTranche t;
            t.closing = close.tranches[i];
            // Deposits of the month have no opening state: a future tranche of their amount.
            if (i < open.tranches.size() && open.tranches[i].source == t.closing.source) {
                t.opening = open.tranches[i];
            } else {
                t.opening = t.closing;
                t.opening.rolled_in = t.opening.spent = t.opening.passed_on = t.opening.lapsed = 0;
                t.opening.phase = TrancheState::Phase::Future;
            }
            s.tranches.push_back(t);
        }
    }
    return s;
}

StatementReport month_report(const StatementInput& in, Statement s) {
    StatementReport r;
    r.award = in.award ? in.award->id : std::string();
    r.month = in.month;
    r.start = in.start;
    r.end = in.end;
    for (StatementLine& l : s.lines) {
        switch (l.kind) {
            case StatementLine::Kind::Charge:
                r.charges.push_back(in.charges[l.index]);
                l.index = r.charges.size() - 1;
                break;
            case StatementLine::Kind::Adjustment:
            case StatementLine::Kind::Transfer:
                r.adjustments.push_back(in.adjustments[l.index]);
                l.index = r.adjustments.size() - 1;
                break;
            case StatementLine::Kind::Deposit:
                r.deposits.push_back(in.deposits[l.index]);
                l.index = r.deposits.size() - 1;
                break;
        }
    }
    r.statement = std::move(s);
    return r;
}

}  // namespace grants
