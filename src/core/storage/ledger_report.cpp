#include "core/storage/ledger_report.h"

#include <map>
#include <utility>

#include "core/base/decimal.h"
#include "core/domain/charge_date.h"
#include "core/domain/cost_model.h"

namespace grants {

namespace {

// Adds one group's sums to the award's, saturating as add_charge does.
void add_row(ReportRow& total, const ReportRow& row) {
    total.runs += row.runs;
    const WideInt chip_seconds = static_cast<WideInt>(total.chip_seconds) + row.chip_seconds;
    total.chip_seconds = chip_seconds > kSaturatedCount ? kSaturatedCount : static_cast<std::int64_t>(chip_seconds);
    total.chip_hours = add_saturating(total.chip_hours, row.chip_hours);
    total.usd = add_saturating(total.usd, row.usd);
}


// Hands the awards to the sink in award order: the ledger's charges arrive
// sorted by award, and awards that only have adjustments are slotted in
// between, as build_report's map of awards orders them.
class AwardMerger {
public:
    AwardMerger(const ReportQuery& q, std::vector<Adjustment> adjustments, ReportSink& sink) : q_(q), sink_(sink) {
        for (auto& a : adjustments) adjustments_[a.award].push_back(std::move(a));
        next_ = adjustments_.begin();
    }

    // The award of the next row; false if the ledger returned awards out of order.
    bool enter(const std::string& award) {
        if (open_) {
            if (current_.award == award) return true;
            if (award < current_.award) return false;
            finish();
        }
        while (next_ != adjustments_.end() && next_->first < award) {
            start(next_->first);
            finish();
        }
        start(award);
        return true;
    }
    void row(const ReportRow& r) {
        add_row(current_.charges, r);
        sink_.row(current_, r);
    }
    void done() {
        if (open_) finish();
        while (next_ != adjustments_.end()) {
            start(next_->first);
            finish();
        }
    }

private:
    void start(const std::string& award) {
        current_ = AwardReport{};
        current_.award = award;
        current_.unit = q_.unit_of ? q_.unit_of(award) : std::nullopt;
        open_ = true;
        sink_.begin_award(current_);
    }
    void finish() {
        if (next_ != adjustments_.end() && next_->first == current_.award) {
            for (const auto& a : next_->second) {
                Ticks t = ticks_of(a.amount);
                if (a.unit == "usd") {
                    current_.adjusted_usd = add_saturating(current_.adjusted_usd, t);
                } else {
                    current_.adjusted_chip_hours = add_saturating(current_.adjusted_chip_hours, t);
                }
            }
            current_.adjustments = std::move(next_->second);
            ++next_;
        }
        current_.total = current_.unit == Budget::Unit::Usd
                             ? add_saturating(current_.charges.usd, current_.adjusted_usd)
                             : add_saturating(current_.charges.chip_hours, current_.adjusted_chip_hours);
        open_ = false;
        sink_.end_award(current_);
    }

    const ReportQuery& q_;
    ReportSink& sink_;
    std::map<std::string, std::vector<Adjustment>> adjustments_;
    std::map<std::string, std::vector<Adjustment>>::iterator next_;
    AwardReport current_;
    bool open_ = false;
};

class CollectingSink : public ReportSink {
public:
    explicit CollectingSink(std::vector<AwardReport>* out) : out_(out) {}
    void begin_award(const AwardReport& award) override { out_->push_back(award); }
    void row(const AwardReport&, const ReportRow& row) override { out_->back().rows.push_back(row); }
    void end_award(const AwardReport& award) override {
        std::vector<ReportRow> rows = std::move(out_->back().rows);
        out_->back() = award;
        out_->back().rows = std::move(rows);
    }

private:
    std::vector<AwardReport>* out_;
};

const char kOutOfOrder[] = "the ledger returned charges out of award order";

}  // namespace

bool stream_report(const Ledger& ledger, const ReportQuery& q, ReportSink& sink, std::string* error) {
    std::vector<Adjustment> adjustments;
    if (!ledger.adjustments(&adjustments, error, q.filter)) return false;
    AwardMerger merger(q, std::move(adjustments), sink);
    bool in_order = true;
    if (q.group == ReportGroup::Job) {
        // One row per charged run; a job's later runs are "id@run_start".
        ReportRow row;
        std::string award;  // of the previous row
        std::uint32_t job = 0;
        bool first = true;
        if (!ledger.each_charge_by_award(
                charges_superset(q.filter),
                [&](const ChargeRecord& c) {
                    if (!in_order || !charge_in_period(c, q.filter)) return;
                    const bool again = !first && c.award == award && c.job_id == job;
                    if (!merger.enter(c.award)) {
                        in_order = false;
                        return;
                    }
                    first = false;
                    award = c.award;
                    job = c.job_id;
                    row = ReportRow{};
                    row.key = std::to_string(c.job_id);
                    if (again) row.key += "@" + std::to_string(c.run_start);
                    add_charge(row, c);
                    merger.row(row);
                },
                error)) {
            return false;
        }
    } else if (q.group == ReportGroup::User && !q.filter.since && !q.filter.until) {
        // No period: the database sums each user's charges (no dating involved).
        ReportRow row;
        std::string row_award;
        bool have_row = false;
        auto flush = [&] {
            if (!have_row || !in_order) return;
            if (!merger.enter(row_award)) {
                in_order = false;
                return;
            }
            merger.row(row);
            have_row = false;
        };
        if (!ledger.charge_sums(
                ChargeGrouping::User, q.filter, nullptr,
                [&](const ChargeSum& s) {
                    if (!in_order) return;
                    flush();
                    row = ReportRow{};
                    row.runs = s.runs;
                    row.chip_seconds = s.chip_seconds;
                    row.chip_hours = s.chip_hours;
                    row.usd = s.usd;
                    row.key = s.user;
                    row_award = s.award;
                    have_row = true;
                },
                error)) {
            return false;
        }
        flush();
    } else {
        // A period or days: each charge is dated by its run's start
        // (charge_date.h), which the ledger's sums cannot group by; the
        // charges come one at a time in award order and one award's groups
        // are kept (memory for its users or days, not its charges).
        const bool by_day = q.group == ReportGroup::Day || q.group == ReportGroup::Month;
        if (by_day && !q.day_of) {
            if (error) *error = "no day function for a report by day";
            return false;
        }
        std::map<std::string, ReportRow> groups;
        std::string award;
        bool have_award = false;
        auto flush = [&] {
            if (!have_award || !in_order) return;
            if (!merger.enter(award)) {
                in_order = false;
                return;
            }
            for (auto& [key, row] : groups) {
                row.key = key;
                merger.row(row);
            }
            groups.clear();
            have_award = false;
        };
        if (!ledger.each_charge_by_award(
                charges_superset(q.filter),
                [&](const ChargeRecord& c) {
                    if (!in_order || !charge_in_period(c, q.filter)) return;
                    if (have_award && c.award != award) flush();
                    award = c.award;
                    have_award = true;
                    std::string key;
                    if (by_day) {
                        key = format_date(charge_day(c, q.day_of));
                        if (q.group == ReportGroup::Month) key.resize(7);
                    } else if (q.group == ReportGroup::Cluster) {
                        key = c.cluster;
                    } else {
                        key = c.user;
                    }
                    add_charge(groups[key], c);
                },
                error)) {
            return false;
        }
        flush();
    }
    if (!in_order) {
        if (error) *error = kOutOfOrder;
        return false;
    }
    merger.done();
    return true;
}

bool report_from_ledger(const Ledger& ledger, const ReportQuery& query, std::vector<AwardReport>* out,
                        std::string* error) {
    out->clear();
    CollectingSink sink(out);
    return stream_report(ledger, query, sink, error);
}

}  // namespace grants
