// The audit of policy changes (core/domain/policy_audit.h): each audited field of
// an award as text, diff_awards field by field (budget and unit, tranches,
// validity, members, PI and managers, limits, partitions, rollover), awards
// added and removed, nothing for an equal policy; and the SQLite ledger
// recording against its last recorded state: a first policy is all
// "added", the same policy again records nothing, a retry records nothing
// twice, a change is recorded once with its file and old and new values.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cmocka.h"
#include "temp_dir.h"
#include "core/base/date.h"
#include "core/domain/policy_audit.h"
#include "core/storage/ledger.h"

using namespace grants;

namespace {

using grants::test::dir_of;
using grants::test::make_dir;
using grants::test::remove_dir;

Award base() {
    Award a;
    a.id = "A";
    a.title = "MoE";
    a.pi = "carol";
    a.members.users = {"alice", "bob"};
    a.valid.from = day_number(2026, 1, 1);
    a.valid.until = day_number(2026, 12, 31);
    a.budget.unit = Budget::Unit::ChipHours;
    a.budget.amount = 100 * kMicrosPerUnit;
    a.file = "/etc/slurm/grants.yaml";
    return a;
}

// The single change between base() and b, as "field: old -> new".
std::string one_change(const Award& b) {
    PolicyFields before{{"A", audited_fields(base())}}, after{{"A", audited_fields(b)}};
    auto changes = diff_awards(before, after);
    if (changes.size() != 1) {
        print_error("%zu changes\n", changes.size());
        for (const auto& c : changes) print_error("  %s: %s -> %s\n", c.field.c_str(), c.old_value.c_str(), c.new_value.c_str());
        fail();
    }
    assert_string_equal(changes[0].award.c_str(), "A");
    return changes[0].field + ": " + changes[0].old_value + " -> " + changes[0].new_value;
}

void test_fields(void**) {
    AwardFields f = audited_fields(base());
    assert_string_equal(f["budget"].c_str(), "{ chip_hours: 100 }");
    assert_string_equal(f["valid"].c_str(), "{ from: 2026-01-01, until: 2026-12-31 }");
    assert_string_equal(f["users"].c_str(), "[alice, bob]");
    assert_string_equal(f["pi"].c_str(), "carol");
    assert_int_equal(f.count("limits.max_jobs"), 0);  // unset: absent
    assert_int_equal(f.count("tranches"), 0);
}

void test_each_field(void**) {
    Award b = base();
    b.budget.amount = 150'500'000;
    assert_string_equal(one_change(b).c_str(), "budget: { chip_hours: 100 } -> { chip_hours: 150.5 }");
    b = base();
    b.budget.unit = Budget::Unit::Usd;
    assert_string_equal(one_change(b).c_str(), "budget: { chip_hours: 100 } -> { usd: 100 }");
    b = base();
    b.valid.until = day_number(2027, 6, 30);
    assert_string_equal(one_change(b).c_str(),
                        "valid: { from: 2026-01-01, until: 2026-12-31 } -> { from: 2026-01-01, until: 2027-06-30 }");
    b = base();
    b.members.users.insert("dave");
    assert_string_equal(one_change(b).c_str(), "users: [alice, bob] -> [alice, bob, dave]");
    b = base();
    b.members.accounts = {"nlp"};
    assert_string_equal(one_change(b).c_str(), "accounts:  -> [nlp]");
    b = base();
    b.members.groups = {"lab"};
    assert_string_equal(one_change(b).c_str(), "groups:  -> [lab]");
    b = base();
    b.pi = "erin";
    assert_string_equal(one_change(b).c_str(), "pi: carol -> erin");
    b = base();
    b.managers = {"mgr"};
    assert_string_equal(one_change(b).c_str(), "managers:  -> [mgr]");
    b = base();
    b.partitions = {"trn1"};
    assert_string_equal(one_change(b).c_str(), "partitions:  -> [trn1]");
    b = base();
    b.limits.max_jobs = 7;
    assert_string_equal(one_change(b).c_str(), "limits.max_jobs:  -> 7");
    b = base();
    b.limits.per_user.max_running_chips = 32;
    assert_string_equal(one_change(b).c_str(), "limits.per_user.max_running_chips:  -> 32");
    b = base();
    b.limits.max_walltime_seconds = 2 * 86400;
    assert_string_equal(one_change(b).c_str(), "limits.max_walltime:  -> 2-00:00:00");
    b = base();
    b.rollover = true;
    assert_string_equal(one_change(b).c_str(), "rollover:  -> true");
    b = base();
    b.tranches = {Tranche{60 * kMicrosPerUnit, std::nullopt, day_number(2026, 6, 30)},
                  Tranche{40 * kMicrosPerUnit, day_number(2026, 7, 1), std::nullopt}};
    assert_string_equal(one_change(b).c_str(),
                        "tranches:  -> [{ chip_hours: 60, until: 2026-06-30 }, { chip_hours: 40, from: 2026-07-01 }]");
    b = base();
    b.title = "";
    assert_string_equal(one_change(b).c_str(), "title: MoE -> ");
    // Not audited: the file an award is read from.
    b = base();
    b.file = "/etc/slurm/awards.d/A.yaml";
    assert_true(diff_awards({{"A", audited_fields(base())}}, {{"A", audited_fields(b)}}).empty());
}

void test_added_and_removed(void**) {
    Award b = base();
    b.id = "B";
    PolicyFields one{{"A", audited_fields(base())}};
    PolicyFields two{{"A", audited_fields(base())}, {"B", audited_fields(b)}};
    assert_true(diff_awards(two, two).empty());
    auto added = diff_awards(one, two);
    assert_true(!added.empty());
    assert_string_equal(added[0].award.c_str(), "B");
    assert_string_equal(added[0].field.c_str(), "award");
    assert_string_equal(added[0].new_value.c_str(), "added");
    for (std::size_t i = 1; i < added.size(); ++i) {
        assert_string_equal(added[i].award.c_str(), "B");
        assert_string_equal(added[i].old_value.c_str(), "");
    }
    assert_int_equal(added.size(), 1 + audited_fields(b).size());
    auto removed = diff_awards(two, one);
    assert_int_equal(removed.size(), 1 + audited_fields(b).size());
    assert_string_equal(removed[0].new_value.c_str(), "removed");
    assert_string_equal(removed[1].new_value.c_str(), "");
    // From nothing (a fresh ledger): every award added.
    auto first = diff_awards({}, two);
    int awards = 0;
    for (const auto& c : first) awards += c.field == "award";
    assert_int_equal(awards, 2);
}

void test_sqlite_records_against_its_state(void** state) {
    const std::string path = dir_of(state) + "/ledger.db";
    std::string error;
    auto ledger = Ledger::open(path, &error);
    assert_non_null(ledger.get());
    PolicyFields p1{{"A", audited_fields(base())}};
    std::map<std::string, std::string> files{{"A", "/etc/slurm/grants.yaml"}};
    std::vector<PolicyChange> recorded;
    assert_true(ledger->record_policy("c1", p1, files, "", 100, &recorded, &error));
    assert_int_equal(recorded.size(), 1 + p1["A"].size());  // added, with every field
    // The same policy (a restart, a retry): nothing.
    assert_true(ledger->record_policy("c1", p1, files, "", 200, &recorded, &error));
    assert_true(recorded.empty());
    // A reopened ledger remembers (the state is in the file, not in memory).
    ledger.reset();
    ledger = Ledger::open(path, &error);
    assert_true(ledger->record_policy("c1", p1, files, "", 300, &recorded, &error));
    assert_true(recorded.empty());
    // A budget and a member changed: two rows, once.
    Award b = base();
    b.budget.amount = 120 * kMicrosPerUnit;
    b.members.users.insert("dave");
    PolicyFields p2{{"A", audited_fields(b)}};
    assert_true(ledger->record_policy("c1", p2, files, "", 400, &recorded, &error));
    assert_int_equal(recorded.size(), 2);
    assert_true(ledger->record_policy("c1", p2, files, "", 500, &recorded, &error));
    assert_true(recorded.empty());
    std::vector<PolicyAuditRow> rows;
    LedgerFilter f;
    f.award = "A";
    f.since = 400;
    assert_true(ledger->policy_changes(f, &rows, &error));
    assert_int_equal(rows.size(), 2);
    assert_string_equal(rows[0].change.field.c_str(), "budget");
    assert_string_equal(rows[0].change.old_value.c_str(), "{ chip_hours: 100 }");
    assert_string_equal(rows[0].change.new_value.c_str(), "{ chip_hours: 120 }");
    assert_string_equal(rows[1].change.new_value.c_str(), "[alice, bob, dave]");
    assert_string_equal(rows[1].file.c_str(), "/etc/slurm/grants.yaml");
    assert_int_equal(rows[1].at, 400);
    // Removed: with the default file when its own is not known.
    assert_true(ledger->record_policy("c1", {}, {}, "grants.yaml", 600, &recorded, &error));
    assert_string_equal(recorded[0].new_value.c_str(), "removed");
    f.since = 600;
    assert_true(ledger->policy_changes(f, &rows, &error));
    assert_string_equal(rows[0].file.c_str(), "grants.yaml");
    assert_string_equal(rows[0].cluster.c_str(), "c1");
    // Another cluster sharing the ledger has a state of its own: its first
    // policy is all added, and it leaves c1's alone.
    assert_true(ledger->record_policy("c2", p1, files, "", 700, &recorded, &error));
    assert_int_equal(recorded.size(), 1 + p1["A"].size());
    assert_true(ledger->record_policy("c1", {}, {}, "grants.yaml", 800, &recorded, &error));
    assert_true(recorded.empty());
    // No rows for an award never recorded.
    f = LedgerFilter{};
    f.award = "Z";
    assert_true(ledger->policy_changes(f, &rows, &error));
    assert_true(rows.empty());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_each_field),
        cmocka_unit_test(test_added_and_removed),
        cmocka_unit_test_setup_teardown(test_sqlite_records_against_its_state, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
