// NEURON_RT_VISIBLE_CORES: index lists as Slurm writes them, the devices of a
// job's GRES details, their cores, and the rule for a task's value. Also the
// typed GRES of a partition ("gpu:trainium2") in the cost model.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "cmocka.h"
#include "core/domain/cost_model.h"
#include "core/domain/job_shape.h"
#include "core/domain/neuron_cores.h"
#include "core/policy/policy_loader.h"

using grants::allocated_chips;
using grants::chips_of;
using grants::cores_of_devices;
using grants::format_index_list;
using grants::gres_count;
using grants::gres_detail_indices;
using grants::IndexList;
using grants::JobShape;
using grants::NeuronTaskFacts;
using grants::parse_index_list;
using grants::PartitionCost;
using grants::node_neuron_cost;
using grants::visible_cores;
using grants::VisibleCores;

namespace {

std::string list_text(const std::optional<IndexList>& list) { return list ? format_index_list(*list) : "none"; }

PartitionCost trn2_gpu() {
    PartitionCost p;
    p.chips_per_node = 16;
    p.cores_per_chip = 4;
    p.gres = "gpu";
    return p;
}

void index_lists(void**) {
    assert_string_equal(list_text(parse_index_list("0-3,6")).c_str(), "0-3,6");
    assert_string_equal(list_text(parse_index_list("3,1,2,0")).c_str(), "0-3");
    assert_string_equal(list_text(parse_index_list(" 5 ")).c_str(), "5");
    assert_string_equal(list_text(parse_index_list("0,0,1")).c_str(), "0-1");
    assert_string_equal(list_text(parse_index_list("8-9,12-13,15")).c_str(), "8-9,12-13,15");
    for (const char* bad : {"", ",", "1,", "3-1", "a", "1-", "-1", "1--2", "99999999999", "70000"}) {
        assert_false(parse_index_list(bad).has_value());
    }
    assert_string_equal(format_index_list({}).c_str(), "");
}

void detail_entries(void**) {
    assert_string_equal(list_text(gres_detail_indices("gpu:4(IDX:0-3)", "gpu")).c_str(), "0-3");
    assert_string_equal(list_text(gres_detail_indices("gpu:trainium2:2(IDX:1,5)", "gpu")).c_str(), "1,5");
    // Two GRES on a node; commas inside IDX lists are not entry separators.
    assert_string_equal(list_text(gres_detail_indices("neuron:2(IDX:0,2),gpu:3(IDX:4-6)", "gpu")).c_str(), "4-6");
    assert_string_equal(list_text(gres_detail_indices("neuron:2(IDX:0,2),gpu:3(IDX:4-6)", "neuron")).c_str(),
                        "0,2");
    // A count-only GRES names no devices; another name is not ours.
    assert_false(gres_detail_indices("neuron(CNT:4)", "neuron").has_value());
    assert_false(gres_detail_indices("gpu:4(IDX:0-3)", "neuron").has_value());
    assert_false(gres_detail_indices("", "gpu").has_value());
    assert_false(gres_detail_indices("gpu:4(IDX:0-x)", "gpu").has_value());
}

void cores_of_chips(void**) {
    assert_string_equal(format_index_list(cores_of_devices({0}, 2)).c_str(), "0-1");
    assert_string_equal(format_index_list(cores_of_devices({1, 3}, 8)).c_str(), "8-15,24-31");
    assert_string_equal(format_index_list(cores_of_devices({0, 1}, 4)).c_str(), "0-7");
    assert_true(cores_of_devices({0, 1}, 0).empty());
}

void rule_for_a_task(void**) {
    PartitionCost p = trn2_gpu();
    NeuronTaskFacts f;
    f.gres_detail = "gpu:2(IDX:2-3)";
    VisibleCores v = visible_cores(p, f);
    assert_int_equal(static_cast<int>(v.action), static_cast<int>(VisibleCores::Action::Set));
    assert_string_equal(v.value.c_str(), "8-15");

    // A step with one of the job's two devices.
    f.step_gpus = "3";
    assert_string_equal(visible_cores(p, f).value.c_str(), "12-15");
    f.step_gpus.reset();

    // The user's own subset is kept; anything else is replaced.
    f.user_value = "8-9";
    v = visible_cores(p, f);
    assert_int_equal(static_cast<int>(v.action), static_cast<int>(VisibleCores::Action::KeepUser));
    assert_string_equal(v.value.c_str(), "8-9");
    for (const char* outside : {"0-3", "8-16", "all", ""}) {
        f.user_value = outside;
        v = visible_cores(p, f);
        assert_int_equal(static_cast<int>(v.action), static_cast<int>(VisibleCores::Action::Set));
        assert_string_equal(v.value.c_str(), "8-15");
        assert_true(v.note.find("replaced") != std::string::npos);
    }
    // The user's text reaches slurmd's log through the note: never raw, so a
    // newline in it cannot forge a log line.
    f.user_value = "0-99\n[2025-01-01T00:00:00.000] grants: forged";
    v = visible_cores(p, f);
    assert_string_equal(v.value.c_str(), "8-15");
    assert_true(v.note.find('\n') == std::string::npos);
    assert_true(v.note.find("\"0-99\\x0a[2025-01-01T00:00:00.000] grants: forged\"") != std::string::npos);
    for (char c : v.note) assert_true(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f);
    f.user_value.reset();

    // A job with the whole node, or a partition without GRES: every core.
    f.whole_node = true;
    assert_string_equal(visible_cores(p, f).value.c_str(), "0-63");
    PartitionCost whole;
    whole.chips_per_node = 16;
    whole.cores_per_chip = 2;
    assert_string_equal(visible_cores(whole, NeuronTaskFacts{}).value.c_str(), "0-31");

    // No devices here, or cores per chip unknown: left alone.
    NeuronTaskFacts none;
    v = visible_cores(p, none);
    assert_int_equal(static_cast<int>(v.action), static_cast<int>(VisibleCores::Action::Leave));
    assert_true(v.note.find("no gpu devices") != std::string::npos);
    PartitionCost unknown = p;
    unknown.cores_per_chip = 0;
    assert_int_equal(static_cast<int>(visible_cores(unknown, f).action), static_cast<int>(VisibleCores::Action::Leave));
}

void typed_partition_gres(void**) {
    // Untyped and matching typed requests count; another type does not.
    assert_int_equal(*gres_count("gres/gpu:trainium2:4", "gpu", nullptr, "trainium2"), 4);
    assert_int_equal(*gres_count("gres/gpu:4", "gpu", nullptr, "trainium2"), 4);
    assert_int_equal(*gres_count("gres:gpu:trainium2", "gpu", nullptr, "trainium2"), 1);
    assert_false(gres_count("gres/gpu:a100:4", "gpu", nullptr, "trainium2").has_value());
    assert_int_equal(*gres_count("gres/gpu:a100:4", "gpu"), 4);

    PartitionCost p = trn2_gpu();
    p.gres_type = "trainium2";
    JobShape shape;
    shape.tres_per_node = "gres/gpu:trainium2:2";
    assert_int_equal(chips_of(p, shape, 2), 4);
    shape.tres_per_node = "gres/gpu:a100:2";
    assert_int_equal(chips_of(p, shape, 2), 32);  // not our devices: whole nodes
    // The allocated count: the partition's type, else the untyped total.
    shape.tres_per_node = "gres/gpu:2";
    assert_int_equal(allocated_chips(p, shape, 1, "cpu=1,gres/gpu=3,gres/gpu:trainium2=2"), 2);
    assert_int_equal(allocated_chips(p, shape, 1, "cpu=1,gres/gpu=3"), 3);
    assert_int_equal(allocated_chips(p, shape, 1, "cpu=1,node=1"), 2);
}

// ParallelCluster's queues: no chips_per_node on the partition; each node's
// instance type (a Feature) gives its chips and cores, so a whole trn1.32xlarge
// node sees 32 cores and a trn1.2xlarge 2.
void cores_from_the_node_type(void**) {
    grants::PolicyLoad load = grants::load_policy_text(
        "version: 1\n"
        "enforce: { partitions: [mix, mixed, trn1] }\n"
        "instance_types: { lab.box: { chips: 4 }, trn1.2xlarge: { usd_per_instance_hour: 1.34 } }\n"
        "partitions:\n"
        "  mix: { instance_type: features }\n"
        "  mixed: { instance_type: features, chips_per_node: 8, cores_per_chip: 2 }\n"
        "  trn1: { chips_per_node: 16, cores_per_chip: 2 }\n"
        "awards: {}\n",
        "g.yaml");
    for (const auto& e : load.errors) std::fprintf(stderr, "  %s\n", e.to_string().c_str());
    assert_non_null(load.policy.get());
    const grants::Policy& policy = *load.policy;
    const PartitionCost& mix = *policy.find_partition("mix");
    const PartitionCost& mixed = *policy.find_partition("mixed");
    NeuronTaskFacts whole;
    whole.whole_node = true;
    std::string why;
    auto big = node_neuron_cost(policy, mix, "trn1-dy-trn1-32xl-1", std::string("dynamic,trn1.32xlarge,trn1-32xl,efa"), &why);
    assert_true(big.has_value());
    VisibleCores cores = visible_cores(*big, whole);
    assert_int_equal(static_cast<int>(cores.action), static_cast<int>(VisibleCores::Action::Set));
    assert_string_equal(cores.value.c_str(), "0-31");  // 16 chips x 2 cores
    auto small = node_neuron_cost(policy, mix, "s1", std::string("trn1.2xlarge"), &why);
    assert_true(small.has_value());
    assert_string_equal(visible_cores(*small, whole).value.c_str(), "0-1");
    // Not priced for the partition: visible_cores would leave it unset.
    assert_int_equal(static_cast<int>(visible_cores(mix, whole).action), static_cast<int>(VisibleCores::Action::Leave));

    // No known type: the partition's own chips and cores when it gives them.
    auto plain = node_neuron_cost(policy, mixed, "x1", std::string("efa"), &why);
    assert_true(plain.has_value());
    assert_string_equal(visible_cores(*plain, whole).value.c_str(), "0-15");
    auto typed = node_neuron_cost(policy, mixed, "x2", std::string("trn1.32xlarge"), &why);
    assert_true(typed.has_value());
    assert_string_equal(visible_cores(*typed, whole).value.c_str(), "0-31");
    // ...and none otherwise, with the reason for slurmd's log.
    assert_false(node_neuron_cost(policy, mix, "x1", std::string("efa,dynamic"), &why).has_value());
    assert_string_equal(why.c_str(),
                        "the Features of node x1 (efa,dynamic) name no instance type the policy knows");
    assert_false(node_neuron_cost(policy, mix, "ghost", std::nullopt, &why).has_value());
    assert_string_equal(why.c_str(), "node ghost is not defined in slurm.conf, so its instance type is unknown");
    assert_false(node_neuron_cost(policy, mix, "b1", std::string("lab.box"), &why).has_value());
    assert_string_equal(why.c_str(), "instance type lab.box of node b1 has no cores_per_chip (add it under instance_types)");
    // A partition of its own chips and cores: the node does not matter.
    auto trn1 = node_neuron_cost(policy, *policy.find_partition("trn1"), "n1", std::nullopt, &why);
    assert_true(trn1.has_value());
    assert_string_equal(visible_cores(*trn1, whole).value.c_str(), "0-31");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(index_lists),    cmocka_unit_test(detail_entries),       cmocka_unit_test(cores_of_chips),
        cmocka_unit_test(rule_for_a_task), cmocka_unit_test(typed_partition_gres), cmocka_unit_test(cores_from_the_node_type),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
