// grantctl report's core (core/domain/report.h) and the ledger queries under it:
// grouping by user, job and day, adjustments, exact totals in the award's
// unit, filters on award, user and time, and PRAGMA data_version, which tells
// slurmctld that grantctl adjust committed.
#include <unistd.h>

#include <ctime>
#include <limits>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "charge_fixture.h"
#include "cmocka.h"
#include "temp_dir.h"
#include "core/base/date.h"
#include "core/domain/charge_book.h"
#include "core/domain/cost_model.h"
#include "core/domain/report.h"
#include "core/domain/statement.h"
#include "core/storage/book_loader.h"
#include "core/storage/ledger.h"
#include "core/storage/ledger_report.h"
#include "core/wire/query.h"
#include "statement_expect.h"

using namespace grants;

namespace {

ChargeRecord charge(std::uint32_t job, std::int64_t start, const std::string& award, const std::string& user,
                    std::int64_t chips, std::int64_t seconds, std::int64_t recorded, Micros rate = 1'340'000) {
    return TestCharge(job, start, award).user(user).run(chips, seconds, rate).recorded(recorded);
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

void test_group_by_cluster(void**) {
    ReportInput in;
    ChargeRecord a = charge(1, 100, "A", "alice", 16, 3600, 200);
    ChargeRecord b = charge(1, 100, "A", "alice", 16, 1800, 200);
    b.cluster = "beta";  // the same job id, run on another cluster
    ChargeRecord c = charge(2, 100, "A", "bob", 8, 3600, 200);
    in.charges = {a, b, c};
    in.group = ReportGroup::Cluster;
    auto r = build_report(in);
    assert_int_equal(r.size(), 1);
    assert_int_equal(r[0].rows.size(), 2);
    assert_string_equal(r[0].rows[0].key.c_str(), "beta");
    assert_int_equal(r[0].rows[0].runs, 1);
    assert_int_equal(r[0].rows[0].chip_hours, 16LL * 1800 * 1'000'000);
    assert_string_equal(r[0].rows[1].key.c_str(), "c");
    assert_int_equal(r[0].rows[1].runs, 2);
    assert_int_equal(r[0].rows[1].chip_hours, (16LL * 3600 + 8LL * 3600) * 1'000'000);
    assert_true(parse_report_group("cluster") == ReportGroup::Cluster);
}

void test_group_by_job_and_day(void**) {
    auto jobs = build_report(sample(ReportGroup::Job));
    const AwardReport& a = jobs[0];
    assert_int_equal(a.rows.size(), 3);
    assert_string_equal(a.rows[0].key.c_str(), "10");
    assert_string_equal(a.rows[1].key.c_str(), "11");
    assert_string_equal(a.rows[2].key.c_str(), "11@9000");  // the second run of job 11
    // Charges are dated by their run's start (charge_date.h), not by when
    // they were recorded (days 3 and 4): all three runs started on day 0.
    auto days = build_report(sample(ReportGroup::Day));
    assert_int_equal(days[0].rows.size(), 1);
    assert_string_equal(days[0].rows[0].key.c_str(), "1970-01-01");
    assert_int_equal(days[0].rows[0].runs, 3);
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

// ------------------------------------------------ the SQL path (stream_report)
// The ledger groups by user and day and streams jobs; it must give exactly
// what build_report makes of every charge, rows, order and totals alike.

void assert_same_row(const ReportRow& a, const ReportRow& b) {
    assert_string_equal(a.key.c_str(), b.key.c_str());
    assert_int_equal(a.runs, b.runs);
    assert_int_equal(a.chip_seconds, b.chip_seconds);
    assert_int_equal(a.chip_hours, b.chip_hours);
    assert_int_equal(a.usd, b.usd);
}

void assert_same_reports(const std::vector<AwardReport>& want, const std::vector<AwardReport>& got) {
    assert_int_equal(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const AwardReport& w = want[i];
        const AwardReport& g = got[i];
        assert_string_equal(w.award.c_str(), g.award.c_str());
        assert_true(w.unit == g.unit);
        assert_int_equal(w.rows.size(), g.rows.size());
        for (std::size_t j = 0; j < w.rows.size(); ++j) assert_same_row(w.rows[j], g.rows[j]);
        assert_int_equal(w.adjustments.size(), g.adjustments.size());
        for (std::size_t j = 0; j < w.adjustments.size(); ++j) {
            assert_string_equal(w.adjustments[j].award.c_str(), g.adjustments[j].award.c_str());
            assert_string_equal(w.adjustments[j].unit.c_str(), g.adjustments[j].unit.c_str());
            assert_int_equal(w.adjustments[j].amount, g.adjustments[j].amount);
            assert_string_equal(w.adjustments[j].reason.c_str(), g.adjustments[j].reason.c_str());
            assert_int_equal(w.adjustments[j].at, g.adjustments[j].at);
        }
        assert_same_row(w.charges, g.charges);
        assert_int_equal(w.adjusted_chip_hours, g.adjusted_chip_hours);
        assert_int_equal(w.adjusted_usd, g.adjusted_usd);
        assert_int_equal(w.total, g.total);
    }
}

// A ledger of several awards, users and days: requeued runs (recorded out
// of job order), runs without a rate, zero-length runs, a saturated charge,
// the same job id on another cluster, and adjustments on awards with
// charges and on awards without (sorting before, between and after them).
void fill_generated_ledger(Ledger& ledger) {
    std::vector<ChargeRecord> charges;
    std::uint64_t seed = 12345;
    auto next = [&seed](std::uint64_t n) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return (seed >> 33) % n;
    };
    const char* awards[] = {"B-01", "B-02", "D-07", "a-lower", "Z-9"};
    const char* users[] = {"alice", "bob", "carol", "dave", "Eve", "bob2"};
    const std::int64_t t0 = 1'700'000'000;  // 2023-11-14; the run spans DST changes in most zones
    for (std::uint32_t job = 100; job < 700; ++job) {
        const std::string award = awards[next(5)];
        const std::string user = users[next(6)];
        const std::int64_t chips = static_cast<std::int64_t>(next(4)) * 16;  // 0 chips now and then
        const std::int64_t seconds = static_cast<std::int64_t>(next(7200));
        const std::int64_t start = t0 + job * 47'000 + static_cast<std::int64_t>(next(40'000));
        const Micros rate = next(5) == 0 ? -1 : 1'340'000;
        charges.push_back(charge(job, start, award, user, chips, seconds, start + seconds + 3, rate));
        if (next(6) == 0) {  // requeued: a later run of the same job, sometimes recorded first
            charges.push_back(charge(job, start + 5000, award, user, 16, static_cast<std::int64_t>(next(3600)),
                                     start + 9000, next(2) ? -1 : 2'100'000));
        }
    }
    ChargeRecord other = charge(150, t0 + 150 * 47'000, "B-02", "alice", 16, 60, t0 + 150 * 47'000 + 70);
    other.cluster = "other";  // the same job id on another cluster
    charges.push_back(other);
    ChargeRecord huge = charge(900, t0 + 400 * 47'000, "D-07", "carol", 16, 60, t0 + 400 * 47'000 + 70);
    huge.chip_hours = kSaturatedTicks;  // an absurd (saturated) charge stays saturated in every sum
    huge.usd = kSaturatedTicks;
    charges.push_back(huge);
    // Recorded in an order unrelated to job order.
    for (std::size_t i = charges.size() - 1; i > 0; --i) std::swap(charges[i], charges[next(i + 1)]);
    std::vector<ChargeRecord> inserted;
    std::string error;
    for (std::size_t i = 0; i < charges.size(); i += 100) {
        std::vector<ChargeRecord> batch(charges.begin() + static_cast<std::ptrdiff_t>(i),
                                        charges.begin() + static_cast<std::ptrdiff_t>(std::min(i + 100, charges.size())));
        assert_true(ledger.record_charges(batch, &inserted, &error));
    }
    const Adjustment adjustments[] = {
        {"B-02", "chip_hours", -2'500'000, "fault", "root", t0 + 10 * 86400},
        {"A-00", "usd", 7'000'000, "before every award", "root", t0 + 11 * 86400},
        {"B-02", "usd", 1'250'000, "outside, \"quoted\"", "admin", t0 + 12 * 86400},
        {"C-00", "chip_hours", 3'000'000, "between awards", "root", t0 + 13 * 86400},
        {"zz-last", "chip_hours", -1, "after every award", "root", t0 + 200 * 86400},
        {"Z-9", "usd", -4'000'000, "credit", "root", t0 + 300 * 86400},
    };
    for (const auto& a : adjustments) assert_true(ledger.record_adjustment(a, &error));
}

std::optional<Budget::Unit> generated_unit(const std::string& id) {
    if (id == "B-01" || id == "Z-9" || id == "A-00") return Budget::Unit::Usd;
    if (id == "B-02" || id == "D-07") return Budget::Unit::ChipHours;
    return std::nullopt;
}

// A local day with an offset that is not a whole number of hours.
DayNumber shifted_day(std::int64_t epoch) {
    std::int64_t t = epoch - 5 * 3600 - 45 * 60;
    return static_cast<DayNumber>(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}

DayNumber localtime_day(std::int64_t epoch) {
    std::time_t t = static_cast<std::time_t>(epoch);
    struct tm tm {};
    localtime_r(&t, &tm);
    return day_number(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1), static_cast<unsigned>(tm.tm_mday));
}

const ReportGroup kEveryGroup[] = {ReportGroup::User, ReportGroup::Job, ReportGroup::Day, ReportGroup::Month};

// build_report's input for the generated ledger's awards, without charges.
ReportInput generated_input(ReportGroup group, const std::function<DayNumber(std::int64_t)>& day_of) {
    ReportInput in;
    in.group = group;
    in.unit_of = generated_unit;
    in.day_of = day_of;
    return in;
}

// The report build_report makes of every charge and adjustment the ledger
// returns for filter: what the other paths must equal.
std::vector<AwardReport> reference_report(const Ledger& ledger, const LedgerFilter& filter, ReportGroup group,
                                          const std::function<DayNumber(std::int64_t)>& day_of) {
    std::string error;
    ReportInput in = generated_input(group, day_of);
    assert_true(ledger.charges(&in.charges, &error, filter));
    assert_true(ledger.adjustments(&in.adjustments, &error, filter));
    return build_report(in);
}

void check_sql_path(const Ledger& ledger, const LedgerFilter& filter, const std::function<DayNumber(std::int64_t)>& day_of) {
    std::string error;
    // The ledger path also groups by cluster (the charge book keeps none).
    std::vector<ReportGroup> groups(std::begin(kEveryGroup), std::end(kEveryGroup));
    groups.push_back(ReportGroup::Cluster);
    for (ReportGroup group : groups) {
        const auto want = reference_report(ledger, filter, group, day_of);

        ReportQuery q;
        q.filter = filter;
        q.group = group;
        q.unit_of = generated_unit;
        q.day_of = day_of;
        std::vector<AwardReport> got;
        assert_true(ledger.begin_read(&error));
        const bool ok = report_from_ledger(ledger, q, &got, &error);
        ledger.end_read();
        if (!ok) fail_msg("report_from_ledger: %s", error.c_str());
        assert_same_reports(want, got);
    }
}

// slurmctld's charge book answers a PI's report per award exactly as the
// ledger does, whatever the grouping and filter (charge_book.h). book_days:
// the book dates charges with day_of, so its running sums per member and per
// day (what balance and the forecast read, without a scan of the charges)
// must equal the ledger's report by user and by day.
void check_book_path(const Ledger& ledger, const ChargeBook& book, const LedgerFilter& filter,
                     const std::function<DayNumber(std::int64_t)>& day_of, bool book_days) {
    for (ReportGroup group : kEveryGroup) {
        for (const AwardReport& want : reference_report(ledger, filter, group, day_of)) {
            ReportInput b = generated_input(group, day_of);
            book.award_entries(want.award, filter, &b.charges, &b.adjustments);
            assert_same_reports({want}, build_report(b));
            if (filter.user || filter.since || filter.until) continue;
            const Budget::Unit unit = generated_unit(want.award).value_or(Budget::Unit::ChipHours);
            if (group == ReportGroup::User) {
                // Per member: the same runs and sums in the award's unit.
                const auto members = book.members(want.award, unit);
                assert_int_equal(members.size(), want.rows.size());
                for (const ReportRow& row : want.rows) {
                    const MemberCharges& m = members.at(row.key);
                    assert_int_equal(m.runs, row.runs);
                    assert_int_equal(m.charged, unit == Budget::Unit::Usd ? row.usd : row.chip_hours);
                }
            }
            if (group != ReportGroup::Day || !book_days) continue;
            // Per day, every day and from any first day on (a first day without
            // charges starts at the next day that has some).
            const auto days = book.daily(want.award, unit, std::numeric_limits<DayNumber>::min());
            assert_int_equal(days.size(), want.rows.size());
            Ticks total = 0;
            for (const ReportRow& row : want.rows) {
                const auto day = parse_date(row.key);
                assert_true(day.has_value());
                assert_true(days.count(*day) == 1);
                assert_int_equal(days.at(*day), unit == Budget::Unit::Usd ? row.usd : row.chip_hours);
                total = add_saturating(total, days.at(*day));
            }
            assert_int_equal(total, unit == Budget::Unit::Usd ? want.charges.usd : want.charges.chip_hours);
            for (std::size_t i = 0; i < want.rows.size(); i += 7) {
                const DayNumber first = *parse_date(want.rows[i].key);
                const auto tail = book.daily(want.award, unit, first);
                assert_int_equal(tail.size(), want.rows.size() - i);
                assert_true(tail.begin()->first == first);
                assert_int_equal(book.daily(want.award, unit, first + 1).size(), want.rows.size() - i - 1);
            }
        }
    }
}

void test_charge_book_matches_the_ledger(void** state) {
    std::string error;
    auto ledger = Ledger::open(db_path(state), &error);
    assert_non_null(ledger.get());
    ChargeBook book;
    assert_false(book.loaded());
    fill_generated_ledger(*ledger);
    ChargeBook::Contents contents(shifted_day);
    assert_true(load_charge_book(*ledger, &contents, &error));
    book.replace(std::move(contents));
    assert_true(book.loaded());
    std::vector<ChargeRecord> all;
    assert_true(ledger->charges(&all, &error));
    assert_int_equal(book.charges(), all.size());
    assert_true(book.bytes() >= all.size() * sizeof(BookedCharge));
    check_book_path(*ledger, book, {}, shifted_day, true);
    LedgerFilter f;
    f.user = "bob";
    check_book_path(*ledger, book, f, shifted_day, true);
    f = {};
    f.since = 1'700'000'000 + 30 * 86400;
    f.until = 1'700'000'000 + 90 * 86400;
    check_book_path(*ledger, book, f, localtime_day, false);

    // Charges the accounting pass records later join the book: the report
    // still equals the ledger's, job order included (job 120's new run is
    // older than jobs recorded before it), and so do the running sums, for
    // a charge dated before every day the award had (recorded while
    // slurmctld was down, say), one in the middle and one after them all.
    const std::int64_t t0 = 1'700'000'000;
    std::vector<ChargeRecord> later{charge(120, t0 + 200 * 86400, "B-02", "frank", 16, 300, t0 + 201 * 86400),
                                    charge(5000, t0 + 200 * 86400, "new-award", "alice", 16, 300, t0 + 201 * 86400),
                                    charge(121, t0 + 2 * 86400, "B-02", "alice", 16, 600, t0 + 2 * 86400 + 700),
                                    charge(122, t0 + 150 * 86400, "B-02", "frank", 32, 600, t0 + 150 * 86400 + 700, -1),
                                    charge(123, t0 + 150 * 86400, "B-01", "bob", 32, 900, t0 + 150 * 86400 + 950),
                                    charge(124, t0 + 900 * 86400, "B-01", "bob", 16, 60, t0 + 900 * 86400 + 70)};
    std::vector<ChargeRecord> inserted;
    assert_true(ledger->record_charges(later, &inserted, &error));
    assert_int_equal(inserted.size(), later.size());
    book.add_charges(inserted);
    check_book_path(*ledger, book, {}, shifted_day, true);

    // Loaded again from scratch, the book has the same sums.
    ChargeBook reloaded;
    ChargeBook::Contents again(shifted_day);
    assert_true(load_charge_book(*ledger, &again, &error));
    reloaded.replace(std::move(again));
    for (const char* award : {"B-01", "B-02", "D-07", "a-lower", "Z-9", "new-award"}) {
        for (Budget::Unit unit : {Budget::Unit::ChipHours, Budget::Unit::Usd}) {
            const auto a = reloaded.members(award, unit), b = book.members(award, unit);
            assert_int_equal(a.size(), b.size());
            for (const auto& [user, m] : a) {
                assert_int_equal(m.runs, b.at(user).runs);
                assert_int_equal(m.charged, b.at(user).charged);
            }
            assert_true(reloaded.daily(award, unit, 0) == book.daily(award, unit, 0));
        }
    }
    book.clear();
    assert_false(book.loaded());
    assert_int_equal(book.charges(), 0);
    assert_true(book.daily("B-01", Budget::Unit::Usd, 0).empty());
    assert_true(book.members("B-01", Budget::Unit::Usd).empty());
}

// A PI's statement from a login node (slurmctld's charge book, sent over
// the wire) is the statement grantctl makes of the ledger itself: the same
// lines, balances and tranches, and each charge's account, partition and
// cluster, for every award and month, deposits and a transfer included.
void test_statement_from_the_book_is_the_ledgers(void** state) {
    std::string error;
    auto ledger = Ledger::open(db_path(state), &error);
    assert_non_null(ledger.get());
    fill_generated_ledger(*ledger);
    const std::int64_t t0 = 1'700'000'000;
    // Charges billed elsewhere: another account, partition and cluster.
    std::vector<ChargeRecord> elsewhere{charge(800, t0 + 100 * 86400, "B-02", "alice", 16, 600, t0 + 100 * 86400 + 700),
                                        charge(801, t0 + 101 * 86400, "B-02", "bob", 32, 60, t0 + 101 * 86400 + 70)};
    elsewhere[0].account = "nlp";
    elsewhere[0].partition = "trn1-big";
    elsewhere[1].cluster = "beta";
    std::vector<ChargeRecord> inserted;
    assert_true(ledger->record_charges(elsewhere, &inserted, &error));
    std::int64_t id = 0;
    Deposit d;
    d.award = "B-02";
    d.unit = "chip_hours";
    d.amount = 40 * kMicrosPerUnit;
    d.from = utc_day(t0 + 95 * 86400);
    d.until = d.from + 60;
    d.reason = "supplement";
    d.who = "root";
    d.at = t0 + 95 * 86400;
    assert_true(ledger->record_deposit(d, &id, &error));
    Transfer t;
    t.from = Adjustment{"B-02", "chip_hours", 7 * kMicrosPerUnit, "move", "root", t0 + 102 * 86400};
    t.to = Adjustment{"D-07", "chip_hours", -7 * kMicrosPerUnit, "move", "root", t0 + 102 * 86400};
    t.from.counterpart = "D-07";
    t.to.counterpart = "B-02";
    assert_true(ledger->record_transfer(t, &id, &error));

    ChargeBook book;
    ChargeBook::Contents contents(utc_day);
    assert_true(load_charge_book(*ledger, &contents, &error));
    book.replace(std::move(contents));
    int lines = 0, deposits = 0, transfers = 0, accounts = 0, clusters = 0;
    for (const char* id_text : {"B-01", "B-02", "D-07", "Z-9"}) {
        Award award;
        award.id = id_text;
        award.budget.unit = generated_unit(award.id).value_or(Budget::Unit::ChipHours);
        award.budget.amount = 5000 * kMicrosPerUnit;
        for (const char* month_text : {"2023-11", "2024-02", "2024-03", "2024-07", "2024-11"}) {
            StatementInput in;
            in.award = &award;
            in.month = *parse_month(month_text);
            in.start = static_cast<std::int64_t>(in.month.first_day()) * 86400;
            in.end = static_cast<std::int64_t>(in.month.last_day() + 1) * 86400;
            in.day_of = utc_day;
            StatementInput from_book = in;
            LedgerFilter filter;
            filter.award = award.id;
            assert_true(ledger->charges(&in.charges, &error, filter));
            assert_true(ledger->adjustments(&in.adjustments, &error, filter));
            assert_true(ledger->deposits(&in.deposits, &error, filter));
            const StatementReport want = month_report(in, build_statement(in));
            book.statement_entries(award.id, in.end, &from_book.charges, &from_book.adjustments, &from_book.deposits);
            const StatementReport got = month_report(from_book, build_statement(from_book));
            statement_expect::same_report(want, got);
            // And after the wire (query.h), as grantctl receives it.
            Answer answer;
            answer.kind = QueryKind::Statement;
            answer.user = "carol";
            answer.statement = got;
            auto back = decode_answer(encode_answer(answer), &error);
            assert_true(back.has_value());
            assert_true(back->statement.has_value());
            statement_expect::same_report(want, *back->statement);
            lines += static_cast<int>(want.statement.lines.size());
            deposits += static_cast<int>(want.deposits.size());
            for (const auto& a : want.adjustments) transfers += a.transfer != 0;
            for (const auto& c : want.charges) {
                accounts += c.account == "nlp";
                clusters += c.cluster == "beta";
            }
        }
    }
    // The months chosen hold what is compared.
    assert_true(lines > 20);
    assert_int_equal(deposits, 1);
    assert_int_equal(transfers, 2);  // both legs
    assert_int_equal(accounts, 1);
    assert_int_equal(clusters, 1);
}

void test_sql_path_matches_build_report(void** state) {
    std::string error;
    auto ledger = Ledger::open(db_path(state), &error);
    assert_non_null(ledger.get());
    fill_generated_ledger(*ledger);

    std::vector<ChargeRecord> all;
    assert_true(ledger->charges(&all, &error));
    assert_true(all.size() > 650);
    std::size_t requeued = 0, no_rate = 0;
    for (std::size_t i = 1; i < all.size(); ++i) requeued += all[i].job_id == all[i - 1].job_id;
    for (const auto& c : all) no_rate += c.usd < 0;
    assert_true(requeued >= 50);
    assert_true(no_rate >= 50);

    check_sql_path(*ledger, {}, shifted_day);
    check_sql_path(*ledger, {}, localtime_day);
    LedgerFilter f;
    f.award = "B-02";
    check_sql_path(*ledger, f, shifted_day);
    f = {};
    f.user = "bob";
    check_sql_path(*ledger, f, shifted_day);
    f = {};
    f.since = 1'700'000'000 + 30 * 86400;
    f.until = 1'700'000'000 + 90 * 86400;
    check_sql_path(*ledger, f, shifted_day);
    f.award = "nothing";
    check_sql_path(*ledger, f, shifted_day);

    // Whatever the grouping, the totals are the ledger's exact sums.
    std::vector<AwardReport> reports;
    ReportQuery q;
    q.unit_of = generated_unit;
    q.day_of = shifted_day;
    assert_true(report_from_ledger(*ledger, q, &reports, &error));
    std::map<std::string, ChargeTotals> totals;
    assert_true(ledger->totals(&totals, &error));
    for (const auto& r : reports) {
        if (r.award == "D-07") {
            assert_int_equal(r.charges.chip_hours, kSaturatedTicks);  // saturated stays saturated
            continue;
        }
        const ChargeTotals& t = totals[r.award];
        assert_int_equal(add_saturating(r.charges.chip_hours, r.adjusted_chip_hours), t.chip_hours);
        assert_int_equal(add_saturating(r.charges.usd, r.adjusted_usd), t.usd);
    }
}

// The same days as localtime_r in zones with DST (and a 30-minute one).
void test_sql_path_days_in_local_time(void** state) {
    std::string error;
    auto ledger = Ledger::open(db_path(state), &error);
    assert_non_null(ledger.get());
    fill_generated_ledger(*ledger);
    const char* old = std::getenv("TZ");
    const std::string saved = old ? old : "";
    for (const char* tz : {"America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"}) {
        setenv("TZ", tz, 1);
        tzset();
        check_sql_path(*ledger, {}, localtime_day);
    }
    if (old) {
        setenv("TZ", saved.c_str(), 1);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

// Sums that overflow 64 bits (only a hand-made ledger can hold them) are an
// error, never a wrapped number.
void test_sql_path_overflow_is_an_error(void** state) {
    std::string error;
    auto ledger = Ledger::open(db_path(state), &error);
    assert_non_null(ledger.get());
    std::vector<ChargeRecord> batch, inserted;
    for (std::uint32_t job = 1; job <= 3; ++job) {
        ChargeRecord c = charge(job, 1000, "A", "alice", 1, 1, 5000);
        c.chip_hours = kSaturatedTicks;
        batch.push_back(c);
    }
    assert_true(ledger->record_charges(batch, &inserted, &error));
    ReportQuery q;
    q.day_of = utc_day;
    std::vector<AwardReport> got;
    assert_false(report_from_ledger(*ledger, q, &got, &error));
    assert_string_equal(error.c_str(), "integer overflow");
    // By job every row is one charge: no SQL sum, and the award's total saturates.
    q.group = ReportGroup::Job;
    assert_true(report_from_ledger(*ledger, q, &got, &error));
    assert_int_equal(got.size(), 1);
    assert_int_equal(got[0].charges.chip_hours, kSaturatedTicks);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_by_user),
        cmocka_unit_test(test_group_by_job_and_day),
        cmocka_unit_test(test_group_by_cluster),
        cmocka_unit_test_setup_teardown(test_ledger_filters, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_data_version_sees_other_writers, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_sql_path_matches_build_report, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_sql_path_days_in_local_time, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_sql_path_overflow_is_an_error, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_charge_book_matches_the_ledger, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_statement_from_the_book_is_the_ledgers, make_dir, remove_dir),
    };
    return cmocka_run_group_tests_name("report", tests, nullptr, nullptr);
}
