// Budget leases (lease.h): sizing, demand, reclaiming a silent cluster's
// free lease, the demarcation (charged + all leases <= budget) under many
// renewals and charges, and the decision's use of a lease.
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/base/date.h"
#include "core/domain/decision.h"
#include "core/domain/lease.h"
#include "core/domain/usage.h"
#include "core/policy/policy_loader.h"

using namespace grants;

namespace {

const Ticks H = ticks_of(kMicrosPerUnit);  // one chip-hour

LeaseNeed need(const std::string& award, Ticks budget, Ticks held = 0, Ticks demand = 0, Ticks charged = 0) {
    LeaseNeed n;
    n.award = award;
    n.budget = budget;
    n.held = held;
    n.demand = demand;
    n.charged_seen = charged;
    n.total_seen = charged;
    return n;
}

LeaseRow row(const std::string& cluster, Ticks amount, Ticks held, std::int64_t at, Ticks wanted = -1) {
    LeaseRow r;
    r.award = "A";
    r.cluster = cluster;
    r.unit = "chip_hours";
    r.amount = amount;
    r.held = held;
    r.wanted = wanted < 0 ? held : wanted;
    r.renewed_at = at;
    return r;
}

const LeaseRow* find(const std::vector<LeaseRow>& rows, const std::string& cluster) {
    for (const auto& r : rows)
        if (r.cluster == cluster) return &r;
    return nullptr;
}

void test_a_lone_cluster_takes_the_whole_budget(void**) {
    LeaseSnapshot snap;
    auto rows = plan_leases("alpha", {need("A", 100 * H, 10 * H)}, snap, 1000, {});
    assert_int_equal(rows.size(), 1);
    assert_string_equal(rows[0].cluster.c_str(), "alpha");
    assert_true(rows[0].amount == 100 * H);
    assert_true(rows[0].held == 10 * H);
    assert_int_equal(rows[0].renewed_at, 1000);
    assert_string_equal(rows[0].unit.c_str(), "chip_hours");
}

void test_two_active_clusters_split_the_unheld_pool(void**) {
    LeaseSnapshot snap;
    snap.charged["A"].chip_hours = 20 * H;
    snap.leases = {row("beta", 0, 0, 995)};
    // budget 100, charged 20, alpha holds 10, beta nothing: pool 70, half each.
    auto rows = plan_leases("alpha", {need("A", 100 * H, 10 * H, 0, 20 * H)}, snap, 1000, {});
    assert_true(find(rows, "alpha")->amount == 10 * H + 35 * H);
    assert_null(find(rows, "beta"));  // an active cluster's row is never written by another
}

void test_a_cluster_only_takes_what_no_other_lease_covers(void**) {
    LeaseSnapshot snap;
    snap.leases = {row("beta", 90 * H, 0, 995)};  // beta took 90 while alone
    auto rows = plan_leases("alpha", {need("A", 100 * H)}, snap, 1000, {});
    assert_true(find(rows, "alpha")->amount == 10 * H);
    // beta's own renewal then gives back down to its share...
    snap.leases = {row("alpha", 10 * H, 0, 1000), row("beta", 90 * H, 0, 995)};
    rows = plan_leases("beta", {need("A", 100 * H)}, snap, 1001, {});
    assert_true(find(rows, "beta")->amount == 50 * H);
    // ...and alpha's next one takes its half.
    snap.leases = {row("alpha", 10 * H, 0, 1000), row("beta", 50 * H, 0, 1001)};
    rows = plan_leases("alpha", {need("A", 100 * H)}, snap, 1002, {});
    assert_true(find(rows, "alpha")->amount == 50 * H);
}

void test_demand_moves_the_pool_to_where_it_is(void**) {
    // Both idle with half each; alpha refused a job of 80: it says so, beta
    // gives back, alpha gets the job's 80 plus half of the rest.
    LeaseSnapshot snap;
    snap.leases = {row("alpha", 50 * H, 0, 1000), row("beta", 50 * H, 0, 1000)};
    auto rows = plan_leases("alpha", {need("A", 100 * H, 0, 80 * H)}, snap, 1001, {});
    const LeaseRow a = *find(rows, "alpha");
    assert_true(a.amount == 50 * H);  // all that is free now
    assert_true(a.wanted == 80 * H);
    snap.leases = {a, row("beta", 50 * H, 0, 1000)};
    rows = plan_leases("beta", {need("A", 100 * H)}, snap, 1002, {});
    assert_true(find(rows, "beta")->amount == 10 * H);  // (100 - 80) / 2
    snap.leases = {a, *find(rows, "beta")};
    rows = plan_leases("alpha", {need("A", 100 * H, 0, 80 * H)}, snap, 1003, {});
    assert_true(find(rows, "alpha")->amount == 90 * H);
}

void test_demands_beyond_the_pool_are_served_whole_in_cluster_order(void**) {
    // Pool 100: beta wants 90, alpha 30. In name order alpha's 30 is served
    // whole, beta gets the 70 left; every cluster computes the same split.
    LeaseSnapshot snap;
    snap.leases = {row("beta", 0, 0, 1000, 90 * H)};
    auto rows = plan_leases("alpha", {need("A", 100 * H, 0, 30 * H)}, snap, 1001, {});
    assert_true(find(rows, "alpha")->amount == 30 * H);
    snap.leases = {*find(rows, "alpha"), row("beta", 0, 0, 1000, 90 * H)};
    rows = plan_leases("beta", {need("A", 100 * H, 0, 90 * H)}, snap, 1002, {});
    assert_true(find(rows, "beta")->amount == 70 * H);
    // Pool 8 and both want 8 (a split in proportion would give each 4 and
    // fit neither job): alpha gets its 8, beta none.
    snap.leases = {row("beta", 0, 24 * H, 1000, 32 * H)};
    rows = plan_leases("alpha", {need("A", 64 * H, 32 * H, 8 * H)}, snap, 1001, {});
    assert_true(find(rows, "alpha")->amount == 40 * H);
    snap.leases = {row("alpha", 32 * H, 32 * H, 1000, 40 * H)};
    rows = plan_leases("beta", {need("A", 64 * H, 24 * H, 8 * H)}, snap, 1001, {});
    assert_true(find(rows, "beta")->amount == 24 * H);
}

void test_a_silent_cluster_keeps_only_what_backs_its_holds(void**) {
    LeaseSnapshot snap;
    snap.leases = {row("beta", 60 * H, 15 * H, 1000)};
    LeaseSettings s;
    s.timeout = 120;
    // Within the timeout beta keeps its lease.
    auto rows = plan_leases("alpha", {need("A", 100 * H)}, snap, 1120, s);
    assert_null(find(rows, "beta"));
    assert_true(find(rows, "alpha")->amount == 40 * H);
    // After it, beta's free 45 are reclaimed, its 15 held stay reserved, and
    // alpha (the only active cluster) may take the rest.
    rows = plan_leases("alpha", {need("A", 100 * H)}, snap, 1121, s);
    const LeaseRow* b = find(rows, "beta");
    assert_non_null(b);
    assert_true(b->amount == 15 * H);
    assert_int_equal(b->renewed_at, 1000);  // reclaiming is no renewal
    assert_true(find(rows, "alpha")->amount == 85 * H);
}

void test_other_clusters_charges_since_the_book_was_read_count(void**) {
    LeaseSnapshot snap;
    snap.charged["A"].chip_hours = 70 * H;  // the ledger: 70 charged, the book saw 50
    LeaseNeed n = need("A", 100 * H, 0, 0, 50 * H);
    auto rows = plan_leases("alpha", {n}, snap, 1000, {});
    assert_true(find(rows, "alpha")->amount == 30 * H);
    // Dollar awards read the usd column.
    snap.charged["A"].usd = 40 * H;
    n.unit = Budget::Unit::Usd;
    n.charged_seen = n.total_seen = 0;
    rows = plan_leases("alpha", {n}, snap, 1000, {});
    assert_true(find(rows, "alpha")->amount == 60 * H);
    assert_string_equal(find(rows, "alpha")->unit.c_str(), "usd");
}

void test_an_overcommitted_award_gives_no_lease_beyond_what_is_free(void**) {
    LeaseSnapshot snap;
    snap.charged["A"].chip_hours = 95 * H;  // e.g. an operator's debit
    snap.leases = {row("beta", 10 * H, 10 * H, 1000)};
    auto rows = plan_leases("alpha", {need("A", 100 * H, 20 * H, 0, 95 * H)}, snap, 1000, {});
    assert_true(find(rows, "alpha")->amount == 0);
    assert_true(find(rows, "alpha")->held == 20 * H);
}

void test_what_the_other_clusters_hold(void**) {
    LeaseSnapshot snap;
    LeaseRow usd = row("gamma", 50 * H, 7 * H, 1000);
    usd.unit = "usd";
    snap.leases = {row("alpha", 50 * H, 5 * H, 1000), row("beta", 30 * H, 20 * H, 1000), usd};
    auto held = other_clusters_held("alpha", {need("A", 100 * H)}, snap);
    assert_true(held.at("A") == 20 * H);  // beta's; not its own, not a row in another unit
    assert_true(other_clusters_held("alpha", {}, snap).empty());
}

void test_rows_in_another_unit_are_ignored(void**) {
    LeaseSnapshot snap;
    LeaseRow old = row("beta", 80 * H, 0, 1000);
    old.unit = "usd";
    snap.leases = {old};
    auto rows = plan_leases("alpha", {need("A", 100 * H)}, snap, 1000, {});
    assert_true(find(rows, "alpha")->amount == 100 * H);
}

// Three clusters renew, submit within their leases and charge in random
// order; a charge lowers its cluster's lease as the ledger does. At every
// step charged + the sum of leases stays within the budget, and no cluster
// ever holds beyond its lease.
void test_the_demarcation_holds_under_random_traffic(void**) {
    std::mt19937 rng(7);
    const Ticks budget = 1000 * H;
    const std::vector<std::string> names = {"alpha", "beta", "gamma"};
    std::map<std::string, LeaseRow> ledger_rows;
    Ticks charged = 0;
    std::map<std::string, std::vector<Ticks>> holds;  // live jobs' holds per cluster
    std::int64_t now = 1000;
    for (int step = 0; step < 20000; ++step) {
        const std::string& c = names[rng() % names.size()];
        Ticks held = 0;
        for (Ticks h : holds[c]) held += h;
        switch (rng() % 3) {
        case 0: {  // renew
            LeaseSnapshot snap;
            snap.charged["A"].chip_hours = charged;
            for (auto& [n, r] : ledger_rows) snap.leases.push_back(r);
            for (const LeaseRow& r : plan_leases(c, {need("A", budget, held, (rng() % 4 == 0) ? H * (rng() % 300) : 0, charged)},
                                                 snap, now, {}))
                ledger_rows[r.cluster] = r;
            break;
        }
        case 1: {  // submit within the lease
            const Ticks cost = H * (1 + rng() % 100);
            const Ticks lease = ledger_rows.count(c) ? ledger_rows[c].amount : 0;
            if (held + cost <= lease) holds[c].push_back(cost);
            break;
        }
        default:  // a job ends: charged at most its hold, the lease turns into the charge
            if (!holds[c].empty()) {
                const Ticks hold = holds[c].back();
                holds[c].pop_back();
                const Ticks cost = hold * (rng() % 101) / 100;
                charged += cost;
                LeaseRow& r = ledger_rows[c];
                r.amount = std::max<Ticks>(0, r.amount - cost);
            }
        }
        now += rng() % 3;
        Ticks leases = 0;
        for (auto& [n, r] : ledger_rows) leases += r.amount;
        assert_true(charged + leases <= budget);
        assert_true(charged <= budget);
    }
    assert_true(charged > budget / 2);  // the traffic really spent the award
}

std::shared_ptr<const Policy> policy() {
    static PolicyLoad load = load_policy_text(
        "version: 1\n"
        "enforce: { partitions: [trn1] }\n"
        "partitions:\n"
        "  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.34 }\n"
        "awards:\n"
        "  A: { pi: alice, members: { users: [alice] }, valid: { from: 2020-01-01, until: 2099-12-31 },\n"
        "       budget: { chip_hours: 1000 } }\n",
        "grants.yaml");
    if (!load.policy) fail_msg("policy: %s", load.errors.empty() ? "?" : load.errors[0].to_string().c_str());
    return load.policy;
}

JobRequest job(std::int64_t minutes) {
    JobRequest j;
    j.who = Identity{"alice", {}, ""};
    j.partitions = {"trn1"};
    j.requested.award = "A";
    j.requested.values = {"A"};
    j.requested.entries = 1;
    j.shape.time_limit_minutes = minutes;
    j.shape.min_nodes = 1;
    j.shape.max_nodes = 1;
    j.today = day_number(2025, 6, 1);
    return j;
}

void test_the_decision_refuses_beyond_the_lease_and_says_why(void**) {
    auto p = policy();
    AwardUsageView u;
    u.charged = 100 * H;
    u.held = 10 * H;
    u.lease = 30 * H;  // this cluster may commit 30, 10 of it held
    // 16 chips x 60 min = 16 chip-h: fits the lease's 20 left.
    Decision d = decide_submit(*p, job(60), [&](const std::string&, const std::string&) { return u; });
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Accept));
    assert_true(d.lease_demand == 0);
    // 16 chips x 120 min = 32 chip-h: fits the award (890 left), not the lease.
    d = decide_submit(*p, job(120), [&](const std::string&, const std::string&) { return u; });
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Reject));
    assert_true(d.lease_demand == 32 * H);
    assert_non_null(strstr(d.message.c_str(), "890.0 of 1,000 chip-h left across all clusters"));
    assert_non_null(strstr(d.message.c_str(), "this cluster may commit only 20.0 chip-h"));
    assert_non_null(strstr(d.message.c_str(), "try again in a minute"));
    // The other clusters' holds count in what the award has left.
    u.other_clusters_held = 880 * H;
    d = decide_submit(*p, job(120), [&](const std::string&, const std::string&) { return u; });
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Reject));
    assert_true(d.lease_demand == 0);
    assert_non_null(strstr(d.message.c_str(), "has 10.0 of 1,000 chip-h left"));
    u.other_clusters_held = 0;
    // Without a lease (one cluster) the same job is accepted.
    u.lease.reset();
    d = decide_submit(*p, job(120), [&](const std::string&, const std::string&) { return u; });
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Accept));
    // Beyond the award itself: the award's sentence, no lease demand.
    u.lease = 2000 * H;
    u.charged = 990 * H;
    d = decide_submit(*p, job(120), [&](const std::string&, const std::string&) { return u; });
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Reject));
    assert_true(d.lease_demand == 0);
    assert_null(strstr(d.message.c_str(), "across all clusters"));
}

void test_the_tracker_keeps_the_lease_and_takes_charges_out_of_it(void**) {
    auto p = policy();
    UsageTracker t;
    assert_false(t.lease("A").has_value());
    assert_false(t.view(*p, "A", "alice").lease.has_value());
    t.enable_leases();
    assert_true(*t.view(*p, "A", "alice").lease == 0);  // none granted yet
    LeaseRow r = row("alpha", 40 * H, 0, 1000);
    t.set_leases({r});
    assert_true(*t.view(*p, "A", "alice").lease == 40 * H);
    ChargeRecord c;
    c.award = "A";
    c.chip_hours = 15 * H;
    c.usd = 3 * H;
    t.add_charges({c});
    assert_true(*t.lease("A") == 25 * H);
    c.chip_hours = 100 * H;
    t.add_charges({c});
    assert_true(*t.lease("A") == 0);  // never below 0
    t.note_lease_demand("A", 5 * H, 100);
    t.note_lease_demand("A", 9 * H, 110);
    t.note_lease_demand("A", 7 * H, 120);
    assert_true(t.lease_demands(130).at("A") == 9 * H);
    assert_true(t.lease_demands(200).empty());  // forgotten after a minute
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_lone_cluster_takes_the_whole_budget),
        cmocka_unit_test(test_two_active_clusters_split_the_unheld_pool),
        cmocka_unit_test(test_a_cluster_only_takes_what_no_other_lease_covers),
        cmocka_unit_test(test_demand_moves_the_pool_to_where_it_is),
        cmocka_unit_test(test_demands_beyond_the_pool_are_served_whole_in_cluster_order),
        cmocka_unit_test(test_a_silent_cluster_keeps_only_what_backs_its_holds),
        cmocka_unit_test(test_other_clusters_charges_since_the_book_was_read_count),
        cmocka_unit_test(test_an_overcommitted_award_gives_no_lease_beyond_what_is_free),
        cmocka_unit_test(test_rows_in_another_unit_are_ignored),
        cmocka_unit_test(test_what_the_other_clusters_hold),
        cmocka_unit_test(test_the_demarcation_holds_under_random_traffic),
        cmocka_unit_test(test_the_decision_refuses_beyond_the_lease_and_says_why),
        cmocka_unit_test(test_the_tracker_keeps_the_lease_and_takes_charges_out_of_it),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
