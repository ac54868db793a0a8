// --constraint as Slurm reads it: which nodes each operator admits (&, the
// comma, |, left to right without precedence, parentheses, the bracketed
// set, counts), expressions Slurm refuses (every node admitted), and the
// route found in review: "trn1.2xlarge|efa" admits the trn1.32xlarge nodes
// that carry efa.
#include <optional>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/node_constraint.h"

using grants::NodeConstraint;
using grants::split_features;

namespace {

// The nodes of a ParallelCluster-like queue, by their Features.
const char* const kNodes[] = {
    "trn1.2xlarge",                    // 0: small
    "trn1.32xlarge,efa",               // 1: big, with EFA
    "trn1.32xlarge",                   // 2: big, without
    "dynamic,trn1.2xlarge,queue-a",    // 3: small, dynamic, queue name
    "efa, rack1 ,trn1.32xlarge",       // 4: big, blanks around names
};

// Which of kNodes the expression admits, as a string of 0/1 ("10100");
// "bad" when it does not parse.
std::string admitted(const char* expression) {
    std::optional<NodeConstraint> c = NodeConstraint::parse(expression);
    if (!c) return "bad";
    std::string out;
    for (const char* node : kNodes) out += c->admits(split_features(node)) ? '1' : '0';
    return out;
}

void features_of_a_node(void**) {
    const std::vector<std::string> f = split_features(" trn1.32xlarge, efa,,efa ,dynamic");
    assert_int_equal(f.size(), 3);
    assert_string_equal(f[0].c_str(), "dynamic");
    assert_string_equal(f[1].c_str(), "efa");
    assert_string_equal(f[2].c_str(), "trn1.32xlarge");
    assert_true(split_features("").empty());
}

void single_names(void**) {
    assert_string_equal(admitted("trn1.2xlarge").c_str(), "10010");
    assert_string_equal(admitted("efa").c_str(), "01001");
    assert_string_equal(admitted("queue-a").c_str(), "00010");
    assert_string_equal(admitted("rack1").c_str(), "00001");  // blanks in the node's Features trimmed
    assert_string_equal(admitted(" efa ").c_str(), "01001");  // and in the expression
    assert_string_equal(admitted("nosuch").c_str(), "00000");
    // No NOT operator in Slurm 22.05 to 24.11: "!efa" is a feature's name.
    assert_string_equal(admitted("!efa").c_str(), "00000");
}

void and_or_left_to_right(void**) {
    assert_string_equal(admitted("trn1.32xlarge&efa").c_str(), "01001");
    assert_string_equal(admitted("trn1.32xlarge,efa").c_str(), "01001");  // a comma is '&'
    assert_string_equal(admitted("trn1.2xlarge&efa").c_str(), "00000");
    // The review's route: an OR with a feature only the big nodes have.
    assert_string_equal(admitted("trn1.2xlarge|efa").c_str(), "11011");
    assert_string_equal(admitted("trn1.2xlarge|trn1.32xlarge").c_str(), "11111");
    // No precedence: "a|b&c" is (a|b)&c, "a&b|c" is (a&b)|c.
    assert_string_equal(admitted("trn1.2xlarge|trn1.32xlarge&efa").c_str(), "01001");
    assert_string_equal(admitted("efa&trn1.32xlarge|trn1.2xlarge").c_str(), "11011");
    assert_string_equal(admitted("dynamic|efa&rack1").c_str(), "00001");
}

void parentheses(void**) {
    assert_string_equal(admitted("trn1.32xlarge&(efa|queue-a)").c_str(), "01001");
    assert_string_equal(admitted("(trn1.2xlarge|efa)&trn1.32xlarge").c_str(), "01001");
    assert_string_equal(admitted("trn1.2xlarge|(trn1.32xlarge&rack1)").c_str(), "10011");
    assert_string_equal(admitted("(dynamic&queue-a)|(efa&rack1)").c_str(), "00011");
}

void brackets_and_counts(void**) {
    // Matching OR: one of them on every node; a node with any may be one.
    assert_string_equal(admitted("[trn1.2xlarge|trn1.32xlarge]").c_str(), "11111");
    assert_string_equal(admitted("[queue-a|rack1]").c_str(), "00011");
    assert_string_equal(admitted("efa&[trn1.2xlarge|trn1.32xlarge]").c_str(), "01001");
    // Multiple counts: different nodes take different terms (their union).
    assert_string_equal(admitted("[trn1.2xlarge*1&efa*2]").c_str(), "11011");
    assert_string_equal(admitted("[(trn1.32xlarge&rack1)*1&queue-a*2]").c_str(), "00011");
    assert_string_equal(admitted("[trn1.2xlarge|efa]*2").c_str(), "11011");
    // A count outside brackets: only that many nodes need the feature, the
    // others may be any node; with brackets, Slurm keeps to the set's nodes
    // and drops the terms outside it.
    assert_string_equal(admitted("trn1.2xlarge*1").c_str(), "11111");
    assert_string_equal(admitted("(trn1.2xlarge&dynamic)*1").c_str(), "11111");
    assert_string_equal(admitted("efa&trn1.2xlarge*1").c_str(), "11111");
    assert_string_equal(admitted("queue-a&[trn1.2xlarge*1&rack1*1]").c_str(), "10011");
}

void refused_by_slurm(void**) {
    // Expressions build_feature_list refuses: the caller admits every node.
    for (const char* bad : {"", "&efa", "efa&", "efa||trn1.2xlarge", "(efa", "efa)", "[efa", "efa]", "((efa))",
                            "[a|b]&[c|d]", "[a|[b]]", "(a|[b])", "(a*2)", "a*0", "a*", "a*x", "*2", "a*2b", "()",
                            "[]", "a&()", "(a)b", "[a]b", " ", "a& &b", "a|*3"}) {
        assert_string_equal(admitted(bad).c_str(), "bad");
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(features_of_a_node), cmocka_unit_test(single_names),
        cmocka_unit_test(and_or_left_to_right), cmocka_unit_test(parentheses),
        cmocka_unit_test(brackets_and_counts), cmocka_unit_test(refused_by_slurm),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
