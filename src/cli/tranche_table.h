// The tranches of awards (funding.h) as a table: balance, quote and report.
#pragma once

#include <ostream>
#include <vector>

#include "cli/table.h"
#include "core/domain/cost_model.h"
#include "core/wire/query.h"

namespace grants::cli {

inline void print_tranches(const std::vector<AwardStatus>& shown, std::ostream& out) {
    Table t({"AWARD", "TRANCHE", "FROM", "UNTIL", "AMOUNT", "ROLLED IN", "SPENT", "LEFT", "STATE"},
            {false, false, false, false, true, true, true, true, false});
    for (const auto& s : shown) {
        for (const TrancheState& tr : s.tranches) {
            std::string state(phase_name(tr.phase));
            if (tr.passed_on != 0) state += ", passed on " + format_amount(s.unit, tr.passed_on);
            if (tr.lapsed > 0) state += ", " + format_amount(s.unit, tr.lapsed) + " lapsed";
            t.add({s.id, tr.source, tr.from ? format_date(*tr.from) : "-", tr.until ? format_date(*tr.until) : "-",
                   format_amount(s.unit, tr.amount), format_amount(s.unit, tr.rolled_in),
                   format_amount(s.unit, tr.spent),
                   tr.phase == TrancheState::Phase::Ended ? "-" : format_amount(s.unit, tr.left()), state});
        }
    }
    if (t.empty()) return;
    out << "\nTranches (budget is what the active ones hold, charged what they spent; a charge draws from the one\n"
           "that ends first):\n";
    t.print(out);
}

}  // namespace grants::cli
