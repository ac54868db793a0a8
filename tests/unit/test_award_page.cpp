// The award's chart input and status from the ledger (award_chart.h) and its
// HTML page (award_page.h): an award with tranches is shown as slurmctld
// computes it (issue 30: the funded budget, not the policy's one amount),
// and the page escapes every text it shows.
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/cost_model.h"
#include "core/domain/funding.h"
#include "core/render/award_chart.h"
#include "core/render/award_page.h"

using grants::Award;
using grants::AwardPageInput;
using grants::AwardReport;
using grants::AwardStatus;
using grants::day_number;
using grants::DayNumber;
using grants::Ticks;
using grants::Tranche;

namespace {

Ticks chip_h(std::int64_t n) { return grants::ticks_of(n * 1'000'000); }
DayNumber d(unsigned month, unsigned day) { return day_number(2027, month, day); }

// January and February, 100 chip-hours each, no rollover: 200 in the policy.
Award two_tranches() {
    Award a;
    a.id = "TWO";
    a.title = "Two months";
    a.pi = "carol";
    a.valid.from = d(1, 1);
    a.valid.until = d(2, 28);
    a.tranches = {Tranche{100'000'000, d(1, 1), d(1, 31)}, Tranche{100'000'000, d(2, 1), std::nullopt}};
    a.budget.amount = 200'000'000;
    return a;
}

// 30 chip-hours charged on January 10th, by day.
AwardReport january_charges() {
    AwardReport r;
    r.award = "TWO";
    r.unit = grants::Budget::Unit::ChipHours;
    grants::ReportRow row;
    row.key = "2027-01-10";
    row.runs = 3;
    row.chip_hours = chip_h(30);
    r.rows.push_back(row);
    r.charges = row;
    r.charges.key = "";
    r.total = chip_h(30);
    return r;
}

// In February the award may spend February's tranche, untouched: slurmctld
// says budget 100, charged 0, left 100. The hand-made status of
// plot_from_ledger said budget 200 (the policy's), charged 30, left 170.
void test_status_from_ledger_is_the_funded_one(void**) {
    const Award a = two_tranches();
    const DayNumber today = d(2, 10);
    const grants::Funding f = grants::fund(a, {}, {{d(1, 10), chip_h(30)}}, today);
    const AwardStatus s = grants::status_from_ledger(a, january_charges(), f, today, 14);
    assert_int_equal(s.budget, chip_h(100));
    assert_int_equal(s.charged, 0);
    assert_int_equal(s.left(), chip_h(100));
    assert_int_equal(s.tranches.size(), 2);
    assert_string_equal(s.state.c_str(), "active");
    assert_string_equal(s.pi.c_str(), "carol");
    // The same as core's award_status over the controller's view.
    grants::AwardUsageView v;
    v.funding = std::make_shared<const grants::Funding>(f);
    v.charged = f.charged;
    const AwardStatus want = grants::award_status(a, v, today);
    assert_int_equal(s.budget, want.budget);
    assert_int_equal(s.charged, want.charged);
    // The forecast sees what is left of the funded budget.
    assert_non_null(s.forecast ? &*s.forecast : nullptr);
    assert_int_equal(s.forecast->left, chip_h(100));
    // The chart: a budget step per tranche, the spend of every day.
    const grants::BurnChartInput in =
        grants::chart_input(january_charges(), s, today, [](std::int64_t) { return DayNumber{0}; });
    assert_int_equal(in.budget.size(), 2);
    assert_int_equal(in.budget[0].second + in.budget[1].second, chip_h(200));
    assert_int_equal(in.spend.size(), 1);
    assert_int_equal(in.spend[0].second, chip_h(30));
}

void test_status_without_tranches_is_the_policy_budget(void**) {
    Award a = two_tranches();
    a.tranches.clear();
    const AwardStatus s = grants::status_from_ledger(a, january_charges(), std::nullopt, d(2, 10), 14);
    assert_int_equal(s.budget, chip_h(200));
    assert_int_equal(s.charged, chip_h(30));
    assert_int_equal(s.left(), chip_h(170));
    assert_true(s.tranches.empty());
}

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

AwardPageInput hostile_page() {
    const Award a = two_tranches();
    AwardPageInput in;
    in.today = d(2, 10);
    in.by_day = january_charges();
    in.status = grants::status_from_ledger(a, in.by_day, grants::fund(a, {}, {{d(1, 10), chip_h(30)}}, in.today),
                                           in.today, 14);
    in.status.title = "Models & <b>data</b>";
    in.by_user.award = "TWO";
    grants::ReportRow u;
    u.key = "<img src=x onerror=alert(1)>";
    u.runs = 3;
    u.chip_hours = chip_h(30);
    in.by_user.rows.push_back(u);
    in.by_user.total = chip_h(30);
    grants::Adjustment adj;
    adj.award = "TWO";
    adj.unit = "chip_hours";
    adj.amount = 5'000'000;
    adj.who = "root";
    adj.reason = "</td></tr></table><script>alert('x')</script>\"'&";
    in.by_user.adjustments.push_back(adj);
    for (int job = 1; job <= 25; ++job) {
        grants::ReportRow r;
        r.key = std::to_string(job);
        r.runs = 1;
        r.chip_hours = chip_h(1);
        in.by_job.rows.push_back(r);
    }
    in.generated = "2027-02-10 12:00:00";
    in.time_text = [](std::int64_t) { return std::string("2027-01-11 09:00:00"); };
    in.day_of = [](std::int64_t) { return d(1, 11); };
    return in;
}

void test_page_escapes_every_text(void**) {
    const std::string h = grants::award_page_html(hostile_page());
    assert_int_equal(count(h, "<script"), 0);
    assert_int_equal(count(h, "<img"), 0);
    assert_int_equal(count(h, "<b>"), 0);
    assert_true(count(h, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&#39;&amp;") == 1);
    assert_true(count(h, "&lt;img src=x onerror=alert(1)&gt;") >= 1);
    // Self-contained: no external reference, the chart inline without an XML declaration.
    assert_int_equal(count(h, "<?xml"), 0);
    assert_int_equal(count(h, "src="), count(h, "&lt;img src="));
    assert_int_equal(count(h, "href="), 0);
    assert_int_equal(count(h, "<svg xmlns=\"http://www.w3.org/2000/svg\""), 1);
}

void test_page_figures(void**) {
    const std::string h = grants::award_page_html(hostile_page());
    assert_true(count(h, "<span id=\"budget\">100</span>") == 1);
    assert_true(count(h, "<span id=\"charged\">0</span>") == 1);
    assert_true(count(h, "<span id=\"report-charged\">30</span>") == 1);
    assert_int_equal(count(h, "<tr data-source="), 2);
    // The last 20 of 25 jobs, newest first.
    assert_int_equal(count(h, "<tr data-job="), 20);
    assert_true(h.find("data-job=\"25\"") < h.find("data-job=\"6\""));
    assert_int_equal(count(h, "data-job=\"5\""), 0);
    assert_true(count(h, "The last 20 of 25 jobs") == 1);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_from_ledger_is_the_funded_one),
        cmocka_unit_test(test_status_without_tranches_is_the_policy_budget),
        cmocka_unit_test(test_page_escapes_every_text),
        cmocka_unit_test(test_page_figures),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
