// The job-phase rule ("charged exactly once" rests on it): how a job record
// read under slurmctld's locks becomes a JobObservation.
#include <cstring>
#include <string>

#include "cmocka.h"
#include "core/domain/admin_comment.h"
#include "core/domain/cost_model.h"
#include "core/domain/job_observation.h"

using grants::JobObservation;

namespace {

grants_job_view running_job() {
    grants_job_view v;
    std::memset(&v, 0, sizeof v);
    v.job_id = 42;
    v.user_id = 1001;
    v.account = "nlp";
    v.admin_comment = "award=BOT-1";
    v.partition = "trn1,trn2";
    v.run_partition = "trn2";
    v.nodes = "n[1-2]";
    v.tres_per_node = "gres:neuron:16";
    v.time_limit_set = 1;
    v.time_limit = 60;
    v.start_time = 1000;
    v.end_time = 4600;
    v.submit_time = 900;
    v.min_nodes = 2;
    v.max_nodes = 4;
    v.num_tasks = 8;
    v.total_nodes = 3;
    v.node_cnt = 3;
    v.approval = "17";
    return v;
}

void test_running_job_is_priced_by_its_allocation(void**) {
    const grants_job_view v = running_job();
    JobObservation o;
    grants::observe_job(v, o);
    assert_int_equal(o.phase, JobObservation::Phase::Running);
    assert_string_equal(o.partition.c_str(), "trn2");  // where it runs, not the requested list
    assert_int_equal(o.start_time, 1000);
    assert_int_equal(o.shape.min_nodes, 3);           // allocated, not requested
    assert_int_equal(*o.shape.max_nodes, 3);
    assert_int_equal(o.shape.tasks, 8);
    assert_int_equal(o.time_limit_minutes, 60);
    assert_int_equal(o.approval, 17);
    assert_string_equal(o.admin_comment.c_str(), "award=BOT-1");
    assert_true(o.award.empty());  // read_tag reads it, outside the lock
    assert_string_equal(o.account.c_str(), "nlp");
}

void test_pending_job_keeps_its_request(void**) {
    grants_job_view v = running_job();
    v.is_pending = 1;
    v.nodes = nullptr;
    v.start_time = 0;
    v.end_time = 0;
    v.run_partition = nullptr;
    v.total_nodes = 0;
    v.node_cnt = 0;
    v.array_task_cnt = 5;
    JobObservation o;
    grants::observe_job(v, o);
    assert_int_equal(o.phase, JobObservation::Phase::Pending);
    assert_string_equal(o.partition.c_str(), "trn1,trn2");
    assert_int_equal(o.start_time, 0);
    assert_int_equal(o.shape.min_nodes, 2);
    assert_int_equal(*o.shape.max_nodes, 4);
    assert_int_equal(o.shape.array_tasks, 5);
    // Without a maximum it may get its largest partition, which the pass prices.
    v.max_nodes = 0;
    v.partition_nodes = 6;
    grants::observe_job(v, o);
    assert_true(o.shape.max_nodes == grants::kNoMaxNodes);
    assert_int_equal(o.partition_nodes, 6);
}

void test_cancelled_while_pending_never_ran(void**) {
    // Slurm sets start_time = end_time on a job cancelled while pending.
    grants_job_view v = running_job();
    v.is_finished = 1;
    v.nodes = "";
    v.start_time = 5000;
    v.end_time = 5000;
    JobObservation o;
    grants::observe_job(v, o);
    assert_int_equal(o.phase, JobObservation::Phase::Finished);
    assert_int_equal(o.start_time, 0);  // nothing to charge
}

void test_finished_run_is_charged_by_its_allocation(void**) {
    grants_job_view v = running_job();
    v.is_finished = 1;
    v.node_cnt = 0;  // falls to 0 as nodes complete; total_nodes stays
    JobObservation o;
    grants::observe_job(v, o);
    assert_int_equal(o.phase, JobObservation::Phase::Finished);
    assert_int_equal(o.start_time, 1000);
    assert_int_equal(o.end_time, 4600);
    assert_int_equal(o.shape.min_nodes, 3);
}

// Cloud nodes booting: allocated and running-looking, flagged for the pass.
void test_configuring_job_is_flagged(void**) {
    grants_job_view v = running_job();
    JobObservation o;
    grants::observe_job(v, o);
    assert_false(o.configuring);
    v.is_configuring = 1;
    grants::observe_job(v, o);
    assert_true(o.configuring);
    assert_int_equal(o.phase, JobObservation::Phase::Running);
    assert_int_equal(o.start_time, 1000);  // the allocation's start, which Slurm resets after the boot
}

void test_requeued_run_is_finished_though_pending(void**) {
    grants_job_view v = running_job();
    v.is_pending = 1;
    v.requeue_flag = 1;
    JobObservation o;
    grants::observe_job(v, o);
    assert_int_equal(o.phase, JobObservation::Phase::Finished);
    assert_int_equal(o.start_time, 1000);
    assert_string_equal(o.partition.c_str(), "trn2");
}

void test_unlimited_and_unset_time_limits(void**) {
    grants_job_view v = running_job();
    v.time_limit_set = 0;
    v.time_limit_infinite = 1;
    JobObservation o;
    grants::observe_job(v, o);
    assert_int_equal(o.time_limit_minutes, grants::kSaturatedCount);
    assert_true(o.shape.time_limit_infinite);
    assert_false(o.shape.time_limit_minutes.has_value());
}

void test_strings_are_reused_and_cleared(void**) {
    grants_job_view v = running_job();
    JobObservation o;
    grants::observe_job(v, o);
    o.user = "alice";
    v.account = nullptr;
    v.admin_comment = nullptr;
    v.approval = nullptr;
    v.tres_per_node = nullptr;
    grants::observe_job(v, o);
    assert_true(o.account.empty());
    assert_true(o.admin_comment.empty());
    assert_true(o.award.empty());
    assert_true(o.user.empty());
    assert_true(o.shape.tres_per_node.empty());
    assert_int_equal(o.approval, 0);
}

void test_requested_shape_defaults(void**) {
    grants_job_view v;
    std::memset(&v, 0, sizeof v);
    grants::JobShape s;
    s.max_nodes = 9;
    s.tres_per_job = "stale";
    grants::requested_shape(v, s);
    assert_int_equal(s.min_nodes, 1);
    // Slurm's 0 is "no maximum" (a forged update's max_nodes=0 is stored so):
    // never priced as min_nodes.
    assert_true(s.max_nodes == grants::kNoMaxNodes);
    assert_int_equal(s.tasks, 1);
    assert_true(s.tres_per_job.empty());
    assert_false(s.time_limit_minutes.has_value());
}

}  // namespace

// The tag is read outside the lock: the award, the plugin's deadline (for a
// pending job only) and the unchecked mark; nothing left from the job
// observed before in the same slot.
void test_read_tag(void**) {
    JobObservation o;
    o.phase = JobObservation::Phase::Pending;
    o.admin_comment = grants::with_deadline_tag("award=BOT-1", 1'900'000'000);
    assert_false(grants::read_tag(o));
    assert_string_equal(o.award.c_str(), "BOT-1");
    assert_int_equal(o.tagged_deadline, 1'900'000'000);

    o.phase = JobObservation::Phase::Running;  // a running job's deadline no longer matters
    assert_false(grants::read_tag(o));
    assert_string_equal(o.award.c_str(), "BOT-1");
    assert_int_equal(o.tagged_deadline, 0);

    o.phase = JobObservation::Phase::Pending;
    o.admin_comment = grants::with_unchecked_mark("award=BOT-2");
    assert_true(grants::read_tag(o));
    assert_string_equal(o.award.c_str(), "BOT-2");
    assert_int_equal(o.tagged_deadline, 0);

    // A forged-looking mark in free text is not the mark; untagged is "".
    o.admin_comment = "note grants=uncheckedx award=BOT-3";
    assert_false(grants::read_tag(o));
    o.admin_comment = "grants=unchecked";  // the mark without an award tag
    assert_false(grants::read_tag(o));
    assert_true(o.award.empty());
    o.admin_comment.clear();
    assert_false(grants::read_tag(o));
    assert_true(o.award.empty());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_job_is_priced_by_its_allocation),
        cmocka_unit_test(test_pending_job_keeps_its_request),
        cmocka_unit_test(test_cancelled_while_pending_never_ran),
        cmocka_unit_test(test_finished_run_is_charged_by_its_allocation),
        cmocka_unit_test(test_configuring_job_is_flagged),
        cmocka_unit_test(test_requeued_run_is_finished_though_pending),
        cmocka_unit_test(test_unlimited_and_unset_time_limits),
        cmocka_unit_test(test_strings_are_reused_and_cleared),
        cmocka_unit_test(test_requested_shape_defaults),
        cmocka_unit_test(test_read_tag),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
