// The enforce scope used when no valid policy is in force: read from a file
// that may be broken elsewhere, or from the copy saved at the last good load.
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "cmocka.h"
#include "core/policy/enforce_scope.h"
#include "core/policy/policy_loader.h"

using grants::EnforceScope;
using grants::NameSet;
using grants::OnError;
using grants::parse_scope;
using grants::read_enforce_section;
using grants::serialize_scope;

namespace {

std::string read_fixture(const char* name) {
    std::ifstream in(std::string(FIXTURES_DIR) + "/" + name, std::ios::binary);
    assert_true(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

EnforceScope scope(NameSet partitions, OnError on_error) {
    EnforceScope s;
    s.partitions = std::move(partitions);
    s.on_error = on_error;
    return s;
}

std::string describe(const std::optional<EnforceScope>& s) {
    if (!s) return "nothing";
    std::string out = "{";
    for (const auto& p : s->partitions) out += (out.size() > 1 ? "," : "") + p;
    return out + (s->on_error == OnError::Open ? "} open" : "} closed");
}

int failures = 0;

void expect_scope(const char* name, const std::optional<EnforceScope>& got, const std::optional<EnforceScope>& want) {
    if (got.has_value() != want.has_value() || (got && !(*got == *want))) {
        print_error("case '%s': got %s, want %s\n", name, describe(got).c_str(), describe(want).c_str());
        ++failures;
    }
}

void finish() {
    const int n = failures;
    failures = 0;
    assert_int_equal(n, 0);
}

void test_valid_files(void** /*state*/) {
    expect_scope("valid-full", read_enforce_section(read_fixture("valid-full.yaml")),
                 scope({"trn1", "trn2"}, OnError::Open));
    // on_error defaults to closed.
    expect_scope("valid-minimal", read_enforce_section(read_fixture("valid-minimal.yaml")),
                 scope({"trn1"}, OnError::Closed));
    expect_scope("valid-schema", read_enforce_section(read_fixture("valid-schema.yaml")),
                 scope({"trn1", "trn2"}, OnError::Closed));
    // The same as the loaded policy says.
    auto load = grants::load_policy_text(read_fixture("valid-full.yaml"), "g.yaml");
    assert_non_null(load.policy.get());
    expect_scope("scope_of", grants::scope_of(*load.policy), read_enforce_section(read_fixture("valid-full.yaml")));
    // An explicitly empty list is a scope too: nothing is enforced.
    expect_scope("empty list", read_enforce_section("enforce: {partitions: [], on_error: open}\n"),
                 scope({}, OnError::Open));
    finish();
}

void test_broken_elsewhere(void** /*state*/) {
    // The policy is refused, but its enforce section still reads cleanly.
    struct Case {
        const char* fixture;
        EnforceScope want;
    };
    const Case cases[] = {
        {"err-version.yaml", scope({"trn1"}, OnError::Closed)},
        {"err-undefined-default-award.yaml", scope({"trn1"}, OnError::Closed)},
        {"err-bad-award-id.yaml", scope({"trn1"}, OnError::Closed)},
        {"err-unknown-key-top.yaml", scope({"trn1"}, OnError::Closed)},
        {"err-duplicate-key.yaml", scope({"trn1"}, OnError::Closed)},
        {"err-type-string-for-number.yaml", scope({"trn1"}, OnError::Closed)},
        {"err-budget-units.yaml", scope({"trn1"}, OnError::Closed)},
        {"err-limits.yaml", scope({"trn1"}, OnError::Closed)},
        {"err-usd-rate.yaml", scope({"trn1", "trn2"}, OnError::Closed)},
        // Enforced partitions the file fails to define are still enforced.
        {"err-enforced-undefined.yaml", scope({"trn1", "trn2", "cpu-big"}, OnError::Closed)},
        // A name listed twice is an error for the loader; the scope is the same set.
        {"err-duplicate-entries.yaml", scope({"trn1", "trn2"}, OnError::Closed)},
    };
    for (const Case& c : cases) {
        const std::string text = read_fixture(c.fixture);
        if (grants::load_policy_text(text, "g.yaml").policy) {
            print_error("%s unexpectedly loads\n", c.fixture);
            ++failures;
        }
        expect_scope(c.fixture, read_enforce_section(text), c.want);
    }
    expect_scope("no awards at all", read_enforce_section("enforce:\n  partitions: [x]\n  on_error: open\n"),
                 scope({"x"}, OnError::Open));
    expect_scope("quoted names", read_enforce_section("enforce: {partitions: ['trn1', \"trn 2\"], on_error: 'open'}\n"),
                 scope({"trn1", "trn 2"}, OnError::Open));
    finish();
}

void test_broken_enforce(void** /*state*/) {
    const char* fixtures[] = {
        "err-on-error.yaml",                // on_error: maybe
        "err-type-list-for-mapping.yaml",   // enforce: [..]
        "err-type-list-for-string.yaml",    // partitions: trn1
        "err-unknown-key-nested.yaml",      // on_eror
        "err-missing-keys.yaml",            // no partitions
        "err-several.yaml",                 // on_error: sometimes
        "err-syntax.yaml",                  // YAML does not parse
        "err-alias.yaml",                   // refused by the YAML reader
        "err-two-documents.yaml",
        "err-empty.yaml",
        "err-comments-only.yaml",
        "err-not-a-mapping.yaml",
    };
    for (const char* f : fixtures) expect_scope(f, read_enforce_section(read_fixture(f)), std::nullopt);

    const char* texts[] = {
        "",
        "version: 1\n",                                      // no enforce
        "enforce:\n",                                        // null
        "enforce: trn1\n",                                   // scalar
        "enforce: {}\n",                                     // no partitions
        "enforce: {on_error: open}\n",
        "enforce: {partitions: ~}\n",                        // not a list
        "enforce: {partitions: {trn1: 1}}\n",
        "enforce: {partitions: [trn1, '']}\n",               // empty name
        "enforce: {partitions: [trn1, [trn2]]}\n",           // nested list
        "enforce: {partitions: [trn1], on_error: Open}\n",   // exact words only
        "enforce: {partitions: [trn1], on_error: ~}\n",
        "enforce: {partitions: [trn1], on_error: [open]}\n",
        "enforce: {partitions: [trn1], colour: blue}\n",     // unknown key
        "enforce: {partitions: [trn1], ? [k] : v}\n",        // non-scalar key
        "enforce: {partitions: [trn1]\n",                    // syntax
        "- enforce: {partitions: [trn1]}\n",                 // root is a list
    };
    for (const char* t : texts) expect_scope(t, read_enforce_section(t), std::nullopt);
    finish();
}

void test_duplicates(void** /*state*/) {
    // Two enforce sections: ambiguous, so neither is trusted.
    expect_scope("duplicate enforce",
                 read_enforce_section("enforce: {partitions: [trn1]}\nawards: {}\nenforce: {partitions: [trn2]}\n"),
                 std::nullopt);
    expect_scope("duplicate identical enforce",
                 read_enforce_section("enforce: {partitions: [trn1]}\nenforce: {partitions: [trn1]}\n"), std::nullopt);
    // The same inside the section.
    expect_scope("duplicate on_error",
                 read_enforce_section("enforce: {partitions: [trn1], on_error: closed, on_error: open}\n"),
                 std::nullopt);
    expect_scope("duplicate partitions",
                 read_enforce_section("enforce: {partitions: [trn1], partitions: [trn2]}\n"), std::nullopt);
    // A key merely named like it elsewhere is not a second section.
    expect_scope("nested enforce key",
                 read_enforce_section("enforce: {partitions: [trn1]}\nusers: {enforce: {default_award: A}}\n"),
                 scope({"trn1"}, OnError::Closed));
    finish();
}

void test_serialize_round_trip(void** /*state*/) {
    assert_string_equal(serialize_scope(scope({"trn2", "trn1"}, OnError::Closed)).c_str(),
                        "partitions=trn1,trn2\non_error=closed\n");
    assert_string_equal(serialize_scope(scope({"trn1"}, OnError::Open)).c_str(), "partitions=trn1\non_error=open\n");
    assert_string_equal(serialize_scope(scope({}, OnError::Closed)).c_str(), "partitions=\non_error=closed\n");

    const EnforceScope samples[] = {
        scope({}, OnError::Closed),
        scope({}, OnError::Open),
        scope({"trn1"}, OnError::Closed),
        scope({"trn1", "trn2"}, OnError::Open),
        scope({"a", "b.c", "d-e", "f_g", "trn 2", "x=y"}, OnError::Closed),
    };
    for (const EnforceScope& s : samples) {
        expect_scope(serialize_scope(s).c_str(), parse_scope(serialize_scope(s)), s);
    }
    // Hand-written forms: no final newline, blank lines, either order.
    expect_scope("no final newline", parse_scope("partitions=trn1\non_error=open"), scope({"trn1"}, OnError::Open));
    expect_scope("blank lines", parse_scope("\npartitions=a,b\n\non_error=closed\n\n"),
                 scope({"a", "b"}, OnError::Closed));
    expect_scope("order", parse_scope("on_error=open\npartitions=a\n"), scope({"a"}, OnError::Open));
    finish();
}

void test_parse_scope_refuses_garbage(void** /*state*/) {
    const char* texts[] = {
        "",
        "\n",
        "garbage",
        "partitions=trn1\n",                            // on_error missing
        "on_error=closed\n",                            // partitions missing
        "partitions trn1\non_error=closed\n",           // no '='
        "partitions=trn1,,trn2\non_error=closed\n",     // empty name
        "partitions=,trn1\non_error=closed\n",
        "partitions=trn1\non_error=maybe\n",
        "partitions=trn1\non_error=\n",
        "partitions=trn1\non_error=Open\n",
        "partitions=trn1\non_error=open \n",
        "partitions=trn1\r\non_error=closed\r\n",       // CRLF leaves "closed\r"
        "partitions=trn1\non_error=closed\nextra=1\n",  // unknown key
        "partitions=trn1\non_error=closed\njunk\n",
        "PARTITIONS=trn1\non_error=closed\n",
        " partitions=trn1\non_error=closed\n",
        "=trn1\non_error=closed\n",
        "version: 1\nenforce: {partitions: [trn1]}\n",  // a policy file is not a scope file
    };
    for (const char* t : texts) expect_scope(t, parse_scope(t), std::nullopt);
    finish();
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_files),
        cmocka_unit_test(test_broken_elsewhere),
        cmocka_unit_test(test_broken_enforce),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_serialize_round_trip),
        cmocka_unit_test(test_parse_scope_refuses_garbage),
    };
    return cmocka_run_group_tests_name("enforce_scope", tests, nullptr, nullptr);
}
