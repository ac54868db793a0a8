// The award requested through SPANK: _SLURM_SPANK_OPTION_grants_award=ID in
// the job's spank environment; look-alikes ignored, conflicts flagged.
#include <string>
#include <string_view>
#include <vector>

#include "cmocka.h"
#include "core/award_request.h"

using grants::award_request_from_env;
using grants::AwardRequest;

namespace {

struct RequestCase {
    const char* name;
    std::vector<std::string_view> env;
    bool has_award;
    const char* award;  // when has_award
    bool conflicting;
    std::vector<std::string> values;
};

void test_request_table(void** /*state*/) {
    const RequestCase cases[] = {
        {"empty environment", {}, false, "", false, {}},
        {"unrelated variables", {"PATH=/usr/bin", "SLURM_JOB_NAME=x", "HOME=/home/a"}, false, "", false, {}},
        {"the option", {"_SLURM_SPANK_OPTION_grants_award=BOT-1"}, true, "BOT-1", false, {"BOT-1"}},
        {"among others",
         {"PATH=/usr/bin", "_SLURM_SPANK_OPTION_grants_award=BOT-1", "_SLURM_SPANK_OPTION_pyxis_image=ubuntu"},
         true,
         "BOT-1",
         false,
         {"BOT-1"}},
        {"look-alike longer name", {"_SLURM_SPANK_OPTION_grants_awardX=BOT-9"}, false, "", false, {}},
        {"look-alike longer name 2", {"_SLURM_SPANK_OPTION_grants_award_id=BOT-9"}, false, "", false, {}},
        {"look-alike shorter name", {"_SLURM_SPANK_OPTION_grants_awar=BOT-9"}, false, "", false, {}},
        {"SPANK_ prefix (prolog copy)", {"SPANK__SLURM_SPANK_OPTION_grants_award=BOT-9"}, false, "", false, {}},
        {"leading letter", {"X_SLURM_SPANK_OPTION_grants_award=BOT-9"}, false, "", false, {}},
        {"other plugin", {"_SLURM_SPANK_OPTION_other_award=BOT-9"}, false, "", false, {}},
        {"lower case", {"_slurm_spank_option_grants_award=BOT-9"}, false, "", false, {}},
        {"name without value", {"_SLURM_SPANK_OPTION_grants_award"}, false, "", false, {}},
        {"look-alikes next to the real one",
         {"_SLURM_SPANK_OPTION_grants_awardX=BOT-9", "SPANK__SLURM_SPANK_OPTION_grants_award=BOT-8",
          "_SLURM_SPANK_OPTION_grants_award=BOT-1"},
         true,
         "BOT-1",
         false,
         {"BOT-1"}},
        // An empty value is a request (for an invalid ID), not the absence of one.
        {"empty value", {"_SLURM_SPANK_OPTION_grants_award="}, true, "", false, {""}},
        {"value with '='", {"_SLURM_SPANK_OPTION_grants_award=a=b"}, true, "a=b", false, {"a=b"}},
        {"duplicate identical values",
         {"_SLURM_SPANK_OPTION_grants_award=BOT-1", "_SLURM_SPANK_OPTION_grants_award=BOT-1"},
         true,
         "BOT-1",
         false,
         {"BOT-1"}},
        {"different values",
         {"_SLURM_SPANK_OPTION_grants_award=BOT-1", "_SLURM_SPANK_OPTION_grants_award=BOT-2"},
         true,
         "BOT-1",
         true,
         {"BOT-1", "BOT-2"}},
        {"three values, two distinct",
         {"_SLURM_SPANK_OPTION_grants_award=BOT-2", "_SLURM_SPANK_OPTION_grants_award=BOT-1",
          "_SLURM_SPANK_OPTION_grants_award=BOT-2"},
         true,
         "BOT-2",
         true,
         {"BOT-2", "BOT-1"}},
        {"values differing only in case",
         {"_SLURM_SPANK_OPTION_grants_award=bot-1", "_SLURM_SPANK_OPTION_grants_award=BOT-1"},
         true,
         "bot-1",
         true,
         {"bot-1", "BOT-1"}},
        {"empty and non-empty conflict",
         {"_SLURM_SPANK_OPTION_grants_award=", "_SLURM_SPANK_OPTION_grants_award=BOT-1"},
         true,
         "",
         true,
         {"", "BOT-1"}},
    };
    for (const RequestCase& c : cases) {
        AwardRequest r = award_request_from_env(c.env);
        bool ok = r.award.has_value() == c.has_award && (!c.has_award || *r.award == c.award) &&
                  r.conflicting == c.conflicting && r.values == c.values;
        // The adapter's form: a C array as in job_desc_msg_t, with a null entry thrown in.
        std::vector<std::string> storage(c.env.begin(), c.env.end());
        std::vector<const char*> array;
        for (const auto& e : storage) array.push_back(e.c_str());
        array.push_back(nullptr);
        AwardRequest from_array = award_request_from_env(array.data(), array.size());
        ok = ok && from_array.award == r.award && from_array.conflicting == r.conflicting &&
             from_array.values == r.values;
        if (!ok) {
            print_error("case '%s': award=%s conflicting=%d values=%zu\n", c.name,
                        r.award ? r.award->c_str() : "(none)", r.conflicting, r.values.size());
            fail();
        }
    }
}

void test_variable_name_is_the_contract(void** /*state*/) {
    // sbatch/srun export SPANK options as _SLURM_SPANK_OPTION_<plugin>_<option>;
    // the plugin is "grants" and the option "award".
    assert_string_equal(std::string(grants::kSpankOptionVariable).c_str(), "_SLURM_SPANK_OPTION_grants_award");
}

void test_many_entries(void** /*state*/) {
    std::vector<std::string> storage;
    for (int i = 0; i < 1000; ++i) storage.push_back("VAR" + std::to_string(i) + "=x");
    storage.push_back("_SLURM_SPANK_OPTION_grants_award=BOT-1");
    for (int i = 0; i < 100; ++i) storage.push_back("_SLURM_SPANK_OPTION_grants_award=BOT-1");
    std::vector<std::string_view> env(storage.begin(), storage.end());
    AwardRequest r = award_request_from_env(env);
    assert_true(r.award.has_value());
    assert_string_equal(r.award->c_str(), "BOT-1");
    assert_false(r.conflicting);
    assert_int_equal(r.values.size(), 1);
    // A job without a spank environment.
    AwardRequest none = award_request_from_env(nullptr, 3);
    assert_false(none.award.has_value());
    assert_false(none.conflicting);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_table),
        cmocka_unit_test(test_variable_name_is_the_contract),
        cmocka_unit_test(test_many_entries),
    };
    return cmocka_run_group_tests_name("award_request", tests, nullptr, nullptr);
}
