#include "core/domain/funding.h"

#include <algorithm>

#include "core/domain/cost_model.h"

namespace grants {
namespace {

Ticks plus(Ticks a, Ticks b) { return clamp_ticks(static_cast<WideInt>(a) + b); }

bool covers(const TrancheState& t, DayNumber day) {
    return (!t.from || *t.from <= day) && (!t.until || day <= *t.until);
}

// Ends (in drawing order, so that what one passes on can pass on again)
// every tranche whose last day is before day.
void end_before(std::vector<TrancheState>& ts, bool rollover, DayNumber day) {
    for (std::size_t i = 0; i < ts.size(); ++i) {
        TrancheState& t = ts[i];
        if (t.phase == TrancheState::Phase::Ended || !t.until || *t.until >= day) continue;
        t.phase = TrancheState::Phase::Ended;
        const Ticks left = t.left();
        if (left == 0 || (left > 0 && !rollover)) {
            t.lapsed = left;
            continue;
        }
        // The next tranche that is still open and ends later takes it.
        for (std::size_t j = i + 1; j < ts.size(); ++j) {
            TrancheState& next = ts[j];
            if (next.phase == TrancheState::Phase::Ended || (next.until && *next.until <= *t.until)) continue;
            next.rolled_in = plus(next.rolled_in, left);
            t.passed_on = left;
            break;
        }
        if (t.passed_on == 0) t.lapsed = left;
    }
}

}  // namespace

Ticks TrancheState::left() const { return clamp_ticks(static_cast<WideInt>(amount) + rolled_in - spent); }

std::string_view phase_name(TrancheState::Phase phase) {
    switch (phase) {
        case TrancheState::Phase::Future: return "future";
        case TrancheState::Phase::Active: return "active";
        case TrancheState::Phase::Ended: return "ended";
    }
    return "";
}

Funding fund(const Award& award, const std::vector<Deposit>& deposits, const std::vector<DayDebit>& debits,
             DayNumber today) {
    std::vector<TrancheState> ts;
    auto add = [&](std::string source, Micros amount, std::optional<DayNumber> from, std::optional<DayNumber> until) {
        TrancheState t;
        t.source = std::move(source);
        t.amount = ticks_of(amount);
        t.from = from ? from : award.valid.from;
        t.until = until ? until : award.valid.until;
        ts.push_back(std::move(t));
    };
    if (award.tranches.empty()) {
        add("budget", award.budget.amount, std::nullopt, std::nullopt);
    } else {
        for (std::size_t i = 0; i < award.tranches.size(); ++i) {
            const Tranche& t = award.tranches[i];
            add("tranche " + std::to_string(i + 1), t.amount, t.from, t.until);
        }
    }
    for (const Deposit& d : deposits) add("deposit " + std::to_string(d.id), d.amount, d.from, d.until);
    // Drawing order: the first to end first; open-ended last; then the first to start.
    std::stable_sort(ts.begin(), ts.end(), [](const TrancheState& a, const TrancheState& b) {
        if (a.until != b.until) return a.until && (!b.until || *a.until < *b.until);
        return a.from != b.from && (!a.from || (b.from && *a.from < *b.from));
    });

    Funding f;
    for (const DayDebit& debit : debits) {
        end_before(ts, award.rollover, debit.day);
        // Active on that day, in drawing order; none: the first still open.
        std::vector<TrancheState*> open;
        for (TrancheState& t : ts) {
            if (t.phase != TrancheState::Phase::Ended && covers(t, debit.day)) open.push_back(&t);
        }
        if (open.empty()) {
            for (TrancheState& t : ts) {
                if (t.phase != TrancheState::Phase::Ended) {
                    open.push_back(&t);
                    break;
                }
            }
        }
        if (open.empty()) {
            f.unfunded = plus(f.unfunded, debit.amount);
            continue;
        }
        if (debit.amount <= 0) {  // a credit gives back to the first
            open.front()->spent = plus(open.front()->spent, debit.amount);
            continue;
        }
        Ticks need = debit.amount;
        for (TrancheState* t : open) {
            const Ticks take = std::min(need, std::max<Ticks>(t->left(), 0));
            t->spent = plus(t->spent, take);
            need -= take;
            if (need == 0) break;
        }
        if (need > 0) open.front()->spent = plus(open.front()->spent, need);  // overdrawn
    }
    end_before(ts, award.rollover, today);
    for (TrancheState& t : ts) {
        if (t.phase == TrancheState::Phase::Ended) continue;
        if (t.from && *t.from > today) continue;  // Future
        t.phase = TrancheState::Phase::Active;
        f.budget = plus(f.budget, plus(t.amount, t.rolled_in));
        f.charged = plus(f.charged, t.spent);
    }
    f.tranches = std::move(ts);
    return f;
}

DepositWindow deposit_window(const std::string& award_id, const Validity& valid, DayNumber today,
                             std::optional<DayNumber> until) {
    DepositWindow w;
    if (until && *until < today) {
        w.usage_problem = "--until " + format_date(*until) + " is in the past; a deposit runs from today (" +
                          format_date(today) + ").";
        return w;
    }
    if (valid.until && *valid.until < today) {
        w.refusal = "award " + award_id + " ended on " + format_date(*valid.until) +
                    "; extend its valid.until in the policy before adding to it.";
        return w;
    }
    if (until && valid.until && *until > *valid.until) {
        w.refusal = "--until " + format_date(*until) + " is after award " + award_id + "'s end (" +
                    format_date(*valid.until) + "); a deposit cannot outlive its award.";
        return w;
    }
    w.from = valid.from && *valid.from > today ? *valid.from : today;
    if (until && *until < w.from) {
        w.refusal = "--until " + format_date(*until) + " is before award " + award_id + " starts (" +
                    format_date(w.from) + ").";
        return w;
    }
    w.until = until;
    return w;
}

}  // namespace grants
