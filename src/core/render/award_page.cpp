#include "core/render/award_page.h"

#include <algorithm>
#include <map>

#include "core/base/markup.h"
#include "core/domain/cost_model.h"
#include "core/render/award_chart.h"
#include "core/render/burn_chart.h"

namespace grants {

namespace {

const char kStyle[] =
    "body{font-family:sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .7em;border-bottom:1px solid #e4e4e4}"
    "th{text-align:left;background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".muted{color:#666}.chart svg{max-width:100%;height:auto}dl.facts{display:grid;"
    "grid-template-columns:max-content auto;gap:.2em 1em}dl.facts dt{font-weight:bold}dl.facts dd{margin:0}"
    "@media print{body{margin:0}}";

std::string esc(const std::string& s) { return markup_escape(s); }

std::string cell(const std::string& text) { return "<td>" + esc(text) + "</td>"; }
std::string num_cell(const std::string& cls, const std::string& text) {
    return "<td class=\"num " + cls + "\">" + esc(text) + "</td>";
}

std::string id_cell(const std::string& id, const std::string& text) {
    return "<td class=\"num\" id=\"" + id + "\">" + esc(text) + "</td>";
}

std::string unit_label(Budget::Unit unit) { return unit == Budget::Unit::Usd ? "USD" : "chip-hours"; }

// The chart without its XML declaration: inline SVG in HTML.
std::string inline_chart(const AwardPageInput& in) {
    std::string svg = burn_chart_svg(chart_input(in.by_day, in.status, in.today, in.day_of));
    if (svg.rfind("<?xml", 0) == 0) svg.erase(0, svg.find('\n') + 1);
    return svg;
}

void facts(const AwardPageInput& in, std::string& h) {
    const AwardStatus& s = in.status;
    const std::string u = " " + unit_label(s.unit);
    h += "<dl class=\"facts\">";
    auto fact = [&](const std::string& id, const std::string& name, const std::string& value) {
        h += "<dt>" + esc(name) + "</dt><dd id=\"" + id + "\">" + esc(value) + "</dd>";
    };
    if (!s.pi.empty()) fact("pi", "PI", s.pi);
    fact("state", "State", s.state.empty() ? "unknown" : s.state);
    fact("valid", "Valid", (s.valid_from ? format_date(*s.valid_from) : std::string("always")) + " to " +
                               (s.valid_until ? format_date(*s.valid_until) : std::string("no end")));
    fact("unit", "Unit", unit_name(s.unit));
    h += "<dt>Budget</dt><dd><span id=\"budget\">" + format_ticks(s.budget) + "</span>" + esc(u) + "</dd>";
    h += "<dt>Charged</dt><dd><span id=\"charged\">" + format_ticks(s.charged) + "</span>" + esc(u) + "</dd>";
    h += "<dt>Held</dt><dd><span id=\"held\">" + format_ticks(s.held) + "</span>" + esc(u) +
         " <span class=\"muted\">(jobs pending or running)</span></dd>";
    h += "<dt>Left</dt><dd><span id=\"left\">" + format_ticks(s.left()) + "</span>" + esc(u) + "</dd>";
    h += "</dl>\n";
}

void members(const AwardPageInput& in, std::string& h) {
    const AwardReport& r = in.by_user;
    std::map<std::string, const MemberStatus*> live;
    for (const MemberStatus& m : in.status.members) live[m.user] = &m;
    const bool with_live = !in.status.members.empty();
    h += "<h2>Members</h2>\n<table id=\"members\"><thead><tr><th>User</th><th>Runs</th><th>Chip-seconds</th>"
         "<th>Chip-hours</th><th>USD</th>";
    if (with_live) h += "<th>Held (" + esc(unit_label(in.status.unit)) + ")</th><th>Live jobs</th>";
    h += "</tr></thead><tbody>\n";
    std::map<std::string, bool> shown;
    for (const ReportRow& row : r.rows) {
        shown[row.key] = true;
        h += "<tr data-user=\"" + esc(row.key) + "\">" + cell(row.key) + num_cell("runs", std::to_string(row.runs)) +
             num_cell("chip_seconds", std::to_string(row.chip_seconds)) +
             num_cell("chip_hours", format_ticks(row.chip_hours)) + num_cell("usd", format_ticks(row.usd));
        if (with_live) {
            auto m = live.find(row.key);
            h += num_cell("held", format_ticks(m == live.end() ? 0 : m->second->held)) +
                 num_cell("jobs", std::to_string(m == live.end() ? 0 : m->second->live_jobs));
        }
        h += "</tr>\n";
    }
    // Members with live jobs and no charge yet.
    for (const MemberStatus& m : in.status.members) {
        if (shown.count(m.user)) continue;
        h += "<tr data-user=\"" + esc(m.user) + "\">" + cell(m.user) + num_cell("runs", "0") +
             num_cell("chip_seconds", "0") + num_cell("chip_hours", "0") + num_cell("usd", "0") +
             num_cell("held", format_ticks(m.held)) + num_cell("jobs", std::to_string(m.live_jobs)) + "</tr>\n";
    }
    h += "</tbody><tfoot><tr id=\"total\"><th>Total charges</th>" + num_cell("runs", std::to_string(r.charges.runs)) +
         num_cell("chip_seconds", std::to_string(r.charges.chip_seconds)) +
         num_cell("chip_hours", format_ticks(add_saturating(r.charges.chip_hours, r.adjusted_chip_hours))) +
         num_cell("usd", format_ticks(add_saturating(r.charges.usd, r.adjusted_usd)));
    if (with_live) h += "<td></td><td></td>";
    h += "</tr></tfoot></table>\n<p class=\"muted\">Totals include the adjustments below; charged in the award's unit: "
         "<span id=\"report-charged\">" + format_ticks(r.total) + "</span> " + esc(unit_label(in.status.unit)) +
         ".</p>\n";
}

void forecast_part(const AwardPageInput& in, std::string& h) {
    h += "<h2>Forecast</h2>\n";
    const auto& f = in.status.forecast;
    if (!f) {
        h += "<p id=\"forecast\">No forecast: no charges are known yet.</p>\n";
        return;
    }
    h += "<p id=\"forecast\">" + esc(forecast_sentence(*f, in.status.unit)) + ".</p>\n";
    h += "<table id=\"forecast-figures\"><tbody><tr><th>Window (days)</th>" +
         id_cell("window_days", std::to_string(f->window)) + "</tr><tr><th>Days with a rate</th>" +
         id_cell("days", std::to_string(f->days)) + "</tr><tr><th>Burned in the window</th>" +
         id_cell("burned", format_ticks(f->burned)) + "</tr><tr><th>Per day</th>" +
         id_cell("per_day", format_ticks(f->per_day)) + "</tr><tr><th>Runs out</th>" +
         id_cell("runs_out", f->runs_out ? format_date(*f->runs_out) : "never at this rate") + "</tr></tbody></table>\n";
}

void tranches(const AwardPageInput& in, std::string& h) {
    if (in.status.tranches.empty()) return;
    h += "<h2>Tranches</h2>\n<table id=\"tranches\"><thead><tr><th>Tranche</th><th>From</th><th>Until</th>"
         "<th>Amount</th><th>Rolled in</th><th>Spent</th><th>Left</th><th>State</th></tr></thead><tbody>\n";
    for (const TrancheState& t : in.status.tranches) {
        h += "<tr data-source=\"" + esc(t.source) + "\">" + cell(t.source) +
             cell(t.from ? format_date(*t.from) : "-") + cell(t.until ? format_date(*t.until) : "-") +
             num_cell("amount", format_ticks(t.amount)) + num_cell("rolled_in", format_ticks(t.rolled_in)) +
             num_cell("spent", format_ticks(t.spent)) +
             num_cell("left", format_ticks(t.phase == TrancheState::Phase::Ended ? 0 : t.left())) +
             cell(std::string(phase_name(t.phase))) + "</tr>\n";
    }
    h += "</tbody></table>\n";
}

void last_charges(const AwardPageInput& in, std::string& h) {
    const auto& rows = in.by_job.rows;
    h += "<h2>Last charges</h2>\n";
    if (rows.empty()) {
        h += "<p>No job has been charged yet.</p>\n";
    } else {
        h += "<table id=\"last-charges\"><thead><tr><th>Job</th><th>Runs</th><th>Chip-hours</th><th>USD</th></tr>"
             "</thead><tbody>\n";
        const std::size_t n = std::min(rows.size(), kPageLastCharges);
        for (std::size_t i = 0; i < n; ++i) {
            const ReportRow& row = rows[rows.size() - 1 - i];  // newest first
            h += "<tr data-job=\"" + esc(row.key) + "\">" + cell(row.key) + num_cell("runs", std::to_string(row.runs)) +
                 num_cell("chip_hours", format_ticks(row.chip_hours)) + num_cell("usd", format_ticks(row.usd)) +
                 "</tr>\n";
        }
        h += "</tbody></table>\n";
        if (rows.size() > n) {
            h += "<p class=\"muted\">The last " + std::to_string(n) + " of " + std::to_string(rows.size()) +
                 " jobs; grantctl report --by job lists them all.</p>\n";
        }
    }
    const auto& adj = in.by_user.adjustments;
    if (adj.empty()) return;
    h += "<h2>Adjustments</h2>\n<table id=\"adjustments\"><thead><tr><th>When</th><th>Who</th><th>Amount</th>"
         "<th>Unit</th><th>Reason</th></tr></thead><tbody>\n";
    for (const Adjustment& a : adj) {
        h += "<tr>" + cell(in.time_text ? in.time_text(a.at) : std::to_string(a.at)) + cell(a.who) +
             num_cell("amount", format_decimal(a.amount)) + cell(a.unit) + "<td class=\"reason\">" + esc(a.reason) +
             "</td></tr>\n";
    }
    h += "</tbody></table>\n";
}

}  // namespace

std::string award_page_html(const AwardPageInput& in) {
    const AwardStatus& s = in.status;
    const std::string name = "Award " + s.id + (s.title.empty() ? "" : " \u2014 " + s.title);
    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"slurm-grants grantctl report --html\">\n<title>" +
         esc(name) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
    h += "<h1>Award <span id=\"award\">" + esc(s.id) + "</span></h1>\n";
    if (!s.title.empty()) h += "<p id=\"title\">" + esc(s.title) + "</p>\n";
    h += "<p class=\"muted\">As of <span id=\"generated\">" + esc(in.generated) + "</span> (" +
         esc(format_date(in.today)) + "); amounts in " + esc(unit_label(s.unit)) + " unless a column says otherwise.</p>\n";
    facts(in, h);
    h += "<h2>Burn-down</h2>\n<div class=\"chart\" id=\"chart\">\n" + inline_chart(in) + "</div>\n";
    members(in, h);
    forecast_part(in, h);
    tranches(in, h);
    last_charges(in, h);
    h += "<p class=\"muted\">Made by grantctl report --html from the grants ledger. This page is a snapshot: "
         "run the command again for today's figures.</p>\n</body>\n</html>\n";
    return h;
}

}  // namespace grants
