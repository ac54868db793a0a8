// libFuzzer target for the duration, date and decimal parsers (policy values
// such as max_walltime, valid.from/until, budgets and rates).
//
// Built and run by tests/fuzz/run-fuzz.sh. A crash, sanitizer report or
// broken invariant is a bug in src/core: keep the input under
// tests/fuzz/corpus/parsers/regress-*.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/base/duration.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_parsers: invariant broken: %s\n", what);
        std::abort();
    }
}

void fuzz_duration(std::string_view text) {
    auto seconds = grants::parse_slurm_duration(text);
    if (!seconds) return;
    check(*seconds >= 0 && *seconds <= grants::kMaxDurationSeconds, "duration out of range");
    // What we print, we read back to the same value.
    std::string shown = grants::format_duration(*seconds);
    auto again = grants::parse_slurm_duration(shown);
    check(again && *again == *seconds, "format_duration does not read back");
}

void fuzz_date(std::string_view text) {
    auto day = grants::parse_date(text);
    if (!day) return;
    // Exactly YYYY-MM-DD: formatting gives the input back.
    check(grants::format_date(*day) == text, "format_date(parse_date(x)) != x");
    check(*day >= 0, "date before 1970 accepted");
}

void fuzz_decimal(std::string_view text) {
    auto v = grants::parse_decimal(text);
    if (!v) return;
    check(*v >= 0 && *v <= grants::kMaxAmountMicros, "decimal out of range");
    auto again = grants::parse_decimal(grants::format_decimal(*v));
    check(again && *again == *v, "format_decimal does not read back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        fuzz_duration(text);
        fuzz_date(text);
        fuzz_decimal(text);
        // Date arithmetic over the whole accepted range round-trips.
        if (size >= 4) {
            std::uint32_t raw = 0;
            for (int i = 0; i < 4; ++i) raw = raw << 8 | data[i];
            grants::DayNumber day = static_cast<grants::DayNumber>(raw % 2932897);  // 1970-01-01 .. 9999-12-31
            auto back = grants::parse_date(grants::format_date(day));
            check(back && *back == day, "parse_date(format_date(d)) != d");
        }
    } catch (...) {
        std::fprintf(stderr, "fuzz_parsers: exception escaped from src/core\n");
        std::abort();
    }
    return 0;
}
