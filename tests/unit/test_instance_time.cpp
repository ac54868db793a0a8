// Instance time: which node counts under which partition, type and price;
// segments as power states change (boot, busy, idle, failed launch, a
// restart continuing the ledger's open segments); sums clipped to a period;
// the reconciliation with charges; and the ledger's tables.
#include <set>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/instance_time.h"
#include "core/domain/instance_types.h"
#include "core/policy/policy_loader.h"
#include "core/storage/ledger.h"
#include "temp_dir.h"

using namespace grants;

namespace {

std::shared_ptr<const Policy> policy() {
    static PolicyLoad load = load_policy_text(
        "version: 1\n"
        "enforce: { partitions: [trn1, trn1-mixed] }\n"
        "instance_types:\n"
        "  trn1.2xlarge: { usd_per_instance_hour: 1.34 }\n"
        "  trn1.32xlarge: { usd_per_instance_hour: 21.50 }\n"
        "partitions:\n"
        "  trn1: { instance_type: trn1.32xlarge }\n"
        "  trn1-mixed: { instance_type: features }\n"
        "  cpu: { chips_per_node: 1 }\n"
        "awards: {}\n",
        "grants.yaml");
    if (!load.policy) fail_msg("policy: %s", load.errors.empty() ? "?" : load.errors[0].to_string().c_str());
    return load.policy;
}

NodeTypes types() {
    std::vector<NodeRecord> nodes = {{"m1", "dynamic,trn1.2xlarge", "trn1-mixed"},
                                     {"m2", "dynamic,trn1.32xlarge,efa", "trn1-mixed"},
                                     {"m3", "dynamic", "trn1-mixed"}};
    return build_node_types(*policy(), nodes);
}

void test_attribution(void**) {
    const NodeTypes t = types();
    auto a = attribute_node(*policy(), &t, "n1", "cpu,trn1");
    assert_true(a.has_value());
    assert_string_equal(a->partition.c_str(), "trn1");
    assert_string_equal(a->instance_type.c_str(), "trn1.32xlarge");
    assert_int_equal(a->chips, 16);
    assert_int_equal(*a->usd_per_hour, 21'500'000);  // an instance-hour price spread over 16 chips comes back exact
    // Two enforced partitions: the first by name, whatever the order.
    a = attribute_node(*policy(), &t, "m2", "trn1-mixed,trn1");
    assert_string_equal(a->partition.c_str(), "trn1");
    a = attribute_node(*policy(), &t, "m1", "trn1-mixed");
    assert_string_equal(a->instance_type.c_str(), "trn1.2xlarge");
    assert_int_equal(a->chips, 1);
    assert_int_equal(*a->usd_per_hour, 1'340'000);
    a = attribute_node(*policy(), &t, "m3", "trn1-mixed");  // no type Feature: no price
    assert_string_equal(a->instance_type.c_str(), "");
    assert_false(a->usd_per_hour.has_value());
    assert_false(attribute_node(*policy(), &t, "c1", "cpu").has_value());  // not enforced: not tracked
    assert_false(attribute_node(*policy(), &t, "x", "").has_value());
}

std::vector<NodePower> one(const char* node, PowerState s, const char* parts = "trn1") { return {{node, s, parts}}; }

void test_boot_busy_idle_off(void**) {
    InstanceTracker t;
    auto c = t.observe(*policy(), nullptr, one("n1", PowerState::Off), 100);
    assert_true(c.empty());  // powered down: no instance
    c = t.observe(*policy(), nullptr, one("n1", PowerState::Booting), 100);
    assert_int_equal(c.opened.size(), 1);
    assert_int_equal(c.closed.size(), 0);
    c = t.observe(*policy(), nullptr, one("n1", PowerState::Booting), 120);
    assert_true(c.empty());  // same segment
    c = t.observe(*policy(), nullptr, one("n1", PowerState::Busy), 130);
    assert_int_equal(c.closed.size(), 1);
    assert_int_equal(static_cast<int>(c.closed[0].kind), static_cast<int>(InstanceKind::Boot));
    assert_int_equal(c.closed[0].start, 100);
    assert_int_equal(c.closed[0].seconds, 30);
    c = t.observe(*policy(), nullptr, one("n1", PowerState::Idle), 190);
    assert_int_equal(static_cast<int>(c.closed[0].kind), static_cast<int>(InstanceKind::Busy));
    assert_int_equal(c.closed[0].seconds, 60);
    c = t.observe(*policy(), nullptr, one("n1", PowerState::Off), 250);
    assert_int_equal(c.closed.size(), 1);
    assert_int_equal(static_cast<int>(c.closed[0].kind), static_cast<int>(InstanceKind::Idle));
    assert_int_equal(c.closed[0].seconds, 60);
    assert_int_equal(c.ended.size(), 1);
    assert_true(t.open().empty());
}

void test_failed_launch(void**) {
    InstanceTracker t;
    t.observe(*policy(), nullptr, one("n1", PowerState::Booting), 100);
    auto c = t.observe(*policy(), nullptr, one("n1", PowerState::Off), 131);  // ResumeTimeout: down, powered down
    assert_int_equal(c.closed.size(), 1);
    assert_int_equal(static_cast<int>(c.closed[0].kind), static_cast<int>(InstanceKind::Failed));
    assert_int_equal(c.closed[0].seconds, 31);
    // A boot the job no longer needs (cancelled) that comes up idle was a boot.
    t.observe(*policy(), nullptr, one("n1", PowerState::Booting), 200);
    c = t.observe(*policy(), nullptr, one("n1", PowerState::Idle), 210);
    assert_int_equal(static_cast<int>(c.closed[0].kind), static_cast<int>(InstanceKind::Boot));
}

void test_configuring_is_a_boot(void**) {
    // Slurm 24.11: the node registers (no longer powering up) but stays
    // allocated to its CONFIGURING job until Slurm's periodic check.
    InstanceTracker t;
    std::set<std::string> configuring = {"n1"};
    t.observe(*policy(), nullptr, one("n1", PowerState::Booting), 100, false, &configuring);
    auto c = t.observe(*policy(), nullptr, one("n1", PowerState::Busy), 110, false, &configuring);
    assert_true(c.empty());  // still the same boot
    std::set<std::string> none;
    c = t.observe(*policy(), nullptr, {}, 135, false, &none);  // the run begins: judged again, unlisted
    assert_int_equal(c.closed.size(), 1);
    assert_int_equal(static_cast<int>(c.closed[0].kind), static_cast<int>(InstanceKind::Boot));
    assert_int_equal(c.closed[0].seconds, 35);
    assert_int_equal(static_cast<int>(t.open().at("n1").kind), static_cast<int>(InstanceKind::Busy));
    c = t.observe(*policy(), nullptr, {}, 140, false, &none);  // same set: nothing
    assert_true(c.empty());
    // A node lost while its job still configures: a failed launch.
    t.observe(*policy(), nullptr, one("n2", PowerState::Busy), 150, false, &configuring);
    configuring.insert("n2");
    c = t.observe(*policy(), nullptr, {}, 151, false, &configuring);
    assert_int_equal(static_cast<int>(c.closed[0].kind), static_cast<int>(InstanceKind::Busy));
    c = t.observe(*policy(), nullptr, one("n2", PowerState::Off), 170, false, &configuring);
    assert_int_equal(static_cast<int>(c.closed[0].kind), static_cast<int>(InstanceKind::Failed));
}

void test_same_second_and_unlisted(void**) {
    InstanceTracker t;
    t.observe(*policy(), nullptr, one("n1", PowerState::Busy), 100);
    auto c = t.observe(*policy(), nullptr, one("n1", PowerState::Idle), 100);
    assert_int_equal(c.closed.size(), 0);  // no zero-second row
    assert_int_equal(c.opened.size(), 1);
    c = t.observe(*policy(), nullptr, {}, 150);  // a node not listed keeps its segment
    assert_true(c.empty());
    assert_int_equal(t.open().at("n1").start, 100);
    // A complete listing without it: the node is gone (a dynamic node
    // deleted, a reconfigured table), and a boot cut short is a failed launch.
    t.observe(*policy(), nullptr, one("n2", PowerState::Booting), 150);
    c = t.observe(*policy(), nullptr, one("n3", PowerState::Idle), 170, true);
    assert_int_equal(c.closed.size(), 2);
    assert_int_equal(c.ended.size(), 2);
    assert_int_equal(static_cast<int>(c.closed[0].kind), static_cast<int>(InstanceKind::Idle));
    assert_int_equal(c.closed[0].seconds, 70);
    assert_int_equal(static_cast<int>(c.closed[1].kind), static_cast<int>(InstanceKind::Failed));
    assert_int_equal(t.open().size(), 1);
}

void test_restart_continues(void**) {
    InstanceSegment open;
    open.node = "n1";
    open.partition = "trn1";
    open.instance_type = "trn1.32xlarge";
    open.kind = InstanceKind::Busy;
    open.start = 1000;
    open.chips = 16;
    open.usd_per_hour = 21'500'000;
    InstanceTracker t;
    t.restore({open});
    auto c = t.observe(*policy(), nullptr, one("n1", PowerState::Busy), 1500);
    assert_true(c.empty());  // the same run goes on across the restart
    c = t.observe(*policy(), nullptr, one("n1", PowerState::Idle), 1600);
    assert_int_equal(c.closed[0].start, 1000);
    assert_int_equal(c.closed[0].seconds, 600);
    // A new price (policy edit) starts a new segment.
    PolicyLoad cheaper = load_policy_text(
        "version: 1\nenforce: { partitions: [trn1] }\n"
        "instance_types: { trn1.32xlarge: { usd_per_instance_hour: 20 } }\n"
        "partitions: { trn1: { instance_type: trn1.32xlarge } }\nawards: {}\n",
        "g.yaml");
    c = t.observe(*cheaper.policy, nullptr, one("n1", PowerState::Idle), 1700);
    assert_int_equal(c.closed.size(), 1);
    assert_int_equal(*c.opened[0].usd_per_hour, 20'000'000);
}

void test_sums_and_reconciliation(void**) {
    std::vector<InstanceSegment> s(4);
    const InstanceKind kinds[] = {InstanceKind::Boot, InstanceKind::Busy, InstanceKind::Idle, InstanceKind::Failed};
    std::int64_t start = 1000;
    const std::int64_t len[] = {120, 3600, 300, 60};
    for (int i = 0; i < 4; ++i) {
        s[i].node = "n1";
        s[i].partition = "trn1";
        s[i].instance_type = "trn1.32xlarge";
        s[i].kind = kinds[i];
        s[i].start = start;
        s[i].seconds = len[i];
        s[i].chips = 16;
        s[i].usd_per_hour = 21'500'000;
        start += len[i];
    }
    auto u = sum_instance_time(s, std::nullopt, std::nullopt);
    assert_int_equal(u.size(), 1);
    assert_int_equal(u[0].instance_seconds(), 4080);
    assert_int_equal(u[0].seconds[static_cast<int>(InstanceKind::Boot)], 120);
    assert_int_equal(u[0].usd, 21'500'000LL * 4080);  // $24.366667 in ticks
    assert_int_equal(u[0].chip_hours[static_cast<int>(InstanceKind::Busy)], 16LL * 3600 * 1'000'000);
    // Clipped: [1060, 1200) holds 60 s of boot and 80 s of busy.
    u = sum_instance_time(s, 1060, 1200);
    assert_int_equal(u[0].seconds[static_cast<int>(InstanceKind::Boot)], 60);
    assert_int_equal(u[0].seconds[static_cast<int>(InstanceKind::Busy)], 80);
    assert_int_equal(u[0].instance_seconds(), 140);
    assert_true(sum_instance_time(s, 9000, 9100).empty());
    // Charged 16 chips x 3500 s: other = busy - charged = 16 x 100 s.
    std::map<std::string, ChargedTime> charged;
    charged["trn1"] = ChargedTime{1, 16LL * 3500 * 1'000'000, 0, true};
    charged["trn2"] = ChargedTime{2, 5, 0, true};  // a partition with charges and no instance time
    auto r = reconcile_instances(sum_instance_time(s, std::nullopt, std::nullopt), charged);
    assert_int_equal(r.size(), 2);
    assert_string_equal(r[0].partition.c_str(), "trn1");
    assert_int_equal(r[0].other, 16LL * 100 * 1'000'000);
    const auto& t = r[0].total;
    assert_int_equal(t.instance_chip_hours(), r[0].charged.chip_hours + t.chip_hours[0] + t.chip_hours[2] +
                                                  t.chip_hours[3] + r[0].other);
    assert_int_equal(r[1].other, -5);
}

void test_ledger_tables(void** state) {
    const std::string path = test::dir_of(state) + "/ledger.db";
    std::string error;
    auto ledger = Ledger::open(path, &error);
    assert_non_null(ledger.get());
    InstanceTracker t;
    InstanceChanges c = t.observe(*policy(), nullptr, one("n1", PowerState::Booting), 100);
    assert_true(ledger->record_instance_changes("c1", c, &error));
    c = t.observe(*policy(), nullptr, one("n1", PowerState::Busy), 130);
    assert_true(ledger->record_instance_changes("c1", c, &error));
    assert_true(ledger->record_instance_changes("c1", c, &error));  // twice: a no-op
    std::vector<InstanceSegment> closed, open;
    assert_true(ledger->instance_segments(std::string("c1"), std::nullopt, std::nullopt, &closed, &open, &error));
    assert_int_equal(closed.size(), 1);
    assert_int_equal(closed[0].seconds, 30);
    assert_int_equal(static_cast<int>(closed[0].kind), static_cast<int>(InstanceKind::Boot));
    assert_int_equal(*closed[0].usd_per_hour, 21'500'000);
    assert_int_equal(open.size(), 1);
    assert_int_equal(static_cast<int>(open[0].kind), static_cast<int>(InstanceKind::Busy));
    assert_int_equal(open[0].start, 130);
    // A restart continues the open segment; the node's end removes it.
    InstanceTracker after;
    after.restore(open);
    c = after.observe(*policy(), nullptr, one("n1", PowerState::Off), 200);
    assert_true(ledger->record_instance_changes("c1", c, &error));
    assert_true(ledger->instance_segments(std::nullopt, std::nullopt, std::nullopt, &closed, &open, &error));
    assert_int_equal(closed.size(), 2);
    assert_int_equal(open.size(), 0);
    // The period filter keeps segments that overlap it.
    assert_true(ledger->instance_segments(std::nullopt, 140, 150, &closed, &open, &error));
    assert_int_equal(closed.size(), 1);
    assert_int_equal(closed[0].start, 130);
    assert_true(ledger->instance_segments(std::string("other"), std::nullopt, std::nullopt, &closed, &open, &error));
    assert_int_equal(closed.size(), 0);
    // Charges per partition, clipped to the period.
    ChargeRecord r;
    r.cluster = "c1";
    r.job_id = 7;
    r.run_start = 130;
    r.award = "A";
    r.user = "alice";
    r.account = "nlp";
    r.partition = "trn1";
    r.chips = 16;
    r.seconds = 70;
    r.chip_hours = 16LL * 70 * 1'000'000;
    r.usd = 21'500'000LL * 70;
    r.recorded_at = 201;
    assert_true(ledger->record_charges({r}, nullptr, &error));
    std::map<std::string, ChargedTime> charged;
    assert_true(ledger->charged_time(std::nullopt, std::nullopt, &charged, &error));
    assert_int_equal(charged["trn1"].runs, 1);
    assert_int_equal(charged["trn1"].chip_hours, r.chip_hours);
    assert_true(ledger->charged_time(160, 195, &charged, &error));
    assert_int_equal(charged["trn1"].chip_hours, 16LL * 35 * 1'000'000);
    assert_int_equal(charged["trn1"].usd, 21'500'000LL * 35);
    assert_true(ledger->charged_time(300, 400, &charged, &error));
    assert_true(charged.empty());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribution),
        cmocka_unit_test(test_boot_busy_idle_off),
        cmocka_unit_test(test_failed_launch),
        cmocka_unit_test(test_configuring_is_a_boot),
        cmocka_unit_test(test_same_second_and_unlisted),
        cmocka_unit_test(test_restart_continues),
        cmocka_unit_test(test_sums_and_reconciliation),
        cmocka_unit_test_setup_teardown(test_ledger_tables, test::make_dir, test::remove_dir),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
