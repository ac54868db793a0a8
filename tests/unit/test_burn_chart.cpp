// The burn-down chart (burn_chart.h): its totals are the inputs' exact sums,
// its parts are there when they should be, and text is escaped.
#include <string>

#include "cmocka.h"
#include "core/domain/cost_model.h"
#include "core/render/burn_chart.h"

using grants::BurnChartInput;
using grants::day_number;
using grants::Ticks;

namespace {

Ticks chip_h(std::int64_t n) { return grants::ticks_of(n * 1'000'000); }

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

BurnChartInput two_tranches() {
    BurnChartInput in;
    in.award = "BOT-1";
    in.title = "Models & <data>";
    in.today = day_number(2027, 3, 14);
    in.valid_from = day_number(2027, 1, 1);
    in.valid_until = day_number(2027, 12, 31);
    in.budget = {{day_number(2027, 1, 1), chip_h(100)}, {day_number(2027, 7, 1), chip_h(50)}};
    in.spend = {{day_number(2027, 3, 1), chip_h(10)}, {day_number(2027, 1, 5), chip_h(4)},
                {day_number(2027, 3, 1), grants::ticks_of(500'000)}, {day_number(2027, 2, 2), -chip_h(1)}};
    in.held = chip_h(3);
    grants::Forecast f;
    f.per_day = chip_h(2);
    f.days = 14;
    f.left = chip_h(83);
    f.runs_out = in.today + 41;
    f.award_end = in.valid_until;
    in.forecast = f;
    return in;
}

void test_totals_and_parts(void**) {
    const std::string svg = grants::burn_chart_svg(two_tranches());
    assert_int_equal(svg.rfind("<?xml", 0), 0);
    assert_true(svg.find("</svg>") != std::string::npos);
    // 10 + 4 + 0.5 - 1 (a credit) and 100 + 50, exactly.
    assert_true(svg.find("id=\"spent\" data-total=\"13.5\"") != std::string::npos);
    assert_true(svg.find("id=\"budget\" data-total=\"150\"") != std::string::npos);
    assert_true(svg.find("id=\"held\" data-total=\"3\"") != std::string::npos);
    assert_int_equal(count(svg, "id=\"forecast\""), 1);
    assert_int_equal(count(svg, "stroke-dasharray=\"8 5\""), 2);  // the line and its legend
    assert_int_equal(count(svg, "id=\"award-end\""), 1);
    assert_true(svg.find("award ends 2027-12-31") != std::string::npos);
    assert_true(svg.find("runs out 2027-04-24") != std::string::npos);
    // Two steps up: the budget path has two vertical moves.
    const auto at = svg.find("id=\"budget\"");
    const std::string path = svg.substr(at, svg.find("/>", at) - at);
    assert_int_equal(count(path, " V"), 2);
    // Text is escaped; nothing raw from the title.
    assert_true(svg.find("Models &amp; &lt;data&gt;") != std::string::npos);
    assert_true(svg.find("<data>") == std::string::npos);
}

void test_without_holds_forecast_or_end(void**) {
    BurnChartInput in = two_tranches();
    in.held = 0;
    in.forecast.reset();
    in.valid_until.reset();
    in.spend.clear();
    const std::string svg = grants::burn_chart_svg(in);
    assert_true(svg.find("id=\"spent\" data-total=\"0\"") != std::string::npos);
    assert_true(svg.find("id=\"held\"") == std::string::npos);
    assert_true(svg.find("id=\"forecast\"") == std::string::npos);
    assert_true(svg.find("id=\"award-end\"") == std::string::npos);
    // Dollars are labelled as such.
    in.unit = grants::Budget::Unit::Usd;
    assert_true(grants::burn_chart_svg(in).find(">USD</text>") != std::string::npos);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals_and_parts),
        cmocka_unit_test(test_without_holds_forecast_or_end),
    };
    return cmocka_run_group_tests_name("burn_chart", tests, nullptr, nullptr);
}
