// The award requested through SPANK: _SLURM_SPANK_OPTION_grants_award=ID in
// the job's spank environment; look-alikes ignored, conflicts flagged.
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cmocka.h"
#include "core/domain/award_request.h"

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
    // Repeating the one value is harmless up to the bound (kMaxAwardEntries in all).
    for (std::size_t i = 0; i < grants::kMaxAwardEntries; ++i) storage.push_back("_SLURM_SPANK_OPTION_grants_award=BOT-1");
    std::vector<std::string_view> env(storage.begin(), storage.end());
    AwardRequest r = award_request_from_env(env);
    assert_true(r.award.has_value());
    assert_string_equal(r.award->c_str(), "BOT-1");
    assert_false(r.conflicting);
    assert_false(r.too_many());
    assert_int_equal(r.entries, grants::kMaxAwardEntries);
    assert_int_equal(r.values.size(), 1);
    assert_string_equal(grants::award_request_problem(r).c_str(), "");
    // One more is more than any client sends: refused, even when identical.
    storage.push_back("_SLURM_SPANK_OPTION_grants_award=BOT-1");
    env.assign(storage.begin(), storage.end());
    r = award_request_from_env(env);
    assert_true(r.too_many());
    assert_false(r.conflicting);
    assert_string_equal(grants::award_request_problem(r).c_str(),
                        "17 award requests in one job (\"BOT-1\" and 16 more; sbatch, srun and salloc send one): give "
                        "--award only once.");
    // A job without a spank environment.
    AwardRequest none = award_request_from_env(nullptr, 3);
    assert_false(none.award.has_value());
    assert_false(none.conflicting);
}

// A forged job carrying 100,000 distinct award values (issue: quadratic
// de-duplication under slurmctld's job read lock, a refusal that joined
// every value into one log line): only the first kMaxAwardEntries entries
// are kept and compared, and the sentence quotes three and counts the rest.
void test_flood_of_values_is_bounded(void** /*state*/) {
    std::vector<std::string> storage;
    storage.reserve(100'000);
    for (int i = 0; i < 100'000; ++i) storage.push_back("_SLURM_SPANK_OPTION_grants_award=FLOOD-" + std::to_string(i));
    std::vector<const char*> array;
    for (const auto& e : storage) array.push_back(e.c_str());
    AwardRequest r = award_request_from_env(array.data(), array.size());
    assert_int_equal(r.entries, 100'000);
    assert_true(r.too_many());
    assert_true(r.conflicting);
    assert_int_equal(r.values.size(), grants::kMaxAwardEntries);
    assert_string_equal(r.values.back().c_str(), "FLOOD-15");
    const std::string problem = grants::award_request_problem(r);
    assert_string_equal(problem.c_str(),
                        "100,000 award requests in one job (\"FLOOD-0\", \"FLOOD-1\", \"FLOOD-2\" and 99,997 more; "
                        "sbatch, srun and salloc send one): give --award only once.");
    std::vector<std::string_view> views(storage.begin(), storage.end());
    AwardRequest same = award_request_from_env(views);
    assert_true(same.values == r.values && same.entries == r.entries);
}

// Hostile values in the sentence: control bytes escaped, each value cut, so
// the sentence (and slurmctld's log line) stays bounded and on one line.
void test_problem_sentence_is_bounded_and_sanitized(void** /*state*/) {
    const std::string huge(10'000, 'A');
    const std::string binary = std::string("X\n[2030-01-01T00:00:00] error: forged\r\x1b[31m\x7f\xff") + huge;
    for (std::size_t n : {std::size_t{2}, std::size_t{5}, grants::kMaxAwardEntries, std::size_t{1'000}}) {
        std::vector<std::string> storage;
        for (std::size_t i = 0; i < n; ++i) {
            storage.push_back(std::string(grants::kSpankOptionVariable) + "=" + (i % 2 ? huge : binary) + std::to_string(i));
        }
        std::vector<std::string_view> env(storage.begin(), storage.end());
        const AwardRequest r = award_request_from_env(env);
        const std::string problem = grants::award_request_problem(r);
        if (problem.empty() || problem.size() > grants::kMaxAwardRequestProblemChars) {
            fail_msg("%zu values: sentence of %zu chars", n, problem.size());
        }
        for (char c : problem) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte >= 0x7f) fail_msg("%zu values: byte 0x%02x in the sentence", n, byte);
        }
        assert_non_null(std::strstr(problem.c_str(), "give --award only once."));
        assert_non_null(std::strstr(problem.c_str(), "X\\x0a[2030"));
        assert_null(std::strstr(problem.c_str(), huge.substr(0, grants::kAwardValueQuotedChars + 1).c_str()));
        if (n == 5) assert_non_null(std::strstr(problem.c_str(), "conflicting award requests ("));
        if (n == 5) assert_non_null(std::strstr(problem.c_str(), " and 2 more): "));
        if (n == 1'000) assert_non_null(std::strstr(problem.c_str(), "1,000 award requests in one job ("));
    }
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_table),
        cmocka_unit_test(test_variable_name_is_the_contract),
        cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_flood_of_values_is_bounded),
        cmocka_unit_test(test_problem_sentence_is_bounded_and_sanitized),
    };
    return cmocka_run_group_tests_name("award_request", tests, nullptr, nullptr);
}
