// The job tag: award=ID inside AdminComment, found among other text and
// replaced without losing what an admin wrote.
#include <optional>
#include <string>

#include "cmocka.h"
#include "core/domain/admin_comment.h"

using grants::award_in_admin_comment;
using grants::with_award_tag;
using grants::has_unchecked_mark;
using grants::with_unchecked_mark;

namespace {

struct FindCase {
    const char* name;
    std::string comment;
    std::optional<std::string> award;
};

void test_find_award_token(void** /*state*/) {
    const FindCase cases[] = {
        {"empty comment", "", std::nullopt},
        {"only separators", " ,;\t\n", std::nullopt},
        {"no token", "maintenance window; ticket 4711", std::nullopt},
        {"token alone", "award=BOT-1", "BOT-1"},
        {"token after text", "moved by ops award=BOT-1", "BOT-1"},
        {"token before text", "award=BOT-1 moved by ops", "BOT-1"},
        {"comma separated", "ticket=12,award=BOT-1,prio=high", "BOT-1"},
        {"semicolon separated", "ticket=12;award=BOT-1;prio=high", "BOT-1"},
        {"tab and newline", "note\taward=BOT-1\n", "BOT-1"},
        {"carriage return", "note\r\naward=BOT-1\r\n", "BOT-1"},
        {"mixed separators", " ; ,award=BOT-1 ,; ", "BOT-1"},
        {"first of two wins", "award=BOT-1 award=BOT-2", "BOT-1"},
        {"prefix glued to another word", "xaward=BOT-1", std::nullopt},
        {"inside another token", "note=award=BOT-1", std::nullopt},
        {"case sensitive", "Award=BOT-1 AWARD=BOT-2", std::nullopt},
        {"word without =", "award BOT-1", std::nullopt},
        {"empty value", "award=", ""},
        {"value stops at separator", "award=BOT-1;rest", "BOT-1"},
        {"value keeps other bytes", "award=BOT=1", "BOT=1"},
    };
    for (const FindCase& c : cases) {
        auto got = award_in_admin_comment(c.comment);
        if (got != c.award) {
            print_error("case '%s': got %s%s%s, want %s%s%s\n", c.name, got ? "\"" : "", got ? got->c_str() : "none",
                        got ? "\"" : "", c.award ? "\"" : "", c.award ? c.award->c_str() : "none", c.award ? "\"" : "");
            fail();
        }
    }
}

struct TagCase {
    const char* name;
    std::string comment;
    std::string award;
    std::string expect;
};

const TagCase kTagCases[] = {
    {"empty comment", "", "BOT-2", "award=BOT-2"},
    {"only separators", " ; ", "BOT-2", "award=BOT-2"},
    {"replace lone token", "award=BOT-1", "BOT-2", "award=BOT-2"},
    {"same award again", "award=BOT-2", "BOT-2", "award=BOT-2"},
    {"keep admin text", "maintenance window", "BOT-2", "maintenance window award=BOT-2"},
    {"replace in the middle", "moved award=BOT-1 by ops", "BOT-2", "moved by ops award=BOT-2"},
    {"replace every token", "award=BOT-1 note award=BOT-3", "BOT-2", "note award=BOT-2"},
    // Separators between the kept words are normalised to one space.
    {"other separators", "ticket=12,award=BOT-1;prio=high", "BOT-2", "ticket=12 prio=high award=BOT-2"},
    {"look-alike kept", "xaward=BOT-1", "BOT-2", "xaward=BOT-1 award=BOT-2"},
    {"case differs kept", "Award=BOT-1", "BOT-2", "Award=BOT-1 award=BOT-2"},
    {"empty token dropped", "award= note", "BOT-2", "note award=BOT-2"},
};

void test_with_award_tag(void** /*state*/) {
    for (const TagCase& c : kTagCases) {
        std::string got = with_award_tag(c.comment, c.award);
        if (got != c.expect) {
            print_error("case '%s': got \"%s\", want \"%s\"\n", c.name, got.c_str(), c.expect.c_str());
            fail();
        }
    }
}

// The on_error=open mark: a whole token only, added once, kept with notes.
void test_unchecked_mark(void** /*state*/) {
    assert_false(has_unchecked_mark(""));
    assert_false(has_unchecked_mark("grants=uncheckedx"));
    assert_false(has_unchecked_mark("xgrants=unchecked"));
    assert_false(has_unchecked_mark("award=grants=unchecked"));
    assert_true(has_unchecked_mark("grants=unchecked"));
    assert_true(has_unchecked_mark("note;grants=unchecked"));
    assert_string_equal(with_unchecked_mark("").c_str(), "grants=unchecked");
    assert_string_equal(with_unchecked_mark("ops note").c_str(), "ops note grants=unchecked");
    assert_string_equal(with_unchecked_mark("ops grants=unchecked").c_str(), "ops grants=unchecked");
    assert_false(award_in_admin_comment(with_unchecked_mark("x")).has_value());
}

void test_tag_round_trips(void** /*state*/) {
    for (const TagCase& c : kTagCases) {
        std::string tagged = with_award_tag(c.comment, c.award);
        // The tag written is the one read back, whatever was there before.
        auto found = award_in_admin_comment(tagged);
        assert_true(found.has_value());
        assert_string_equal(found->c_str(), c.award.c_str());
        // Tagging again with the same award changes nothing.
        assert_string_equal(with_award_tag(tagged, c.award).c_str(), tagged.c_str());
        // Retagging leaves exactly one award= token.
        std::string retagged = with_award_tag(tagged, "OTHER-9");
        assert_string_equal(award_in_admin_comment(retagged)->c_str(), "OTHER-9");
        assert_true(retagged.find("award=" + c.award) == std::string::npos || c.award == "OTHER-9");
    }
}

void test_deadline_tag(void**) {
    using grants::deadline_in_admin_comment;
    using grants::with_deadline_tag;
    assert_false(deadline_in_admin_comment("award=A").has_value());
    assert_int_equal(*deadline_in_admin_comment("award=A grants_deadline=1798761600"), 1798761600);
    assert_false(deadline_in_admin_comment("grants_deadline=12x").has_value());
    assert_false(deadline_in_admin_comment("grants_deadline=").has_value());
    assert_false(deadline_in_admin_comment("grants_deadline=1234567890123").has_value());  // 13 digits
    assert_string_equal(with_deadline_tag("award=A", 5).c_str(), "award=A grants_deadline=5");
    assert_string_equal(with_deadline_tag("award=A grants_deadline=5 note", 9).c_str(), "award=A note grants_deadline=9");
    assert_string_equal(with_deadline_tag("award=A;grants_deadline=5", 0).c_str(), "award=A");
    assert_string_equal(with_deadline_tag("", 7).c_str(), "grants_deadline=7");
    // The award tag is unaffected.
    assert_string_equal(grants::award_in_admin_comment(with_deadline_tag("award=B", 7))->c_str(), "B");
}

void test_operator_rewrite_keeps_plugin_tags(void**) {
    using grants::keeping_plugin_tags;
    const char* before = "award=A grants_deadline=100";
    assert_string_equal(keeping_plugin_tags("ticket-42", before, "A").c_str(), "ticket-42 award=A grants_deadline=100");
    // The operator's own deadline token wins; another award= is replaced by the job's.
    assert_string_equal(keeping_plugin_tags("grants_deadline=7 award=B", before, "A").c_str(),
                        "grants_deadline=7 award=A");
    // A job without a plugin deadline gets none.
    assert_string_equal(keeping_plugin_tags("note", "award=A", "A").c_str(), "note award=A");
    assert_string_equal(keeping_plugin_tags("", before, "A").c_str(), "award=A grants_deadline=100");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_award_token),
        cmocka_unit_test(test_with_award_tag),
        cmocka_unit_test(test_tag_round_trips),
        cmocka_unit_test(test_unchecked_mark),
        cmocka_unit_test(test_deadline_tag),
        cmocka_unit_test(test_operator_rewrite_keeps_plugin_tags),
    };
    return cmocka_run_group_tests_name("admin_comment", tests, nullptr, nullptr);
}
