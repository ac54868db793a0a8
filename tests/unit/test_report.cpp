// grantctl report's core (core/report.h) and the ledger queries under it:
// grouping by user, job and day, adjustments, exact totals in the award's
// unit, filters on award, user and time, and PRAGMA data_version, which tells
// slurmctld that grantctl adjust committed.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cmocka.h"
#include "temp_dir.h"
#include "core/cost_model.h"
#include "core/date.h"
#include "core/ledger.h"
#include "core/report.h"

using namespace grants;

namespace {

ChargeRecord charge(std::uint32_t job, std::int64_t start, const std::string& award, const std::string& user,
                    std::int64_t chips, std::int64_t seconds, std::int64_t recorded, Micros rate = 1'340'000) {
    ChargeRecord c;
    c.cluster = "c";
    c.job_id = job;
    c.run_start = start;
    c.award = award;
    c.user = user;
    c.account = "acct";
    c.partition = "trn1";
    c.chips = chips;
    c.seconds = seconds;
    c.chip_hours = chips * seconds * 1'000'000;
    c.usd = rate < 0 ? -1 : chips * seconds * rate;
    c.recorded_at = recorded;
    return c;
}

DayNumber utc_day(std::int64_t epoch) { return static_cast<DayNumber>(epoch / 86400); }

ReportInput sample(ReportGroup group) {
    ReportInput in;
    in.group = group;
    in.charges = {
        charge(10, 1000, "A", "alice", 16, 3600, 86400 * 3 + 5),   // 16 chip-h
        charge(11, 2000, "A", "bob", 16, 1800, 86400 * 3 + 50),    // 8 chip-h
        charge(11, 9000, "A", "bob", 16, 7, 86400 * 4 + 10),       // a requeued run of job 11
        charge(12, 3000, "B", "alice", 1, 1, 86400 * 4, -1),       // no rate on its partition
    };
    in.adjustments = {
        Adjustment{"A", "chip_hours", -2'500'000, "fault", "root", 86400 * 4},
        Adjustment{"C", "usd", 7'000'000, "outside", "root", 86400 * 4},
    };
    in.unit_of = [](const std::string& id) -> std::optional<Budget::Unit> {
        if (id == "A") return Budget::Unit::ChipHours;
        if (id == "C") return Budget::Unit::Usd;
        return std::nullopt;
    };
    in.day_of = utc_day;
    return in;
}

void test_group_by_user(void**) {
    auto r = build_report(sample(ReportGroup::User));
    assert_int_equal(r.size(), 3);  // A, B (charges), C (adjustment only)
    const AwardReport& a = r[0];
    assert_string_equal(a.award.c_str(), "A");
    assert_int_equal(a.rows.size(), 2);
    assert_string_equal(a.rows[0].key.c_str(), "alice");
    assert_int_equal(a.rows[0].chip_hours, 16LL * 3600 * 1'000'000);
    assert_string_equal(a.rows[1].key.c_str(), "bob");
    assert_int_equal(a.rows[1].runs, 2);
    assert_int_equal(a.rows[1].chip_seconds, 16 * 1800 + 16 * 7);
    assert_int_equal(a.charges.runs, 3);
    // Total in chip-hours: every charge's ticks, minus the 2.5 chip-h credit.
    const Ticks charges = (16LL * 3600 + 16 * 1800 + 16 * 7) * 1'000'000;
    assert_int_equal(a.total, charges - ticks_of(2'500'000));
    assert_int_equal(a.adjustments.size(), 1);
    // B has no unit in the policy (removed award): chip-hours; its usd is 0 (no rate).
    assert_false(r[1].unit.has_value());
    assert_int_equal(r[1].charges.usd, 0);
    assert_int_equal(r[1].total, 1'000'000);
    // C: a dollar award with only an adjustment.
    assert_true(r[2].unit == Budget::Unit::Usd);
    assert_int_equal(r[2].rows.size(), 0);
    assert_int_equal(r[2].total, ticks_of(7'000'000));
}

void test_group_by_job_and_day(void**) {
    auto jobs = build_report(sample(ReportGroup::Job));
    const AwardReport& a = jobs[0];
    assert_int_equal(a.rows.size(), 3);
    assert_string_equal(a.rows[0].key.c_str(), "10");
    assert_string_equal(a.rows[1].key.c_str(), "11");
    assert_string_equal(a.rows[2].key.c_str(), "11@9000");  // the second run of job 11
    auto days = build_report(sample(ReportGroup::Day));
    assert_int_equal(days[0].rows.size(), 2);
    assert_string_equal(days[0].rows[0].key.c_str(), "1970-01-04");
    assert_int_equal(days[0].rows[0].runs, 2);
    assert_string_equal(days[0].rows[1].key.c_str(), "1970-01-05");
    // Whatever the grouping, the totals are the same exact sums.
    assert_int_equal(jobs[0].total, days[0].total);
    assert_int_equal(jobs[0].charges.usd, days[0].charges.usd);
    assert_true(parse_report_group("week") == std::nullopt);
}

// ---------------------------------------------------------------- ledger
using grants::test::dir_of;
using grants::test::make_dir;
using grants::test::remove_dir;

std::string db_path(void** state) { return dir_of(state) + "/ledger.db"; }

void test_ledger_filters(void** state) {
    std::string error;
    auto ledger = Ledger::open(db_path(state), &error);
    assert_non_null(ledger.get());
    std::vector<ChargeRecord> inserted;
    assert_true(ledger->record_charges(sample(ReportGroup::User).charges, &inserted, &error));
    for (const auto& adj : sample(ReportGroup::User).adjustments) assert_true(ledger->record_adjustment(adj, &error));

    std::vector<ChargeRecord> got;
    std::vector<Adjustment> adjs;
    LedgerFilter f;
    f.award = "A";
    assert_true(ledger->charges(&got, &error, f));
    assert_int_equal(got.size(), 3);
    assert_true(ledger->adjustments(&adjs, &error, f));
    assert_int_equal(adjs.size(), 1);
    f.user = "bob";
    assert_true(ledger->charges(&got, &error, f));
    assert_int_equal(got.size(), 2);
    assert_true(ledger->adjustments(&adjs, &error, f));
    assert_int_equal(adjs.size(), 0);  // adjustments have no user
    LedgerFilter t;
    t.since = 86400 * 3 + 50;  // inclusive
    t.until = 86400 * 4 + 10;  // exclusive
    assert_true(ledger->charges(&got, &error, t));
    assert_int_equal(got.size(), 2);
    assert_int_equal(got[0].job_id, 11);
    assert_int_equal(got[1].job_id, 12);
    assert_true(ledger->adjustments(&adjs, &error, t));
    assert_int_equal(adjs.size(), 2);
    // Hostile filter values are bound, never pasted into SQL.
    LedgerFilter evil;
    evil.award = "A' OR '1'='1";
    assert_true(ledger->charges(&got, &error, evil));
    assert_int_equal(got.size(), 0);

    // The report over the ledger matches the totals slurmctld starts from.
    std::map<std::string, ChargeTotals> totals;
    assert_true(ledger->totals(&totals, &error));
    ReportInput in = sample(ReportGroup::User);
    assert_true(ledger->charges(&in.charges, &error));
    assert_true(ledger->adjustments(&in.adjustments, &error));
    auto reports = build_report(in);
    assert_int_equal(reports[0].total, totals["A"].chip_hours);
    assert_int_equal(reports[2].total, totals["C"].usd);
}

void test_data_version_sees_other_writers(void** state) {
    std::string error;
    auto controller = Ledger::open(db_path(state), &error);
    assert_non_null(controller.get());
    std::int64_t v0 = 0, v1 = 0, v2 = 0;
    assert_true(controller->data_version(&v0, &error));
    // The controller's own commits do not change it...
    std::vector<ChargeRecord> inserted;
    assert_true(controller->record_charges({charge(1, 1, "A", "alice", 1, 1, 1)}, &inserted, &error));
    assert_true(controller->data_version(&v1, &error));
    assert_int_equal(v0, v1);
    // ...another connection's commit (grantctl adjust) does.
    {
        auto admin = Ledger::open(db_path(state), &error);
        assert_non_null(admin.get());
        assert_true(admin->record_adjustment(Adjustment{"A", "chip_hours", -1, "r", "root", 5}, &error));
    }
    assert_true(controller->data_version(&v2, &error));
    assert_true(v2 != v1);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_by_user),
        cmocka_unit_test(test_group_by_job_and_day),
        cmocka_unit_test_setup_teardown(test_ledger_filters, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_data_version_sees_other_writers, make_dir, remove_dir),
    };
    return cmocka_run_group_tests_name("report", tests, nullptr, nullptr);
}
