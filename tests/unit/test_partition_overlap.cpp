// Partitions that share enforced nodes without being enforced: Slurm
// hostlists, slurm.conf's partitions (Nodes=ALL, NodeSet, include), the
// overlap rule and its sentence.
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/base/hostlist.h"
#include "core/domain/partition_overlap.h"
#include "core/policy/enforce_scope.h"
#include "core/policy/policy_loader.h"
#include "core/site/slurm_conf_nodes.h"

using grants::expand_hostlist;
using grants::NameSet;
using grants::PartitionNodes;
using grants::PartitionOverlap;
using grants::read_slurm_conf_partitions;
using grants::SlurmConfText;
using grants::unenforced_overlaps;

namespace {

using Names = std::vector<std::string>;

std::string joined(const Names& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
    return out;
}

void expect_hosts(const char* list, const char* want) {
    std::string error;
    auto got = expand_hostlist(list, &error);
    if (!got) fail_msg("'%s': refused: %s", list, error.c_str());
    if (joined(*got) != want) fail_msg("'%s': got '%s', want '%s'", list, joined(*got).c_str(), want);
}

void expect_refused(const char* list, const char* part_of_error) {
    std::string error;
    auto got = expand_hostlist(list, &error);
    if (got) fail_msg("'%s': expanded to '%s', want refused", list, joined(*got).c_str());
    if (error.find(part_of_error) == std::string::npos) {
        fail_msg("'%s': error '%s' lacks '%s'", list, error.c_str(), part_of_error);
    }
}

void test_hostlists(void**) {
    expect_hosts("", "");
    expect_hosts("n1", "n1");
    expect_hosts("trn1-dy-trn1-32xl-[1-4]",
                 "trn1-dy-trn1-32xl-1 trn1-dy-trn1-32xl-2 trn1-dy-trn1-32xl-3 trn1-dy-trn1-32xl-4");
    expect_hosts("n[1-3,5]", "n1 n2 n3 n5");
    expect_hosts("n[1-3,5],login1", "n1 n2 n3 n5 login1");
    expect_hosts("n[08-11]", "n08 n09 n10 n11");   // the lower bound's width
    expect_hosts("n[8-11]", "n8 n9 n10 n11");
    expect_hosts("r[1-2]n[1-2]", "r1n1 r1n2 r2n1 r2n2");
    expect_hosts("n[1-2]-ib", "n1-ib n2-ib");
    expect_hosts("a, b\tc", "a b c");              // whitespace separates too
    expect_hosts("n[3]", "n3");
    expect_refused("n[1-3", "'[' without its ']'");
    expect_refused("n1-3]", "']' without its '['");
    expect_refused("n[3-1]", "runs backwards");
    expect_refused("n[a-b]", "is not a number");
    expect_refused("n[]", "empty range");
    expect_refused("n[1-,2]", "is not a number");
    expect_refused("n[0-99999999]", "more than 1000000 nodes");
    expect_refused("a[0-999]b[0-9999]", "more than 1000000 nodes");
}

void test_split_node_list(void**) {
    auto items = grants::split_node_list("n[1-3,5],gpus,,x");
    assert_int_equal(items.size(), 3);
    assert_true(items[0] == "n[1-3,5]");
    assert_true(items[1] == "gpus");
    assert_true(items[2] == "x");
}

void expect_overlaps(const std::vector<PartitionOverlap>& got, const std::vector<PartitionOverlap>& want) {
    if (got == want) return;
    std::string text;
    for (const auto& o : got) text += o.partition + "{" + joined(o.enforced) + "|" + joined(o.shared_nodes) + "} ";
    fail_msg("overlaps: got %s", text.c_str());
}

void test_overlap_rule(void**) {
    PartitionNodes parts{
        {"trn1", {"trn1-dy-1", "trn1-dy-2"}},
        {"trn2", {"trn2-st-1"}},
        {"cpu", {"c1", "c2"}},
        {"debug", {"c1", "trn1-dy-2", "trn1-dy-2"}},  // duplicates are one node
        {"all", {"c1", "c2", "trn1-dy-1", "trn1-dy-2", "trn2-st-1"}},
        {"scavenger", {"trn1-dy-1"}},
    };
    const NameSet enforced{"trn1", "trn2", "gone"};  // "gone": no such partition in Slurm
    expect_overlaps(unenforced_overlaps(parts, enforced, NameSet{"scavenger"}),
                    {{"all", {"trn1", "trn2"}, {"trn1-dy-1", "trn1-dy-2", "trn2-st-1"}},
                     {"debug", {"trn1"}, {"trn1-dy-2"}}});
    // Without the exemption the scavenger partition is told too.
    auto all = unenforced_overlaps(parts, enforced, NameSet{});
    assert_int_equal(all.size(), 3);
    assert_string_equal(all[2].partition.c_str(), "scavenger");
    // Enforced partitions sharing nodes with each other are fine; nothing enforced, nothing to tell.
    expect_overlaps(unenforced_overlaps({{"trn1", {"n1"}}, {"trn1-big", {"n1"}}}, NameSet{"trn1", "trn1-big"}, {}), {});
    expect_overlaps(unenforced_overlaps(parts, NameSet{}, {}), {});
    expect_overlaps(unenforced_overlaps(parts, NameSet{"gone"}, {}), {});
}

void test_overlap_sentence(void**) {
    PartitionOverlap o{"debug", {"trn1", "trn2"}, {"a1", "a2", "a3", "a4", "a5", "a6"}};
    const std::string s = grants::overlap_warning(o);
    assert_non_null(strstr(s.c_str(), "partition debug is not in enforce.partitions but shares 6 nodes with enforced "
                                      "partitions trn1, trn2 (a1, a2, a3, a4 and 2 more)"));
    assert_non_null(strstr(s.c_str(), "jobs submitted to debug run there untagged and are never charged"));
    assert_non_null(strstr(s.c_str(), "Add debug to enforce.partitions"));
    assert_non_null(strstr(s.c_str(), "AllowAccounts or AllowGroups"));
    assert_non_null(strstr(s.c_str(), "enforce.exempt"));
    assert_null(strchr(s.c_str(), '\n'));
    PartitionOverlap one{"all", {"trn1"}, {"n1"}};
    assert_non_null(strstr(grants::overlap_warning(one).c_str(), "shares 1 node with enforced partition trn1 (n1):"));
}

// The files a test slurm.conf includes, and which paths were asked for.
struct Files {
    std::map<std::string, std::string> texts;
    std::vector<std::string> asked;
    grants::SlurmConfIncludes reader() {
        return [this](const std::string& path, std::vector<SlurmConfText>* out, std::string* error) {
            asked.push_back(path);
            auto it = texts.find(path);
            if (it == texts.end()) {
                *error = "No such file or directory";
                return false;
            }
            out->push_back(SlurmConfText{path, it->second});
            return true;
        };
    }
};

std::string nodes_of(const grants::SlurmConfPartitions& r, const char* partition) {
    auto it = r.partitions.find(partition);
    return it == r.partitions.end() ? "(none)" : joined(it->second);
}

void test_slurm_conf_partitions(void**) {
    // ParallelCluster's layout: slurm.conf includes a file next to it, which
    // includes one per queue from a subdirectory.
    Files files;
    files.texts["/opt/slurm/etc/slurm_parallelcluster.conf"] =
        "include pcluster/slurm_parallelcluster_trn1_partition.conf\n"
        "include pcluster/slurm_parallelcluster_debug_partition.conf\n";
    files.texts["/opt/slurm/etc/pcluster/slurm_parallelcluster_trn1_partition.conf"] =
        "NodeName=trn1-dy-trn1-32xl-[1-4] CPUs=128 State=CLOUD Feature=dynamic,trn1.32xlarge,trn1-32xl,efa\n"
        "NodeSet=trn1_nodes Nodes=trn1-dy-trn1-32xl-[1-4]\n"
        "PartitionName=trn1 Nodes=trn1_nodes MaxTime=INFINITE State=UP\n";
    files.texts["/opt/slurm/etc/pcluster/slurm_parallelcluster_debug_partition.conf"] =
        "NodeName=debug-st-c5-1 CPUs=4\n"
        "PartitionName=debug Nodes=debug-st-c5-1,trn1-dy-trn1-32xl-[3-4] Default=YES\n";
    SlurmConfText main{"/opt/slurm/etc/slurm.conf",
                       "ClusterName=Big\n"
                       "# PartitionName=commented Nodes=ALL\n"
                       "include slurm_parallelcluster.conf\n"
                       "NodeName=login[1-2] Features=login \\\n"
                       "   CPUs=2\n"
                       "NodeSet=big Feature=efa\n"
                       "PartitionName=DEFAULT Nodes=login1\n"
                       "PartitionName=all Nodes=ALL\n"
                       "partitionname=efa nodes=big\n"
                       "PartitionName=logins\n"
                       "PartitionName=quoted Nodes=\"login2,debug-st-c5-1\" # a comment\n"
                       "include /etc/slurm/%c-extra.conf\n"};
    files.texts["/etc/slurm/big-extra.conf"] = "PartitionName=extra Nodes=trn1-dy-trn1-32xl-1\n";
    auto r = read_slurm_conf_partitions(main, files.reader());
    for (const auto& p : r.problems) print_error("problem: %s\n", p.c_str());
    assert_int_equal(r.problems.size(), 0);
    assert_string_equal(nodes_of(r, "trn1").c_str(),
                        "trn1-dy-trn1-32xl-1 trn1-dy-trn1-32xl-2 trn1-dy-trn1-32xl-3 trn1-dy-trn1-32xl-4");
    assert_string_equal(nodes_of(r, "debug").c_str(), "debug-st-c5-1 trn1-dy-trn1-32xl-3 trn1-dy-trn1-32xl-4");
    // Nodes=ALL: every NodeName, from every file read.
    assert_string_equal(nodes_of(r, "all").c_str(),
                        "trn1-dy-trn1-32xl-1 trn1-dy-trn1-32xl-2 trn1-dy-trn1-32xl-3 trn1-dy-trn1-32xl-4 "
                        "debug-st-c5-1 login1 login2");
    assert_string_equal(nodes_of(r, "efa").c_str(),  // a NodeSet by feature (keys in any case)
                        "trn1-dy-trn1-32xl-1 trn1-dy-trn1-32xl-2 trn1-dy-trn1-32xl-3 trn1-dy-trn1-32xl-4");
    assert_string_equal(nodes_of(r, "logins").c_str(), "login1");  // PartitionName=DEFAULT's Nodes
    assert_string_equal(nodes_of(r, "quoted").c_str(), "login2 debug-st-c5-1");
    assert_string_equal(nodes_of(r, "extra").c_str(), "trn1-dy-trn1-32xl-1");  // %c: the lower-cased ClusterName
    assert_string_equal(nodes_of(r, "commented").c_str(), "(none)");
    // Each node's Features as written (slurmstepd reads its instance type there).
    assert_string_equal(r.node_features.at("trn1-dy-trn1-32xl-3").c_str(), "dynamic,trn1.32xlarge,trn1-32xl,efa");
    assert_string_equal(r.node_features.at("login2").c_str(), "login");
    assert_string_equal(r.node_features.at("debug-st-c5-1").c_str(), "");
    assert_int_equal(r.node_features.size(), 7);

    grants::PolicyLoad load = grants::load_policy_text(
        "version: 1\n"
        "enforce: { partitions: [trn1], exempt: [extra] }\n"
        "partitions: { trn1: { chips_per_node: 16 } }\n"
        "awards: {}\n",
        "grants.yaml");
    assert_non_null(load.policy.get());
    auto found = unenforced_overlaps(r.partitions, *load.policy);
    std::string names;
    for (const auto& o : found) names += o.partition + " ";
    assert_string_equal(names.c_str(), "all debug efa ");
}

void test_node_features_default(void**) {
    Files files;
    SlurmConfText main{"/etc/slurm/slurm.conf",
                       "NodeName=DEFAULT Features=\"trn1.2xlarge,small\"\n"
                       "NodeName=s[1-2] CPUs=8\n"
                       "NodeName=b1 Feature=efa,trn1.32xlarge CPUs=128\n"};
    auto r = read_slurm_conf_partitions(main, files.reader());
    assert_string_equal(r.node_features.at("s1").c_str(), "trn1.2xlarge,small");  // NodeName=DEFAULT's
    assert_string_equal(r.node_features.at("s2").c_str(), "trn1.2xlarge,small");
    assert_string_equal(r.node_features.at("b1").c_str(), "efa,trn1.32xlarge");  // Feature= is the same key
}

void test_slurm_conf_problems(void**) {
    Files files;
    files.texts["/etc/slurm/loop.conf"] = "include loop.conf\n";
    SlurmConfText main{"/etc/slurm/slurm.conf",
                       "include missing.conf\n"
                       "NodeName=n[1-4\n"
                       "PartitionName=bad Nodes=n[9-1]\n"
                       "PartitionName=fn Nodes={feature:efa}\n"
                       "include loop.conf\n"};
    auto r = read_slurm_conf_partitions(main, files.reader());
    assert_string_equal(files.asked.front().c_str(), "/etc/slurm/missing.conf");
    std::string all;
    for (const auto& p : r.problems) all += p + "\n";
    assert_non_null(strstr(all.c_str(), "/etc/slurm/slurm.conf:1: cannot read the included file /etc/slurm/missing.conf: "
                                        "No such file or directory; the nodes and partitions it defines are not checked"));
    assert_non_null(strstr(all.c_str(), "/etc/slurm/slurm.conf:2: NodeName: the node list"));
    assert_non_null(strstr(all.c_str(), "/etc/slurm/slurm.conf:3: partition bad: the node list"));
    assert_non_null(strstr(all.c_str(), "/etc/slurm/slurm.conf:4: partition fn: the node list {feature:efa} uses a "
                                        "hostlist function"));
    assert_non_null(strstr(all.c_str(), "/etc/slurm/loop.conf:1: includes nest deeper than 16 files"));
    assert_int_equal(r.problems.size(), 5);
}

void test_exempt_in_policy(void**) {
    auto load = grants::load_policy_text(
        "version: 1\n"
        "enforce: { partitions: [trn1], exempt: [scavenger, trn1] }\n"
        "partitions: { trn1: { chips_per_node: 16 } }\n"
        "awards: {}\n",
        "grants.yaml");
    assert_null(load.policy.get());
    assert_int_equal(load.errors.size(), 1);
    assert_string_equal(load.errors[0].to_string().c_str(),
                        "grants.yaml:2:52: partition 'trn1' is in both enforce.partitions and enforce.exempt; an "
                        "exempt partition is one that is not enforced");
    // A file broken elsewhere still gives its enforced partitions with exempt in the section.
    auto scope = grants::read_enforce_section("version: 1\nenforce: { partitions: [trn1], exempt: [cpu] }\nawards: 7\n");
    assert_true(scope.has_value());
    assert_true(scope->enforces("trn1"));
    assert_false(scope->enforces("cpu"));
    assert_false(grants::read_enforce_section("enforce: { partitions: [trn1], exempt: cpu }\n").has_value());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostlists),
        cmocka_unit_test(test_split_node_list),
        cmocka_unit_test(test_overlap_rule),
        cmocka_unit_test(test_overlap_sentence),
        cmocka_unit_test(test_slurm_conf_partitions),
        cmocka_unit_test(test_node_features_default), cmocka_unit_test(test_slurm_conf_problems),
        cmocka_unit_test(test_exempt_in_policy),
    };
    return cmocka_run_group_tests_name("partition_overlap", tests, nullptr, nullptr);
}
