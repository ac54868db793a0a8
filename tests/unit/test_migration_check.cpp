// grantctl ledger migrate's verification (core/storage/migration_check.h): a
// faithful copy is verified, with more rows in the target allowed; a lost
// charge, a lost or altered adjustment, a changed amount or a table with
// fewer rows is not, and the award whose totals differ is named.
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/cost_model.h"
#include "core/storage/migration_check.h"

using namespace grants;

namespace {

ChargeRecord charge(const std::string& cluster, std::uint32_t job, std::int64_t start, const std::string& award,
                    Ticks chip_hours, Ticks usd) {
    ChargeRecord c;
    c.cluster = cluster;
    c.job_id = job;
    c.run_start = start;
    c.award = award;
    c.user = "alice";
    c.chip_hours = chip_hours;
    c.usd = usd;
    return c;
}

struct Fixture {
    std::vector<ChargeRecord> charges{charge("c1", 10, 100, "A", 7'000'000, 9'380'000),
                                      charge("c1", 11, 200, "B", 3'000'000, -1),
                                      charge("c1", 10, 300, "A", 1'000'000, 1'340'000)};  // a requeued run
    std::vector<Adjustment> adjustments{Adjustment{"A", "chip_hours", -2, "credit", "root", 50},
                                        Adjustment{"B", "usd", 5, "outside", "root", 60}};
    MigrationSource source() const {
        MigrationSource s;
        s.charges = &charges;
        s.adjustments = &adjustments;
        s.totals["A"] = ChargeTotals{8'000'000 - 2 * kTicksPerMicro, 9'380'000 + 1'340'000};
        s.totals["B"] = ChargeTotals{3'000'000, 5 * kTicksPerMicro};
        s.row_counts = {{"charges", 3}, {"adjustments", 2}, {"deposits", 0}};
        return s;
    }
    MigrationTarget faithful() const {
        MigrationTarget t;
        t.charges = charges;
        t.charges.push_back(charge("c2", 10, 100, "A", 99, 99));  // another cluster's run of job 10: not the source's
        t.adjustments = adjustments;
        t.row_counts = {{"charges", 4}, {"adjustments", 2}};
        return t;
    }
};

void test_faithful_copy_is_verified(void**) {
    Fixture f;
    const MigrationCheck c = check_migration(f.source(), f.faithful());
    assert_true(c.verified);
    assert_int_equal(c.charges_found, 3);
    assert_int_equal(c.adjustments_found, 2);
    assert_int_equal(c.awards.size(), 2);
    for (const auto& a : c.awards) {
        assert_true(a.same);
        assert_int_equal(a.copied.chip_hours, a.source.chip_hours);
        assert_int_equal(a.copied.usd, a.source.usd);
    }
}

void test_losses_are_not_verified(void**) {
    Fixture f;
    MigrationTarget lost = f.faithful();
    lost.charges.erase(lost.charges.begin() + 2);  // the requeued run
    MigrationCheck c = check_migration(f.source(), lost);
    assert_false(c.verified);
    assert_int_equal(c.charges_found, 2);
    assert_false(c.awards[0].same);  // A
    assert_true(c.awards[1].same);   // B

    MigrationTarget altered = f.faithful();
    altered.adjustments[1].amount = 6;
    c = check_migration(f.source(), altered);
    assert_false(c.verified);
    assert_int_equal(c.adjustments_found, 1);
    assert_false(c.awards[1].same);

    MigrationTarget changed = f.faithful();
    changed.charges[1].chip_hours += 1;  // same key, another amount
    c = check_migration(f.source(), changed);
    assert_false(c.verified);
    assert_false(c.awards[1].same);

    MigrationTarget fewer = f.faithful();
    fewer.row_counts["adjustments"] = 1;
    assert_false(check_migration(f.source(), fewer).verified);
    // A table the source has no rows in need not be there.
    MigrationTarget no_deposits = f.faithful();
    no_deposits.row_counts.erase("deposits");
    assert_true(check_migration(f.source(), no_deposits).verified);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faithful_copy_is_verified),
        cmocka_unit_test(test_losses_are_not_verified),
    };
    return cmocka_run_group_tests_name("migration_check", tests, nullptr, nullptr);
}
