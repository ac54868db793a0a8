#include "core/domain/funding_book.h"

#include "core/domain/charge_date.h"
#include "core/domain/cost_model.h"
#include "core/domain/cost_model.h"
#include "core/domain/usage.h"

namespace grants {

void FundingBook::set_deposits(std::vector<Deposit> deposits) { deposits_ = std::move(deposits); }

std::set<std::string> FundingBook::wanted(const Policy& policy) const {
    std::set<std::string> out;
    for (const auto& [id, award] : policy.awards) {
        if (!award.tranches.empty()) out.insert(id);
    }
    for (const Deposit& d : deposits_) {
        const Award* a = policy.find_award(d.award);
        if (a && d.unit == unit_name(a->budget.unit)) out.insert(d.award);
    }
    return out;
}

void FundingBook::set_days(const std::string& award, std::map<DayNumber, ChargeTotals> days) {
    days_[award] = std::move(days);
}

void FundingBook::keep_only(const std::set<std::string>& keep) {
    for (auto it = days_.begin(); it != days_.end();) {
        it = keep.count(it->first) ? std::next(it) : days_.erase(it);
    }
}

void FundingBook::add_charges(const std::vector<ChargeRecord>& inserted,
                              const std::function<DayNumber(std::int64_t)>& day_of) {
    for (const ChargeRecord& c : inserted) {
        auto it = days_.find(c.award);
        if (it == days_.end()) continue;
        ChargeTotals& t = it->second[charge_day(c, day_of)];
        t.chip_hours = add_saturating(t.chip_hours, c.chip_hours);
        if (c.usd > 0) t.usd = add_saturating(t.usd, c.usd);
    }
}

Funding FundingBook::fund_award(const Award& award, const std::vector<Deposit>& all_deposits,
                                const std::map<DayNumber, ChargeTotals>& days, DayNumber today) {
    const std::string unit = unit_name(award.budget.unit);
    std::vector<Deposit> deposits;
    for (const Deposit& d : all_deposits) {
        if (d.award == award.id && d.unit == unit) deposits.push_back(d);
    }
    std::vector<DayDebit> debits;
    debits.reserve(days.size());
    for (const auto& [day, t] : days) debits.push_back(DayDebit{day, total_in_unit(t, award.budget.unit)});
    return fund(award, deposits, debits, today);
}

Fundings FundingBook::fund_all(const Policy& policy, DayNumber today) const {
    Fundings out;
    for (const auto& [id, days] : days_) {
        const Award* a = policy.find_award(id);
        if (!a) continue;
        out.emplace(id, std::make_shared<const Funding>(fund_award(*a, deposits_, days, today)));
    }
    return out;
}

}  // namespace grants
