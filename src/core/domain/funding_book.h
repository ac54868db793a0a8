// What slurmctld's accounting pass keeps in memory to fund() the awards
// that have tranches or deposits (funding.h): the deposits, and per such
// award its debits per local day in both units, read from the ledger once
// and then kept up to date with the charges the pass records. Everything
// else about an award's spending comes from the ledger's totals.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/domain/funding.h"
#include "core/domain/ledger_records.h"
#include "core/policy/policy.h"

namespace grants {

using Fundings = std::unordered_map<std::string, std::shared_ptr<const Funding>>;

class FundingBook {
public:
    // The ledger changed under us (opened, another writer, a takeover):
    // deposits and days are read again.
    void set_deposits(std::vector<Deposit> deposits);
    // The awards of policy that need fund(): tranches, or deposits in their unit.
    std::set<std::string> wanted(const Policy& policy) const;
    bool has_days(const std::string& award) const { return days_.count(award) != 0; }
    void set_days(const std::string& award, std::map<DayNumber, ChargeTotals> days);
    // Drops the days of awards not in keep.
    void keep_only(const std::set<std::string>& keep);
    void clear_days() { days_.clear(); }
    // Charges the pass recorded, by the local day of each run's start.
    void add_charges(const std::vector<ChargeRecord>& inserted, const std::function<DayNumber(std::int64_t)>& day_of);
    // fund() for every award whose days are known.
    Fundings fund_all(const Policy& policy, DayNumber today) const;
    // fund() for one award (grantctl, reading the ledger itself).
    static Funding fund_award(const Award& award, const std::vector<Deposit>& all_deposits,
                              const std::map<DayNumber, ChargeTotals>& days, DayNumber today);

private:
    std::vector<Deposit> deposits_;
    std::map<std::string, std::map<DayNumber, ChargeTotals>> days_;
};

}  // namespace grants
