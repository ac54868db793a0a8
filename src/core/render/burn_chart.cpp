#include "core/render/burn_chart.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/base/markup.h"
#include "core/domain/cost_model.h"

namespace grants {

namespace {

constexpr double kWidth = 960, kHeight = 540;
constexpr double kLeft = 90, kRight = 30, kTop = 72, kBottom = 70;

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

double units(Ticks t) { return static_cast<double>(t) / static_cast<double>(ticks_of(kMicrosPerUnit)); }

// A round step for about n ticks between min and max: 1, 2 or 5 x 10^k.
double nice_step(double span, int n) {
    if (span <= 0) return 1;
    double raw = span / n, p = 1;
    while (p * 10 <= raw) p *= 10;
    while (p > raw) p /= 10;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        if (p * m >= raw) return p * m;
    }
    return p * 10;
}

}  // namespace

namespace {

// Where things go: the days and values shown, and the plot's scale.
struct Frame {
    std::map<DayNumber, WideInt> spent_by_day, budget_by_day;  // cumulated by day
    WideInt spent_total = 0, budget_total = 0;
    DayNumber first = 0, last = 0;
    double top_value = 0;
    double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;

    double x(double day) const { return kLeft + (day - first) / static_cast<double>(last - first) * plot_w; }
    double y(double v) const { return kTop + plot_h - v / top_value * plot_h; }
    // The day after d, but not past the chart's last day.
    DayNumber after(DayNumber d) const { return d + 1 > last ? last : d + 1; }
};

Frame frame_of(const BurnChartInput& in) {
    Frame f;
    for (const auto& [day, t] : in.spend) f.spent_by_day[day] += t;
    for (const auto& [day, t] : in.budget) f.budget_by_day[day] += t;
    for (const auto& [day, t] : f.spent_by_day) f.spent_total += t;
    for (const auto& [day, t] : f.budget_by_day) f.budget_total += t;

    // The days shown: from the award's start (or its first figure) to its
    // end, the run-out day or today, whichever is last.
    f.first = in.valid_from.value_or(in.today);
    if (!f.spent_by_day.empty()) f.first = std::min(f.first, f.spent_by_day.begin()->first);
    if (!f.budget_by_day.empty()) f.first = std::min(f.first, f.budget_by_day.begin()->first);
    f.last = std::max(in.today, in.valid_until.value_or(in.today));
    if (in.forecast && in.forecast->runs_out) f.last = std::max(f.last, *in.forecast->runs_out);
    if (!in.valid_until && !(in.forecast && in.forecast->runs_out)) f.last = std::max(f.last, in.today + 30);
    if (f.last <= f.first) f.last = f.first + 1;
    // A forecast decades away would squash the chart: cut it at 10 years past the end.
    const DayNumber cap = std::max(in.today, in.valid_until.value_or(in.today)) + 3653;
    f.last = std::min(f.last, cap);

    f.top_value = std::max({units(clamp_ticks(f.budget_total)), units(clamp_ticks(f.spent_total + in.held)), 1e-6}) * 1.08;
    return f;
}

// The title and the lines of text above the plot.
std::string heading_svg(const BurnChartInput& in, const Frame& f) {
    std::string s;
    s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
         "\" viewBox=\"0 0 " + num(kWidth) + " " + num(kHeight) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    s += "<title>" + markup_escape("Award " + in.award + (in.title.empty() ? "" : ": " + in.title)) + "</title>\n";
    s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
    s += "<text x=\"" + num(kLeft) + "\" y=\"28\" font-size=\"18\" font-weight=\"bold\">" +
         markup_escape("Award " + in.award + (in.title.empty() ? "" : " \u2014 " + in.title)) + "</text>\n";
    s += "<text x=\"" + num(kLeft) + "\" y=\"44\" fill=\"#555\">" +
         markup_escape("as of " + format_date(in.today) + ": spent " + format_amount(in.unit, clamp_ticks(f.spent_total)) +
                       " of " + format_amount(in.unit, clamp_ticks(f.budget_total)) + ", held " +
                       format_amount(in.unit, in.held, true)) +
         "</text>\n";
    if (in.forecast) {
        s += "<text x=\"" + num(kLeft) + "\" y=\"58\" fill=\"#c0392b\">" +
             markup_escape(forecast_sentence(*in.forecast, in.unit)) + "</text>\n";
    }
    return s;
}

// Date ticks: about 8, on month starts when the span allows (dstep 0).
std::vector<DayNumber> date_ticks(const Frame& f, DayNumber* dstep) {
    const DayNumber span = f.last - f.first;
    *dstep = span > 240 ? 0 : std::max<DayNumber>(1, static_cast<DayNumber>(nice_step(span, 8)));
    std::vector<DayNumber> ticks;
    if (*dstep != 0) {
        for (DayNumber d = f.first; d <= f.last; d += *dstep) ticks.push_back(d);
        return ticks;
    }
    const std::string text = format_date(f.first);  // YYYY-MM-DD
    const int y0 = std::stoi(text.substr(0, 4));
    const unsigned m0 = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
    // Labels "YYYY-MM" are about 50 px wide: at most a dozen fit.
    const int months = static_cast<int>(span / 30) + 2;
    const int every = std::max(1, (months + 11) / 12);
    for (int k = 0; k <= months; k += every) {
        int yy = y0 + static_cast<int>((m0 - 1 + static_cast<unsigned>(k)) / 12);
        unsigned mm = (m0 - 1 + static_cast<unsigned>(k)) % 12 + 1;
        DayNumber d = day_number(yy, mm, 1);
        if (d >= f.first && d <= f.last) ticks.push_back(d);
    }
    return ticks;
}

// Grid and axes.
std::string axes_svg(const BurnChartInput& in, const Frame& f) {
    const double ystep = nice_step(f.top_value, 6);
    std::string s = "<g id=\"axes\" stroke=\"#ccc\" fill=\"#444\">\n";
    for (double v = 0; v <= f.top_value + 1e-9; v += ystep) {
        s += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + f.plot_w) + "\" y1=\"" + num(f.y(v)) + "\" y2=\"" +
             num(f.y(v)) + "\"/>";
        s += "<text stroke=\"none\" x=\"" + num(kLeft - 8) + "\" y=\"" + num(f.y(v) + 4) + "\" text-anchor=\"end\">" +
             markup_escape(format_left(in.unit, static_cast<Ticks>(v * static_cast<double>(ticks_of(kMicrosPerUnit))))) +
             "</text>\n";
    }
    DayNumber dstep = 0;
    for (DayNumber d : date_ticks(f, &dstep)) {
        s += "<line x1=\"" + num(f.x(d)) + "\" x2=\"" + num(f.x(d)) + "\" y1=\"" + num(kTop) + "\" y2=\"" +
             num(kTop + f.plot_h) + "\"/>";
        s += "<text stroke=\"none\" x=\"" + num(f.x(d)) + "\" y=\"" + num(kTop + f.plot_h + 18) +
             "\" text-anchor=\"middle\">" + (dstep == 0 ? format_date(d).substr(0, 7) : format_date(d)) + "</text>\n";
    }
    s += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft) + "\" y1=\"" + num(kTop) + "\" y2=\"" +
         num(kTop + f.plot_h) + "\" stroke=\"#444\"/>";
    s += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + f.plot_w) + "\" y1=\"" + num(kTop + f.plot_h) +
         "\" y2=\"" + num(kTop + f.plot_h) + "\" stroke=\"#444\"/>\n";
    s += "<text stroke=\"none\" transform=\"translate(18 " + num(kTop + f.plot_h / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + (in.unit == Budget::Unit::Usd ? "USD" : "chip-hours") + "</text>\n";
    s += "</g>\n";
    return s;
}

// The budget: a step up on each day money is released.
std::string budget_svg(const Frame& f) {
    std::string d;
    WideInt sum = 0;
    bool started = false;
    for (const auto& [day, t] : f.budget_by_day) {
        const double yx = f.x(std::max(day, f.first));
        if (!started) {
            d += "M" + num(yx) + " " + num(f.y(0));
            started = true;
        } else {
            d += " H" + num(yx);
        }
        sum += t;
        d += " V" + num(f.y(units(clamp_ticks(sum))));
    }
    if (started) d += " H" + num(f.x(f.last));
    return "<path id=\"budget\" data-total=\"" + format_ticks(clamp_ticks(f.budget_total)) + "\" d=\"" + d +
           "\" fill=\"none\" stroke=\"#2c7a2c\" stroke-width=\"2\"/>\n";
}

// Cumulative spend (a point at the end of each day with debits), then what
// live jobs hold on top of today's spend.
std::string spend_svg(const BurnChartInput& in, const Frame& f) {
    std::string points = num(f.x(f.first)) + "," + num(f.y(0));
    WideInt sum = 0;
    for (const auto& [day, t] : f.spent_by_day) {
        points += " " + num(f.x(day)) + "," + num(f.y(units(clamp_ticks(sum))));
        sum += t;
        points += " " + num(f.x(f.after(day))) + "," + num(f.y(units(clamp_ticks(sum))));
    }
    const double spent_y = f.y(units(clamp_ticks(f.spent_total)));
    points += " " + num(f.x(f.after(in.today))) + "," + num(spent_y);
    std::string s = "<polyline id=\"spent\" data-total=\"" + format_ticks(clamp_ticks(f.spent_total)) +
                    "\" points=\"" + points + "\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2.5\"/>\n";
    if (in.held > 0) {
        const double held_top = f.y(units(clamp_ticks(f.spent_total + in.held)));
        const double hx = f.x(f.after(in.today));
        s += "<rect id=\"held\" data-total=\"" + format_ticks(in.held) + "\" x=\"" + num(hx - 6) + "\" y=\"" +
             num(held_top) + "\" width=\"12\" height=\"" + num(std::max(0.5, spent_y - held_top)) +
             "\" fill=\"#f0a030\" fill-opacity=\"0.8\"/>\n";
    }
    return s;
}

// The forecast: from today's spend and holds at the burn rate, to the run-out day.
std::string forecast_svg(const BurnChartInput& in, const Frame& f) {
    if (!(in.forecast && in.forecast->runs_out && in.forecast->per_day > 0)) return "";
    const double held_top = f.y(units(clamp_ticks(f.spent_total + in.held)));
    const DayNumber end = std::min(*in.forecast->runs_out, f.last);
    // Spend and holds grow at the rate until what is left is gone.
    const double start_v = units(clamp_ticks(f.spent_total + in.held));
    const double end_v = start_v + std::min(units(in.forecast->per_day) * static_cast<double>(end - in.today),
                                            units(std::max<Ticks>(in.forecast->left, 0)));
    const double ey = f.y(std::min(end_v, f.top_value));
    std::string s = "<line id=\"forecast\" x1=\"" + num(f.x(f.after(in.today))) + "\" y1=\"" + num(held_top) +
                    "\" x2=\"" + num(f.x(end)) + "\" y2=\"" + num(ey) +
                    "\" stroke=\"#c0392b\" stroke-width=\"2\" stroke-dasharray=\"8 5\"/>\n";
    const bool right_half = f.x(end) > kLeft + f.plot_w / 2;
    s += "<text x=\"" + num(f.x(end) + (right_half ? -6 : 6)) + "\" y=\"" + num(ey + 18) + "\" text-anchor=\"" +
         (right_half ? "end" : "start") + "\" fill=\"#c0392b\">" +
         markup_escape("runs out " + format_date(*in.forecast->runs_out)) + "</text>\n";
    return s;
}

// Today and the award's end.
std::string markers_svg(const BurnChartInput& in, const Frame& f) {
    std::string s = "<line id=\"today\" x1=\"" + num(f.x(in.today)) + "\" x2=\"" + num(f.x(in.today)) + "\" y1=\"" +
                    num(kTop) + "\" y2=\"" + num(kTop + f.plot_h) + "\" stroke=\"#888\" stroke-dasharray=\"2 3\"/>\n";
    if (in.valid_until && *in.valid_until <= f.last) {
        const double ex = f.x(f.after(*in.valid_until));
        s += "<line id=\"award-end\" x1=\"" + num(ex) + "\" x2=\"" + num(ex) + "\" y1=\"" + num(kTop) + "\" y2=\"" +
             num(kTop + f.plot_h) + "\" stroke=\"#000\" stroke-width=\"1.5\"/>\n";
        s += "<text x=\"" + num(ex - 4) + "\" y=\"" + num(kTop + 30) + "\" text-anchor=\"end\">" +
             markup_escape("award ends " + format_date(*in.valid_until)) + "</text>\n";
    }
    return s;
}

std::string legend_svg() {
    const double ly = kHeight - 22;
    struct Item {
        const char* color;
        const char* dash;
        const char* label;
    };
    const Item items[] = {{"#2c7a2c", "", "budget (steps: tranches, deposits)"},
                          {"#1f5fbf", "", "spent (cumulative)"},
                          {"#f0a030", "", "held by live jobs"},
                          {"#c0392b", "8 5", "forecast at the burn rate"}};
    std::string s;
    double lx = kLeft;
    for (const Item& it : items) {
        s += "<line x1=\"" + num(lx) + "\" x2=\"" + num(lx + 24) + "\" y1=\"" + num(ly) + "\" y2=\"" + num(ly) +
             "\" stroke=\"" + it.color + "\" stroke-width=\"3\"" +
             (*it.dash ? std::string(" stroke-dasharray=\"") + it.dash + "\"" : std::string()) + "/>";
        s += "<text x=\"" + num(lx + 30) + "\" y=\"" + num(ly + 4) + "\">" + it.label + "</text>\n";
        lx += 40 + 7.0 * static_cast<double>(std::string(it.label).size());
    }
    return s;
}

}  // namespace

std::string burn_chart_svg(const BurnChartInput& in) {
    const Frame f = frame_of(in);
    return heading_svg(in, f) + axes_svg(in, f) + budget_svg(f) + spend_svg(in, f) + forecast_svg(in, f) +
           markers_svg(in, f) + legend_svg() + "</svg>\n";
}

}  // namespace grants
