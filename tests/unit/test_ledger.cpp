// The SQLite ledger (the ledger's guarantees): schema, exactly-once charges keyed by
// (cluster, job id, run start), totals with adjustments, durability across a
// close, and clean failures on corrupt, missing or read-only databases.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "charge_fixture.h"
#include "cmocka.h"
#include "temp_dir.h"
#include "core/domain/cost_model.h"
#include "core/storage/ledger.h"

using grants::Adjustment;
using grants::ChargeRecord;
using grants::ChargeTotals;
using grants::Ledger;
using grants::Micros;
using grants::Ticks;
using grants::ticks_of;

namespace {

using grants::test::dir_of;
using grants::test::make_dir;
using grants::test::remove_dir;
std::string db_path(void** state) { return dir_of(state) + "/ledger.db"; }

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

void write_file(const std::string& path, std::string_view bytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    assert_int_equal(::close(fd), 0);
}

std::unique_ptr<Ledger> open_ok(const std::string& path, bool read_only = false) {
    std::string error;
    auto ledger = Ledger::open(path, &error, read_only);
    if (!ledger) print_error("open %s: %s\n", path.c_str(), error.c_str());
    assert_non_null(ledger.get());
    return ledger;
}

void expect_open_fails(const std::string& path, bool read_only = false) {
    std::string error;
    auto ledger = Ledger::open(path, &error, read_only);
    if (ledger) print_error("open %s succeeded, expected a failure\n", path.c_str());
    assert_null(ledger.get());
    assert_false(error.empty());
}

// 16 chips x 225 s: 1 chip-h by default.
ChargeRecord charge(std::uint32_t job_id, std::int64_t run_start, const char* award = "A",
                    Ticks chip_hours = ticks_of(1'000'000), Ticks usd = -1, const char* cluster = "clu") {
    return TestCharge(job_id, run_start, award)
        .cluster(cluster)
        .account("nlp")
        .shape(16, 225)
        .amounts(chip_hours, usd)
        .recorded(run_start + 1000);
}

bool same(const ChargeRecord& a, const ChargeRecord& b) {
    return a.cluster == b.cluster && a.job_id == b.job_id && a.run_start == b.run_start && a.award == b.award &&
           a.user == b.user && a.account == b.account && a.partition == b.partition && a.chips == b.chips &&
           a.seconds == b.seconds && a.chip_hours == b.chip_hours && a.usd == b.usd && a.recorded_at == b.recorded_at;
}

// In job, run order (the ledger's order; ties, which differ only by cluster, compared by cluster).
void expect_charges(const Ledger& ledger, std::vector<ChargeRecord> want) {
    std::vector<ChargeRecord> got;
    std::string error;
    assert_true(ledger.charges(&got, &error));
    for (std::size_t i = 1; i < got.size(); ++i) {
        assert_true(std::tie(got[i - 1].job_id, got[i - 1].run_start) <= std::tie(got[i].job_id, got[i].run_start));
    }
    auto by_key = [](const ChargeRecord& a, const ChargeRecord& b) {
        return std::tie(a.job_id, a.run_start, a.cluster) < std::tie(b.job_id, b.run_start, b.cluster);
    };
    std::stable_sort(got.begin(), got.end(), by_key);
    std::stable_sort(want.begin(), want.end(), by_key);
    bool ok = got.size() == want.size();
    for (std::size_t i = 0; ok && i < want.size(); ++i) ok = same(got[i], want[i]);
    if (!ok) {
        print_error("charges: got %zu, want %zu\n", got.size(), want.size());
        for (const auto& c : got) {
            print_error("  got %s/%u/%lld %s %lld %lld\n", c.cluster.c_str(), c.job_id,
                        static_cast<long long>(c.run_start), c.award.c_str(), static_cast<long long>(c.chip_hours),
                        static_cast<long long>(c.usd));
        }
        fail();
    }
}

std::map<std::string, ChargeTotals> totals_of(const Ledger& ledger) {
    std::map<std::string, ChargeTotals> out;
    out["stale"] = ChargeTotals{1, 1};  // must be cleared
    std::string error;
    assert_true(ledger.totals(&out, &error));
    return out;
}

void expect_total(const std::map<std::string, ChargeTotals>& totals, const std::string& award, Ticks chip_hours,
                  Ticks usd) {
    auto it = totals.find(award);
    if (it == totals.end() || it->second.chip_hours != chip_hours || it->second.usd != usd) {
        print_error("totals[%s]: got %lld / %lld, want %lld / %lld\n", award.c_str(),
                    it == totals.end() ? -1LL : static_cast<long long>(it->second.chip_hours),
                    it == totals.end() ? -1LL : static_cast<long long>(it->second.usd),
                    static_cast<long long>(chip_hours), static_cast<long long>(usd));
        fail();
    }
}

Adjustment adjustment(const char* award, const char* unit, Micros amount, const char* reason) {
    Adjustment a;
    a.award = award;
    a.unit = unit;
    a.amount = amount;
    a.reason = reason;
    a.who = "root";
    a.at = 1'700'000'000;
    return a;
}

// One value from the file, read with SQLite directly (not through Ledger).
std::string query_text(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    assert_int_equal(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(st, 0);
        out = t ? reinterpret_cast<const char*>(t) : "NULL";
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

// ---------------------------------------------------------------- tests

void test_open_creates_schema(void** state) {
    const std::string path = db_path(state);
    assert_false(exists(path));
    {
        auto ledger = open_ok(path);
        assert_string_equal(ledger->path().c_str(), path.c_str());
        assert_true(exists(path));
        std::vector<ChargeRecord> charges;
        std::vector<Adjustment> adjustments;
        std::string error;
        assert_true(ledger->charges(&charges, &error));
        assert_true(ledger->adjustments(&adjustments, &error));
        assert_true(charges.empty());
        assert_true(adjustments.empty());
        assert_true(totals_of(*ledger).empty());
    }
    const std::string tables =
        query_text(path, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
                         "ORDER BY name);");
    assert_string_equal(tables.c_str(),
                        "adjustments,alerts,charges,deposits,instance_open,instance_time,meta,policy_audit,policy_fields,"
                        "transfers");
    assert_string_equal(query_text(path, "SELECT value FROM meta WHERE key = 'schema_version';").c_str(), "1");
    assert_string_equal(query_text(path, "PRAGMA journal_mode;").c_str(), "wal");
    // Opening again is fine (the schema is created only once).
    auto again = open_ok(path);
    assert_string_equal(query_text(path, "SELECT count(*) FROM meta;").c_str(), "1");
}

void test_record_exactly_once(void** state) {
    auto ledger = open_ok(db_path(state));
    std::string error;
    std::vector<ChargeRecord> inserted;

    const ChargeRecord c1 = charge(1, 1000, "A", ticks_of(1'000'000), ticks_of(1'340'000));
    const ChargeRecord c2 = charge(2, 1000, "B", ticks_of(2'000'000), -1);
    assert_true(ledger->record_charges({c1, c2}, &inserted, &error));
    assert_int_equal(inserted.size(), 2);
    assert_true(same(inserted[0], c1));
    assert_true(same(inserted[1], c2));

    // The same run again (even with other numbers, as after a restart): nothing inserted.
    ChargeRecord c1_again = c1;
    c1_again.chip_hours = 999'000'000;
    c1_again.recorded_at = 99;
    // The same job's next run (a requeue) is a new charge; so is the same id on another cluster.
    const ChargeRecord c3 = charge(1, 2000, "A", ticks_of(3'000'000), ticks_of(4'020'000));
    const ChargeRecord c4 = charge(1, 1000, "A", ticks_of(5'000'000), -1, "other");
    inserted = {c2};  // stale content must be replaced
    assert_true(ledger->record_charges({c1_again, c3, c2, c4}, &inserted, &error));
    assert_int_equal(inserted.size(), 2);
    assert_true(same(inserted[0], c3));
    assert_true(same(inserted[1], c4));

    // Only duplicates: success, nothing new.
    inserted = {c1};
    assert_true(ledger->record_charges({c1, c2, c3, c4}, &inserted, &error));
    assert_true(inserted.empty());
    // Duplicates within one batch are recorded once.
    const ChargeRecord c5 = charge(5, 1000);
    assert_true(ledger->record_charges({c5, c5}, &inserted, &error));
    assert_int_equal(inserted.size(), 1);
    // Nothing to record.
    inserted = {c1};
    assert_true(ledger->record_charges({}, &inserted, &error));
    assert_true(inserted.empty());
    // inserted is optional.
    assert_true(ledger->record_charges({charge(6, 1000)}, nullptr, &error));

    // In job, run order; the first version of c1 was kept; a missing rate reads back as -1.
    expect_charges(*ledger, {c1, c4, c3, c2, c5, charge(6, 1000)});
    assert_string_equal(query_text(db_path(state), "SELECT count(*) FROM charges;").c_str(), "6");
    assert_string_equal(query_text(db_path(state), "SELECT usd_ticks FROM charges WHERE job_id = 2;").c_str(),
                        "NULL");
}

void test_totals_and_adjustments(void** state) {
    auto ledger = open_ok(db_path(state));
    std::string error;
    assert_true(ledger->record_charges(
        {
            charge(1, 1000, "A", ticks_of(1'000'000), ticks_of(1'340'000)),
            charge(2, 1000, "A", ticks_of(2'000'000), -1),  // no rate: counts as $0
            charge(3, 1000, "B", ticks_of(500'000), ticks_of(1'050'000)),
            charge(4, 1000, "B", ticks_of(500'000), 0),
        },
        nullptr, &error));
    auto t = totals_of(*ledger);
    assert_int_equal(t.size(), 2);
    expect_total(t, "A", ticks_of(3'000'000), ticks_of(1'340'000));
    expect_total(t, "B", ticks_of(1'000'000), ticks_of(1'050'000));

    // Debits add, credits (negative) subtract, each in its own unit.
    const std::vector<Adjustment> adjustments = {
        adjustment("A", "chip_hours", 5'000'000, "test run on the wrong award"),
        adjustment("A", "usd", -1'000'000, "refund: node failure"),
        adjustment("A", "chip_hours", -2'500'000, "credit"),
        adjustment("C", "chip_hours", -3'000'000, "credit only"),
        adjustment("C", "usd", 7, "tiny"),
    };
    for (const auto& a : adjustments) assert_true(ledger->record_adjustment(a, &error));
    t = totals_of(*ledger);
    assert_int_equal(t.size(), 3);
    expect_total(t, "A", ticks_of(3'000'000 + 5'000'000 - 2'500'000), ticks_of(1'340'000 - 1'000'000));
    expect_total(t, "B", ticks_of(1'000'000), ticks_of(1'050'000));
    expect_total(t, "C", ticks_of(-3'000'000), ticks_of(7));

    std::vector<Adjustment> got;
    assert_true(ledger->adjustments(&got, &error));
    assert_int_equal(got.size(), adjustments.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        assert_string_equal(got[i].award.c_str(), adjustments[i].award.c_str());
        assert_string_equal(got[i].unit.c_str(), adjustments[i].unit.c_str());
        assert_int_equal(got[i].amount, adjustments[i].amount);
        assert_string_equal(got[i].reason.c_str(), adjustments[i].reason.c_str());
        assert_string_equal(got[i].who.c_str(), "root");
        assert_int_equal(got[i].at, 1'700'000'000);
    }

    // An unknown unit is refused, and nothing is recorded.
    error.clear();
    assert_false(ledger->record_adjustment(adjustment("A", "dollars", 1, "bad"), &error));
    assert_false(error.empty());
    assert_true(ledger->adjustments(&got, &error));
    assert_int_equal(got.size(), adjustments.size());
}

std::map<std::string, ChargeTotals> days_as_totals(const std::map<grants::DayNumber, ChargeTotals>& days) {
    std::map<std::string, ChargeTotals> out;
    for (const auto& [day, t] : days) out[std::to_string(day)] = t;
    return out;
}

// Deposits keep their history; an award's debits come per day (of the
// run's start, of the adjustment) in its unit, for funding.h.
void test_deposits_and_day_debits(void** state) {
    auto ledger = open_ok(db_path(state));
    std::string error;
    grants::Deposit d;
    d.award = "A";
    d.unit = "usd";
    d.amount = 25'000'000;
    d.from = 19'700;
    d.until = 19'800;
    d.reason = "supplement 1";
    d.who = "root";
    d.at = 1'702'000'000;
    std::int64_t id = 0;
    assert_true(ledger->record_deposit(d, &id, &error));
    assert_int_equal(id, 1);
    d.amount = -5'000'000;
    d.until.reset();
    d.reason = "correction";
    assert_true(ledger->record_deposit(d, &id, &error));
    assert_int_equal(id, 2);
    std::vector<grants::Deposit> got;
    assert_true(ledger->deposits(&got, &error));
    assert_int_equal(got.size(), 2);
    assert_int_equal(got[0].id, 1);
    assert_int_equal(got[0].amount, 25'000'000);
    assert_int_equal(*got[0].until, 19'800);
    assert_string_equal(got[0].reason.c_str(), "supplement 1");
    assert_int_equal(got[1].amount, -5'000'000);
    assert_false(got[1].until.has_value());
    grants::LedgerFilter other;
    other.award = "B";
    assert_true(ledger->deposits(&got, &error, other));
    assert_int_equal(got.size(), 0);

    // Days of 1000 s: runs 1 and 2 started on day 1, run 3 on day 2.
    assert_true(ledger->record_charges({charge(1, 1000, "A", ticks_of(1), ticks_of(10)),
                                        charge(2, 1999, "A", ticks_of(2), ticks_of(20)),
                                        charge(3, 2000, "A", ticks_of(4), -1), charge(4, 1000, "B", 9, 9)},
                                       nullptr, &error));
    Adjustment a = adjustment("A", "usd", 7, "debit");
    a.at = 3500;
    assert_true(ledger->record_adjustment(a, &error));
    assert_true(ledger->record_adjustment(adjustment("A", "chip_hours", 100, "other unit"), &error));
    std::map<grants::DayNumber, ChargeTotals> days;
    const auto day_of = [](std::int64_t t) -> std::int64_t { return t / 1000; };
    assert_true(ledger->day_totals("A", day_of, &days, &error));
    assert_int_equal(days.size(), 4);
    expect_total(days_as_totals(days), "1", ticks_of(3), ticks_of(30));
    expect_total(days_as_totals(days), "2", ticks_of(4), 0);  // run 3 had no dollar rate
    expect_total(days_as_totals(days), "3", 0, ticks_of(7));
    expect_total(days_as_totals(days), "1700000", ticks_of(100), 0);
}

void test_ticks_exact(void** state) {
    // Charges are stored in ticks, exactly: three runs of 16 chips x 600 s (8/3
    // chip-h, $3.5733... each) total 8 chip-h and $10.72, with nothing rounded.
    const std::string path = db_path(state);
    auto ledger = open_ok(path);
    std::string error;
    const Ticks chip_hours = 16LL * 600 * 1'000'000;
    const Ticks usd = 16LL * 600 * 1'340'000;
    std::vector<ChargeRecord> charges;
    for (std::uint32_t job = 1; job <= 3; ++job) {
        ChargeRecord c = charge(job, 1000, "T", chip_hours, usd);
        c.seconds = 600;
        charges.push_back(c);
    }
    // The largest amount a charge can have (saturated) reads back unchanged.
    const ChargeRecord huge = charge(4, 1000, "H", grants::kSaturatedTicks, grants::kSaturatedTicks - 1);
    charges.push_back(huge);
    assert_true(ledger->record_charges(charges, nullptr, &error));
    expect_charges(*ledger, charges);
    auto t = totals_of(*ledger);
    expect_total(t, "T", ticks_of(8'000'000), ticks_of(10'720'000));
    expect_total(t, "H", grants::kSaturatedTicks, grants::kSaturatedTicks - 1);
    // The columns hold ticks (adjustments keep millionths of the unit).
    assert_string_equal(query_text(path, "SELECT chip_hours_ticks FROM charges WHERE job_id = 1;").c_str(),
                        "9600000000");
    assert_string_equal(query_text(path, "SELECT usd_ticks FROM charges WHERE job_id = 1;").c_str(), "12864000000");
    assert_string_equal(query_text(path, "SELECT sum(chip_hours_ticks) FROM charges WHERE award = 'T';").c_str(),
                        "28800000000");

    // Adjustments in millionths become ticks in the totals: a credit of 8 chip-h and
    // of $10.72 cancels the three charges exactly; a one-millionth debit is 3600 ticks.
    assert_true(ledger->record_adjustment(adjustment("T", "chip_hours", -8'000'000, "credit"), &error));
    assert_true(ledger->record_adjustment(adjustment("T", "usd", -10'720'000, "credit"), &error));
    expect_total(totals_of(*ledger), "T", 0, 0);
    assert_true(ledger->record_adjustment(adjustment("T", "chip_hours", 1, "debit"), &error));
    expect_total(totals_of(*ledger), "T", 3600, 0);
    assert_string_equal(
        query_text(path, "SELECT group_concat(amount_micros, ',') FROM adjustments WHERE award = 'T';").c_str(),
        "-8000000,-10720000,1");
    // An adjustment to an award without charges.
    assert_true(ledger->record_adjustment(adjustment("NEW", "usd", 1'340'000, "debit"), &error));
    expect_total(totals_of(*ledger), "NEW", 0, ticks_of(1'340'000));
}

void test_durable_across_close(void** state) {
    const std::string path = db_path(state);
    const std::vector<ChargeRecord> charges = {charge(7, 100, "A", ticks_of(1'000'000), ticks_of(2'000'000)),
                                               charge(7, 200, "A", ticks_of(3'000'000), ticks_of(4'000'000))};
    std::string error;
    {
        auto ledger = open_ok(path);
        assert_true(ledger->record_charges(charges, nullptr, &error));
        assert_true(ledger->record_adjustment(adjustment("A", "usd", -500'000, "credit"), &error));
    }
    {
        auto ledger = open_ok(path);
        expect_charges(*ledger, charges);
        std::vector<Adjustment> adj;
        assert_true(ledger->adjustments(&adj, &error));
        assert_int_equal(adj.size(), 1);
        expect_total(totals_of(*ledger), "A", ticks_of(4'000'000), ticks_of(5'500'000));
        // After a restart, recording the same runs again charges nothing.
        std::vector<ChargeRecord> inserted;
        assert_true(ledger->record_charges(charges, &inserted, &error));
        assert_true(inserted.empty());
        assert_true(ledger->record_charges({charge(7, 300)}, &inserted, &error));
        assert_int_equal(inserted.size(), 1);
    }
    auto ledger = open_ok(path);
    expect_charges(*ledger, {charges[0], charges[1], charge(7, 300)});
}

void test_corrupt_file(void** state) {
    const std::string path = db_path(state);
    std::string garbage(8192, '\0');
    for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 131 + 7) & 0xff);
    write_file(path, garbage);
    expect_open_fails(path);
    expect_open_fails(path, true);
    // Text is not a database either.
    write_file(path, "this is not a database\n");
    expect_open_fails(path);
    // The file was not replaced by an empty ledger.
    struct stat st;
    assert_int_equal(::stat(path.c_str(), &st), 0);
    assert_int_equal(st.st_size, 23);
}

void test_corrupt_header_of_real_ledger(void** state) {
    // A real ledger whose header was overwritten.
    const std::string path = db_path(state);
    {
        auto ledger = open_ok(path);
        std::string error;
        assert_true(ledger->record_charges({charge(1, 1000)}, nullptr, &error));
    }
    ::unlink((path + "-wal").c_str());
    ::unlink((path + "-shm").c_str());
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    const char junk[] = "GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE";
    assert_int_equal(::pwrite(fd, junk, sizeof junk, 0), static_cast<ssize_t>(sizeof junk));
    assert_int_equal(::close(fd), 0);
    expect_open_fails(path);
}

void test_read_only(void** state) {
    const std::string path = db_path(state);
    std::string error;
    auto writer = open_ok(path);
    assert_true(
        writer->record_charges({charge(1, 1000, "A", ticks_of(1'000'000), ticks_of(1'340'000))}, nullptr, &error));
    assert_true(writer->record_adjustment(adjustment("A", "chip_hours", 1, "x"), &error));

    auto reader = open_ok(path, true);
    expect_charges(*reader, {charge(1, 1000, "A", ticks_of(1'000'000), ticks_of(1'340'000))});
    expect_total(totals_of(*reader), "A", ticks_of(1'000'001), ticks_of(1'340'000));

    // Writes are refused with an error and change nothing.
    std::vector<ChargeRecord> inserted = {charge(9, 9)};
    error.clear();
    assert_false(reader->record_charges({charge(2, 1000)}, &inserted, &error));
    assert_false(error.empty());
    error.clear();
    assert_false(reader->record_adjustment(adjustment("A", "usd", 1, "y"), &error));
    assert_false(error.empty());
    expect_charges(*writer, {charge(1, 1000, "A", ticks_of(1'000'000), ticks_of(1'340'000))});
    expect_total(totals_of(*writer), "A", ticks_of(1'000'001), ticks_of(1'340'000));

    // The reader sees what the writer commits later.
    assert_true(writer->record_charges({charge(3, 1000)}, nullptr, &error));
    expect_charges(*reader, {charge(1, 1000, "A", ticks_of(1'000'000), ticks_of(1'340'000)), charge(3, 1000)});

    // Read-only never creates a ledger.
    const std::string none = dir_of(state) + "/none.db";
    expect_open_fails(none, true);
    assert_false(exists(none));
}

void test_missing_directory(void** state) {
    const std::string path = dir_of(state) + "/no/such/dir/ledger.db";
    expect_open_fails(path);
    expect_open_fails(path, true);
    assert_false(exists(dir_of(state) + "/no"));
}

void test_symlink_refused(void** state) {
    // A ledger path that is a symlink (planted by someone else) is not followed.
    const std::string real = dir_of(state) + "/real.db";
    open_ok(real).reset();
    const std::string link = db_path(state);
    assert_int_equal(::symlink(real.c_str(), link.c_str()), 0);
    expect_open_fails(link);
}

// A ledger last written before transfers and the policy audit: read-only,
// adjustments and policy changes read without the new tables; the next
// writer's open creates them (the SQLite ledger upgrades itself), and a
// transfer is then two linked adjustments written in one transaction.
void test_old_ledger_upgrades_and_transfers(void** state) {
    const std::string path = db_path(state);
    std::string error;
    {
        auto ledger = open_ok(path);
        assert_true(ledger->record_adjustment(adjustment("A", "chip_hours", 5, "old"), &error));
    }
    sqlite3* db = nullptr;
    assert_int_equal(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE transfers; DROP TABLE policy_audit; DROP TABLE policy_fields;", nullptr,
                                  nullptr, nullptr),
                     SQLITE_OK);
    sqlite3_close(db);
    {
        auto reader = open_ok(path, true);
        std::vector<Adjustment> adjs;
        assert_true(reader->adjustments(&adjs, &error));
        assert_int_equal(adjs.size(), 1);
        assert_int_equal(adjs[0].transfer, 0);
        std::vector<grants::PolicyAuditRow> rows;
        assert_true(reader->policy_changes({}, &rows, &error));
        assert_true(rows.empty());
    }
    auto writer = open_ok(path);
    grants::Transfer t;
    t.from = Adjustment{"A", "chip_hours", 3'000'000, "move", "root", 10};
    t.to = Adjustment{"B", "usd", -4'020'000, "move", "root", 10};
    t.rate_micros = 1'340'000;
    std::int64_t id = 0;
    assert_true(writer->record_transfer(t, &id, &error));
    assert_int_equal(id, 1);
    std::vector<Adjustment> adjs;
    assert_true(writer->adjustments(&adjs, &error));
    assert_int_equal(adjs.size(), 3);
    assert_int_equal(adjs[1].transfer, 1);
    assert_string_equal(adjs[1].counterpart.c_str(), "B");
    assert_int_equal(adjs[2].transfer, 1);
    assert_string_equal(adjs[2].counterpart.c_str(), "A");
    std::map<std::string, ChargeTotals> totals;
    assert_true(writer->totals(&totals, &error));
    assert_int_equal(totals["A"].chip_hours, ticks_of(5) + ticks_of(3'000'000));
    assert_int_equal(totals["B"].usd, -ticks_of(4'020'000));
    assert_string_equal(query_text(path, "SELECT rate_micros FROM transfers;").c_str(), "1340000");
    // A second leg that fails (a bad unit) leaves nothing of the first.
    t.to.unit = "dollars";
    assert_false(writer->record_transfer(t, &id, &error));
    assert_true(writer->adjustments(&adjs, &error));
    assert_int_equal(adjs.size(), 3);
    assert_string_equal(query_text(path, "SELECT count(*) FROM transfers;").c_str(), "1");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_schema, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_record_exactly_once, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_totals_and_adjustments, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_deposits_and_day_debits, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_ticks_exact, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_durable_across_close, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_corrupt_file, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_corrupt_header_of_real_ledger, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_read_only, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_missing_directory, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_symlink_refused, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_old_ledger_upgrades_and_transfers, make_dir, remove_dir),
    };
    return cmocka_run_group_tests_name("ledger", tests, nullptr, nullptr);
}
