// Open OnDemand's balance file (ood_balance.h): the shape its dashboard
// reads, one unit per file, whole units rounded down, every user of an award.
#include <cstring>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/cost_model.h"
#include "core/render/ood_balance.h"

using grants::Award;
using grants::AwardStatus;
using grants::Budget;
using grants::Policy;

namespace {

Policy policy() {
    Policy p;
    Award a;
    a.id = "NLP-1";
    a.pi = "carol";
    a.managers = {"dave"};
    a.members.users = {"alice", "bob"};
    a.members.groups = {"nlp"};
    p.awards.emplace(a.id, a);
    Award b;
    b.id = "CASH-2";
    b.budget.unit = Budget::Unit::Usd;
    b.members.users = {"erin"};
    p.awards.emplace(b.id, b);
    return p;
}

AwardStatus status(const std::string& id, Budget::Unit unit, grants::Micros budget, grants::Micros charged) {
    AwardStatus s;
    s.id = id;
    s.unit = unit;
    s.budget = grants::ticks_of(budget);
    s.charged = grants::ticks_of(charged);
    return s;
}

std::vector<std::string> nlp_group(const std::string& g) {
    if (g == "nlp") return {"frank", "alice"};
    return {};
}

void test_whole_units_round_down(void**) {
    assert_int_equal(grants::whole_units_down(grants::ticks_of(2'999'999)), 2);
    assert_int_equal(grants::whole_units_down(grants::ticks_of(3'000'000)), 3);
    assert_int_equal(grants::whole_units_down(grants::ticks_of(400'000)), 0);
    assert_int_equal(grants::whole_units_down(grants::ticks_of(-400'000)), -1);
    assert_int_equal(grants::whole_units_down(0), 0);
}

void test_users_of_an_award(void**) {
    const auto users = grants::ood_users(*policy().find_award("NLP-1"), nlp_group);
    const std::vector<std::string> want{"alice", "bob", "carol", "dave", "frank"};
    assert_true(users == want);
}

void test_one_file_per_unit(void**) {
    Policy p = policy();
    const std::vector<AwardStatus> awards{status("NLP-1", Budget::Unit::ChipHours, 100'000'000, 12'500'000),
                                          status("CASH-2", Budget::Unit::Usd, 50'000'000, 49'990'000),
                                          status("GONE", Budget::Unit::ChipHours, 1'000'000, 0)};
    const auto ch = grants::ood_balance_file(Budget::Unit::ChipHours, awards, p, nlp_group, 1700000000);
    assert_int_equal(ch.awards, 1);
    assert_int_equal(ch.entries, 5);
    assert_string_equal(ch.text.c_str(),
                        "{\"version\":1,\"timestamp\":1700000000,\"config\":{\"unit\":\"chip-hour\",\"project_type\":"
                        "\"award\"},\"balances\":[{\"user\":\"alice\",\"project\":\"NLP-1\",\"value\":87},"
                        "{\"user\":\"bob\",\"project\":\"NLP-1\",\"value\":87},{\"user\":\"carol\",\"project\":"
                        "\"NLP-1\",\"value\":87},{\"user\":\"dave\",\"project\":\"NLP-1\",\"value\":87},{\"user\":"
                        "\"frank\",\"project\":\"NLP-1\",\"value\":87}]}\n");
    const auto usd = grants::ood_balance_file(Budget::Unit::Usd, awards, p, nlp_group, 1700000000);
    assert_int_equal(usd.entries, 1);
    // 1 cent left: 0 whole dollars, so the dashboard warns at threshold 0.
    assert_non_null(strstr(usd.text.c_str(), "\"unit\":\"dollar\""));
    assert_non_null(strstr(usd.text.c_str(), "{\"user\":\"erin\",\"project\":\"CASH-2\",\"value\":0}"));
}

void test_held_and_overdrawn(void**) {
    Policy p = policy();
    AwardStatus s = status("NLP-1", Budget::Unit::ChipHours, 10'000'000, 9'000'000);
    s.held = grants::ticks_of(1'500'000);  // left -0.5: -1 whole chip-hour
    const auto f = grants::ood_balance_file(Budget::Unit::ChipHours, {s}, p, nullptr, 1);
    assert_non_null(strstr(f.text.c_str(), "{\"user\":\"alice\",\"project\":\"NLP-1\",\"value\":-1}"));
    assert_int_equal(f.entries, 4);  // no group lookup: alice, bob, carol, dave
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_units_round_down),
        cmocka_unit_test(test_users_of_an_award),
        cmocka_unit_test(test_one_file_per_unit),
        cmocka_unit_test(test_held_and_overdrawn),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
