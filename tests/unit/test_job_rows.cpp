// grantctl jobs (core/domain/job_rows.h, the "jobs" question of core/wire/query.h): who
// may see whose jobs, which rows a window and -j select, the charge book's
// rows, and the answer's encoding.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/charge_book.h"
#include "core/domain/cost_model.h"
#include "core/domain/job_rows.h"
#include "core/wire/query.h"

using namespace grants;

namespace {

Policy sample_policy() {
    Policy p;
    Award a;
    a.id = "A-1";
    a.pi = "carol";
    a.managers.insert("mona");
    a.budget = Budget{Budget::Unit::ChipHours, 1000 * kMicrosPerUnit};
    p.awards.emplace(a.id, a);
    Award b;
    b.id = "B-2";
    b.pi = "dave";
    b.budget = Budget{Budget::Unit::Usd, 1000 * kMicrosPerUnit};
    p.awards.emplace(b.id, b);
    return p;
}

JobRow row(std::uint32_t id, const std::string& user, const std::string& award, JobRow::State state,
           std::int64_t start, std::int64_t end) {
    JobRow r;
    r.job_id = id;
    r.user = user;
    r.award = award;
    r.state = state;
    r.start = start;
    r.end = end;
    r.amount = 1000 + id;
    return r;
}

void test_scope_own_jobs(void**) {
    const Policy p = sample_policy();
    JobsQuestion q;
    JobsScope s = jobs_scope(p, "alice", false, q);
    assert_true(s.refused.empty());
    assert_string_equal(s.user->c_str(), "alice");
    assert_false(s.awards.has_value());
    // Her own name with -u is her own jobs.
    q.user = "alice";
    s = jobs_scope(p, "alice", false, q);
    assert_true(s.refused.empty());
    assert_string_equal(s.user->c_str(), "alice");
    // --award of an award she does not oversee: only her own jobs on it.
    q = JobsQuestion{};
    q.award = "A-1";
    s = jobs_scope(p, "alice", false, q);
    assert_true(s.refused.empty());
    assert_string_equal(s.user->c_str(), "alice");
    assert_int_equal(s.awards->size(), 1);
}

void test_scope_refusals(void**) {
    const Policy p = sample_policy();
    JobsQuestion q;
    q.user = "bob";
    JobsScope s = jobs_scope(p, "alice", false, q);
    assert_string_equal(s.refused.c_str(),
                        "only PIs and managers (for their awards' members) and Slurm operators may see bob's jobs, "
                        "and alice is neither.");
    // dave oversees B-2, not A-1: bob's jobs on A-1 are refused, the same
    // sentence for an award that does not exist.
    q.award = "A-1";
    s = jobs_scope(p, "dave", false, q);
    assert_false(s.refused.empty());
    assert_non_null(std::strstr(s.refused.c_str(), "award A-1"));
    q.award = "NOPE";
    JobsScope none = jobs_scope(p, "dave", false, q);
    assert_non_null(std::strstr(none.refused.c_str(), "award NOPE"));
    assert_string_equal(none.refused.substr(none.refused.find(')')).c_str(), s.refused.substr(s.refused.find(')')).c_str());
    // Nothing is selected by a refused scope.
    assert_false(job_row_selected(row(1, "bob", "A-1", JobRow::State::Pending, 0, 0), s, q, 100));
}

void test_scope_pi_manager_operator(void**) {
    const Policy p = sample_policy();
    JobsQuestion q;
    q.award = "A-1";
    for (const char* overseer : {"carol", "mona"}) {
        JobsScope s = jobs_scope(p, overseer, false, q);
        assert_true(s.refused.empty());
        assert_false(s.user.has_value());  // every member's
        assert_true(s.awards->count("A-1") == 1);
    }
    // -u bob without --award: bob's jobs on the awards carol oversees only.
    JobsQuestion u;
    u.user = "bob";
    JobsScope s = jobs_scope(p, "carol", false, u);
    assert_true(s.refused.empty());
    assert_string_equal(s.user->c_str(), "bob");
    assert_int_equal(s.awards->size(), 1);
    assert_true(job_row_selected(row(1, "bob", "A-1", JobRow::State::Pending, 0, 0), s, u, 100));
    assert_false(job_row_selected(row(2, "bob", "B-2", JobRow::State::Pending, 0, 0), s, u, 100));
    assert_false(job_row_selected(row(3, "alice", "A-1", JobRow::State::Pending, 0, 0), s, u, 100));
    // An operator: anyone, any award.
    JobsScope op = jobs_scope(p, "root", true, u);
    assert_true(op.refused.empty());
    assert_false(op.awards.has_value());
    assert_true(job_row_selected(row(2, "bob", "B-2", JobRow::State::Pending, 0, 0), op, u, 100));
    JobsScope all = jobs_scope(p, "root", true, JobsQuestion{});
    assert_false(all.user.has_value());
    assert_true(job_row_selected(row(3, "alice", "A-1", JobRow::State::Pending, 0, 0), all, JobsQuestion{}, 100));
}

void test_window(void**) {
    const std::int64_t now = 10'000;
    JobsQuestion q;
    q.since = 5'000;
    // Finished before the window: out; ended inside: in; still running: in.
    assert_false(job_in_window(row(1, "a", "A-1", JobRow::State::Finished, 1'000, 4'999), q, now));
    assert_true(job_in_window(row(1, "a", "A-1", JobRow::State::Finished, 1'000, 5'000), q, now));
    assert_true(job_in_window(row(1, "a", "A-1", JobRow::State::Running, 1'000, 0), q, now));
    assert_true(job_in_window(row(1, "a", "A-1", JobRow::State::Pending, 0, 0), q, now));
    // -E: began before until (exclusive); a pending job waits now.
    q.until = 6'000;
    assert_true(job_in_window(row(1, "a", "A-1", JobRow::State::Finished, 5'999, 7'000), q, now));
    assert_false(job_in_window(row(1, "a", "A-1", JobRow::State::Finished, 6'000, 7'000), q, now));
    assert_false(job_in_window(row(1, "a", "A-1", JobRow::State::Pending, 0, 0), q, now));
    // No bounds: everything.
    assert_true(job_in_window(row(1, "a", "A-1", JobRow::State::Finished, 1, 2), JobsQuestion{}, now));
}

void test_select_dedup_and_order(void**) {
    const Policy p = sample_policy();
    JobsQuestion q;
    JobsScope s = jobs_scope(p, "alice", false, q);
    std::vector<JobRow> live = {row(9, "alice", "A-1", JobRow::State::Pending, 0, 0),
                                row(5, "alice", "A-1", JobRow::State::Finished, 100, 200),  // also charged
                                row(7, "alice", "B-2", JobRow::State::Running, 300, 0),
                                row(8, "bob", "A-1", JobRow::State::Running, 300, 0)};
    JobRow c5 = row(5, "alice", "A-1", JobRow::State::Finished, 100, 200);
    c5.charged = true;
    JobRow c5b = row(5, "alice", "A-1", JobRow::State::Finished, 50, 90);  // an earlier run of a requeued job
    c5b.charged = true;
    std::vector<JobRow> out = select_job_rows(live, {c5, c5b}, s, q, 1'000);
    assert_int_equal(out.size(), 4);
    assert_int_equal(out[0].job_id, 5);
    assert_int_equal(out[0].start, 50);
    assert_int_equal(out[1].job_id, 5);
    assert_int_equal(out[1].start, 100);
    assert_true(out[1].charged);  // the held copy of the same run is dropped
    assert_int_equal(out[2].job_id, 7);
    assert_int_equal(out[3].job_id, 9);
    // -j
    q.job_ids = {7, 8};
    out = select_job_rows(live, {c5, c5b}, s, q, 1'000);
    assert_int_equal(out.size(), 1);
    assert_int_equal(out[0].job_id, 7);
}

void test_charge_book_rows(void**) {
    ChargeBook book;
    ChargeBook::Contents contents;
    ChargeRecord c;
    c.award = "A-1";
    c.user = "alice";
    c.partition = "trn1";
    c.job_id = 11;
    c.run_start = 1'000;
    c.chips = 16;
    c.seconds = 60;
    c.chip_hours = 16 * 60 * kTicksPerMicro * kMicrosPerUnit / 3600;
    c.usd = 123;
    contents.add(c);
    c.user = "bob";
    c.job_id = 12;
    c.partition = "trn2";
    contents.add(c);
    c.award = "B-2";
    c.job_id = 13;
    contents.add(c);
    book.replace(std::move(contents));
    const Policy p = sample_policy();
    auto unit_of = [&p](const std::string& id) {
        const Award* a = p.find_award(id);
        return a ? a->budget.unit : Budget::Unit::ChipHours;
    };
    JobsQuestion q;
    std::vector<JobRow> alice = book.job_rows(jobs_scope(p, "alice", false, q), q, 5'000, unit_of);
    assert_int_equal(alice.size(), 1);
    assert_int_equal(alice[0].job_id, 11);
    assert_string_equal(alice[0].partition.c_str(), "trn1");
    assert_true(alice[0].charged);
    assert_true(alice[0].state == JobRow::State::Finished);
    assert_int_equal(alice[0].amount, c.chip_hours);  // A-1 is in chip-hours
    assert_int_equal(alice[0].end, 1'060);
    assert_int_equal(alice[0].chips, 16);
    // bob's B-2 charge is in dollars; the partition is kept per award.
    JobsQuestion b;
    b.user = "bob";
    std::vector<JobRow> bobs = book.job_rows(jobs_scope(p, "root", true, b), b, 5'000, unit_of);
    assert_int_equal(bobs.size(), 2);
    for (const JobRow& r : bobs) {
        assert_string_equal(r.partition.c_str(), "trn2");
        if (r.award == "B-2") assert_int_equal(r.amount, 123);
    }
    // A window after the runs: nothing.
    q.since = 1'061;
    assert_int_equal(book.job_rows(jobs_scope(p, "alice", false, q), q, 5'000, unit_of).size(), 0);
    // award_entries gives the partition too.
    std::vector<ChargeRecord> charges;
    std::vector<Adjustment> adjustments;
    book.award_entries("A-1", LedgerFilter{}, &charges, &adjustments);
    assert_int_equal(charges.size(), 2);
    assert_string_equal(charges[1].partition.c_str(), "trn2");
}

void test_wire(void**) {
    QueryArgs args;
    args.user = "bob";
    args.award = "A-1";
    args.since = 100;
    args.until = 200;
    args.job_ids = {5, 4294967295u};
    std::string error;
    auto back = parse_query_args(encode_query_args(args), &error);
    assert_true(back.has_value());
    assert_int_equal(back->job_ids.size(), 2);
    assert_int_equal(back->job_ids[1], 4294967295u);
    assert_string_equal(back->user->c_str(), "bob");
    assert_int_equal(*back->since, 100);
    assert_false(parse_query_args("jobs=1,,2", &error).has_value());
    assert_false(parse_query_args("jobs=x", &error).has_value());
    assert_false(parse_query_args("jobs=0", &error).has_value());

    Answer a;
    a.kind = QueryKind::Jobs;
    a.user = "carol";
    JobRow r = row(42, "bob smith", "A-1", JobRow::State::Running, 1'700'000'000, 0);
    r.partition = "trn1,trn2";
    r.amount = 123'456'789'012LL;
    r.unit = Budget::Unit::Usd;
    r.chips = 32;
    r.tasks = 3;
    r.seconds = 77;
    a.jobs.push_back(r);
    JobRow f = row(43, "alice", "B-2", JobRow::State::Finished, 10, 20);
    f.charged = true;
    a.jobs.push_back(f);
    const std::string text = encode_answer(a);
    auto d = decode_answer(text, &error);
    assert_true(d.has_value());
    assert_true(d->kind == QueryKind::Jobs);
    assert_int_equal(d->jobs.size(), 2);
    assert_int_equal(d->jobs[0].job_id, 42);
    assert_string_equal(d->jobs[0].user.c_str(), "bob smith");
    assert_string_equal(d->jobs[0].partition.c_str(), "trn1,trn2");
    assert_true(d->jobs[0].state == JobRow::State::Running);
    assert_false(d->jobs[0].charged);
    assert_int_equal(d->jobs[0].amount, 123'456'789'012LL);
    assert_true(d->jobs[0].unit == Budget::Unit::Usd);
    assert_int_equal(d->jobs[0].chips, 32);
    assert_int_equal(d->jobs[0].tasks, 3);
    assert_int_equal(d->jobs[0].seconds, 77);
    assert_int_equal(d->jobs[0].start, 1'700'000'000);
    assert_true(d->jobs[1].charged);
    assert_int_equal(d->jobs[1].end, 20);
    // A job line lost on the way: incomplete.
    std::string cut = text;
    cut.erase(cut.find("@slurm-grants job"), cut.find('\n', cut.find("@slurm-grants job")) + 1 - cut.find("@slurm-grants job"));
    assert_false(decode_answer(cut, &error).has_value());
    assert_string_equal(error.c_str(), "the controller's answer arrived incomplete");
    // A bad state: malformed.
    std::string bad = text;
    bad.replace(bad.find("state=running"), 13, "state=gone");
    assert_false(decode_answer(bad, &error).has_value());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope_own_jobs),
        cmocka_unit_test(test_scope_refusals),
        cmocka_unit_test(test_scope_pi_manager_operator),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_select_dedup_and_order),
        cmocka_unit_test(test_charge_book_rows),
        cmocka_unit_test(test_wire),
    };
    return cmocka_run_group_tests_name("job_rows", tests, nullptr, nullptr);
}
