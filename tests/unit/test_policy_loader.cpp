// grants.yaml loading: valid files give the expected Policy; every error class
// is reported with its exact line:column, all errors in one pass, in file order.
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cmocka.h"
#include "policy_expect.h"
#include "core/policy/policy_loader.h"

using grants::Budget;
using grants::Diagnostic;
using grants::load_policy_file;
using grants::load_policy_text;
using grants::OnError;
using grants::Policy;
using grants::PolicyLoad;
using grants::YamlLimits;

namespace {

using policy_expect::contains;
using policy_expect::errors_match;
using policy_expect::Expect;
using policy_expect::fixture;
using policy_expect::print_errors;
using policy_expect::read_fixture;

void check_errors(const char* name, const PolicyLoad& load, const std::string& file,
                  const std::vector<Expect>& expected) {
    if (!errors_match(name, load, file, expected)) fail();
}

struct FixtureCase {
    const char* file;
    std::vector<Expect> errors;
};

void test_error_fixtures(void** /*state*/) {
    const FixtureCase cases[] = {
        {"err-empty.yaml", {{0, 0, "the policy file is empty; expected a mapping with version, enforce and awards"}}},
        {"err-comments-only.yaml", {{0, 0, "the policy file is empty"}}},
        {"err-not-a-mapping.yaml", {{1, 1, "the policy file must be a mapping, found a list"}}},
        {"err-unknown-key-top.yaml",
         {{7, 1,
           "unknown key \"colour\" in the policy file; expected one of: version, enforce, partitions, "
           "instance_types, awards, users"}}},
        {"err-unknown-key-nested.yaml",
         {{4, 3, "unknown key \"on_eror\" in enforce; expected one of: partitions, on_error"},
          {9, 32, "unknown key \"grups\" in award 'A1'.members; expected one of: users, groups, accounts"}}},
        {"err-duplicate-key.yaml", {{7, 1, "duplicate key 'version' in the policy file (first given at line 1)"}}},
        {"err-duplicate-entries.yaml",
         {{3, 28, "\"trn1\" is listed twice in enforce.partitions"},
          {11, 3, "duplicate entry 'A1' in awards (first given at line 8)"}}},
        {"err-type-list-for-mapping.yaml", {{2, 10, "enforce must be a mapping, found a list"}}},
        {"err-type-string-for-number.yaml",
         {{5, 27, "partition 'trn1'.chips_per_node must be a whole number, found \"sixteen\""},
          // Quoted numbers are strings.
          {5, 52, "partition 'trn1'.cores_per_chip must be a whole number, found \"2\""},
          {5, 76, "partition 'trn1'.usd_per_chip_hour must be a non-negative number (at most 6 decimals, at most "
                  "10^9), found \"cheap\""}}},
        {"err-type-list-for-string.yaml",
         {{3, 15, "enforce.partitions must be a list such as [a, b], found a scalar value"},
          {6, 12, "award 'A1'.title must be a string, found a list"}}},
        {"err-bad-award-id.yaml",
         {{7, 3, "award ID \"BOT 2025\" is not valid: it may contain only letters, digits, '.', '_' and '-'"},
          {10, 3, "award ID \"-lead\" is not valid: it must start with a letter or digit"}}},
        {"err-undefined-default-award.yaml", {{11, 27, "default_award 'A2' is not defined under awards"}}},
        {"err-version.yaml", {{1, 10, "version 2 is not supported; this plugin reads version 1"}}},
        {"err-on-error.yaml", {{4, 13, "enforce.on_error must be 'closed' or 'open', found \"maybe\""}}},
        {"err-alias.yaml", {{6, 23, "YAML aliases (*name) are not allowed"}}},
        {"err-two-documents.yaml", {{5, 1, "only one YAML document is allowed"}}},
        {"err-syntax.yaml",
         {{4, 7, "YAML syntax error: while parsing a flow sequence: did not find expected ',' or ']'"}}},
        {"err-missing-keys.yaml",
         {{1, 1, "the policy file is missing the key 'version'"},
          {2, 3, "enforce is missing the key 'partitions'"},
          {5, 5, "award 'A1' is missing the key 'members'"},
          {5, 5, "award 'A1' is missing the key 'budget'"}}},
        {"err-several.yaml",
         {{1, 10, "version 3 is not supported"},
          {3, 22, "\"trn1\" is listed twice in enforce.partitions"},
          {4, 13, "enforce.on_error must be 'closed' or 'open', found \"sometimes\""},
          {6, 27, "partition 'trn1'.chips_per_node must be between 1 and 65536, found 0"},
          {6, 49, "partition 'trn1'.usd_per_chip_hour must not be negative, found -1"},
          {8, 3, "award ID \"bad id\" is not valid"},
          {11, 32, "unknown key \"admins\" in award 'A1'.members"},
          {14, 25, "default_award 'NOPE' is not defined under awards"}}},
        // Found by fuzz_policy: a 13-digit amount overflowed int64 before it was range checked.
        {"regress-decimal-overflow.yaml",
         {{5, 59, "award 'A1'.budget.chip_hours must be a non-negative number (at most 6 decimals, at most 10^9), "
                  "found \"9999999999999\""}}},
    };
    int failures = 0;
    for (const FixtureCase& c : cases) {
        // Through the file reader and straight from text: the same answer.
        const std::string path = fixture(c.file);
        failures += !errors_match(c.file, load_policy_file(path), path, c.errors);
        failures +=
            !errors_match(c.file, load_policy_text(read_fixture(c.file), "grants.yaml"), "grants.yaml", c.errors);
    }
    assert_int_equal(failures, 0);
}

struct TextCase {
    const char* name;
    const char* text;
    std::vector<Expect> errors;
};

void test_error_snippets(void** /*state*/) {
    // Each snippet defines the partitions it enforces and gives its awards a
    // budget, so that only the error under test is reported.
    const TextCase cases[] = {
        {"missing everything",
         "{}",
         {{1, 1, "missing the key 'version'"},
          {1, 1, "missing the key 'enforce'"},
          {1, 1, "missing the key 'awards'"}}},
        {"document marker only", "---\n", {{2, 1, "the policy file must be a mapping, found a scalar value"}}},
        {"version as string",
         "version: '1'\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards: {}\n",
         {{1, 10, "version must be a whole number, found \"1\""}}},
        {"version as float",
         "version: 1.0\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards: {}\n",
         {{1, 10, "version must be a whole number, found \"1.0\""}}},
        {"version 0",
         "version: 0\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards: {}\n",
         {{1, 10, "version 0 is not supported"}}},
        {"on_error case",
         "version: 1\nenforce: {partitions: [a], on_error: Closed}\npartitions: {a: {chips_per_node: 1}}\n"
         "awards: {}\n",
         {{2, 38, "enforce.on_error must be 'closed' or 'open', found \"Closed\""}}},
        {"on_error empty",
         "version: 1\nenforce: {partitions: [a], on_error: }\npartitions: {a: {chips_per_node: 1}}\nawards: {}\n",
         {{2, 38, "enforce.on_error must be a string, found nothing"}}},
        {"awards as list",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards: [A1]\n",
         {{4, 9, "awards must be a mapping, found a list"}}},
        {"award as scalar",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards:\n  A1: yes\n",
         {{5, 7, "award 'A1' must be a mapping, found a scalar value"}}},
        {"members as list",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards:\n  A1:\n"
         "    members: [alice]\n    budget: {chip_hours: 1}\n",
         {{6, 14, "award 'A1'.members must be a mapping, found a list"}}},
        {"users as string",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards:\n  A1:\n"
         "    members: {users: alice}\n    budget: {chip_hours: 1}\n",
         {{6, 22, "award 'A1'.members.users must be a list such as [a, b], found a scalar value"}}},
        {"nested list member",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards:\n"
         "  A1: {members: {users: [[x]]}, budget: {chip_hours: 1}}\n",
         {{5, 26, "each entry of award 'A1'.members.users must be a string, found a list"}}},
        // The empty name is refused, so no partition is enforced and none needs defining.
        {"empty list entry",
         "version: 1\nenforce: {partitions: ['']}\nawards: {}\n",
         {{2, 24, "entries of enforce.partitions must not be empty"}}},
        {"duplicate key in nested mapping",
         "version: 1\nenforce:\n  partitions: [a]\n  on_error: open\n  on_error: closed\n"
         "partitions: {a: {chips_per_node: 1}}\nawards: {}\n",
         {{5, 3, "duplicate key 'on_error' in enforce (first given at line 4)"}}},
        {"duplicate partition",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n  a: {chips_per_node: 1}\n"
         "  a: {chips_per_node: 2}\nawards: {}\n",
         {{5, 3, "duplicate entry 'a' in partitions (first given at line 4)"}}},
        {"partition without chips_per_node",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n  a: {gres: x}\n"
         "awards: {}\n",
         {{4, 6, "partition 'a' is missing the key 'chips_per_node'"}}},
        {"cores_per_chip out of range",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n"
         "  a: {chips_per_node: 1, cores_per_chip: 1025}\nawards: {}\n",
         {{4, 42, "partition 'a'.cores_per_chip must be between 1 and 1024"}}},
        {"hex is not a whole number",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n"
         "  a: {chips_per_node: 0x10}\nawards: {}\n",
         {{4, 23, "must be a whole number, found \"0x10\""}}},
        {"nan rate",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n"
         "  a: {chips_per_node: 1, usd_per_chip_hour: nan}\nawards: {}\n",
         {{4, 45, "usd_per_chip_hour must be a non-negative number (at most 6 decimals, at most 10^9), found "
                  "\"nan\""}}},
        {"infinite rate",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n"
         "  a: {chips_per_node: 1, usd_per_chip_hour: 1e400}\nawards: {}\n",
         {{4, 45, "usd_per_chip_hour must be a non-negative number"}}},
        // Amounts are exact decimals: no exponent form, even for a round value.
        {"exponent rate",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n"
         "  a: {chips_per_node: 1, usd_per_chip_hour: 1.5e1}\nawards: {}\n",
         {{4, 45, "usd_per_chip_hour must be a non-negative number (at most 6 decimals, at most 10^9), found "
                  "\"1.5e1\""}}},
        {"rate over 10^9",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n"
         "  a: {chips_per_node: 1, usd_per_chip_hour: 1000000000.000001}\nawards: {}\n",
         {{4, 45, "usd_per_chip_hour must be a non-negative number (at most 6 decimals, at most 10^9), found "
                  "\"1000000000.000001\""}}},
        {"quoted rate",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n"
         "  a: {chips_per_node: 1, usd_per_chip_hour: '1.5'}\nawards: {}\n",
         {{4, 45, "usd_per_chip_hour must be a non-negative number (at most 6 decimals, at most 10^9), found "
                  "\"1.5\""}}},
        {"unknown partition key",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n"
         "  a: {chips_per_node: 1, chips: 2}\nawards: {}\n",
         {{4, 26,
           "unknown key \"chips\" in partition 'a'; expected one of: chips_per_node, instance_type, "
           "cores_per_chip, usd_per_chip_hour, boot_time, gres"}}},
        {"boot_time neither free nor charged",
         "version: 1\nenforce: {partitions: [a]}\npartitions:\n"
         "  a: {chips_per_node: 1, boot_time: billed}\nawards: {}\n",
         {{4, 37, "partition 'a'.boot_time must be free or charged; found \"billed\""}}},
        // A misspelt required key: reported as unknown, and the real key as missing.
        {"unknown award key",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards:\n  A1:\n"
         "    members: {users: [x]}\n    budgte: {usd: 1}\n",
         {{6, 5, "award 'A1' is missing the key 'budget'"},
          {7, 5,
           "unknown key \"budgte\" in award 'A1'; expected one of: title, pi, managers, members, valid, budget, rollover, "
           "partitions, limits"}}},
        {"managers not a list",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards:\n  A1:\n"
         "    members: {users: [x]}\n    managers: pat\n    budget: {chip_hours: 1}\n",
         {{7, 15, "award 'A1'.managers must be a list such as [a, b], found a scalar"}}},
        {"unknown user key",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards: {}\nusers:\n"
         "  bob: {default: X}\n",
         {{6, 9, "unknown key \"default\" in user 'bob'; expected one of: default_award"}}},
        {"unknown key escaped",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards: {}\n"
         "\"bad\\nkey\": 1\n",
         {{5, 1, "unknown key \"bad\\x0akey\" in the policy file"}}},
        {"award ID too long",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards:\n"
         "  A2345678901234567890123456789012345678901234567890123456789012345: {members: {users: [x]}, "
         "budget: {chip_hours: 1}}\n",
         {{5, 3, "is not valid: it is longer than 64 characters"}}},
        {"mapping as key",
         "version: 1\nenforce: {partitions: [a]}\npartitions: {a: {chips_per_node: 1}}\nawards: {}\n"
         "? {a: 1}\n: 2\n",
         {{5, 3, "keys in the policy file must be plain names"}}},
        {"tab indentation",
         "version: 1\nenforce:\n\tpartitions: [a]\n",
         {{3, 1, "YAML syntax error: while scanning for the next token: found character that cannot start any token"}}},
        {"unterminated quote",
         "version: 1\nenforce: {partitions: [a]}\nawards: {}\nusers:\n  bob: \"x\n",
         {{6, 1, "YAML syntax error"}}},
        {"anchor on a scalar then alias",
         "version: &v 1\nenforce: {partitions: [a]}\nawards: {}\nusers: *v\n",
         {{4, 8, "YAML aliases (*name) are not allowed"}}},
        {"second explicit document",
         "---\nversion: 1\n...\n---\nversion: 1\n",
         {{4, 1, "only one YAML document is allowed"}}},
    };
    int failures = 0;
    for (const TextCase& c : cases)
        failures += !errors_match(c.name, load_policy_text(c.text, "g.yaml"), "g.yaml", c.errors);
    assert_int_equal(failures, 0);
}

void test_valid_minimal(void** /*state*/) {
    PolicyLoad load = load_policy_file(fixture("valid-minimal.yaml"));
    print_errors(load);
    assert_int_equal(load.errors.size(), 0);
    assert_non_null(load.policy.get());
    const Policy& p = *load.policy;
    assert_int_equal(p.version, 1);
    assert_int_equal(p.enforced_partitions.size(), 1);
    assert_true(p.enforces("trn1"));
    assert_false(p.enforces("trn2"));
    // on_error defaults to closed.
    assert_true(p.on_error == OnError::Closed);
    assert_int_equal(p.partitions.size(), 1);
    const grants::PartitionCost* trn1 = p.find_partition("trn1");
    assert_non_null(trn1);
    assert_int_equal(trn1->chips_per_node, 16);
    assert_int_equal(trn1->cores_per_chip, 0);
    assert_false(trn1->usd_per_chip_hour.has_value());
    assert_string_equal(trn1->gres.c_str(), "");
    assert_null(p.find_partition("trn2"));
    assert_true(p.users.empty());
    assert_int_equal(p.awards.size(), 1);
    const grants::Award* a1 = p.find_award("A1");
    assert_non_null(a1);
    assert_string_equal(a1->id.c_str(), "A1");
    assert_string_equal(a1->title.c_str(), "");
    assert_string_equal(a1->pi.c_str(), "");
    assert_int_equal(a1->members.users.size(), 1);
    assert_int_equal(a1->members.users.count("alice"), 1);
    assert_true(a1->members.groups.empty());
    assert_true(a1->members.accounts.empty());
    assert_true(a1->budget.unit == Budget::Unit::ChipHours);
    assert_int_equal(a1->budget.amount, 100 * grants::kMicrosPerUnit);
    // Optional parts left out: open-ended, every enforced partition, no limits.
    assert_false(a1->valid.from.has_value());
    assert_false(a1->valid.until.has_value());
    assert_true(a1->partitions.empty());
    assert_true(a1->allows_partition("trn1"));
    assert_false(a1->limits.max_chips_per_job.has_value());
    assert_false(a1->limits.max_walltime_seconds.has_value());
    assert_false(a1->limits.max_running_chips.has_value());
    assert_false(a1->limits.max_jobs.has_value());
    assert_false(a1->limits.per_user.max_running_chips.has_value());
    assert_false(a1->limits.per_user.max_jobs.has_value());
    assert_null(p.find_award("a1"));
}

void test_valid_full(void** /*state*/) {
    PolicyLoad load = load_policy_file(fixture("valid-full.yaml"));
    print_errors(load);
    assert_int_equal(load.errors.size(), 0);
    assert_non_null(load.policy.get());
    const Policy& p = *load.policy;

    assert_int_equal(p.enforced_partitions.size(), 2);
    assert_true(p.enforces("trn1"));
    assert_true(p.enforces("trn2"));
    assert_false(p.enforces("trn-spot"));
    assert_true(p.on_error == OnError::Open);
    // The PI and managers oversee the award; a member does not.
    const grants::Award* bot = p.find_award("BOT-2025-0117");
    assert_non_null(bot);
    assert_true(bot->overseen_by("alice"));
    assert_true(bot->overseen_by("mia"));
    assert_false(bot->overseen_by("bob"));
    assert_false(bot->overseen_by(""));

    // Rates are exact millionths: 1.34 is 1340000, not 1.3400000000000001.
    assert_int_equal(p.partitions.size(), 3);
    const auto& trn1 = p.partitions.at("trn1");
    assert_int_equal(trn1.chips_per_node, 16);
    assert_int_equal(trn1.cores_per_chip, 2);
    assert_true(trn1.usd_per_chip_hour.has_value());
    assert_int_equal(*trn1.usd_per_chip_hour, 1'340'000);
    assert_string_equal(trn1.gres.c_str(), "");
    const auto& trn2 = p.partitions.at("trn2");
    assert_int_equal(trn2.chips_per_node, 16);
    assert_int_equal(trn2.cores_per_chip, 8);
    assert_true(trn2.usd_per_chip_hour.has_value());
    assert_int_equal(*trn2.usd_per_chip_hour, 2'100'000);
    assert_string_equal(trn2.gres.c_str(), "neuron");
    const auto& spot = p.partitions.at("trn-spot");
    assert_int_equal(spot.chips_per_node, 1);
    assert_int_equal(spot.cores_per_chip, 0);
    assert_false(spot.usd_per_chip_hour.has_value());  // no dollar rate

    assert_int_equal(p.awards.size(), 3);
    const grants::Award* moe = p.find_award("BOT-2025-0117");
    assert_non_null(moe);
    assert_string_equal(moe->title.c_str(), "Sparse MoE pretraining");
    assert_string_equal(moe->pi.c_str(), "alice");
    assert_int_equal(moe->members.users.size(), 2);
    assert_int_equal(moe->members.users.count("alice"), 1);
    assert_int_equal(moe->members.users.count("bob"), 1);
    assert_int_equal(moe->members.groups.size(), 1);
    assert_int_equal(moe->members.groups.count("nlp-lab"), 1);
    assert_int_equal(moe->members.accounts.size(), 1);
    assert_int_equal(moe->members.accounts.count("nlp"), 1);
    assert_true(moe->valid.from == grants::day_number(2025, 1, 1));
    assert_true(moe->valid.until == grants::day_number(2026, 12, 31));
    assert_true(moe->budget.unit == Budget::Unit::ChipHours);
    assert_int_equal(moe->budget.amount, 50000 * grants::kMicrosPerUnit);
    assert_int_equal(moe->partitions.size(), 1);
    assert_true(moe->allows_partition("trn1"));
    assert_false(moe->allows_partition("trn2"));
    assert_true(moe->limits.max_chips_per_job == 256);
    assert_true(moe->limits.max_walltime_seconds == 2 * 86400);
    assert_true(moe->limits.max_running_chips == 512);
    assert_true(moe->limits.max_jobs == 200);
    assert_true(moe->limits.per_user.max_running_chips == 128);
    assert_true(moe->limits.per_user.max_jobs == 50);

    const grants::Award* protein = p.find_award("BOT-2025-0342");
    assert_non_null(protein);
    assert_string_equal(protein->title.c_str(), "Protein language models: Trainium2");
    assert_int_equal(protein->members.users.count("carol"), 1);
    assert_true(protein->members.groups.empty());
    assert_int_equal(protein->members.accounts.count("bio"), 1);
    assert_false(protein->valid.from.has_value());
    assert_true(protein->valid.until == grants::day_number(2025, 12, 31));
    assert_true(protein->budget.unit == Budget::Unit::Usd);
    assert_int_equal(protein->budget.amount, 500000 * grants::kMicrosPerUnit);
    assert_true(protein->partitions.empty());
    assert_true(protein->allows_partition("trn1"));
    assert_true(protein->allows_partition("trn2"));
    assert_false(protein->limits.max_jobs.has_value());

    const grants::Award* physics = p.find_award("grant.v2_x-9");
    assert_non_null(physics);
    assert_true(physics->members.users.empty());
    assert_int_equal(physics->members.groups.size(), 2);
    assert_int_equal(physics->members.groups.count("physics"), 1);
    assert_int_equal(physics->members.groups.count("astro"), 1);
    assert_true(physics->valid.from == grants::day_number(2024, 2, 29));  // quoted dates are dates too
    assert_false(physics->valid.until.has_value());
    assert_true(physics->budget.unit == Budget::Unit::ChipHours);
    assert_int_equal(physics->budget.amount, 12'500'000);
    assert_int_equal(physics->partitions.size(), 2);
    assert_true(physics->limits.max_walltime_seconds == 90 * 60);  // a bare number is minutes
    assert_false(physics->limits.max_chips_per_job.has_value());
    assert_false(physics->limits.per_user.max_running_chips.has_value());
    assert_true(physics->limits.per_user.max_jobs == 0);

    assert_int_equal(p.users.size(), 2);
    assert_string_equal(p.users.at("alice").default_award.c_str(), "BOT-2025-0117");
    assert_string_equal(p.users.at("carol").default_award.c_str(), "BOT-2025-0342");
}

void test_valid_snippets(void** /*state*/) {
    // Optional sections may be empty or null.
    PolicyLoad load = load_policy_text(
        "version: 1\nenforce:\n  partitions: []\n  on_error: closed\npartitions:\nawards:\nusers: ~\n", "g.yaml");
    print_errors(load);
    assert_non_null(load.policy.get());
    assert_true(load.policy->enforced_partitions.empty());
    assert_true(load.policy->awards.empty());

    // Bounds of the numbers, and amounts in their decimal forms.
    load = load_policy_text(
        "version: 1\nenforce: {partitions: [a]}\npartitions:\n  a: {chips_per_node: 65536, cores_per_chip: 1024, "
        "usd_per_chip_hour: 0}\n  b: {chips_per_node: 1, usd_per_chip_hour: 15.000000}\n"
        "  c: {chips_per_node: 1, usd_per_chip_hour: 0.000001}\n"
        "awards:\n  A: {members: {}, budget: {usd: 0}}\n",
        "g.yaml");
    print_errors(load);
    assert_non_null(load.policy.get());
    assert_int_equal(load.policy->partitions.at("a").chips_per_node, 65536);
    assert_int_equal(load.policy->partitions.at("a").cores_per_chip, 1024);
    assert_true(load.policy->partitions.at("a").usd_per_chip_hour == 0);
    assert_true(load.policy->partitions.at("b").usd_per_chip_hour == 15 * grants::kMicrosPerUnit);
    assert_true(load.policy->partitions.at("c").usd_per_chip_hour == 1);
    // An award with no members is valid (nobody can use it yet), and so is an empty budget.
    const grants::Award* a = load.policy->find_award("A");
    assert_non_null(a);
    assert_true(a->members.users.empty());
    assert_true(a->budget.unit == Budget::Unit::Usd);
    assert_int_equal(a->budget.amount, 0);

    // Boot time of cloud nodes: free unless the partition says charged.
    load = load_policy_text(
        "version: 1\nenforce: {partitions: [a, b, c]}\npartitions:\n  a: {chips_per_node: 16}\n"
        "  b: {chips_per_node: 16, boot_time: charged}\n  c: {chips_per_node: 16, boot_time: free}\nawards: {}\n",
        "g.yaml");
    print_errors(load);
    assert_non_null(load.policy.get());
    assert_false(load.policy->partitions.at("a").charge_boot);
    assert_true(load.policy->partitions.at("b").charge_boot);
    assert_false(load.policy->partitions.at("c").charge_boot);
}

// Loads valid-minimal.yaml (27 nodes, 5 levels of collections) under limits.
PolicyLoad load_minimal(const YamlLimits& limits) {
    return load_policy_text(read_fixture("valid-minimal.yaml"), "g.yaml", limits);
}

void test_depth_cap(void** /*state*/) {
    YamlLimits limits;
    limits.max_depth = 5;
    assert_non_null(load_minimal(limits).policy.get());
    limits.max_depth = 4;  // the users list is the fifth level
    check_errors("depth 4", load_minimal(limits), "g.yaml", {{8, 23, "nesting is deeper than 4 levels"}});
    limits.max_depth = 3;  // the members mapping is the fourth (partitions.trn1 is only the third)
    check_errors("depth 3", load_minimal(limits), "g.yaml", {{8, 14, "nesting is deeper than 3 levels"}});

    // A hostile file: deep flow nesting is refused, not a stack overflow.
    std::string deep = "version: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
    PolicyLoad load = load_policy_text(deep, "g.yaml");
    assert_null(load.policy.get());
    assert_int_equal(load.errors.size(), 1);
    assert_true(contains(load.errors[0].message, "nesting is deeper than 64 levels"));
    assert_int_equal(load.errors[0].mark.line, 1);
    assert_int_equal(load.errors[0].mark.column, 9 + 64);  // the 64th '[' opens level 65
}

void test_node_cap(void** /*state*/) {
    YamlLimits limits;
    limits.max_nodes = 27;
    assert_non_null(load_minimal(limits).policy.get());
    limits.max_nodes = 26;  // the 27th node is the budget's "100"
    check_errors("26 nodes", load_minimal(limits), "g.yaml",
                 {{9, 27, "the file has more than 26 YAML nodes; refusing it"}});
    limits.max_nodes = 1;
    check_errors("1 node", load_minimal(limits), "g.yaml", {{1, 1, "the file has more than 1 YAML nodes"}});
}

void test_byte_cap(void** /*state*/) {
    const std::string text = read_fixture("valid-minimal.yaml");
    YamlLimits limits;
    limits.max_bytes = text.size();
    assert_non_null(load_policy_text(text, "g.yaml", limits).policy.get());
    assert_non_null(load_policy_file(fixture("valid-minimal.yaml"), limits).policy.get());

    limits.max_bytes = text.size() - 1;
    const std::string size = std::to_string(text.size());
    const std::string cap = std::to_string(text.size() - 1);
    check_errors("text over cap", load_policy_text(text, "g.yaml", limits), "g.yaml",
                 {{0, 0, ("the file is " + size + " bytes; at most " + cap + " are accepted").c_str()}});
    const std::string path = fixture("valid-minimal.yaml");
    check_errors("file over cap", load_policy_file(path, limits), path,
                 {{0, 0, ("the policy file is larger than " + cap + " bytes; refusing it").c_str()}});
}

void test_missing_file(void** /*state*/) {
    const std::string path = fixture("does-not-exist.yaml");
    check_errors("missing file", load_policy_file(path), path,
                 {{0, 0, "cannot open the policy file: No such file or directory"}});
    // A directory opens but cannot be read.
    check_errors("directory", load_policy_file(FIXTURES_DIR), FIXTURES_DIR, {{0, 0, "cannot read the policy file"}});
}

void test_diagnostic_format(void** /*state*/) {
    PolicyLoad load = load_policy_file(fixture("err-version.yaml"));
    assert_int_equal(load.errors.size(), 1);
    assert_string_equal(
        load.errors[0].to_string().c_str(),
        (fixture("err-version.yaml") + ":1:10: version 2 is not supported; this plugin reads version 1").c_str());
    // Without a location: "file: message".
    load = load_policy_text("", "grants.yaml");
    assert_int_equal(load.errors.size(), 1);
    assert_string_equal(load.errors[0].to_string().c_str(),
                        "grants.yaml: the policy file is empty; expected a mapping with version, enforce and awards");
}

void test_errors_in_file_order(void** /*state*/) {
    // Checks made after a mapping is walked (missing keys, undefined
    // default_award) still come out sorted by position, also before an
    // earlier-found error later on the same line.
    PolicyLoad load = load_policy_text(
        "users:\n  bob: {default_award: NOPE}\nenforce:\n  on_error: shut\nawards:\n  A1: {members: {users: [x]}, "
        "pi: [p]}\n",
        "g.yaml");
    check_errors("file order", load, "g.yaml",
                 {{1, 1, "missing the key 'version'"},
                  {2, 24, "default_award 'NOPE' is not defined"},
                  {4, 3, "enforce is missing the key 'partitions'"},
                  {4, 13, "found \"shut\""},
                  {6, 7, "award 'A1' is missing the key 'budget'"},
                  {6, 35, "award 'A1'.pi must be a string, found a list"}});
}

void test_errors_in_several_awards(void** /*state*/) {
    // The loader reads one award and one user at a time: errors inside
    // awards and users, duplicates of earlier entries, and checks of
    // references made after the walk all still come out, in file order.
    PolicyLoad load = load_policy_text(
        "version: 1\n"
        "enforce:\n"
        "  partitions: [trn1]\n"
        "partitions:\n"
        "  trn1: { chips_per_node: 16 }\n"
        "awards:\n"
        "  A1:\n"
        "    members: { users: [alice] }\n"
        "    budget: { usd: 10 }\n"
        "    partitions: [trn9]\n"
        "  A2:\n"
        "    members: { users: [bob, bob] }\n"
        "    budget: { chip_hours: -1 }\n"
        "  \"bad id\":\n"
        "    budget: { chip_hours: 1 }\n"
        "  A1:\n"
        "    title: [not, a, string]\n"
        "  A3:\n"
        "    pi: p\n"
        "    budget: { usd: 1 }\n"
        "users:\n"
        "  bob: { default_award: A9 }\n"
        "  bob: { default_award: [x] }\n"
        "  carol: { colour: red }\n",
        "g.yaml");
    check_errors("several awards", load, "g.yaml",
                 {{10, 18, "award 'A1' lists partition 'trn9', which is not in enforce.partitions"},
                  {12, 29, "\"bob\" is listed twice in award 'A2'.members.users"},
                  {13, 27, "award 'A2'.budget.chip_hours must not be negative, found -1"},
                  {14, 3, "award ID \"bad id\" is not valid"},
                  {16, 3, "duplicate entry 'A1' in awards (first given at line 7)"},
                  {19, 5, "award 'A3' is missing the key 'members'"},
                  {20, 13, "award 'A3' has a usd budget but partition 'trn1' has no usd_per_chip_hour"},
                  {22, 25, "default_award 'A9' is not defined under awards"},
                  {23, 3, "duplicate entry 'bob' in users (first given at line 22)"},
                  {24, 12, "unknown key \"colour\" in user 'carol'; expected one of: default_award"}});
}

void test_yaml_problem_after_schema_errors(void** /*state*/) {
    // A YAML problem anywhere is the only error reported, also when the
    // loader has already found schema errors earlier in the file.
    const std::string head = "version: 2\nawards:\n  A1: { budget: { usd: -1 } }\n  A2: { title: [x] }\n";
    check_errors("syntax", load_policy_text(head + "  A3: [\n", "g.yaml"), "g.yaml",
                 {{6, 1, "YAML syntax error"}});
    check_errors("alias", load_policy_text(head + "  A3: &a { pi: p }\n  A4: *a\n", "g.yaml"), "g.yaml",
                 {{6, 7, "YAML aliases (*name) are not allowed"}});
    check_errors("second document", load_policy_text(head + "---\nversion: 1\n", "g.yaml"), "g.yaml",
                 {{5, 1, "only one YAML document is allowed"}});
    YamlLimits limits;
    limits.max_nodes = 12;
    check_errors("node cap", load_policy_text(head + "users: { bob: {} }\n", "g.yaml", limits), "g.yaml",
                 {{4, 7, "the file has more than 12 YAML nodes; refusing it"}});
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_fixtures),
        cmocka_unit_test(test_error_snippets),
        cmocka_unit_test(test_valid_minimal),
        cmocka_unit_test(test_valid_full),
        cmocka_unit_test(test_valid_snippets),
        cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_node_cap),
        cmocka_unit_test(test_byte_cap),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_diagnostic_format),
        cmocka_unit_test(test_errors_in_file_order),
        cmocka_unit_test(test_errors_in_several_awards),
        cmocka_unit_test(test_yaml_problem_after_schema_errors),
    };
    return cmocka_run_group_tests_name("policy_loader", tests, nullptr, nullptr);
}
