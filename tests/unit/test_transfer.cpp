// grantctl transfer's rule (core/domain/transfer.h): two different awards of the
// policy, an amount > 0 in FROM's unit, a rate exactly between different
// units (rounded half up to the millionth), never more than FROM has left,
// never into an ended award; the legs are a debit of FROM and a credit of
// TO, linked to each other.
#include <cstdint>
#include <string>

#include "cmocka.h"
#include "core/base/date.h"
#include "core/domain/cost_model.h"
#include "core/domain/transfer.h"

using namespace grants;

namespace {

Award award(const std::string& id, Budget::Unit unit) {
    Award a;
    a.id = id;
    a.budget.unit = unit;
    a.budget.amount = 1000 * kMicrosPerUnit;
    a.valid.from = day_number(2026, 1, 1);
    a.valid.until = day_number(2026, 12, 31);
    return a;
}

const Award kA = award("A", Budget::Unit::ChipHours);
const Award kB = award("B", Budget::Unit::ChipHours);
const Award kUsd = award("U", Budget::Unit::Usd);

TransferRequest request(const Award* from, const Award* to, Micros amount) {
    TransferRequest r;
    r.from = from;
    r.to = to;
    r.from_id = from ? from->id : "X";
    r.to_id = to ? to->id : "Y";
    r.amount = amount;
    r.today = day_number(2026, 6, 15);
    r.reason = "move";
    r.who = "root";
    r.at = 1'780'000'000;
    return r;
}

void refused_with(const TransferRequest& r, const char* words) {
    TransferPlan p = plan_transfer(r);
    assert_false(p.transfer.has_value());
    if (p.refusal.find(words) == std::string::npos) print_error("refusal: %s\n", p.refusal.c_str());
    assert_true(p.refusal.find(words) != std::string::npos);
    assert_true(!p.refusal.empty() && p.refusal.back() == '.');
}

void test_same_unit(void**) {
    TransferRequest r = request(&kA, &kB, 12'500'000);
    r.from_left = ticks_of(12'500'000);  // exactly what is left: allowed
    TransferPlan p = plan_transfer(r);
    assert_true(p.transfer.has_value());
    const Transfer& t = *p.transfer;
    assert_string_equal(t.from.award.c_str(), "A");
    assert_string_equal(t.to.award.c_str(), "B");
    assert_int_equal(t.from.amount, 12'500'000);   // a debit of A
    assert_int_equal(t.to.amount, -12'500'000);    // a credit of B
    assert_string_equal(t.from.unit.c_str(), "chip_hours");
    assert_string_equal(t.to.unit.c_str(), "chip_hours");
    assert_string_equal(t.from.counterpart.c_str(), "B");
    assert_string_equal(t.to.counterpart.c_str(), "A");
    assert_int_equal(t.rate_micros, 0);
    assert_int_equal(t.from.at, r.at);
    assert_int_equal(t.to.at, r.at);
    assert_string_equal(t.to.reason.c_str(), "move");
    assert_string_equal(t.to.who.c_str(), "root");
}

void test_rates(void**) {
    TransferRequest r = request(&kA, &kUsd, 10 * kMicrosPerUnit);
    refused_with(r, "give --rate");
    r.rate = 1'340'000;  // $1.34 per chip-hour
    TransferPlan p = plan_transfer(r);
    assert_true(p.transfer.has_value());
    assert_int_equal(p.transfer->to.amount, -13'400'000);
    assert_string_equal(p.transfer->to.unit.c_str(), "usd");
    assert_int_equal(p.transfer->rate_micros, 1'340'000);
    // Rounded half up to the millionth: 0.000001 x 0.5 = 0.0000005 -> 0.000001.
    r.amount = 1;
    r.rate = 500'000;
    assert_int_equal(plan_transfer(r).transfer->to.amount, -1);
    r.rate = 499'999;
    refused_with(r, "credit U nothing");
    // Dollars into chip-hours.
    TransferRequest back = request(&kUsd, &kA, 3 * kMicrosPerUnit);
    back.rate = 333'333;
    assert_int_equal(plan_transfer(back).transfer->to.amount, -999'999);
    // A rate between awards of one unit is refused.
    TransferRequest same = request(&kA, &kB, kMicrosPerUnit);
    same.rate = kMicrosPerUnit;
    refused_with(same, "takes no --rate");
    // Overflow of the credit.
    TransferRequest big = request(&kA, &kUsd, kMaxAmountMicros);
    big.rate = 2 * kMicrosPerUnit;
    refused_with(big, "more than 1,000,000,000");
}

void test_refusals(void**) {
    refused_with(request(&kA, &kA, kMicrosPerUnit), "two different awards");
    refused_with(request(nullptr, &kB, kMicrosPerUnit), "award X is not in the policy");
    refused_with(request(&kA, nullptr, kMicrosPerUnit), "award Y is not in the policy");
    refused_with(request(&kA, &kB, 0), "more than zero");
    refused_with(request(&kA, &kB, -5), "more than zero");
    TransferRequest r = request(&kA, &kB, 10 * kMicrosPerUnit);
    r.from_left = ticks_of(10 * kMicrosPerUnit) - 1;  // one tick short
    refused_with(r, "may not take more");
    r.from_left = -ticks_of(kMicrosPerUnit);  // overspent after a debit
    refused_with(r, "has 0 chip-h left");
    Award ended = kB;
    ended.valid.until = day_number(2026, 6, 14);
    TransferRequest late = request(&kA, &ended, kMicrosPerUnit);
    refused_with(late, "has ended");
    ended.valid.until = day_number(2026, 6, 15);  // its last day: still allowed
    assert_true(plan_transfer(request(&kA, &ended, kMicrosPerUnit)).transfer.has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_unit),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
