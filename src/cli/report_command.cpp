// grantctl report: usage from the ledger, for admins and PIs.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>

#include "cli/atomic_file.h"
#include "cli/award_status_json.h"
#include "cli/commands.h"
#include "cli/controller_query.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/local_time.h"
#include "cli/options.h"
#include "cli/row_output.h"
#include "cli/slurm_conf.h"
#include "cli/table.h"
#include "cli/tranche_table.h"
#include "core/base/award_id.h"
#include "core/domain/cost_model.h"
#include "core/domain/forecast.h"
#include "core/domain/funding_book.h"
#include "core/domain/report.h"
#include "core/policy/policy_file.h"
#include "core/render/award_chart.h"
#include "core/render/award_page.h"
#include "core/render/burn_chart.h"
#include "core/storage/ledger_report.h"
#include "core/wire/query.h"
#include "cli/instance_report.h"

namespace grants::cli {

namespace {

const char kReportUsage[] =
    "Usage: grantctl report [--award ID] [--user NAME] [--since WHEN] [--until WHEN]\n"
    "                       [--by user|job|day|month|cluster] [--window DAYS] [--plot FILE.svg]\n"
    "                       [--html FILE.html]\n"
    "                       [--format table|csv|json|FIELDS] [-o FIELDS] [--parsable2]\n"
    "                       [-n|--noheader] [--json] [--ledger FILE] [--policy FILE]\n"
    "       grantctl report --instances [--since WHEN] [--until WHEN] [--format table|csv|json|FIELDS]\n"
    "                       [--parsable2] [-n|--noheader] [--json] [--ledger FILE]\n"
    "\n"
    "Usage charged to awards, from the ledger: per award, grouped by user (default),\n"
    "job or day, with the award's manual adjustments and its total. With no filter\n"
    "the total in the award's unit is exactly what grantctl balance shows as charged.\n"
    "A charge is dated by its run's start in local time (grants.yaml(5), DATING CHARGES).\n"
    "Deposits (grantctl deposit) made in the period follow, and, for awards with\n"
    "tranches or deposits, each tranche as it stands today.\n"
    "Where the ledger can be read (the controller host, as root or SlurmUser, or\n"
    "--ledger) it is read directly. Elsewhere the award's PI and managers get the\n"
    "report of one --award from slurmctld (the same figures, from its memory), with\n"
    "the award's burn rate over --window days and the day its money runs out.\n"
    "\n"
    "Options:\n"
    "  --award ID          only this award\n"
    "  --user NAME         only this user's charges (adjustments are left out)\n"
    "  -S, --since WHEN    from WHEN, in Slurm's time syntax as sacct takes it:\n"
    "                      YYYY-MM-DD[THH:MM[:SS]], MM/DD[/YY], HH:MM, now[-N{minutes,hours,days,weeks}],\n"
    "                      today, midnight, noon...\n"
    "  -E, --until WHEN    to WHEN (exclusive); a bare day (2026-06-30) includes that day\n"
    "  --by GROUP          user, job, day, month or cluster (the cluster that ran\n"
    "                      the job: several clusters sharing the mysql ledger)\n"
    "  --window DAYS       days of the burn rate (default 14; from slurmctld)\n"
    "  --plot FILE.svg     also draw the award's burn-down chart (needs --award)\n"
    "  --html FILE.html    also write the award's page for its PI (needs --award): one\n"
    "                      self-contained HTML file with the chart, the members, the\n"
    "                      forecast, the tranches and the last charges, of the whole\n"
    "                      award whatever the filters\n"
    "  --instances         the enforced partitions' instance time (boot, busy, idle,\n"
    "                      failed launches) per partition and instance type, its price,\n"
    "                      and what the awards were charged, for the AWS bill (ledger only)\n"
    "  --format FORMAT     table (default), csv or json\n"
    "  -o, --format FIELDS the fields to print, comma-separated, any case: kind, award,\n"
    "                      the group (user, job, day, month, cluster), runs, chip_seconds,\n"
    "                      chip_hours, usd, charged, note\n"
    "  --parsable2         fields separated by '|', none after the last (sacct's)\n"
    "  -n, --noheader      no header line\n"
    "                      (--instances: -o takes the CSV's fields: record, partition,\n"
    "                      instance_type, instance_seconds, boot_seconds, busy_seconds,\n"
    "                      idle_seconds, failed_seconds, chip_hours, boot_chip_hours,\n"
    "                      busy_chip_hours, idle_chip_hours, failed_chip_hours, usd, runs)\n"
    "  --json              same as --format json\n"
    "  --ledger FILE       default: <StateSaveLocation>/grants/ledger.db from slurm.conf\n"
    "  --policy FILE       for the awards' units; default: grants.yaml next to slurm.conf\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 refused (e.g. the ledger cannot be read), 2 usage error.\n";

std::string unit_text(const AwardReport& r) { return r.unit ? unit_name(*r.unit) : "unknown"; }

// Adjustments are stored as debits; reports show them as the ledger has them.
std::string adjustment_amount(const Adjustment& a) { return format_decimal(a.amount); }

// The table needs every row's width before its first line: its rows are
// handed over twice, measured, then printed (nothing is kept in between).
class TableSink : public ReportSink {
public:
    TableSink(Table& table, bool print) : table_(table), print_(print), cells_(6) {}
    void begin_award(const AwardReport&) override {}
    void row(const AwardReport& r, const ReportRow& row) override {
        emit(r.award, row.key, std::to_string(row.runs), format_left(Budget::Unit::ChipHours, row.chip_hours),
             format_amount(Budget::Unit::Usd, row.usd), "");
    }
    void end_award(const AwardReport& r) override {
        for (const auto& a : r.adjustments) {
            Ticks t_amount = ticks_of(a.amount);
            bool usd = a.unit == "usd";
            emit(r.award, "adjustment", "", usd ? "" : format_left(Budget::Unit::ChipHours, t_amount),
                 usd ? format_amount(Budget::Unit::Usd, t_amount) : "",
                 local_timestamp(a.at) + " " + a.who + ": " + a.reason);
        }
        const Ticks ch = add_saturating(r.charges.chip_hours, r.adjusted_chip_hours);
        const Ticks usd = add_saturating(r.charges.usd, r.adjusted_usd);
        emit(r.award, "TOTAL", std::to_string(r.charges.runs), format_left(Budget::Unit::ChipHours, ch),
             format_amount(Budget::Unit::Usd, usd),
             "charged " + (r.unit ? format_amount(*r.unit, r.total)
                                  : format_left(Budget::Unit::ChipHours, r.total) + " (unit unknown: not in the policy)"));
    }

private:
    void emit(const std::string& award, const std::string& key, std::string runs, std::string chip_hours,
              std::string usd, std::string note) {
        cells_[0] = award;
        cells_[1] = key;
        cells_[2] = std::move(runs);
        cells_[3] = std::move(chip_hours);
        cells_[4] = std::move(usd);
        cells_[5] = std::move(note);
        if (print_) {
            table_.print_line(std::cout, cells_);
        } else {
            table_.measure(cells_);
        }
    }
    Table& table_;
    bool print_;
    std::vector<std::string> cells_;
};

Table report_table(const std::string& by) {
    std::string head = by == "job" ? "JOB" : by == "day" ? "DAY" : by == "month" ? "MONTH" : by == "cluster" ? "CLUSTER" : "USER";
    return Table({"AWARD", head, "RUNS", "CHIP-HOURS", "USD", "NOTE"}, {false, false, true, true, true, false});
}

class CsvSink : public ReportSink {
public:
    explicit CsvSink(const std::string& by) {
        std::cout << "kind,award," << by << ",runs,chip_seconds,chip_hours,usd,unit,charged,who,at,reason\n";
    }
    void begin_award(const AwardReport& r) override { award_ = csv_field(r.award); }
    void row(const AwardReport&, const ReportRow& row) override {
        std::cout << "charge," << award_ << "," << csv_field(row.key) << "," << row.runs << "," << row.chip_seconds
                  << "," << format_ticks(row.chip_hours) << "," << format_ticks(row.usd) << ",,,,,\n";
    }
    void end_award(const AwardReport& r) override {
        for (const auto& a : r.adjustments) {
            bool usd = a.unit == "usd";
            std::cout << "adjustment," << csv_field(r.award) << ",,,," << (usd ? "0" : adjustment_amount(a)) << ","
                      << (usd ? adjustment_amount(a) : "0") << "," << a.unit << ",," << csv_field(a.who) << ","
                      << local_timestamp(a.at) << "," << csv_field(a.reason) << "\n";
        }
        std::cout << "total," << csv_field(r.award) << ",," << r.charges.runs << "," << r.charges.chip_seconds << ","
                  << format_ticks(add_saturating(r.charges.chip_hours, r.adjusted_chip_hours)) << ","
                  << format_ticks(add_saturating(r.charges.usd, r.adjusted_usd)) << "," << unit_text(r) << ","
                  << format_ticks(r.total) << ",,,\n";
    }

private:
    std::string award_;
};

class JsonSink : public ReportSink {
public:
    JsonSink(const std::string& by, const LedgerFilter& f) : by_(json_string(by)) {
        std::cout << "{\"by\":" << by_ << ",\"filter\":{\"award\":" << (f.award ? json_string(*f.award) : "null")
                  << ",\"user\":" << (f.user ? json_string(*f.user) : "null")
                  << ",\"since\":" << (f.since ? json_string(local_timestamp(*f.since)) : "null")
                  << ",\"until\":" << (f.until ? json_string(local_timestamp(*f.until)) : "null") << "},\"awards\":[";
    }
    void begin_award(const AwardReport& r) override {
        std::cout << (awards_++ ? "," : "") << "{\"award\":" << json_string(r.award) << ",\"unit\":"
                  << (r.unit ? json_string(unit_name(*r.unit)) : "null") << ",\"rows\":[";
        rows_ = 0;
    }
    void row(const AwardReport&, const ReportRow& row) override {
        std::cout << (rows_++ ? "," : "") << "{" << by_ << ":" << json_string(row.key) << ",\"runs\":" << row.runs
                  << ",\"chip_seconds\":" << row.chip_seconds << ",\"chip_hours\":" << format_ticks(row.chip_hours)
                  << ",\"usd\":" << format_ticks(row.usd) << "}";
    }
    void end_award(const AwardReport& r) override {
        std::cout << "],\"adjustments\":[";
        for (std::size_t j = 0; j < r.adjustments.size(); ++j) {
            const auto& a = r.adjustments[j];
            std::cout << (j ? "," : "") << "{\"amount\":" << adjustment_amount(a) << ",\"unit\":" << json_string(a.unit)
                      << ",\"who\":" << json_string(a.who) << ",\"at\":" << json_string(local_timestamp(a.at))
                      << ",\"reason\":" << json_string(a.reason) << "}";
        }
        std::cout << "],\"total\":{\"runs\":" << r.charges.runs << ",\"chip_seconds\":" << r.charges.chip_seconds
                  << ",\"chip_hours\":" << format_ticks(add_saturating(r.charges.chip_hours, r.adjusted_chip_hours))
                  << ",\"usd\":" << format_ticks(add_saturating(r.charges.usd, r.adjusted_usd))
                  << ",\"charged\":" << format_ticks(r.total) << "}}";
    }
    // extra: more members of the top object, each starting with ','.
    void finish(const std::string& extra) { std::cout << "]" << extra << "}\n"; }

private:
    std::string by_;
    std::size_t awards_ = 0, rows_ = 0;
};

// --parsable2, --noheader, -o FIELDS: every row collected, then printed by
// print_rows (cli/row_output.h). Fields: kind, award, the group (user, job,
// day or month), runs, chip_seconds, chip_hours, usd, charged, note.
std::vector<std::string> report_fields(const std::string& by) {
    return {"kind", "award", by, "runs", "chip_seconds", "chip_hours", "usd", "charged", "note"};
}
const std::vector<bool> kReportRight = {false, false, false, true, true, true, true, true, false};
const std::vector<std::size_t> kReportDefault = {1, 2, 3, 5, 6, 8};  // the table's columns

class RowsSink : public ReportSink {
public:
    explicit RowsSink(bool pretty) : pretty_(pretty) {}
    void begin_award(const AwardReport&) override {}
    void row(const AwardReport& r, const ReportRow& row) override {
        rows.push_back({"charge", r.award, row.key, std::to_string(row.runs), std::to_string(row.chip_seconds),
                        hours(row.chip_hours), dollars(row.usd), "", ""});
    }
    void end_award(const AwardReport& r) override {
        for (const auto& a : r.adjustments) {
            const bool usd = a.unit == "usd";
            const Ticks t = ticks_of(a.amount);
            rows.push_back({"adjustment", r.award, "", "", "", usd ? "" : hours(t), usd ? dollars(t) : "", "",
                            local_timestamp(a.at) + " " + a.who + ": " + a.reason});
        }
        rows.push_back({"total", r.award, "TOTAL", std::to_string(r.charges.runs), std::to_string(r.charges.chip_seconds),
                        hours(add_saturating(r.charges.chip_hours, r.adjusted_chip_hours)),
                        dollars(add_saturating(r.charges.usd, r.adjusted_usd)),
                        pretty_ && r.unit ? format_amount(*r.unit, r.total) : format_ticks(r.total),
                        r.unit ? "" : "unit unknown: not in the policy"});
    }
    std::vector<std::vector<std::string>> rows;

private:
    std::string hours(Ticks t) const { return pretty_ ? format_left(Budget::Unit::ChipHours, t) : format_ticks(t); }
    std::string dollars(Ticks t) const { return pretty_ ? format_amount(Budget::Unit::Usd, t) : format_ticks(t); }
    bool pretty_;
};

// Prints the report in format. By user and by day the ledger's sums are
// collected first (one row per group), so a failed read prints nothing; by
// job the rows are printed as they are read (the table reads them twice).
// Deposits in the period and, for the awards that have them (or tranches),
// their tranches as of today: after the charges in each format.
struct Funds {
    std::vector<Deposit> deposits;
    std::vector<AwardStatus> tranches;  // id, unit and tranches only
};

bool read_funds(const Ledger& ledger, const ReportQuery& q, const Policy* policy, Funds* out, std::string* error) {
    if (!ledger.deposits(&out->deposits, error, q.filter)) return false;
    if (!policy || q.filter.user) return true;
    std::vector<Deposit> all;
    if (!ledger.deposits(&all, error)) return false;
    FundingBook book;
    book.set_deposits(all);
    const DayNumber today = local_day_of(static_cast<std::int64_t>(std::time(nullptr)));
    for (const std::string& id : book.wanted(*policy)) {
        if (q.filter.award && *q.filter.award != id) continue;
        const Award& award = *policy->find_award(id);
        std::map<DayNumber, ChargeTotals> days;
        if (!ledger.day_totals(id, local_day_of, &days, error)) return false;
        AwardStatus s;
        s.id = id;
        s.unit = award.budget.unit;
        s.tranches = FundingBook::fund_award(award, all, days, today).tranches;
        out->tranches.push_back(std::move(s));
    }
    return true;
}

std::string deposit_amount(const Deposit& d) {
    return (d.amount < 0 ? "-" : "") + format_decimal(d.amount < 0 ? -d.amount : d.amount);
}

void print_funds_table(const Funds& f) {
    if (!f.deposits.empty()) {
        Table t({"AWARD", "DEPOSIT", "AMOUNT", "UNIT", "FROM", "UNTIL", "MADE", "BY", "REASON"},
                {false, true, true, false, false, false, false, false, false});
        for (const Deposit& d : f.deposits) {
            t.add({d.award, std::to_string(d.id), deposit_amount(d), d.unit, format_date(d.from),
                   d.until ? format_date(*d.until) : "award's end", local_timestamp(d.at), d.who, d.reason});
        }
        std::cout << "\nDeposits:\n";
        t.print(std::cout);
    }
    print_tranches(f.tranches, std::cout);
}

std::string funds_json(const Funds& f) {
    std::string out = ",\"deposits\":[";
    for (std::size_t i = 0; i < f.deposits.size(); ++i) {
        const Deposit& d = f.deposits[i];
        out += std::string(i ? "," : "") + "{\"deposit\":" + std::to_string(d.id) + ",\"award\":" +
               json_string(d.award) + ",\"amount\":" + deposit_amount(d) + ",\"unit\":" + json_string(d.unit) +
               ",\"from\":" + json_string(format_date(d.from)) +
               ",\"until\":" + (d.until ? json_string(format_date(*d.until)) : "null") +
               ",\"who\":" + json_string(d.who) + ",\"at\":" + json_string(local_timestamp(d.at)) +
               ",\"reason\":" + json_string(d.reason) + "}";
    }
    out += "],\"tranches\":{";
    for (std::size_t i = 0; i < f.tranches.size(); ++i) {
        out += std::string(i ? "," : "") + json_string(f.tranches[i].id) + ":" + tranches_json(f.tranches[i].tranches);
    }
    return out + "}";
}

void print_funds_csv(const Funds& f) {
    for (const Deposit& d : f.deposits) {
        const bool usd = d.unit == "usd";
        std::cout << "deposit," << csv_field(d.award) << ",,,," << (usd ? "0" : deposit_amount(d)) << ","
                  << (usd ? deposit_amount(d) : "0") << "," << d.unit << ",," << csv_field(d.who) << ","
                  << local_timestamp(d.at) << "," << csv_field(d.reason) << "\n";
    }
}

// Whether the rows are printed the Slurm way (cli/row_output.h) rather than
// as report's own table or CSV (with deposits and tranches after them).
bool slurm_style(const std::string& format, const RowStyle& style) {
    return format != "json" && (style.kind == RowStyle::Kind::Parsable2 || !style.header || !style.fields.empty());
}

bool print_report(const Ledger& ledger, const ReportQuery& q, const Policy* policy, const std::string& by,
                  const std::string& format, const RowStyle& style, std::string* error) {
    Funds funds;
    if (!read_funds(ledger, q, policy, &funds, error)) return false;
    std::vector<AwardReport> grouped;
    const bool streamed = q.group == ReportGroup::Job;
    if (!streamed && !report_from_ledger(ledger, q, &grouped, error)) return false;
    auto pass = [&](ReportSink& sink) {
        if (streamed) return stream_report(ledger, q, sink, error);
        replay_report(grouped, sink);
        return true;
    };
    if (slurm_style(format, style)) {
        RowsSink sink(style.kind == RowStyle::Kind::Table);
        if (!pass(sink)) return false;
        print_rows(std::cout, report_fields(by), kReportRight, sink.rows, style,
                   style.kind == RowStyle::Kind::Csv ? std::vector<std::size_t>{} : kReportDefault);
    } else if (format == "json") {
        JsonSink sink(by, q.filter);
        if (!pass(sink)) return false;
        sink.finish(funds_json(funds));
    } else if (format == "csv") {
        CsvSink sink(by);
        if (!pass(sink)) return false;
        print_funds_csv(funds);
    } else {
        Table table = report_table(by);
        TableSink measure(table, false);
        if (!pass(measure)) return false;
        if (table.measured() == 0) {
            std::cout << "No charges or adjustments match.\n";
        } else {
            table.print_header(std::cout);
            TableSink print(table, true);
            if (!pass(print)) return false;
        }
        print_funds_table(funds);
    }
    return true;
}

// Writes the chart or the page atomically (a temporary file, then rename).
// what: "chart" or "page", as the refusal names it; shown: as the notice names it.
int write_output(const std::string& what, const std::string& shown, const std::string& award, const std::string& path,
                 const std::string& text) {
    std::string tmp;
    switch (write_atomically(path, text, &tmp)) {
        case AtomicWrite::Ok: break;
        case AtomicWrite::WriteFailed: return refused("cannot write the " + what + " to " + tmp + ".");
        case AtomicWrite::RenameFailed: return refused("cannot rename " + tmp + " to " + path + ".");
    }
    std::cerr << "grantctl: " << shown << " of award " << award << " written to " << path << "\n";
    return kExitOk;
}

// What --plot and --html want of one award: the chart's and the page's figures.
struct AwardOutputs {
    const std::string* plot = nullptr;  // FILE.svg
    const std::string* html = nullptr;  // FILE.html
    bool any() const { return plot || html; }
};

int write_outputs(const AwardOutputs& out, AwardPageInput& page) {
    page.day_of = local_day_of;
    page.time_text = local_timestamp;
    if (out.plot) {
        if (int rc = write_output("chart", "burn-down chart", page.status.id, *out.plot,
                                  burn_chart_svg(chart_input(page.by_day, page.status, page.today, local_day_of)));
            rc != kExitOk)
            return rc;
    }
    if (out.html) {
        page.generated = local_timestamp(static_cast<std::int64_t>(std::time(nullptr)));
        return write_output("page", "page", page.status.id, *out.html, award_page_html(page));
    }
    return kExitOk;
}

// One award's report from slurmctld's memory (its PI, managers, operators).
int report_from_controller(const QueryArgs& args, const std::string& by, const std::string& format,
                           const RowStyle& style, const LedgerFilter& filter, const AwardOutputs& outputs) {
    QueryJob job;
    job.args = encode_query_args(args);
    std::string error;
    auto answer = ask_controller(QueryKind::Report, job, &error);
    if (!answer) return refused(error);
    if (!answer->refused.empty()) return refused(answer->refused);
    const AwardStatus* status = answer->awards.empty() ? nullptr : &answer->awards.front();
    if (slurm_style(format, style)) {
        RowsSink sink(style.kind == RowStyle::Kind::Table);
        replay_report(answer->reports, sink);
        print_rows(std::cout, report_fields(by), kReportRight, sink.rows, style,
                   style.kind == RowStyle::Kind::Csv ? std::vector<std::size_t>{} : kReportDefault);
    } else if (format == "json") {
        JsonSink sink(by, filter);
        replay_report(answer->reports, sink);
        std::string extra = ",\"forecast\":" + forecast_json(status ? status->forecast : std::nullopt);
        extra += ",\"tranches\":{";
        if (status && !status->tranches.empty()) extra += json_string(status->id) + ":" + tranches_json(status->tranches);
        sink.finish(extra + "}");
    } else if (format == "csv") {
        CsvSink sink(by);
        replay_report(answer->reports, sink);
    } else {
        Table table = report_table(by);
        TableSink measure(table, false);
        replay_report(answer->reports, measure);
        if (table.measured() == 0) {
            std::cout << "No charges or adjustments match.\n";
        } else {
            table.print_header(std::cout);
            TableSink print(table, true);
            replay_report(answer->reports, print);
        }
        if (status) {
            if (status->forecast) std::cout << "\n" << status->id << ": " << forecast_sentence(*status->forecast, status->unit) << ".\n";
            print_tranches(answer->awards, std::cout);
        }
    }
    std::cout.flush();
    if (!outputs.any() || !status) return kExitOk;
    // The chart wants the whole award by day, the page by user and by job
    // too: the report is one of them unless it was filtered, else
    // slurmctld is asked again.
    const bool filtered = args.since || args.until || args.user;
    auto whole = [&](ReportGroup group, AwardReport* report, AwardStatus* st) -> int {
        if (!filtered && args.by == group) {
            if (!answer->reports.empty()) *report = answer->reports.front();
            if (st) *st = *status;
            return kExitOk;
        }
        QueryArgs q;
        q.award = args.award;
        q.window = args.window;
        q.by = group;
        job.args = encode_query_args(q);
        auto again = ask_controller(QueryKind::Report, job, &error);
        if (!again) return refused(error);
        if (!again->refused.empty()) return refused(again->refused);
        if (!again->reports.empty()) *report = again->reports.front();
        if (st) *st = again->awards.empty() ? *status : again->awards.front();
        return kExitOk;
    };
    AwardPageInput page;
    page.today = local_day_of(static_cast<std::int64_t>(std::time(nullptr)));
    if (int rc = whole(ReportGroup::Day, &page.by_day, &page.status); rc != kExitOk) return rc;
    if (outputs.html) {
        if (int rc = whole(ReportGroup::User, &page.by_user, nullptr); rc != kExitOk) return rc;
        if (int rc = whole(ReportGroup::Job, &page.by_job, nullptr); rc != kExitOk) return rc;
    }
    return write_outputs(outputs, page);
}

// The chart and the page from the ledger (root on the controller host):
// the award's status comes from slurmctld when it answers (holds, members,
// forecast), else from the policy and the ledger alone (status_from_ledger).
int outputs_from_ledger(const Ledger& ledger, const Policy* policy, const std::string& award_id, int window,
                        const AwardOutputs& outputs) {
    const Award* award = policy ? policy->find_award(award_id) : nullptr;
    if (!award) return refused("cannot draw award " + award_id + ": it is not in the policy (its budget and dates are unknown).");
    std::string error;
    AwardPageInput page;
    page.today = local_day_of(static_cast<std::int64_t>(std::time(nullptr)));
    std::vector<Deposit> deposits;
    std::map<DayNumber, ChargeTotals> days;
    auto read = [&](ReportGroup group, AwardReport* out) {
        ReportQuery q;
        q.filter.award = award_id;
        q.group = group;
        q.unit_of = [unit = award->budget.unit](const std::string&) -> std::optional<Budget::Unit> { return unit; };
        q.day_of = local_day_of;
        std::vector<AwardReport> reports;
        if (!report_from_ledger(ledger, q, &reports, &error)) return false;
        if (!reports.empty()) *out = reports.front();
        return true;
    };
    // One read transaction: every figure of the page from the same ledger.
    if (!ledger.begin_read(&error)) return refused("cannot read the ledger " + ledger.path() + ": " + error + ".");
    bool ok = read(ReportGroup::Day, &page.by_day) &&
              (!outputs.html || (read(ReportGroup::User, &page.by_user) && read(ReportGroup::Job, &page.by_job))) &&
              ledger.deposits(&deposits, &error) && ledger.day_totals(award->id, local_day_of, &days, &error);
    ledger.end_read();
    if (!ok) return refused("cannot read the ledger " + ledger.path() + ": " + error + ".");
    // The award's status alone (an operator's report question), not every
    // award's (metrics).
    QueryJob job;
    QueryArgs args;
    args.window = window;
    args.award = award_id;
    job.args = encode_query_args(args);
    if (auto answer = ask_controller(QueryKind::Report, job, &error); answer && answer->refused.empty() &&
                                                                      !answer->awards.empty()) {
        page.status = answer->awards.front();
    } else {
        std::cerr << "grantctl: slurmctld did not answer ("
                  << (answer ? (answer->refused.empty() ? std::string("no status of the award") : answer->refused) : error)
                  << "); the chart shows no held jobs and a forecast from the ledger alone.\n";
        FundingBook book;
        book.set_deposits(deposits);
        std::optional<Funding> funding;
        if (book.wanted(*policy).count(award->id)) funding = FundingBook::fund_award(*award, deposits, days, page.today);
        page.status = status_from_ledger(*award, page.by_day, funding, page.today, window);
    }
    return write_outputs(outputs, page);
}

// --plot FILE.svg and --html FILE.html: one award's, so --award is needed.
std::optional<int> parse_award_outputs(const ParsedArgs& a, const LedgerFilter& filter, AwardOutputs* out) {
    if (auto v = a.value("plot")) {
        if (v->empty()) return usage_error("report", "--plot needs a file name.");
        if (!filter.award) return usage_error("report", "--plot draws one award: give --award ID.");
    }
    if (auto v = a.value("html")) {
        if (v->empty()) return usage_error("report", "--html needs a file name.");
        if (!filter.award) return usage_error("report", "--html writes the page of one award: give --award ID.");
    }
    out->plot = a.value("plot");
    out->html = a.value("html");
    return std::nullopt;
}

// What grantctl report was asked, its arguments checked.
struct ReportRequest {
    LedgerFilter filter;
    std::string by = "user";
    ReportGroup group = ReportGroup::User;
    QueryArgs query_args;
    AwardOutputs outputs;
    RowOutput output;
};

// Reads and checks report's options into *r; an exit status to stop with.
std::optional<int> parse_report_request(const ParsedArgs& a, ReportRequest* r) {
    LedgerFilter& filter = r->filter;
    if (auto v = a.value("award")) {
        if (!is_valid_award_id(*v)) return usage_error("report", award_id_problem(*v));
        filter.award = *v;
    }
    if (auto v = a.value("user")) {
        if (v->empty()) return usage_error("report", "--user needs a user name.");
        filter.user = *v;
    }
    for (const char* bound : {"since", "until"}) {
        if (auto v = a.value(bound)) {
            std::string why;
            auto t = parse_bound(*v, std::string(bound) == "until", &why);
            if (!t) return usage_error("report", std::string("--") + bound + ": " + why);
            (std::string(bound) == "since" ? filter.since : filter.until) = *t;
        }
    }
    if (filter.since && filter.until && *filter.until <= *filter.since) {
        return usage_error("report", "--until must be later than --since.");
    }
    if (auto v = a.value("by")) r->by = *v;
    auto group = parse_report_group(r->by);
    if (!group) return usage_error("report", "--by wants user, job, day, month or cluster, not '" + r->by + "'.");
    r->group = *group;
    if (auto v = a.value("window")) {
        auto days = parse_window(*v);
        if (!days) return usage_error("report", window_problem(*v));
        r->query_args.window = *days;
    }
    if (auto stop = parse_award_outputs(a, filter, &r->outputs)) return stop;
    if (auto stop = parse_row_output(a, "report", a.has("instances") ? instance_report_fields() : report_fields(r->by),
                                     &r->output)) {
        return stop;
    }
    if (a.has("instances")) {
        for (const char* other : {"award", "user", "by", "window", "plot", "html"}) {
            if (a.has(other) || a.value(other)) {
                return usage_error("report", std::string("--instances reports partitions, not awards: it takes no --") +
                                                 other + ".");
            }
        }
    }
    return std::nullopt;
}

// The report (or --instances) from an open ledger.
int report_from_ledger(const ParsedArgs& a, const ReportRequest& r, Ledger& ledger, const std::string& ledger_path) {
    const std::string& format = r.output.format;
    std::string error;
    if (a.has("instances")) {
        if (!print_instance_report(ledger, r.filter.since, r.filter.until, format,
                                   static_cast<std::int64_t>(std::time(nullptr)), &error,
                                   slurm_style(format, r.output.style) ? &r.output.style : nullptr)) {
            return refused("cannot read the instance time in the ledger " + ledger_path + ": " + error + ".");
        }
        std::cout.flush();
        return kExitOk;
    }
    // Units come from the policy when it can be read; the ledger keeps both amounts.
    const std::string policy_path = a.value("policy") ? *a.value("policy") : default_policy_path();
    PolicyFileLoad load = load_trusted_policy_file(policy_path, trusted_owners(slurm_conf_path()));
    if (!load.policy) {
        std::cerr << "grantctl: cannot use the policy " << policy_path
                  << " for the awards' units; totals are shown in chip-hours and dollars.\n";
    }
    ReportQuery query;
    query.filter = r.filter;
    query.group = r.group;
    query.unit_of = [policy = load.policy](const std::string& id) -> std::optional<Budget::Unit> {
        if (!policy) return std::nullopt;
        const Award* award = policy->find_award(id);
        if (!award) return std::nullopt;
        return award->budget.unit;
    };
    query.day_of = local_day_of;
    // One read transaction: the adjustments and every pass over the charges
    // see the same ledger while the controller goes on charging.
    bool ok = ledger.begin_read(&error);
    if (ok) {
        ok = print_report(ledger, query, load.policy.get(), r.by, format, r.output.style, &error);
        ledger.end_read();
    }
    if (ok && r.outputs.any()) {
        std::cout.flush();
        return outputs_from_ledger(ledger, load.policy.get(), *r.filter.award, r.query_args.window, r.outputs);
    }
    std::cout.flush();
    if (!ok) {
        if (error == "integer overflow") {
            return refused("cannot total the ledger " + ledger_path +
                           ": a sum of its charges overflows 64-bit integers, so it holds amounts no job can be charged.");
        }
        return refused("cannot read the ledger " + ledger_path + ": " + error + ".");
    }
    return kExitOk;
}

}  // namespace

int run_report(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop = parse_command(args,
                                  {{"award", 0, true},
                                   {"user", 0, true},
                                   {"since", 'S', true},
                                   {"until", 'E', true},
                                   {"by", 0, true},
                                   {"window", 0, true},
                                   {"plot", 0, true},
                                   {"html", 0, true},
                                   {"instances", 0, false},
                                   {"format", 'o', true},
                                   {"json", 0, false},
                                   {"parsable2", 0, false},
                                   {"noheader", 'n', false},
                                   {"ledger", 0, true},
                                   {"policy", 0, true}},
                                  kReportUsage, "report", &a))
        return *stop;
    ReportRequest r;
    if (auto stop = parse_report_request(a, &r)) return *stop;
    std::string why;
    std::optional<LedgerConfig> configured;
    if (!a.value("ledger")) configured = read_ledger_config(a.value("policy"), &why);
    const bool shared = configured && configured->backend == LedgerBackend::Mysql;
    const std::string* given = a.value("ledger");
    if (!given && configured && !configured->path.empty()) given = &configured->path;
    auto path = shared ? std::optional<std::string>("") : ledger_path_or_default(given, &why);
    if (!path) return refused(why);
    std::string ledger_path = *path;
    const bool readable = shared ? ledger_readable_here(*configured) : ::access(ledger_path.c_str(), R_OK) == 0;
    const int err = errno;
    // A PI on a login node (without the SQLite file or the shared ledger's
    // credentials): slurmctld answers for one award.
    if (!readable && !a.value("ledger") && r.filter.award && !a.has("instances")) {
        QueryArgs q = r.query_args;
        q.award = r.filter.award;
        q.by = r.group;
        q.since = r.filter.since;
        q.until = r.filter.until;
        q.user = r.filter.user;
        return report_from_controller(q, r.by, r.output.format, r.output.style, r.filter, r.outputs);
    }
    if (!readable && !shared) {
        return refused("cannot read the ledger " + ledger_path + ": " + std::strerror(err) +
                       (a.value("ledger")    ? std::string(".")
                        : a.has("instances") ? std::string(" (report --instances reads the ledger: run it on the "
                                                           "controller host as root or SlurmUser).")
                                             : " (give --award ID to ask slurmctld for one award's report as its PI or "
                                            "manager, or run report on the controller host as root or SlurmUser)."));
    }
    std::string error;
    std::unique_ptr<Ledger> ledger;
    if (shared) {
        if (auto stop = open_shared_ledger(*configured, &ledger_path, &ledger)) return *stop;
    } else {
        ledger = Ledger::open(ledger_path, &error, true);
        if (!ledger) return refused("cannot open the ledger " + ledger_path + ": " + error + ".");
    }
    return report_from_ledger(a, r, *ledger, ledger_path);
}

}  // namespace grants::cli
