// grantctl's option parser (src/cli/options.h): long and short forms, values
// inline or separate, flags, "--", negative numbers as positionals, and one
// sentence for each kind of mistake; and parse_command, the start every
// command shares (--help, usage errors, unexpected words).
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/options.h"
#include "cmocka.h"

using grants::cli::OptionSpec;
using grants::cli::ParsedArgs;
using grants::cli::parse_command;
using grants::cli::parse_options;
using grants::cli::Positionals;

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

// parse_command for a command "demo", with what it printed.
struct CommandStart {
    std::optional<int> stop;
    std::string out, err;
    ParsedArgs args;
};

CommandStart start(const std::vector<std::string>& args, Positionals positionals = Positionals::None) {
    CommandStart r;
    std::ostringstream out, err;
    std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
    std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
    r.stop = parse_command(args, {{"partition", 'p', true}, {"json", 0, false}}, "Usage: grantctl demo\n", "demo",
                           &r.args, positionals);
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

void expect_stop(const CommandStart& r, int status, const char* out, const char* err) {
    assert_true(r.stop.has_value());
    assert_int_equal(*r.stop, status);
    assert_string_equal(r.out.c_str(), out);
    assert_string_equal(r.err.c_str(), err);
}

void test_command_goes_on(void**) {
    CommandStart r = start({"-p", "trn1", "--json"});
    assert_false(r.stop.has_value());
    assert_string_equal(r.out.c_str(), "");
    assert_string_equal(r.err.c_str(), "");
    assert_string_equal(r.args.value("partition")->c_str(), "trn1");
    assert_true(r.args.has("json"));
    CommandStart words = start({"G-1", "-5", "--json"}, Positionals::Allowed);
    assert_false(words.stop.has_value());
    assert_int_equal(words.args.positionals.size(), 2);
    assert_string_equal(words.args.positionals[1].c_str(), "-5");
}

void test_command_stops(void**) {
    expect_stop(start({"--help"}), 0, "Usage: grantctl demo\n", "");
    expect_stop(start({"-h"}), 0, "Usage: grantctl demo\n", "");
    expect_stop(start({"extra", "--help"}), 0, "Usage: grantctl demo\n", "");  // help before words
    expect_stop(start({"--help", "--bogus"}), 2, "",
                "grantctl: unknown option '--bogus'. See 'grantctl demo --help'.\n");  // a bad option before help
    expect_stop(start({"-p"}), 2, "", "grantctl: option '--partition' needs a value. See 'grantctl demo --help'.\n");
    expect_stop(start({"--json", "extra", "more"}), 2, "",
                "grantctl: unexpected argument 'extra'. See 'grantctl demo --help'.\n");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_command_goes_on),
        cmocka_unit_test(test_command_stops),
    };
    return cmocka_run_group_tests_name("cli_options", tests, nullptr, nullptr);
}
