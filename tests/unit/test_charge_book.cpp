// The charge book read incrementally (core/domain/charge_book.h, update_charge_book):
// after a whole load, the rows other writers append (charges, adjustments,
// transfers, deposits) and the charges the book's own thread records are
// read alone, and the book then equals one loaded whole, entry for entry and
// sum for sum; anything but appended rows (a row deleted or changed, a row
// made visible below what was read, a recorded charge missing) makes it ask
// for a whole load instead.
#include <sqlite3.h>

#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "charge_fixture.h"
#include "cmocka.h"
#include "temp_dir.h"
#include "core/domain/charge_book.h"
#include "core/domain/cost_model.h"
#include "core/storage/book_loader.h"
#include "core/storage/ledger.h"

using namespace grants;
using grants::test::dir_of;
using grants::test::make_dir;
using grants::test::remove_dir;

namespace {

const std::int64_t kT0 = 1'700'000'000;
const char* const kAwards[] = {"A-1", "B-2", "C-3", "new-award"};

std::string db_path(void** state) { return dir_of(state) + "/ledger.db"; }

ChargeRecord charge(const std::string& cluster, std::uint32_t job, std::int64_t start, const std::string& award,
                    const std::string& user, std::int64_t chips, std::int64_t seconds, bool rated = true) {
    return TestCharge(job, start, award)
        .cluster(cluster)
        .user(user)
        .account("acct-" + user)
        .partition(job % 2 ? "trn1" : "inf2")
        .run(chips, seconds, rated ? TestCharge::kRate : -1)
        .recorded(start + seconds + 30);
}

DayNumber utc_day(std::int64_t at) { return static_cast<DayNumber>(at / 86400); }

std::unique_ptr<Ledger> open_ok(const std::string& path) {
    std::string error;
    auto ledger = Ledger::open(path, &error);
    if (!ledger) fail_msg("%s", error.c_str());
    return ledger;
}

void record(Ledger& ledger, const std::vector<ChargeRecord>& charges, ChargeBook* own_book = nullptr) {
    std::vector<ChargeRecord> inserted;
    std::string error;
    assert_true(ledger.record_charges(charges, &inserted, &error));
    assert_int_equal(inserted.size(), charges.size());
    if (own_book) own_book->add_charges(inserted);
}

void deposit(Ledger& ledger, const std::string& award, Micros amount, std::int64_t at) {
    Deposit d;
    d.award = award;
    d.unit = "chip_hours";
    d.amount = amount;
    d.from = utc_day(at);
    d.until = d.from + 30;
    d.reason = "supplement";
    d.who = "root";
    d.at = at;
    std::int64_t id = 0;
    std::string error;
    assert_true(ledger.record_deposit(d, &id, &error));
}

void transfer(Ledger& ledger, std::int64_t at) {
    Transfer t;
    t.from = Adjustment{"A-1", "chip_hours", 7 * kMicrosPerUnit, "move", "root", at};
    t.to = Adjustment{"B-2", "chip_hours", -7 * kMicrosPerUnit, "move", "root", at};
    t.from.counterpart = "B-2";
    t.to.counterpart = "A-1";
    std::int64_t id = 0;
    std::string error;
    assert_true(ledger.record_transfer(t, &id, &error));
}

// Several awards, users and clusters, a charge without a rate, an
// adjustment, a transfer and a deposit.
void fill(Ledger& ledger) {
    std::vector<ChargeRecord> charges;
    for (std::uint32_t i = 0; i < 60; ++i) {
        charges.push_back(charge(i % 3 ? "alpha" : "beta", 100 + i, kT0 + i * 7200, kAwards[i % 3],
                                 i % 4 ? "alice" : "bob", 1 + i % 5, 600 + i, i != 7));
    }
    record(ledger, charges);
    std::string error;
    assert_true(ledger.record_adjustment(Adjustment{"A-1", "chip_hours", 5 * kMicrosPerUnit, "fix", "root", kT0 + 50},
                                         &error));
    transfer(ledger, kT0 + 60);
    deposit(ledger, "C-3", 40 * kMicrosPerUnit, kT0 + 70);
}

void load(const Ledger& ledger, ChargeBook* book) {
    ChargeBook::Contents contents(utc_day);
    std::string error;
    assert_true(load_charge_book(ledger, &contents, &error));
    book->replace(std::move(contents));
}

std::string text_of(const ChargeRecord& c) {
    return c.award + "|" + c.user + "|" + c.account + "|" + c.partition + "|" + c.cluster + "|" +
           std::to_string(c.job_id) + "|" + std::to_string(c.run_start) + "|" + std::to_string(c.chips) + "|" +
           std::to_string(c.seconds) + "|" + std::to_string(c.chip_hours) + "|" + std::to_string(c.usd) + "|" +
           std::to_string(c.recorded_at);
}

std::string text_of(const Adjustment& a) {
    return a.award + "|" + a.unit + "|" + std::to_string(a.amount) + "|" + a.reason + "|" + a.who + "|" +
           std::to_string(a.at) + "|" + std::to_string(a.transfer) + "|" + a.counterpart;
}

std::string text_of(const Deposit& d) {
    return std::to_string(d.id) + "|" + d.award + "|" + d.unit + "|" + std::to_string(d.amount) + "|" +
           std::to_string(d.from) + "|" + (d.until ? std::to_string(*d.until) : "-") + "|" + d.reason + "|" + d.who +
           "|" + std::to_string(d.at);
}

template <typename T>
void assert_same(const std::vector<T>& a, const std::vector<T>& b) {
    assert_int_equal(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) assert_string_equal(text_of(a[i]).c_str(), text_of(b[i]).c_str());
}

// Every entry of every award, its members and its days, in both units.
void assert_books_equal(const ChargeBook& got, const ChargeBook& whole) {
    assert_int_equal(got.charges(), whole.charges());
    for (const char* award : kAwards) {
        std::vector<ChargeRecord> c1, c2;
        std::vector<Adjustment> a1, a2;
        std::vector<Deposit> d1, d2;
        got.statement_entries(award, INT64_MAX, &c1, &a1, &d1);
        whole.statement_entries(award, INT64_MAX, &c2, &a2, &d2);
        assert_same(c1, c2);
        assert_same(a1, a2);
        assert_same(d1, d2);
        got.award_entries(award, {}, &c1, &a1);
        whole.award_entries(award, {}, &c2, &a2);
        assert_same(c1, c2);
        assert_same(a1, a2);
        for (Budget::Unit unit : {Budget::Unit::ChipHours, Budget::Unit::Usd}) {
            const auto m1 = got.members(award, unit), m2 = whole.members(award, unit);
            assert_int_equal(m1.size(), m2.size());
            for (const auto& [user, m] : m2) {
                assert_int_equal(got.members(award, unit).at(user).runs, m.runs);
                assert_int_equal(m1.at(user).charged, m.charged);
            }
            assert_true(got.daily(award, unit, 0) == whole.daily(award, unit, 0));
        }
    }
}

void assert_equals_whole_load(const Ledger& ledger, const ChargeBook& book) {
    ChargeBook whole;
    load(ledger, &whole);
    assert_books_equal(book, whole);
}

BookUpdate update(const Ledger& ledger, ChargeBook* book) {
    std::string error;
    const BookUpdate u = update_charge_book(ledger, book, &error);
    if (u == BookUpdate::Failed) fail_msg("%s", error.c_str());
    return u;
}

// Runs sql on the ledger file from a connection of its own (an admin's
// sqlite3 shell), as the triggers see it.
void by_hand(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    assert_int_equal(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* msg = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) fail_msg("%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

void test_appended_rows_read_alone(void** state) {
    auto controller = open_ok(db_path(state));
    fill(*controller);
    ChargeBook book;
    load(*controller, &book);
    assert_int_equal(book.charges(), 60);

    // Another writer appends: another cluster's charges (one a new award's,
    // one dated before every day the award had, one without a rate), an
    // adjustment, a transfer, a deposit. The controller records its own
    // charges in between, adding them to the book itself.
    auto other = open_ok(db_path(state));
    record(*other, {charge("beta", 900, kT0 + 80 * 7200, "A-1", "carol", 4, 900),
                    charge("beta", 901, kT0 - 30 * 86400, "B-2", "alice", 2, 60, false),
                    charge("beta", 902, kT0 + 3 * 86400, "new-award", "dave", 8, 3600)});
    record(*controller, {charge("alpha", 1000, kT0 + 90 * 7200, "A-1", "alice", 16, 300),
                         charge("alpha", 1001, kT0 + 5 * 86400, "C-3", "erin", 1, 10)},
           &book);
    std::string error;
    assert_true(other->record_adjustment(Adjustment{"C-3", "chip_hours", -2 * kMicrosPerUnit, "credit", "root", kT0 + 90},
                                         &error));
    transfer(*other, kT0 + 95);
    deposit(*other, "A-1", 10 * kMicrosPerUnit, kT0 + 99);
    record(*controller, {charge("alpha", 1002, kT0 + 91 * 7200, "B-2", "bob", 2, 120)}, &book);
    assert_int_equal(book.recorded_unread(), 3);

    assert_int_equal(update(*controller, &book), BookUpdate::Updated);
    assert_int_equal(book.recorded_unread(), 0);
    assert_int_equal(book.charges(), 66);
    assert_equals_whole_load(*controller, book);

    // Nothing new: nothing added. Then only the controller's own charges,
    // then only the other writer's: each read adds what it lacks, once.
    assert_int_equal(update(*controller, &book), BookUpdate::Updated);
    assert_equals_whole_load(*controller, book);
    record(*controller, {charge("alpha", 1003, kT0 + 92 * 7200, "A-1", "bob", 3, 30)}, &book);
    assert_int_equal(update(*controller, &book), BookUpdate::Updated);
    assert_equals_whole_load(*controller, book);
    record(*other, {charge("beta", 903, kT0 + 93 * 7200, "A-1", "bob", 3, 30)});
    deposit(*other, "B-2", 3 * kMicrosPerUnit, kT0 + 120);
    assert_int_equal(update(*controller, &book), BookUpdate::Updated);
    assert_int_equal(book.charges(), 68);
    assert_equals_whole_load(*controller, book);
}

// The controller's own charges come back among the appended rows: they are
// recognised by their key (cluster, job id, run start), which the ledger
// holds once, and not added a second time, even where another cluster has
// a charge of the same job id and run start.
void test_own_charges_not_doubled(void** state) {
    auto controller = open_ok(db_path(state));
    fill(*controller);
    ChargeBook book;
    load(*controller, &book);
    auto other = open_ok(db_path(state));
    record(*controller, {charge("alpha", 2000, kT0 + 100 * 7200, "A-1", "alice", 4, 100)}, &book);
    record(*other, {charge("beta", 2000, kT0 + 100 * 7200, "A-1", "alice", 4, 100)});
    const auto before = book.members("A-1", Budget::Unit::ChipHours);
    assert_int_equal(update(*controller, &book), BookUpdate::Updated);
    assert_int_equal(book.charges(), 62);
    const auto after = book.members("A-1", Budget::Unit::ChipHours);
    assert_int_equal(after.at("alice").runs, before.at("alice").runs + 1);  // beta's, not alpha's again
    assert_equals_whole_load(*controller, book);
    // Read again: still once.
    assert_int_equal(update(*controller, &book), BookUpdate::Updated);
    assert_int_equal(book.charges(), 62);

    // A charge added to the book that the ledger does not hold (it cannot
    // happen: add_charges takes what record_charges inserted) is a doubt.
    book.add_charges({charge("alpha", 2001, kT0, "A-1", "alice", 1, 1)});
    assert_int_equal(update(*controller, &book), BookUpdate::Reload);
}

// Whatever is not an append makes the book ask for a whole load, and the
// book stays as it was.
void test_non_append_changes_force_a_whole_load(void** state) {
    const std::string path = db_path(state);
    auto controller = open_ok(path);
    fill(*controller);
    const char* const changes[] = {
        // The last charge deleted, and a new one appended in its id (SQLite
        // reuses the highest id): the count alone would not tell.
        "DELETE FROM charges WHERE id = (SELECT max(id) FROM charges);"
        "INSERT INTO charges (cluster, job_id, run_start, award, user, account, partition, chips, seconds,"
        " chip_hours_ticks, usd_ticks, recorded_at) VALUES ('alpha', 7, 5, 'A-1', 'zed', 'a', 'p', 1, 1, 1, 1, 6);",
        "UPDATE charges SET chips = chips + 1 WHERE id = 3;",
        "UPDATE adjustments SET amount_micros = 1 WHERE id = 1;",
        "DELETE FROM deposits;",
        // A charge appearing below the highest id read (as a MySQL
        // transaction that took an id before another but committed after it).
        "INSERT INTO charges (id, cluster, job_id, run_start, award, user, account, partition, chips, seconds,"
        " chip_hours_ticks, usd_ticks, recorded_at) VALUES (1000000, 'alpha', 8, 5, 'A-1', 'zed', 'a', 'p', 1, 1, 1, 1, 6);"
        "DELETE FROM charges WHERE id = 1000000;",
    };
    for (const char* sql : changes) {
        ChargeBook book;
        load(*controller, &book);
        by_hand(path, sql);
        const std::size_t held = book.charges();
        assert_int_equal(update(*controller, &book), BookUpdate::Reload);
        assert_int_equal(book.charges(), held);
    }
    // The late row itself: a gap in the ids read, filled afterwards.
    by_hand(path, "INSERT INTO charges (id, cluster, job_id, run_start, award, user, account, partition, chips, seconds,"
                  " chip_hours_ticks, usd_ticks, recorded_at) VALUES (5000, 'alpha', 9, 5, 'A-1', 'zed', 'a', 'p', 1,"
                  " 1, 1, 1, 6);");
    ChargeBook book;
    load(*controller, &book);
    by_hand(path, "INSERT INTO charges (id, cluster, job_id, run_start, award, user, account, partition, chips, seconds,"
                  " chip_hours_ticks, usd_ticks, recorded_at) VALUES (4000, 'alpha', 10, 5, 'A-1', 'zed', 'a', 'p', 1,"
                  " 1, 1, 1, 6);");
    assert_int_equal(update(*controller, &book), BookUpdate::Reload);
    // Loaded whole, it reads on from there.
    load(*controller, &book);
    record(*controller, {charge("alpha", 3000, kT0, "A-1", "alice", 1, 1)}, &book);
    assert_int_equal(update(*controller, &book), BookUpdate::Updated);
    assert_equals_whole_load(*controller, book);
}

// A book not loaded from a ledger (or not at all, or cleared after a
// takeover) has nothing to read on from.
void test_unloaded_book_needs_a_whole_load(void** state) {
    auto controller = open_ok(db_path(state));
    fill(*controller);
    ChargeBook book;
    assert_int_equal(update(*controller, &book), BookUpdate::Reload);
    ChargeBook::Contents contents(utc_day);
    contents.add(charge("alpha", 1, kT0, "A-1", "alice", 1, 1));
    book.replace(std::move(contents));
    assert_int_equal(update(*controller, &book), BookUpdate::Reload);
    load(*controller, &book);
    book.clear();
    assert_int_equal(update(*controller, &book), BookUpdate::Reload);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_appended_rows_read_alone, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_own_charges_not_doubled, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_non_append_changes_force_a_whole_load, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_unloaded_book_needs_a_whole_load, make_dir, remove_dir),
    };
    return cmocka_run_group_tests_name("charge_book", tests, nullptr, nullptr);
}
