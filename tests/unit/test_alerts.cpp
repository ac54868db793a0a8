// Threshold alerts (alerts.h): which crossings are due, once each, the one
// message per award and kind, the recipients; alerts: in grants.yaml; and
// the ledger's memory of what was told.
#include <sqlite3.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "cmocka.h"
#include "temp_dir.h"
#include "core/domain/alerts.h"
#include "core/domain/cost_model.h"
#include "core/policy/policy_loader.h"
#include "core/storage/ledger.h"

using namespace grants;

namespace {

Ticks chip_h(std::int64_t n) { return ticks_of(n * 1'000'000); }

const char kPolicy[] =
    "version: 1\n"
    "enforce: {partitions: [a]}\n"
    "partitions: {a: {chips_per_node: 16}}\n"
    "alerts: {used: [50, 80], days_before_end: [30, 7]}\n"
    "awards:\n"
    "  NLP:\n"
    "    pi: carol\n"
    "    managers: [dave, carol]\n"
    "    members: {users: [alice, bob]}\n"
    "    valid: {until: 2027-03-31}\n"
    "    budget: {chip_hours: 100}\n"
    "  LOUD:\n"
    "    pi: erin\n"
    "    members: {users: [frank]}\n"
    "    budget: {chip_hours: 10}\n"
    "    alerts: {used: [90, 25], notify_members: yes}\n"
    "  NOBODY:\n"
    "    members: {users: [alice]}\n"
    "    budget: {chip_hours: 10}\n";

std::shared_ptr<const Policy> policy() {
    PolicyLoad load = load_policy_text(kPolicy, "g.yaml");
    for (const auto& e : load.errors) print_error("%s\n", e.message.c_str());
    assert_non_null(load.policy.get());
    return load.policy;
}

AwardStatus status(const std::string& id, Ticks budget, Ticks charged, Ticks held,
                   std::optional<DayNumber> until = std::nullopt) {
    AwardStatus s;
    s.id = id;
    s.budget = budget;
    s.charged = charged;
    s.held = held;
    s.valid_until = until;
    return s;
}

void test_rules_and_recipients(void**) {
    auto p = policy();
    EffectiveAlertRules nlp = alert_rules(*p, *p->find_award("NLP"));
    assert_true((nlp.used == std::vector<int>{50, 80}));  // the policy's defaults
    assert_true((nlp.days_before_end == std::vector<int>{7, 30}));
    assert_false(nlp.notify_members);
    EffectiveAlertRules loud = alert_rules(*p, *p->find_award("LOUD"));
    assert_true((loud.used == std::vector<int>{25, 90}));          // its own, sorted
    assert_true((loud.days_before_end == std::vector<int>{7, 30})); // the policy's
    assert_true(loud.notify_members);
    assert_true((alert_recipients(*p->find_award("NLP"), false) == std::vector<std::string>{"carol", "dave"}));
    assert_true((alert_recipients(*p->find_award("LOUD"), true) == std::vector<std::string>{"erin", "frank"}));
    // Without alerts: anywhere, the built-in defaults.
    PolicyLoad plain = load_policy_text(
        "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards:\n"
        "  A: {members: {users: [x]}, budget: {chip_hours: 1}}\n",
        "g.yaml");
    assert_non_null(plain.policy.get());
    EffectiveAlertRules d = alert_rules(*plain.policy, *plain.policy->find_award("A"));
    assert_true((d.used == std::vector<int>{50, 80, 95, 100}));
    assert_true((d.days_before_end == std::vector<int>{7, 30}));
}

// Names MailProg is given (MailProg -s SUBJECT USER, no "--", as slurmctld
// calls it): user names only; never one it could take for an option.
void test_mail_recipients(void**) {
    for (const char* good : {"alice", "a.b_c-d", "u1", "_svc", "alice@EXAMPLE.org", "9lives"}) {
        if (!mail_recipient_problem(good).empty()) {
            print_error("'%s' refused: %s\n", good, mail_recipient_problem(good).c_str());
            fail();
        }
    }
    const std::string dash = mail_recipient_problem("-oProxyCommand=sh");
    assert_true(dash.find("recipient -oProxyCommand=sh starts with '-'") != std::string::npos);
    assert_true(dash.find("MailProg -s SUBJECT USER") != std::string::npos);
    for (const char* bad : {"-", "--", "-f/etc/passwd", "", "a b", "a\nb", "a;rm -rf /", "$(id)", "`id`", "../x",
                            "a/b", ".hidden", "caf\xc3\xa9", "a'b", "a\"b", "a\\b", "a\tb", "@x"}) {
        const std::string why = mail_recipient_problem(bad);
        assert_false(why.empty());
        for (char c : why) assert_true(c >= 0x20 && c < 0x7f);  // the name is quoted for the log
    }
    assert_true(mail_recipient_problem(std::string(255, 'a')).empty());
    assert_true(mail_recipient_problem(std::string(256, 'a')).find("longer than 255") != std::string::npos);
    assert_true(mail_recipient_problem("a\nb").find("\"a\\x0ab\"") != std::string::npos);
}

void test_crossings_once_each(void**) {
    auto p = policy();
    const DayNumber today = day_number(2027, 1, 1);
    // 45 charged + 10 held of 100: 55 % crosses 50 (held jobs count).
    auto due = due_alerts(*p, {status("NLP", chip_h(100), chip_h(45), chip_h(10))}, {}, today, 1000, "clu");
    assert_int_equal(due.size(), 1);
    assert_string_equal(due[0].kind.c_str(), "used");
    assert_int_equal(due[0].threshold, 50);
    assert_string_equal(due[0].recipients.c_str(), "carol,dave");
    assert_string_equal(due[0].subject.c_str(), "[slurm-grants] award NLP has used 50% of its budget");
    assert_non_null(strstr(due[0].body.c_str(), "charged  45.0 chip-h"));
    assert_non_null(strstr(due[0].body.c_str(), "cluster clu"));
    assert_false(due[0].sent_at.has_value());
    // Known: not due again; at 85 % only 80 is new.
    std::set<AlertKey> known{{"NLP", "used", 50}};
    due = due_alerts(*p, {status("NLP", chip_h(100), chip_h(55), chip_h(30))}, known, today, 1000, "clu");
    assert_int_equal(due.size(), 1);
    assert_int_equal(due[0].threshold, 80);
    // Exactly at a threshold counts; just below does not.
    assert_int_equal(due_alerts(*p, {status("NLP", chip_h(100), chip_h(80), 0)}, known, today, 1, "c").size(), 1);
    assert_int_equal(due_alerts(*p, {status("NLP", chip_h(100), chip_h(80) - 1, 0)}, known, today, 1, "c").size(), 0);
    // A jump over both: one message for the highest, the other covered.
    due = due_alerts(*p, {status("NLP", chip_h(100), chip_h(99), 0)}, {}, today, 1000, "clu");
    assert_int_equal(due.size(), 2);
    assert_int_equal(due[0].threshold, 50);
    assert_true(due[0].subject.empty() && due[0].sent_at == 1000);
    assert_int_equal(due[1].threshold, 80);
    assert_false(due[1].subject.empty());
    // No budget, or nobody to tell: nothing.
    assert_int_equal(due_alerts(*p, {status("NLP", 0, chip_h(5), 0)}, {}, today, 1, "c").size(), 0);
    assert_int_equal(due_alerts(*p, {status("NOBODY", chip_h(10), chip_h(10), 0)}, {}, today, 1, "c").size(), 0);
    // An award the policy no longer has: nothing.
    assert_int_equal(due_alerts(*p, {status("GONE", chip_h(10), chip_h(10), 0)}, {}, today, 1, "c").size(), 0);
}

void test_days_before_end(void**) {
    auto p = policy();
    const DayNumber end = day_number(2027, 3, 31);
    // 31 days before: nothing; 30: the 30-day alert; 5: the 7-day one.
    assert_int_equal(due_alerts(*p, {status("NLP", chip_h(100), 0, 0, end)}, {}, end - 31, 1, "c").size(), 0);
    auto due = due_alerts(*p, {status("NLP", chip_h(100), 0, 0, end)}, {}, end - 30, 1, "c");
    assert_int_equal(due.size(), 1);
    assert_int_equal(due[0].threshold, 30);
    assert_string_equal(due[0].subject.c_str(), "[slurm-grants] award NLP ends in 30 days (2027-03-31)");
    due = due_alerts(*p, {status("NLP", chip_h(100), 0, 0, end)}, {{"NLP", "days_before_end", 30}}, end - 5, 1, "c");
    assert_int_equal(due.size(), 1);
    assert_int_equal(due[0].threshold, 7);
    assert_string_equal(due[0].subject.c_str(), "[slurm-grants] award NLP ends in 5 days (2027-03-31)");
    // After the end: nothing more.
    assert_int_equal(due_alerts(*p, {status("NLP", chip_h(100), 0, 0, end)}, {}, end + 1, 1, "c").size(), 0);
}

void test_alerts_in_grants_yaml_errors(void**) {
    const std::string head = "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\n";
    const std::string award = "awards:\n  A: {members: {users: [x]}, budget: {chip_hours: 1}}\n";
    struct Case {
        std::string alerts, want;
    } cases[] = {
        {"alerts: {used: [0]}\n", "g.yaml:4:17: alerts.used entry must be between 1 and 100, found 0"},
        {"alerts: {used: [50, 50]}\n", "g.yaml:4:21: alerts.used lists 50 twice"},
        {"alerts: {used: 50}\n", "g.yaml:4:16: alerts.used must be a list such as [50, 80], found a scalar value"},
        {"alerts: {days_before_end: [4000]}\n",
         "g.yaml:4:28: alerts.days_before_end entry must be between 1 and 3660, found 4000"},
        {"alerts: {notify_members: maybe}\n", "g.yaml:4:26: alerts.notify_members must be"},
        {"alerts: {colour: red}\n", "g.yaml:4:10: unknown key \"colour\" in alerts"},
    };
    for (const Case& c : cases) {
        PolicyLoad load = load_policy_text(head + c.alerts + award, "g.yaml");
        assert_null(load.policy.get());
        assert_true(!load.errors.empty());
        const std::string got = load.errors[0].to_string();
        if (got.rfind(c.want, 0) != 0) fail_msg("got '%s', want '%s...'", got.c_str(), c.want.c_str());
    }
}

void test_ledger_remembers(void** state) {
    std::string error;
    const std::string path = grants::test::dir_of(state) + "/ledger.db";
    auto ledger = Ledger::open(path, &error);
    assert_non_null(ledger.get());
    std::vector<AlertRow> rows;
    assert_true(ledger->alerts(&rows, &error));
    assert_int_equal(rows.size(), 0);
    auto p = policy();
    auto due = due_alerts(*p, {status("NLP", chip_h(100), chip_h(99), 0)}, {}, day_number(2027, 1, 1), 1000, "c");
    assert_true(ledger->record_alerts(due, &error));
    // Recording again (a second run that raced the first) changes nothing.
    assert_true(ledger->record_alerts(due, &error));
    assert_true(ledger->alerts(&rows, &error));
    assert_int_equal(rows.size(), 2);
    assert_int_equal(rows[1].threshold, 80);
    assert_false(rows[1].sent_at.has_value());
    assert_string_equal(rows[1].body.c_str(), due[1].body.c_str());
    assert_true(ledger->mark_alert_sent("NLP", "used", 80, 2000, &error));
    assert_true(ledger->alerts(&rows, &error));
    assert_true(rows[1].sent_at == 2000);
    assert_true(rows[0].sent_at == 1000);  // covered
    // An old ledger opened read-only has no alerts table: none, no error.
    ledger.reset();
    sqlite3* db = nullptr;
    assert_int_equal(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE alerts;", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto ro = Ledger::open(path, &error, true);
    assert_non_null(ro.get());
    assert_true(ro->alerts(&rows, &error));
    assert_int_equal(rows.size(), 0);
}

// What the ledger remembers: every recorded crossing is known (never told
// again); a message recorded but not sent is sent again, once marked sent
// it is not; a covered threshold (no subject) has nothing to send.
void test_recorded_alerts(void**) {
    AlertRow sent, unsent, covered;
    sent.award = unsent.award = covered.award = "A";
    sent.kind = "used";
    sent.threshold = 50;
    sent.subject = "A: 50% used";
    sent.sent_at = 1'700'000'000;
    unsent.kind = "used";
    unsent.threshold = 80;
    unsent.subject = "A: 80% used";
    covered.kind = "used";
    covered.threshold = 95;
    const RecordedAlerts r = recorded_alerts({sent, unsent, covered});
    assert_int_equal(r.known.size(), 3);
    assert_true(r.known.count(AlertKey{"A", "used", 50}) && r.known.count(AlertKey{"A", "used", 80}) &&
                r.known.count(AlertKey{"A", "used", 95}));
    assert_int_equal(r.unsent.size(), 1);
    assert_int_equal(r.unsent[0].threshold, 80);
    assert_true(recorded_alerts({}).unsent.empty());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_and_recipients),
        cmocka_unit_test(test_mail_recipients),
        cmocka_unit_test(test_crossings_once_each),
        cmocka_unit_test(test_days_before_end),
        cmocka_unit_test(test_alerts_in_grants_yaml_errors),
        cmocka_unit_test(test_recorded_alerts),
        cmocka_unit_test_setup_teardown(test_ledger_remembers, grants::test::make_dir, grants::test::remove_dir),
    };
    return cmocka_run_group_tests_name("alerts", tests, nullptr, nullptr);
}
