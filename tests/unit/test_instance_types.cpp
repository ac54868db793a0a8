// Instance types: the policy's table (built-in facts, overrides, errors),
// partitions named after a type or reading each node's type from its
// Features, exact prices per instance-hour, host lists and --constraint, the
// hold at the dearest type a job could land on, and a run priced by the
// nodes it got.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/cost_model.h"
#include "core/domain/decision.h"
#include "core/domain/instance_types.h"
#include "core/domain/usage.h"
#include "core/policy/policy_loader.h"

using namespace grants;

namespace {

constexpr char kMixed[] =
    "version: 1\n"
    "enforce: {partitions: [mix, big]}\n"
    "instance_types:\n"
    "  trn1.2xlarge: {usd_per_instance_hour: 1.34}\n"
    "  trn1.32xlarge: {usd_per_instance_hour: 21.50}\n"
    "  lab.box: {chips: 4, cores_per_chip: 2, usd_per_chip_hour: 2}\n"
    "partitions:\n"
    "  mix: {instance_type: features}\n"
    "  big: {instance_type: trn1.32xlarge}\n"
    "awards:\n"
    "  D: {members: {users: [ann]}, budget: {usd: 1000}}\n"
    "  H: {members: {users: [ann]}, budget: {chip_hours: 1000}}\n"
    "  T: {members: {users: [ann]}, budget: {usd: 2}}\n";

std::shared_ptr<const Policy> load(const char* text) {
    PolicyLoad load = load_policy_text(text, "g.yaml");
    for (const auto& e : load.errors) std::fprintf(stderr, "  %s\n", e.to_string().c_str());
    assert_non_null(load.policy.get());
    return load.policy;
}

std::string first_error(const std::string& text) {
    PolicyLoad load = load_policy_text(text, "g.yaml");
    return load.errors.empty() ? "" : load.errors.front().to_string();
}

std::shared_ptr<const NodeTypes> nodes_of(const Policy& p) {
    return std::make_shared<const NodeTypes>(build_node_types(
        p, {{"n1", "efa,trn1.2xlarge", "mix,cpu"}, {"n2", "trn1.2xlarge", "mix"}, {"n3", "trn1.32xlarge", "mix,big"},
            {"n4", "trn1.32xlarge,efa", "mix,big"}, {"c1", "", "cpu"}}));
}

void table_and_partitions(void**) {
    auto p = load(kMixed);
    // Built-in facts kept where the policy gives only a price.
    const InstanceType* small = p->find_instance_type("trn1.2xlarge");
    assert_non_null(small);
    assert_int_equal(small->chips, 1);
    assert_int_equal(small->cores_per_chip, 2);
    assert_true(small->usd_per_instance_hour == 1'340'000);
    assert_non_null(p->find_instance_type("trn2.48xlarge"));
    assert_int_equal(p->find_instance_type("trn2.48xlarge")->cores_per_chip, 4);
    assert_int_equal(p->find_instance_type("lab.box")->chips, 4);
    // A partition named after a type takes its chips, cores and price.
    const PartitionCost* big = p->find_partition("big");
    assert_int_equal(big->chips_per_node, 16);
    assert_int_equal(big->cores_per_chip, 2);
    assert_string_equal(big->instance_type.c_str(), "trn1.32xlarge");
    assert_true(big->usd_per_chip_hour == 21'500'000);
    assert_int_equal(big->rate_divisor, 16);
    assert_true(p->find_partition("mix")->types_from_features);
}

void loader_errors(void**) {
    const std::string head = "version: 1\nenforce: {partitions: [a]}\n";
    assert_string_equal(first_error(head + "partitions: {a: {instance_type: trn9.huge}}\nawards: {}\n").c_str(),
                        "g.yaml:3:33: partition 'a'.instance_type \"trn9.huge\" is not an instance type; known: "
                        "trn1.2xlarge, trn1.32xlarge, trn1n.32xlarge, trn2.48xlarge, trn2u.48xlarge (or 'features' "
                        "to read each node's type from its Features)");
    assert_string_equal(
        first_error(head + "partitions: {a: {chips_per_node: 16, instance_type: trn1.32xlarge}}\nawards: {}\n").c_str(),
        "g.yaml:3:53: partition 'a' gives both chips_per_node and instance_type; the instance type says how many "
        "chips its nodes have, so keep one");
    assert_string_equal(first_error(head + "partitions: {a: {cores_per_chip: 2}}\nawards: {}\n").c_str(),
                        "g.yaml:3:17: partition 'a' is missing the key 'chips_per_node'");
    assert_string_equal(
        first_error(head + "instance_types: {x.y: {cores_per_chip: 2}}\npartitions: {a: {chips_per_node: 1}}\n"
                           "awards: {}\n")
            .c_str(),
        "g.yaml:3:23: instance type 'x.y' is missing the key 'chips'");
    assert_string_equal(
        first_error(head +
                    "instance_types: {trn1.2xlarge: {usd_per_chip_hour: 1, usd_per_instance_hour: 1}}\n"
                    "partitions: {a: {chips_per_node: 1}}\nawards: {}\n")
            .c_str(),
        "g.yaml:3:32: instance type 'trn1.2xlarge' gives both usd_per_chip_hour and usd_per_instance_hour; keep one");
    assert_string_equal(
        first_error(head + "instance_types: {trn1.2xlarge: {usd_per_instance_hour: 1}}\n"
                           "partitions: {a: {instance_type: trn1.2xlarge, usd_per_chip_hour: 2}}\nawards: {}\n")
            .c_str(),
        "g.yaml:4:33: partition 'a' has a usd_per_chip_hour and its instance type 'trn1.2xlarge' has a price; keep "
        "one");
    // A dollar award on a features partition needs some price.
    assert_string_equal(first_error(head + "partitions: {a: {instance_type: features}}\n"
                                           "awards: {D: {members: {}, budget: {usd: 5}}}\n")
                            .c_str(),
                        "g.yaml:4:35: award 'D' has a usd budget but partition 'a' has no usd_per_chip_hour; add a "
                        "rate or restrict the award's partitions");
}

void exact_prices(void**) {
    auto p = load(kMixed);
    const PartitionCost& big = *p->find_partition("big");
    // One trn1.32xlarge for an hour: $21.50 exactly; two for 90 s: 2 x 21.50 x 90/3600.
    assert_true(cost_ticks(Budget::Unit::Usd, big, 16, 3600) == ticks_of(21'500'000));
    assert_true(cost_ticks(Budget::Unit::Usd, big, 32, 90) == ticks_of(2 * 21'500'000) / 40);
    // Three of its chips for an hour (a GRES job): 3/16 of the price, rounded up to the tick.
    const Ticks three = cost_ticks(Budget::Unit::Usd, big, 3, 3600);
    assert_true(three * 16 >= ticks_of(3 * 21'500'000) && three * 16 < ticks_of(3 * 21'500'000) + 16);
    assert_true(cost_ticks(Budget::Unit::ChipHours, big, 16, 3600) == ticks_of(16'000'000));

    // A run on one small and one big node: the sum of their prices.
    const PartitionCost mixed = cost_on_nodes(*p, *p->find_partition("mix"), {"trn1.2xlarge", "trn1.32xlarge"});
    assert_int_equal(chips_of(mixed, JobShape{}, 2), 17);
    assert_true(cost_ticks(Budget::Unit::Usd, mixed, 17, 3600) == ticks_of(1'340'000 + 21'500'000));
    assert_true(cost_ticks(Budget::Unit::ChipHours, mixed, 17, 7200) == ticks_of(34'000'000));
    const PartitionCost one = cost_on_nodes(*p, *p->find_partition("mix"), {"lab.box", "lab.box"});
    assert_string_equal(one.instance_type.c_str(), "lab.box");
    assert_true(cost_ticks(Budget::Unit::Usd, one, chips_of(one, JobShape{}, 2), 3600) == ticks_of(16'000'000));
}

void host_lists_and_constraints(void**) {
    auto hosts = expand_hostlist("n[1-3,5],gpu-[08-10],login");
    assert_non_null(hosts ? &*hosts : nullptr);
    std::string all;
    for (const auto& h : *hosts) all += h + " ";
    assert_string_equal(all.c_str(), "n1 n2 n3 n5 gpu-08 gpu-09 gpu-10 login ");
    auto racks = expand_hostlist("r[1-2]n[1-2]");
    assert_int_equal(racks->size(), 4);
    assert_string_equal((*racks)[3].c_str(), "r2n2");
    for (const char* bad : {"n[1-", "n[3-1]", "n]", "n[a]", ",", "n[1-999999999]"}) {
        assert_false(expand_hostlist(bad).has_value());
    }

    auto p = load(kMixed);
    auto names = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& t : v) s += t + " ";
        return s;
    };
    auto types = nodes_of(*p);
    assert_string_equal(names(types->by_partition.at("mix")).c_str(), "trn1.2xlarge trn1.32xlarge ");
    assert_string_equal(names(types->by_partition.at("cpu")).c_str(), " trn1.2xlarge ");  // c1 has no type
    assert_int_equal(types->kinds_by_partition.at("mix").size(), 4);  // n1..n4 differ
    assert_int_equal(types->kinds_by_partition.at("big").size(), 2);
    // The types of the nodes a constraint admits (node_constraint.h), Features
    // that are not types included: n1 (small) and n4 (big) have efa.
    auto candidates = [&](const char* partition, const char* constraint) {
        return names(candidate_types(types.get(), partition, constraint));
    };
    assert_string_equal(candidates("mix", "").c_str(), "trn1.2xlarge trn1.32xlarge ");
    assert_string_equal(candidates("mix", "trn1.2xlarge").c_str(), "trn1.2xlarge ");
    assert_string_equal(candidates("mix", "[trn1.32xlarge|trn1.2xlarge]").c_str(), "trn1.2xlarge trn1.32xlarge ");
    assert_string_equal(candidates("mix", "trn1.2xlarge|efa").c_str(), "trn1.2xlarge trn1.32xlarge ");
    assert_string_equal(candidates("mix", "efa&trn1.32xlarge").c_str(), "trn1.32xlarge ");
    assert_string_equal(candidates("mix", "efa&trn1.2xlarge").c_str(), "trn1.2xlarge ");
    assert_string_equal(candidates("mix", "trn1.2xlarge*1").c_str(), "trn1.2xlarge trn1.32xlarge ");
    assert_string_equal(candidates("big", "trn1.2xlarge|efa").c_str(), "trn1.32xlarge ");
    assert_string_equal(candidates("cpu", "efa").c_str(), "trn1.2xlarge ");
    assert_string_equal(candidates("mix", "trn2.48xlarge").c_str(), "");
    assert_string_equal(candidates("mix", "trn1.2xlarge&nosuch").c_str(), "");
    // Unreadable: every type, never the cheapest.
    assert_string_equal(candidates("mix", "trn1.2xlarge|").c_str(), "trn1.2xlarge trn1.32xlarge ");
    assert_string_equal(candidates("mix", "[trn1.2xlarge").c_str(), "trn1.2xlarge trn1.32xlarge ");
    assert_string_equal(candidates("nosuch", "").c_str(), "");
    // Two nodes with the same Features in another order are of different
    // types (the first listed): both kept.
    const NodeTypes twice = build_node_types(*p, {{"a", "trn1.2xlarge,trn1.32xlarge", "t"},
                                                  {"b", "trn1.32xlarge,trn1.2xlarge", "t"}});
    assert_int_equal(twice.kinds_by_partition.at("t").size(), 2);
    assert_string_equal(names(candidate_types(&twice, "t", "trn1.2xlarge")).c_str(), "trn1.2xlarge trn1.32xlarge ");
    assert_true(candidate_types(nullptr, "mix", "").empty());
    assert_string_equal(names(*types_of_nodes(*types, "n[2-3]")).c_str(), "trn1.2xlarge trn1.32xlarge ");
}

JobRequest ann_on_mix(const std::string& award, const std::string& constraint) {
    JobRequest j;
    j.who = Identity{"ann", {}, ""};
    j.partitions = {"mix"};
    j.requested.award = award;
    j.requested.values = {award};
    j.shape.time_limit_minutes = 60;
    j.shape.constraint = constraint;
    j.today = day_number(2026, 12, 1);
    return j;
}

void holds_at_the_dearest_type(void**) {
    auto p = load(kMixed);
    const grants::UsageLookup no_usage;
    JobRequest j = ann_on_mix("D", "");
    j.node_types = nodes_of(*p);
    Decision d = decide_submit(*p, j, no_usage);
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Accept));
    assert_true(d.hold == ticks_of(21'500'000));
    assert_non_null(std::strstr(d.message.c_str(), "this job holds $21.50 (as on trn1.32xlarge nodes)"));

    j.shape.constraint = "trn1.2xlarge";
    d = decide_submit(*p, j, no_usage);
    assert_true(d.hold == ticks_of(1'340'000));
    assert_int_equal(d.chips, 1);
    assert_non_null(std::strstr(d.message.c_str(), "(as on trn1.2xlarge nodes)"));

    // The route found in review: "small or efa" admits the big nodes with efa.
    j.shape.constraint = "trn1.2xlarge|efa";
    d = decide_submit(*p, j, no_usage);
    assert_true(d.hold == ticks_of(21'500'000));
    assert_non_null(std::strstr(d.message.c_str(), "this job holds $21.50 (as on trn1.32xlarge nodes)"));
    JobRequest two = ann_on_mix("T", "trn1.2xlarge|efa");  // a $2 award
    two.node_types = j.node_types;
    d = decide_submit(*p, two, no_usage);
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Reject));
    assert_non_null(std::strstr(d.message.c_str(), "needs up to $21.50"));
    two.shape.constraint = "trn1.2xlarge&efa";
    assert_int_equal(static_cast<int>(decide_submit(*p, two, no_usage).verdict),
                     static_cast<int>(Decision::Verdict::Accept));
    // An expression Slurm would not read is held at the dearest type.
    j.shape.constraint = "(trn1.2xlarge";
    assert_true(decide_submit(*p, j, no_usage).hold == ticks_of(21'500'000));

    // No node satisfies it: refused, as Slurm would.
    j.shape.constraint = "trn2.48xlarge";
    d = decide_submit(*p, j, no_usage);
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Reject));
    assert_non_null(std::strstr(d.message.c_str(),
                                "no node of partition mix has the features your --constraint \"trn2.48xlarge\" asks for"));

    // Before the node table is known, or with nodes of no type: refused, not free.
    j.shape.constraint.clear();
    j.node_types.reset();
    d = decide_submit(*p, j, no_usage);
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Reject));
    assert_non_null(std::strstr(d.message.c_str(), "has a Feature naming an instance type"));

    // A node type without a price could take a dollar job: refused.
    auto unpriced = load(
        "version: 1\nenforce: {partitions: [mix]}\ninstance_types: {trn1.2xlarge: {usd_per_instance_hour: 1}}\n"
        "partitions: {mix: {instance_type: features}}\nawards: {D: {members: {users: [ann]}, budget: {usd: 100}}}\n");
    JobRequest u = ann_on_mix("D", "");
    u.node_types = nodes_of(*unpriced);
    d = decide_submit(*unpriced, u, no_usage);
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Decision::Verdict::Reject));
    assert_non_null(std::strstr(d.message.c_str(), "without a price"));
    u.shape.constraint = "trn1.2xlarge";
    assert_int_equal(static_cast<int>(decide_submit(*unpriced, u, no_usage).verdict),
                     static_cast<int>(Decision::Verdict::Accept));
}

void runs_priced_by_their_nodes(void**) {
    auto p = load(kMixed);
    UsageAccountant accountant("c");
    accountant.set_node_types(nodes_of(*p));
    JobObservation pending;
    pending.job_id = 1;
    pending.award = "D";
    pending.user = "ann";
    pending.partition = "mix";
    pending.time_limit_minutes = 60;
    JobObservation small = pending;
    small.job_id = 2;
    small.phase = JobObservation::Phase::Running;
    small.start_time = 1000;
    small.nodes = "n1";
    JobObservation done = small;
    done.job_id = 3;
    done.phase = JobObservation::Phase::Finished;
    done.end_time = 1000 + 1800;
    done.nodes = "n[3-4]";
    done.shape.min_nodes = 2;
    done.shape.max_nodes = 2;
    PassResult r = accountant.pass(*p, {pending, small, done}, 5000);
    // Held: the pending job at the dearest type ($21.50), the running one at
    // its small node ($1.34), the finished one at its charge (2 x $21.50 x 0.5 h).
    assert_int_equal(r.charges.size(), 1);
    assert_int_equal(r.charges[0].chips, 32);
    assert_true(r.charges[0].usd == ticks_of(21'500'000));
    assert_true(r.snapshot.awards.at("D").held == ticks_of(21'500'000 + 1'340'000 + 21'500'000));
}

// The accounting pass holds a queued job at what its constraint admits, as
// the submission did; a constraint the node table says no node satisfies
// (features changed since it was queued) at the partition's dearest type.
void pass_holds_what_constraints_admit(void**) {
    auto p = load(kMixed);
    UsageAccountant accountant("c");
    accountant.set_node_types(nodes_of(*p));
    JobObservation j;
    j.award = "D";
    j.user = "ann";
    j.partition = "mix";
    j.time_limit_minutes = 60;
    auto job = [&](std::uint32_t id, const char* constraint) {
        JobObservation o = j;
        o.job_id = id;
        o.shape.constraint = constraint;
        return o;
    };
    auto held = [&](const char* constraint) {
        UsageAccountant a("c");
        a.set_node_types(nodes_of(*p));
        return a.pass(*p, {job(1, constraint)}, 5000).snapshot.awards.at("D").held;
    };
    assert_true(held("trn1.2xlarge") == ticks_of(1'340'000));
    assert_true(held("trn1.2xlarge|efa") == ticks_of(21'500'000));
    assert_true(held("efa&trn1.2xlarge") == ticks_of(1'340'000));
    assert_true(held("trn2.48xlarge") == ticks_of(21'500'000));
    PassResult r = accountant.pass(*p, {job(1, "trn1.2xlarge|efa"), job(2, "trn1.2xlarge")}, 5000);
    assert_true(r.snapshot.awards.at("D").held == ticks_of(21'500'000 + 1'340'000));
}

// What balance shows: each type's price per node-hour on the award's typed
// partitions, only the types a features partition really has.
void node_prices_for_balance(void**) {
    auto p = load(kMixed);
    auto nodes = nodes_of(*p);
    auto usd = node_prices(*p, *p->find_award("D"), nodes.get());
    assert_int_equal(usd.size(), 3);  // big: trn1.32xlarge; mix: trn1.2xlarge, trn1.32xlarge
    assert_string_equal(usd[0].partition.c_str(), "big");
    assert_string_equal(usd[0].instance_type.c_str(), "trn1.32xlarge");
    assert_int_equal(usd[0].chips, 16);
    assert_int_equal(*usd[0].per_node_hour, ticks_of(21'500'000));
    assert_string_equal(usd[1].partition.c_str(), "mix");
    assert_string_equal(usd[1].instance_type.c_str(), "trn1.2xlarge");
    assert_int_equal(usd[1].chips, 1);
    assert_int_equal(*usd[1].per_node_hour, ticks_of(1'340'000));
    assert_string_equal(usd[2].instance_type.c_str(), "trn1.32xlarge");
    // Chip-hour awards: a node-hour is its chips.
    auto hours = node_prices(*p, *p->find_award("H"), nodes.get());
    assert_int_equal(hours.size(), 3);
    assert_int_equal(*hours[0].per_node_hour, ticks_of(16 * kMicrosPerUnit));
    assert_int_equal(*hours[1].per_node_hour, ticks_of(1 * kMicrosPerUnit));
    // Before the node table is read, a features partition has no known types.
    assert_int_equal(node_prices(*p, *p->find_award("D"), nullptr).size(), 1);
    // Partitions priced per node of one size, unpriced types, awards limited to partitions.
    auto q = load("version: 1\nenforce: {partitions: [a, mix]}\n"
                  "instance_types: {trn1.2xlarge: {usd_per_instance_hour: 1}}\n"
                  "partitions:\n  a: {chips_per_node: 16}\n"
                  "  mix: {instance_type: features}\nawards:\n"
                  "  D: {members: {users: [ann]}, budget: {usd: 1}, partitions: [mix]}\n"
                  "  H: {members: {users: [ann]}, budget: {chip_hours: 1}, partitions: [a]}\n");
    auto qn = nodes_of(*q);
    assert_int_equal(node_prices(*q, *q->find_award("H"), qn.get()).size(), 0);
    auto unpriced = node_prices(*q, *q->find_award("D"), qn.get());
    assert_int_equal(unpriced.size(), 2);
    assert_int_equal(*unpriced[0].per_node_hour, ticks_of(kMicrosPerUnit));
    assert_false(unpriced[1].per_node_hour.has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_and_partitions),      cmocka_unit_test(loader_errors),
        cmocka_unit_test(exact_prices),              cmocka_unit_test(host_lists_and_constraints),
        cmocka_unit_test(holds_at_the_dearest_type), cmocka_unit_test(runs_priced_by_their_nodes),
        cmocka_unit_test(node_prices_for_balance),   cmocka_unit_test(pass_holds_what_constraints_admit),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
