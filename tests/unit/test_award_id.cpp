// Award ID syntax: [A-Za-z0-9][A-Za-z0-9._-]{0,63}, and messages that never
// echo untrusted bytes raw.
#include <cstddef>
#include <string>
#include <string_view>

#include "cmocka.h"
#include "core/base/award_id.h"
#include "core/base/text.h"

using grants::award_id_problem;
using grants::is_valid_award_id;
using grants::loggable;
using grants::quote_untrusted;

namespace {

// True when every byte of s is printable ASCII (what a log line or terminal can take safely).
bool printable_ascii(const std::string& s) {
    for (char c : s) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) return false;
    }
    return true;
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

struct IdCase {
    const char* name;
    std::string id;
    bool valid;
};

void test_is_valid_award_id_table(void** /*state*/) {
    const std::string max_len(64, 'a');
    const std::string too_long(65, 'a');
    const IdCase cases[] = {
        {"realistic", "BOT-2025-0117", true},
        {"one letter", "A", true},
        {"one lowercase", "z", true},
        {"one digit", "7", true},
        {"64 chars", max_len, true},
        {"65 chars", too_long, false},
        {"64 chars mixed", "B" + std::string(62, '.') + "9", true},
        {"empty", "", false},
        {"dot inside", "a.b", true},
        {"underscore inside", "a_b", true},
        {"dash inside", "a-b", true},
        {"trailing dot", "a.", true},
        {"trailing dash", "a-", true},
        {"all punctuation after first", "0._-", true},
        {"leading dot", ".abc", false},
        {"leading underscore", "_abc", false},
        {"leading dash", "-abc", false},
        {"lone dot", ".", false},
        {"space inside", "BOT 2025", false},
        {"leading space", " BOT", false},
        {"trailing space", "BOT ", false},
        {"semicolon", "BOT;rm", false},
        {"comma", "A,B", false},
        {"equals", "award=A", false},
        {"slash", "a/b", false},
        {"newline", "BOT\n", false},
        {"tab", "A\tB", false},
        {"carriage return", "A\rB", false},
        {"escape", "A\x1b[31m", false},
        {"DEL", "A\x7f", false},
        {"embedded NUL", std::string("A\0B", 3), false},
        {"UTF-8 inside", "caf\xc3\xa9", false},
        {"UTF-8 first", "\xc3\xa9t\xc3\xa9", false},
        {"high byte", "A\xff", false},
        {"quote", "A\"B", false},
        {"colon", "A:B", false},
        {"plus", "A+B", false},
    };
    for (const IdCase& c : cases) {
        bool got = is_valid_award_id(c.id);
        if (got != c.valid) {
            print_error("case '%s': is_valid_award_id gave %d, want %d\n", c.name, got, c.valid);
            fail();
        }
        // award_id_problem agrees with is_valid_award_id.
        std::string problem = award_id_problem(c.id);
        if (problem.empty() != c.valid) {
            print_error("case '%s': award_id_problem gave \"%s\"\n", c.name, problem.c_str());
            fail();
        }
    }
}

void test_every_single_byte(void** /*state*/) {
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        const bool punct = c == '.' || c == '_' || c == '-';
        // As the first byte only alphanumerics are allowed; afterwards also . _ -
        assert_int_equal(is_valid_award_id(std::string(1, c)), alnum);
        assert_int_equal(is_valid_award_id(std::string("A") + c), alnum || punct);
        // Whatever the byte, the explanation stays printable.
        assert_true(printable_ascii(award_id_problem(std::string("A") + c + "B")));
        assert_true(printable_ascii(award_id_problem(std::string(1, c))));
    }
}

struct ProblemCase {
    const char* name;
    std::string id;
    const char* expect;  // substring of the explanation
};

void test_problem_explains_why(void** /*state*/) {
    const ProblemCase cases[] = {
        {"empty", "", "the award ID is empty"},
        {"too long", std::string(65, 'x'), "longer than 64 characters"},
        {"too long and bad first char", "-" + std::string(70, 'x'), "longer than 64 characters"},
        {"bad first char", "-x", "must start with a letter or digit"},
        {"bad first char dot", ".x", "must start with a letter or digit"},
        {"space", "a b", "may contain only letters, digits, '.', '_' and '-'"},
        {"semicolon", "a;b", "may contain only letters, digits"},
        {"quoted value", "a b", "award ID \"a b\" is not valid"},
    };
    for (const ProblemCase& c : cases) {
        std::string problem = award_id_problem(c.id);
        if (!contains(problem, c.expect)) {
            print_error("case '%s': \"%s\" lacks \"%s\"\n", c.name, problem.c_str(), c.expect);
            fail();
        }
        assert_true(printable_ascii(problem));
        // One sentence.
        assert_int_equal(problem.back(), '.');
    }
    assert_string_equal(award_id_problem("BOT-2025-0117").c_str(), "");
}

void test_problem_escapes_control_bytes(void** /*state*/) {
    std::string p = award_id_problem("A\nB");
    assert_true(contains(p, "\"A\\x0aB\""));
    assert_false(contains(p, "\n"));

    p = award_id_problem("A\x1b[2JB");
    assert_true(contains(p, "A\\x1b[2JB"));
    assert_true(printable_ascii(p));

    p = award_id_problem("caf\xc3\xa9");
    assert_true(contains(p, "caf\\xc3\\xa9"));

    // A quote or backslash cannot close the quoted value early.
    p = award_id_problem("A\"B\\C");
    assert_true(contains(p, "\"A\\x22B\\x5cC\""));

    p = award_id_problem(std::string("A\0B", 3));
    assert_true(contains(p, "A\\x00B"));
    assert_true(printable_ascii(p));
}

void test_problem_cuts_long_values(void** /*state*/) {
    const std::string huge(10000, 'x');
    std::string p = award_id_problem(huge);
    assert_true(contains(p, "longer than 64 characters"));
    assert_true(contains(p, "..."));
    assert_true(p.size() < 200);
}

void test_quote_untrusted(void** /*state*/) {
    assert_string_equal(quote_untrusted("").c_str(), "\"\"");
    assert_string_equal(quote_untrusted("abc").c_str(), "\"abc\"");
    assert_string_equal(quote_untrusted("a\tb\r\n").c_str(), "\"a\\x09b\\x0d\\x0a\"");
    assert_string_equal(quote_untrusted("\x7f\x80").c_str(), "\"\\x7f\\x80\"");
    // max_chars counts input characters; the rest is elided.
    assert_string_equal(quote_untrusted("abcdef", 3).c_str(), "\"abc...\"");
    assert_string_equal(quote_untrusted("abc", 3).c_str(), "\"abc\"");
    assert_string_equal(quote_untrusted("\n\n\n\n", 2).c_str(), "\"\\x0a\\x0a...\"");
    assert_int_equal(quote_untrusted(std::string(500, 'y')).size(), 1 + 80 + 3 + 1);
}

// loggable: plain values stay as they are; anything that could end a log
// line, forge one, or hide in a terminal is quoted and escaped.
void test_loggable(void** /*state*/) {
    assert_string_equal(loggable("trn1").c_str(), "trn1");
    assert_string_equal(loggable("0-3,8-9").c_str(), "0-3,8-9");
    assert_string_equal(loggable("").c_str(), "\"\"");
    assert_string_equal(loggable("0-3\n[2025-01-01T00:00:00] forged").c_str(),
                        "\"0-3\\x0a[2025-01-01T00:00:00] forged\"");
    assert_string_equal(loggable("a b").c_str(), "\"a b\"");
    assert_string_equal(loggable("say \"x\"").c_str(), "\"say \\x22x\\x22\"");
    assert_string_equal(loggable("\x1b[2J").c_str(), "\"\\x1b[2J\"");
    assert_string_equal(loggable("caf\xc3\xa9").c_str(), "\"caf\\xc3\\xa9\"");
    assert_string_equal(loggable("abcdef", 3).c_str(), "\"abc...\"");
    for (const char* hostile : {"a\rb", "a\nb", "\t", "x\x7f"}) {
        const std::string out = loggable(hostile);
        assert_true(printable_ascii(out));
        assert_true(out.front() == '"');
    }
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_valid_award_id_table),  cmocka_unit_test(test_every_single_byte),
        cmocka_unit_test(test_problem_explains_why),     cmocka_unit_test(test_problem_escapes_control_bytes),
        cmocka_unit_test(test_problem_cuts_long_values), cmocka_unit_test(test_quote_untrusted),
        cmocka_unit_test(test_loggable),
    };
    return cmocka_run_group_tests_name("award_id", tests, nullptr, nullptr);
}
