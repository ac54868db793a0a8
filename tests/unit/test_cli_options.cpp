// grantctl's option parser (src/cli/options.h): long and short forms, values
// inline or separate, flags, "--", negative numbers as positionals, and one
// sentence for each kind of mistake.
#include <string>
#include <vector>

#include "cli/options.h"
#include "cmocka.h"

using grants::cli::OptionSpec;
using grants::cli::ParsedArgs;
using grants::cli::parse_options;

namespace {

const std::vector<OptionSpec> kSpecs{{"partition", 'p', true}, {"nodes", 'N', true}, {"json", 0, false},
                                     {"help", 'h', false}, {"reason", 'r', true}};

std::string parse(std::vector<std::string> args, ParsedArgs* out) { return parse_options(args, kSpecs, out); }

void test_forms(void**) {
    ParsedArgs a;
    assert_string_equal(parse({"-p", "trn1", "--nodes=2-4", "--json", "X", "-rwhy", "-5", "--", "--json"}, &a).c_str(), "");
    assert_string_equal(a.value("partition")->c_str(), "trn1");
    assert_string_equal(a.value("nodes")->c_str(), "2-4");
    assert_string_equal(a.value("reason")->c_str(), "why");
    assert_true(a.has("json"));
    assert_false(a.has("help"));
    assert_int_equal(a.positionals.size(), 3);
    assert_string_equal(a.positionals[0].c_str(), "X");
    assert_string_equal(a.positionals[1].c_str(), "-5");  // a debit, not an option
    assert_string_equal(a.positionals[2].c_str(), "--json");  // after "--"
    ParsedArgs b;
    assert_string_equal(parse({"-ptrn2", "-p", "trn1", "--reason", "-2.5"}, &b).c_str(), "");
    assert_string_equal(b.value("partition")->c_str(), "trn1");  // the last one wins, as in sbatch
    assert_string_equal(b.value("reason")->c_str(), "-2.5");     // a value may look like a number
    assert_null(b.value("nodes"));
}

void expect_error(std::vector<std::string> args, const char* sentence) {
    ParsedArgs a;
    assert_string_equal(parse(std::move(args), &a).c_str(), sentence);
}

void test_errors(void**) {
    expect_error({"--bogus"}, "unknown option '--bogus'.");
    expect_error({"-x"}, "unknown option '-x'.");
    expect_error({"--partition"}, "option '--partition' needs a value.");
    expect_error({"-p"}, "option '--partition' needs a value.");
    expect_error({"--json=yes"}, "option '--json' takes no value.");
    expect_error({"-hx"}, "option '-h' takes no value.");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("cli_options", tests, nullptr, nullptr);
}
