// enforce.wckey (core/policy/wckey_rule.h): the WCKey a tagged job gets at
// submission and what an update may do to it; the policy key and its checks.
#include <optional>
#include <string>

#include "cmocka.h"
#include "core/policy/policy_loader.h"
#include "core/policy/wckey_rule.h"
#include "core/site/doctor.h"

using grants::load_policy_text;
using grants::PolicyLoad;
using grants::WckeyChange;
using grants::WckeyVerdict;

namespace {

bool has(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

void test_wckey_is_the_award_in_lower_case(void** /*state*/) {
    assert_string_equal(grants::wckey_of_award("BOT-2025-0117").c_str(), "bot-2025-0117");
    assert_string_equal(grants::wckey_of_award("a.b_C-9").c_str(), "a.b_c-9");
}

void test_submit_replaces_a_users_wckey(void** /*state*/) {
    auto w = grants::wckey_at_submit("BOT-1", std::nullopt);
    assert_string_equal(w.wckey.c_str(), "bot-1");
    assert_true(w.note.empty());
    // The user's own WCKey equal to the award's (in any case): nothing to say.
    w = grants::wckey_at_submit("BOT-1", std::string("bot-1"));
    assert_string_equal(w.wckey.c_str(), "bot-1");
    assert_true(w.note.empty());
    w = grants::wckey_at_submit("BOT-1", std::string("Bot-1"));
    assert_true(w.note.empty());
    // Another one is replaced, and the user is told.
    w = grants::wckey_at_submit("BOT-1", std::string("physics"));
    assert_string_equal(w.wckey.c_str(), "bot-1");
    assert_true(has(w.note, "Its WCKey is bot-1, the award's"));
    assert_true(has(w.note, "physics"));
    assert_true(has(w.note, "replaced"));
}

void test_update_refuses_another_wckey(void** /*state*/) {
    WckeyChange c;
    c.job_id = 42;
    c.award = "BOT-1";
    c.pending = true;
    c.current = "bot-1";
    c.requested = "physics";
    WckeyVerdict v = grants::wckey_at_update(c);
    assert_true(v.refused);
    assert_true(has(v.message, "update of job 42 refused"));
    assert_true(has(v.message, "follows its award BOT-1"));
    assert_false(v.set.has_value());
    // The award's own WCKey, in any case, is no change.
    c.requested = "BOT-1";
    v = grants::wckey_at_update(c);
    assert_false(v.refused);
    assert_false(v.set.has_value());
    // A job on no award: its WCKey is not ours.
    c.award = "";
    c.requested = "physics";
    v = grants::wckey_at_update(c);
    assert_false(v.refused);
    assert_false(v.set.has_value());
}

void test_award_change_moves_a_pending_jobs_wckey(void** /*state*/) {
    WckeyChange c;
    c.job_id = 7;
    c.award = "BOT-2";
    c.award_changed = true;
    c.pending = true;
    c.current = "bot-1";
    WckeyVerdict v = grants::wckey_at_update(c);
    assert_false(v.refused);
    assert_true(v.set.has_value());
    assert_string_equal(v.set->c_str(), "bot-2");
    // ... also when the operator names the new award's WCKey in the same update.
    c.requested = "bot-2";
    v = grants::wckey_at_update(c);
    assert_true(v.set.has_value());
    // ... but not the old one.
    c.requested = "bot-1";
    v = grants::wckey_at_update(c);
    assert_true(v.refused);
    // A running job keeps its WCKey (Slurm would refuse the whole update), logged.
    c.requested.reset();
    c.pending = false;
    v = grants::wckey_at_update(c);
    assert_false(v.refused);
    assert_false(v.set.has_value());
    assert_true(has(v.log, "stays \"bot-1\""));
    // An update that changes no award leaves the WCKey alone (a job submitted
    // before enforce.wckey was turned on keeps its own).
    c.award_changed = false;
    c.pending = true;
    c.current = "*";
    v = grants::wckey_at_update(c);
    assert_false(v.set.has_value());
    assert_true(v.log.empty());
}

const char kHead[] = "version: 1\nenforce:\n  partitions: [trn1]\n";
const char kTail[] =
    "partitions:\n  trn1: { chips_per_node: 1 }\nawards:\n  BOT-1: { members: { users: [alice] }, budget: { "
    "chip_hours: 1 } }\n";

void test_policy_key(void** /*state*/) {
    PolicyLoad load = load_policy_text(std::string(kHead) + kTail, "g.yaml");
    assert_non_null(load.policy.get());
    assert_false(load.policy->wckey_is_award);  // off unless asked
    load = load_policy_text(std::string(kHead) + "  wckey: award\n" + kTail, "g.yaml");
    assert_non_null(load.policy.get());
    assert_true(load.policy->wckey_is_award);
    load = load_policy_text(std::string(kHead) + "  wckey: none\n" + kTail, "g.yaml");
    assert_non_null(load.policy.get());
    assert_false(load.policy->wckey_is_award);
    load = load_policy_text(std::string(kHead) + "  wckey: yes\n" + kTail, "g.yaml");
    assert_null(load.policy.get());
    assert_int_equal(load.errors.size(), 1);
    assert_true(has(load.errors[0].to_string(), "g.yaml:4:10"));
    assert_true(has(load.errors[0].to_string(), "enforce.wckey must be 'award' or 'none'"));
}

void test_awards_differing_in_case_collide(void** /*state*/) {
    const std::string two = std::string(kTail) + "  bot-1: { members: { users: [bob] }, budget: { chip_hours: 1 } }\n";
    // Without the option two such IDs are fine.
    PolicyLoad load = load_policy_text(std::string(kHead) + two, "g.yaml");
    assert_non_null(load.policy.get());
    load = load_policy_text(std::string(kHead) + "  wckey: award\n" + two, "g.yaml");
    assert_null(load.policy.get());
    assert_int_equal(load.errors.size(), 1);
    const std::string e = load.errors[0].to_string();
    assert_true(has(e, "g.yaml:4:10"));
    assert_true(has(e, "would share the WCKey bot-1"));
}

void test_doctor_warns_without_track_wckey(void** /*state*/) {
    PolicyLoad on = load_policy_text(std::string(kHead) + "  wckey: award\n" + kTail, "g.yaml");
    PolicyLoad off = load_policy_text(std::string(kHead) + kTail, "g.yaml");
    assert_non_null(on.policy.get());
    assert_non_null(off.policy.get());
    auto f = grants::check_wckey_tracking(*on.policy, false);
    assert_int_equal(f.size(), 1);
    assert_string_equal(f[0].code.c_str(), "wckey_not_tracked");
    assert_true(f[0].severity == grants::Severity::Warning);
    assert_true(has(f[0].message, "TrackWCKey=yes"));
    assert_true(grants::check_wckey_tracking(*on.policy, true).empty());
    assert_true(grants::check_wckey_tracking(*off.policy, false).empty());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wckey_is_the_award_in_lower_case),
        cmocka_unit_test(test_submit_replaces_a_users_wckey),
        cmocka_unit_test(test_update_refuses_another_wckey),
        cmocka_unit_test(test_award_change_moves_a_pending_jobs_wckey),
        cmocka_unit_test(test_policy_key),
        cmocka_unit_test(test_awards_differing_in_case_collide),
        cmocka_unit_test(test_doctor_warns_without_track_wckey),
    };
    return cmocka_run_group_tests_name("wckey_rule", tests, nullptr, nullptr);
}
