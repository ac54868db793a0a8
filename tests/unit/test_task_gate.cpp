// The SPANK task check (core/domain/task_gate.h): with the job record, an approved
// tag is needed on an enforced partition; without it (slurmctld did not
// answer after the bounded retry), a job the step says may run on an
// enforced partition, or one whose partition is unknown, is refused: fail
// closed. The retry itself, with an injected loader.
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/task_gate.h"

using grants::decide_task_gate;
using grants::Policy;
using grants::retry_bounded;
using grants::StepFacts;
using grants::TaskGate;

namespace {

Policy policy() {
    Policy p;
    p.enforced_partitions = {"trn1", "trn2"};
    p.partitions["trn1"].chips_per_node = 16;
    p.partitions["trn2"].chips_per_node = 16;
    return p;
}

StepFacts loaded(const char* partition, const char* admin_comment) {
    StepFacts f;
    f.job_id = 42;
    f.record_loaded = true;
    f.partition = partition;
    f.admin_comment = admin_comment;
    f.attempts = 1;
    return f;
}

StepFacts unanswered(std::optional<std::string> hint) {
    StepFacts f;
    f.job_id = 42;
    f.partition_hint = std::move(hint);
    f.attempts = grants::kJobRecordAttempts;
    return f;
}

void test_with_the_record(void**) {
    const Policy p = policy();
    TaskGate g = decide_task_gate(p, loaded("trn1", "award=BOT-A"));
    assert_true(g.refusal.empty());
    assert_string_equal(g.award->c_str(), "BOT-A");
    g = decide_task_gate(p, loaded("trn1", "reviewed"));
    assert_false(g.award.has_value());
    assert_string_equal(g.refusal.c_str(),
                        "job 42 runs on partition trn1, which needs an approved award, but it carries none; "
                        "refusing to start its tasks");
    assert_true(decide_task_gate(p, loaded("trn1", "grants=unchecked")).refusal.empty());  // on_error=open
    g = decide_task_gate(p, loaded("cpu", ""));
    assert_true(g.refusal.empty());
    assert_false(g.award.has_value());
    // A malformed tag is no approval.
    assert_false(decide_task_gate(p, loaded("trn1", "award=-x")).refusal.empty());
}

void test_without_the_record_fails_closed(void**) {
    const Policy p = policy();
    TaskGate g = decide_task_gate(p, unanswered(std::string("trn1")));
    assert_false(g.award.has_value());
    assert_string_equal(g.refusal.c_str(),
                        "job 42: slurmctld did not answer for its job record (2 tries), so its award tag cannot be "
                        "checked; it runs on partition trn1, which needs an approved award: refusing to start its "
                        "tasks; run it again when the controller answers");
    // Any enforced partition in the list; an unknown partition; none at all.
    assert_false(decide_task_gate(p, unanswered(std::string("cpu,trn2"))).refusal.empty());
    for (const std::optional<std::string>& hint : {std::optional<std::string>(), std::optional<std::string>("")}) {
        g = decide_task_gate(p, unanswered(hint));
        assert_true(g.refusal.find("its partition is unknown here, so refusing to start its tasks") !=
                    std::string::npos);
    }
    // The step says it runs outside the enforced partitions: it starts, as before.
    g = decide_task_gate(p, unanswered(std::string("cpu")));
    assert_true(g.refusal.empty());
    assert_false(g.award.has_value());
    // A hostile hint never reaches the log raw.
    g = decide_task_gate(p, unanswered(std::string("trn1\nforged")));
    assert_true(g.refusal.find('\n') == std::string::npos);
}

void test_bounded_retry(void**) {
    std::vector<int> pauses;
    const auto pause = [&](int retry) { pauses.push_back(retry); };
    int calls = 0;
    bool ok = false;
    // Answers at once: one call, no pause.
    assert_int_equal(retry_bounded([&] { return ++calls > 0; }, grants::kJobRecordAttempts, pause, &ok), 1);
    assert_true(ok);
    assert_true(pauses.empty());
    // Busy once: answered by the retry, after one pause.
    calls = 0;
    assert_int_equal(retry_bounded([&] { return ++calls > 1; }, grants::kJobRecordAttempts, pause, &ok), 2);
    assert_true(ok);
    assert_int_equal(pauses.size(), 1);
    // Never answers: exactly the bound, then the caller fails closed.
    calls = 0;
    pauses.clear();
    assert_int_equal(retry_bounded([&] { return ++calls < 0; }, grants::kJobRecordAttempts, pause, &ok),
                     grants::kJobRecordAttempts);
    assert_false(ok);
    assert_int_equal(calls, grants::kJobRecordAttempts);
    assert_int_equal(pauses.size(), grants::kJobRecordAttempts - 1);
    assert_int_equal(retry_bounded([&] { return false; }, 5, pause, &ok), 5);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_with_the_record),
        cmocka_unit_test(test_without_the_record_fails_closed),
        cmocka_unit_test(test_bounded_retry),
    };
    return cmocka_run_group_tests_name("task_gate", tests, nullptr, nullptr);
}
