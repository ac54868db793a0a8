// plugstack.conf arguments for spank_grants.so: defaults first, then
// policy=/absolute/path; anything else is refused with one sentence.
#include <string>
#include <string_view>
#include <vector>

#include "cmocka.h"
#include "core/policy/plugin_args.h"

using grants::parse_spank_args;
using grants::SpankSettingsParse;

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

void test_defaults(void** /*state*/) {
    SpankSettingsParse p = parse_spank_args({});
    assert_string_equal(p.error.c_str(), "");
    // Empty means: grants.yaml next to slurm.conf.
    assert_string_equal(p.settings.policy_path.c_str(), "");
}

struct ArgsCase {
    const char* name;
    std::vector<std::string> args;
    const char* policy_path;  // expected on success
    const char* error;        // expected substring; nullptr on success
};

void test_args_table(void** /*state*/) {
    const ArgsCase cases[] = {
        {"absolute policy path", {"policy=/etc/slurm/grants.yaml"}, "/etc/slurm/grants.yaml", nullptr},
        {"root path", {"policy=/"}, "/", nullptr},
        {"value split at first '='", {"policy=/opt/a=b.yaml"}, "/opt/a=b.yaml", nullptr},
        {"relative path", {"policy=etc/grants.yaml"}, "", "policy= needs an absolute path, found \"etc/grants.yaml\""},
        {"dot-relative path", {"policy=./grants.yaml"}, "", "needs an absolute path"},
        {"empty path", {"policy="}, "", "policy= needs an absolute path, found \"\""},
        {"unknown key",
         {"polcy=/etc/slurm/grants.yaml"},
         "",
         "unknown plugstack argument \"polcy\" (known keys: policy)"},
        {"key case matters", {"POLICY=/etc/slurm/grants.yaml"}, "", "unknown plugstack argument \"POLICY\""},
        {"empty key", {"=/etc/slurm/grants.yaml"}, "", "unknown plugstack argument \"\""},
        {"missing '='", {"policy"}, "", "plugstack argument \"policy\" is not of the form key=value"},
        {"bare path", {"/etc/slurm/grants.yaml"}, "", "is not of the form key=value"},
        {"empty argument", {""}, "", "is not of the form key=value"},
        {"error after a good argument",
         {"policy=/etc/slurm/grants.yaml", "debug=1"},
         "",
         "unknown plugstack argument \"debug\""},
        {"error before a good argument",
         {"debug=1", "policy=/etc/slurm/grants.yaml"},
         "",
         "unknown plugstack argument \"debug\""},
    };
    for (const ArgsCase& c : cases) {
        SpankSettingsParse p = parse_spank_args(c.args);
        bool ok = c.error ? contains(p.error, c.error) : p.error.empty() && p.settings.policy_path == c.policy_path;
        if (!ok) {
            print_error("case '%s': error=\"%s\" policy_path=\"%s\"\n", c.name, p.error.c_str(),
                        p.settings.policy_path.c_str());
            fail();
        }
    }
}

void test_error_quotes_untrusted_text(void** /*state*/) {
    SpankSettingsParse p = parse_spank_args({"po\nlicy=/x"});
    assert_true(contains(p.error, "\"po\\x0alicy\""));
    assert_false(contains(p.error, "\n"));
    p = parse_spank_args({"policy=rel\x1b[0m"});
    assert_true(contains(p.error, "rel\\x1b[0m"));
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_args_table),
        cmocka_unit_test(test_error_quotes_untrusted_text),
    };
    return cmocka_run_group_tests_name("plugin_args", tests, nullptr, nullptr);
}
