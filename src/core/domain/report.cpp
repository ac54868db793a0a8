#include "core/domain/report.h"

#include <map>
#include <utility>

#include "core/domain/charge_date.h"
#include "core/domain/cost_model.h"

namespace grants {

std::optional<ReportGroup> parse_report_group(const std::string& name) {
    if (name == "user") return ReportGroup::User;
    if (name == "job") return ReportGroup::Job;
    if (name == "day") return ReportGroup::Day;
    if (name == "month") return ReportGroup::Month;
    if (name == "cluster") return ReportGroup::Cluster;
    return std::nullopt;
}

void add_charge(ReportRow& row, const ChargeRecord& c) {
    row.runs += 1;
    const WideInt chip_seconds = static_cast<WideInt>(row.chip_seconds) + static_cast<WideInt>(c.chips) * c.seconds;
    row.chip_seconds = chip_seconds > kSaturatedCount ? kSaturatedCount : static_cast<std::int64_t>(chip_seconds);
    row.chip_hours = add_saturating(row.chip_hours, c.chip_hours);
    if (c.usd > 0) row.usd = add_saturating(row.usd, c.usd);
}

std::vector<AwardReport> build_report(const ReportInput& in) {
    struct Building {
        AwardReport report;
        std::map<std::string, ReportRow> by_key;        // users, days
        std::vector<ReportRow> jobs;                    // job order, as the ledger returns them
        std::map<std::uint32_t, std::size_t> runs_seen;  // job id -> runs so far
    };
    std::map<std::string, Building> awards;
    for (const auto& c : in.charges) {
        Building& b = awards[c.award];
        add_charge(b.report.charges, c);
        switch (in.group) {
            case ReportGroup::User:
                add_charge(b.by_key[c.user], c);
                break;
            case ReportGroup::Day:
                add_charge(b.by_key[format_date(charge_day(c, in.day_of))], c);
                break;
            case ReportGroup::Month:
                add_charge(b.by_key[format_date(charge_day(c, in.day_of)).substr(0, 7)], c);
                break;
            case ReportGroup::Cluster:
                add_charge(b.by_key[c.cluster], c);
                break;
            case ReportGroup::Job: {
                ReportRow row;
                row.key = std::to_string(c.job_id);
                if (b.runs_seen[c.job_id]++ > 0) row.key += "@" + std::to_string(c.run_start);
                add_charge(row, c);
                b.jobs.push_back(std::move(row));
                break;
            }
        }
    }
    for (const auto& a : in.adjustments) {
        Building& b = awards[a.award];
        Ticks t = ticks_of(a.amount);
        if (a.unit == "usd") {
            b.report.adjusted_usd = add_saturating(b.report.adjusted_usd, t);
        } else {
            b.report.adjusted_chip_hours = add_saturating(b.report.adjusted_chip_hours, t);
        }
        b.report.adjustments.push_back(a);
    }
    std::vector<AwardReport> out;
    for (auto& [id, b] : awards) {
        AwardReport r = std::move(b.report);
        r.award = id;
        r.unit = in.unit_of ? in.unit_of(id) : std::nullopt;
        if (in.group == ReportGroup::Job) {
            r.rows = std::move(b.jobs);
        } else {
            for (auto& [key, row] : b.by_key) {
                row.key = key;
                r.rows.push_back(std::move(row));
            }
        }
        r.total = r.unit == Budget::Unit::Usd ? add_saturating(r.charges.usd, r.adjusted_usd)
                                              : add_saturating(r.charges.chip_hours, r.adjusted_chip_hours);
        out.push_back(std::move(r));
    }
    return out;
}

AwardReport without_rows(const AwardReport& r) {
    AwardReport h;
    h.award = r.award;
    h.unit = r.unit;
    h.adjustments = r.adjustments;
    h.charges = r.charges;
    h.adjusted_chip_hours = r.adjusted_chip_hours;
    h.adjusted_usd = r.adjusted_usd;
    h.total = r.total;
    return h;
}

void replay_report(const std::vector<AwardReport>& reports, ReportSink& sink) {
    for (const auto& r : reports) {
        AwardReport header;
        header.award = r.award;
        header.unit = r.unit;
        sink.begin_award(header);
        for (const auto& row : r.rows) sink.row(header, row);
        sink.end_award(without_rows(r));
    }
}

}  // namespace grants
