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
#include "cli/slurm_conf.h"
#include "cli/table.h"
#include "cli/tranche_table.h"
#include "core/award_id.h"
#include "core/burn_chart.h"
#include "core/cost_model.h"
#include "core/forecast.h"
#include "core/funding_book.h"
#include "core/policy_file.h"
#include "core/query.h"
#include "core/report.h"
#include "cli/instance_report.h"

namespace grants::cli {

namespace {

const char kReportUsage[] =
    "Usage: grantctl report [--award ID] [--user NAME] [--since WHEN] [--until WHEN]\n"
    "                       [--by user|job|day|month] [--window DAYS] [--plot FILE.svg]\n"
    "                       [--format table|csv|json] [--json] [--ledger FILE] [--policy FILE]\n"
    "       grantctl report --instances [--since WHEN] [--until WHEN] [--format table|csv|json]\n"
    "                       [--json] [--ledger FILE]\n"
    "\n"
    "Usage charged to awards, from the ledger: per award, grouped by user (default),\n"
    "job or day, with the award's manual adjustments and its total. With no filter\n"
    "the total in the award's unit is exactly what grantctl balance shows as charged.\n"
    "A charge is dated when it was recorded (within seconds of the job's end).\n"
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
    "  --since WHEN        from YYYY-MM-DD (start of day) or YYYY-MM-DDTHH:MM[:SS]\n"
    "  --until WHEN        to YYYY-MM-DD (inclusive) or YYYY-MM-DDTHH:MM[:SS] (exclusive)\n"
    "  --by GROUP          user, job, day or month\n"
    "  --window DAYS       days of the burn rate (default 14; from slurmctld)\n"
    "  --plot FILE.svg     also draw the award's burn-down chart (needs --award)\n"
    "  --instances         the enforced partitions' instance time (boot, busy, idle,\n"
    "                      failed launches) per partition and instance type, its price,\n"
    "                      and what the awards were charged, for the AWS bill (ledger only)\n"
    "  --format FORMAT     table (default), csv or json\n"
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
    std::string head = by == "job" ? "JOB" : by == "day" ? "DAY" : by == "month" ? "MONTH" : "USER";
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

bool print_report(const Ledger& ledger, const ReportQuery& q, const Policy* policy, const std::string& by,
                  const std::string& format, std::string* error) {
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
    if (format == "json") {
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

// What the chart draws of one award: its report by day (charges and
// adjustments in its unit) and its status (budget, tranches, held, forecast).
BurnChartInput chart_input(const AwardReport& by_day, const AwardStatus& status, DayNumber today) {
    BurnChartInput in;
    in.award = status.id;
    in.title = status.title;
    in.unit = status.unit;
    in.today = today;
    in.valid_from = status.valid_from;
    in.valid_until = status.valid_until;
    const bool usd = status.unit == Budget::Unit::Usd;
    for (const ReportRow& row : by_day.rows) {
        if (auto day = parse_date(row.key)) in.spend.emplace_back(*day, charge_in_unit(status.unit, row.chip_hours, row.usd));
    }
    for (const Adjustment& a : by_day.adjustments) {
        if ((a.unit == "usd") == usd) in.spend.emplace_back(local_day_of(a.at), ticks_of(a.amount));
    }
    const DayNumber start = status.valid_from.value_or(in.spend.empty() ? today : std::min_element(in.spend.begin(), in.spend.end())->first);
    if (status.tranches.empty()) {
        in.budget.emplace_back(start, status.budget);
    } else {
        for (const TrancheState& t : status.tranches) in.budget.emplace_back(t.from.value_or(start), t.amount);
    }
    in.held = status.held;
    in.forecast = status.forecast;
    return in;
}

// Writes the chart atomically (a temporary file, then rename).
int write_chart(const std::string& path, const BurnChartInput& in) {
    std::string tmp;
    switch (write_atomically(path, burn_chart_svg(in), &tmp)) {
        case AtomicWrite::Ok: break;
        case AtomicWrite::WriteFailed: return refused("cannot write the chart to " + tmp + ".");
        case AtomicWrite::RenameFailed: return refused("cannot rename " + tmp + " to " + path + ".");
    }
    std::cerr << "grantctl: burn-down chart of award " << in.award << " written to " << path << "\n";
    return kExitOk;
}

// One award's report from slurmctld's memory (its PI, managers, operators).
int report_from_controller(const QueryArgs& args, const std::string& by, const std::string& format,
                           const LedgerFilter& filter, const std::string* plot) {
    QueryJob job;
    job.args = encode_query_args(args);
    std::string error;
    auto answer = ask_controller(QueryKind::Report, job, &error);
    if (!answer) return refused(error);
    if (!answer->refused.empty()) return refused(answer->refused);
    const AwardStatus* status = answer->awards.empty() ? nullptr : &answer->awards.front();
    if (format == "json") {
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
    if (!plot || !status) return kExitOk;
    // The chart wants the whole award by day: the report is that unless it
    // was grouped otherwise or filtered, then slurmctld is asked again.
    std::optional<Answer> days = answer;
    if (args.by != ReportGroup::Day || args.since || args.until || args.user) {
        QueryArgs whole;
        whole.award = args.award;
        whole.window = args.window;
        whole.by = ReportGroup::Day;
        job.args = encode_query_args(whole);
        days = ask_controller(QueryKind::Report, job, &error);
        if (!days) return refused(error);
        if (!days->refused.empty()) return refused(days->refused);
    }
    AwardReport empty;
    const AwardReport& by_day = days->reports.empty() ? empty : days->reports.front();
    return write_chart(*plot, chart_input(by_day, days->awards.empty() ? *status : days->awards.front(),
                                          local_day_of(static_cast<std::int64_t>(std::time(nullptr)))));
}

// The chart from the ledger (root on the controller host): the award's
// status comes from slurmctld when it answers (holds, forecast), else from
// the policy and the ledger alone.
int plot_from_ledger(const Ledger& ledger, const Policy* policy, const std::string& award_id, int window,
                     const std::string& path) {
    const Award* award = policy ? policy->find_award(award_id) : nullptr;
    if (!award) return refused("cannot draw award " + award_id + ": it is not in the policy (its budget and dates are unknown).");
    std::string error;
    ReportQuery q;
    q.filter.award = award_id;
    q.group = ReportGroup::Day;
    q.unit_of = [unit = award->budget.unit](const std::string&) -> std::optional<Budget::Unit> { return unit; };
    q.day_of = local_day_of;
    std::vector<AwardReport> reports;
    if (!ledger.begin_read(&error)) return refused("cannot read the ledger " + ledger.path() + ": " + error + ".");
    const bool ok = report_from_ledger(ledger, q, &reports, &error);
    ledger.end_read();
    if (!ok) return refused("cannot read the ledger " + ledger.path() + ": " + error + ".");
    AwardReport by_day = reports.empty() ? AwardReport{} : reports.front();
    const DayNumber today = local_day_of(static_cast<std::int64_t>(std::time(nullptr)));
    // The award's status alone (an operator's report question), not every
    // award's (metrics).
    QueryJob job;
    QueryArgs args;
    args.window = window;
    args.award = award_id;
    job.args = encode_query_args(args);
    std::optional<AwardStatus> status;
    if (auto answer = ask_controller(QueryKind::Report, job, &error); answer && answer->refused.empty()) {
        if (!answer->awards.empty()) status = answer->awards.front();
    } else {
        std::cerr << "grantctl: slurmctld did not answer ("
                  << (answer ? answer->refused : error)
                  << "); the chart shows no held jobs and a forecast from the ledger alone.\n";
    }
    if (!status) {
        AwardStatus s;
        s.id = award->id;
        s.title = award->title;
        s.unit = award->budget.unit;
        s.budget = ticks_of(award->budget.amount);
        s.valid_from = award->valid.from;
        s.valid_until = award->valid.until;
        s.charged = by_day.total;
        std::vector<Deposit> deposits;
        std::map<DayNumber, ChargeTotals> days;
        if (ledger.deposits(&deposits, &error) && ledger.day_totals(award->id, local_day_of, &days, &error)) {
            FundingBook book;
            book.set_deposits(deposits);
            if (book.wanted(*policy).count(award->id)) {
                s.tranches = FundingBook::fund_award(*award, deposits, days, today).tranches;
            }
        }
        std::map<DayNumber, Ticks> daily;
        for (const ReportRow& row : by_day.rows) {
            if (auto day = parse_date(row.key)) daily[*day] = charge_in_unit(s.unit, row.chip_hours, row.usd);
        }
        s.forecast = forecast(daily, today, window, s.left(), award->valid);
        status = s;
    }
    return write_chart(path, chart_input(by_day, *status, today));
}

}  // namespace

int run_report(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop = parse_command(args,
                                  {{"award", 0, true},
                                   {"user", 0, true},
                                   {"since", 0, true},
                                   {"until", 0, true},
                                   {"by", 0, true},
                                   {"window", 0, true},
                                   {"plot", 0, true},
                                   {"instances", 0, false},
                                   {"format", 0, true},
                                   {"json", 0, false},
                                   {"ledger", 0, true},
                                   {"policy", 0, true}},
                                  kReportUsage, "report", &a))
        return *stop;
    LedgerFilter filter;
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
            auto t = parse_report_time(*v, std::string(bound) == "until");
            if (!t) {
                return usage_error("report", std::string("--") + bound + " wants YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], not '" +
                                                 *v + "'.");
            }
            (std::string(bound) == "since" ? filter.since : filter.until) = *t;
        }
    }
    if (filter.since && filter.until && *filter.until <= *filter.since) {
        return usage_error("report", "--until must be later than --since.");
    }
    std::string by = a.value("by") ? *a.value("by") : "user";
    auto group = parse_report_group(by);
    if (!group) return usage_error("report", "--by wants user, job, day or month, not '" + by + "'.");
    QueryArgs query_args;
    if (auto v = a.value("window")) {
        auto days = parse_window(*v);
        if (!days) return usage_error("report", window_problem(*v));
        query_args.window = *days;
    }
    if (auto v = a.value("plot")) {
        if (v->empty()) return usage_error("report", "--plot needs a file name.");
        if (!filter.award) return usage_error("report", "--plot draws one award: give --award ID.");
    }
    std::string format = a.has("json") ? "json" : a.value("format") ? *a.value("format") : "table";
    if (format != "table" && format != "csv" && format != "json") {
        return usage_error("report", "--format wants table, csv or json, not '" + format + "'.");
    }
    if (a.has("json") && a.value("format") && *a.value("format") != "json") {
        return usage_error("report", "--json and --format " + *a.value("format") + " disagree.");
    }

    if (a.has("instances")) {
        for (const char* other : {"award", "user", "by", "window", "plot"}) {
            if (a.has(other) || a.value(other)) {
                return usage_error("report", std::string("--instances reports partitions, not awards: it takes no --") +
                                                 other + ".");
            }
        }
    }
    std::string why;
    auto path = ledger_path_or_default(a.value("ledger"), &why);
    if (!path) return refused(why);
    const std::string ledger_path = *path;
    if (::access(ledger_path.c_str(), R_OK) != 0) {
        const int err = errno;
        // A PI on a login node: slurmctld answers for one award.
        if (!a.value("ledger") && filter.award && !a.has("instances")) {
            query_args.award = filter.award;
            query_args.by = *group;
            query_args.since = filter.since;
            query_args.until = filter.until;
            query_args.user = filter.user;
            return report_from_controller(query_args, by, format, filter, a.value("plot"));
        }
        return refused("cannot read the ledger " + ledger_path + ": " + std::strerror(err) +
                       (a.value("ledger")    ? std::string(".")
                        : a.has("instances") ? std::string(" (report --instances reads the ledger: run it on the "
                                                           "controller host as root or SlurmUser).")
                                             : " (give --award ID to ask slurmctld for one award's report as its PI or "
                                            "manager, or run report on the controller host as root or SlurmUser)."));
    }
    std::string error;
    auto ledger = Ledger::open(ledger_path, &error, true);
    if (!ledger) return refused("cannot open the ledger " + ledger_path + ": " + error + ".");
    if (a.has("instances")) {
        if (!print_instance_report(*ledger, filter.since, filter.until, format,
                                   static_cast<std::int64_t>(std::time(nullptr)), &error)) {
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
    query.filter = filter;
    query.group = *group;
    query.unit_of = [policy = load.policy](const std::string& id) -> std::optional<Budget::Unit> {
        if (!policy) return std::nullopt;
        const Award* award = policy->find_award(id);
        if (!award) return std::nullopt;
        return award->budget.unit;
    };
    query.day_of = local_day_of;
    // One read transaction: the adjustments and every pass over the charges
    // see the same ledger while the controller goes on charging.
    bool ok = ledger->begin_read(&error);
    if (ok) {
        ok = print_report(*ledger, query, load.policy.get(), by, format, &error);
        ledger->end_read();
    }
    if (ok && a.value("plot")) {
        std::cout.flush();
        return plot_from_ledger(*ledger, load.policy.get(), *filter.award, query_args.window, *a.value("plot"));
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

}  // namespace grants::cli
