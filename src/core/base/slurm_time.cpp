#include "core/base/slurm_time.h"

#include <cctype>
#include <cstdlib>
#include <string_view>

#include "core/base/date.h"

namespace grants {

namespace {

bool starts_with_word(const std::string& s, std::size_t at, std::string_view word) {
    if (s.size() - at < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(s[at + i])) != word[i]) return false;
    }
    return true;
}

bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// n digits at *at as a number; -1 if not there.
int digits(const std::string& s, std::size_t* at, int n) {
    int v = 0;
    for (int i = 0; i < n; ++i) {
        if (*at >= s.size() || !digit(s[*at])) return -1;
        v = v * 10 + (s[(*at)++] - '0');
    }
    return v;
}

// HH:MM[:SS] [AM|PM] at *at.
bool read_clock(const std::string& s, std::size_t* at, int* h, int* m, int* sec) {
    std::size_t p = *at;
    int hour = digit(s[p]) && p + 1 < s.size() && digit(s[p + 1]) ? digits(s, &p, 2) : digits(s, &p, 1);
    if (hour < 0 || p >= s.size() || s[p] != ':') return false;
    ++p;
    int minute = digits(s, &p, 2);
    if (minute < 0 || minute > 59) return false;
    int second = 0;
    if (p < s.size() && s[p] == ':') {
        ++p;
        second = digits(s, &p, 2);
        if (second < 0 || second > 59) return false;
    }
    std::size_t q = p;
    while (q < s.size() && s[q] == ' ') ++q;
    if (starts_with_word(s, q, "am") || starts_with_word(s, q, "pm")) {
        if (hour < 1 || hour > 12) return false;
        const bool pm = std::tolower(static_cast<unsigned char>(s[q])) == 'p';
        hour = hour % 12 + (pm ? 12 : 0);
        p = q + 2;
    }
    if (hour > 23) return false;
    *h = hour;
    *m = minute;
    *sec = second;
    *at = p;
    return true;
}

bool valid_day(int y, int m, int d) {
    return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
           format_date(day_number(y, static_cast<unsigned>(m), static_cast<unsigned>(d))).substr(5, 2) ==
               (m < 10 ? "0" : "") + std::to_string(m);
}

// What a time names so far: -1 where nothing was said yet.
struct TimeFields {
    int year = -1, month = -1, day = -1, hour = -1, minute = 0, second = 0;
    void set_date(const CivilTime& c) {
        year = c.year;
        month = c.month;
        day = c.day;
    }
};

// today, tomorrow, midnight, noon, elevenses, fika, teatime at *at.
bool read_word(const std::string& s, std::size_t* at, const LocalClock& clock, TimeFields* f) {
    if (starts_with_word(s, *at, "today")) {
        f->set_date(clock.civil_of(clock.now));
        *at += 5;
        return true;
    }
    if (starts_with_word(s, *at, "tomorrow")) {
        f->set_date(clock.civil_of(clock.now + 86400));
        *at += 8;
        return true;
    }
    struct Named {
        const char* word;
        int hour;
    };
    for (Named n : {Named{"midnight", 0}, Named{"noon", 12}, Named{"elevenses", 11}, Named{"fika", 15},
                    Named{"teatime", 16}}) {
        if (starts_with_word(s, *at, n.word)) {
            f->hour = n.hour;
            f->minute = f->second = 0;
            *at += std::string_view(n.word).size();
            return true;
        }
    }
    return false;
}

// now[{+|-}COUNT[seconds|minutes|hours|days|weeks]] at *at (just after "now").
bool read_now(const std::string& s, std::size_t* at, const LocalClock& clock, TimeFields* f, std::string* why) {
    std::size_t p = *at;
    std::int64_t delta = 0;
    while (p < s.size() && s[p] == ' ') ++p;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
        const bool minus = s[p] == '-';
        ++p;
        const std::size_t start = p;
        std::int64_t count = 0;
        while (p < s.size() && digit(s[p])) {
            count = count * 10 + (s[p++] - '0');
            if (count > 100'000'000) return *why = "the count after now is too large", false;
        }
        if (p == start) return *why = "now+ and now- want a count", false;
        std::size_t w = p;
        while (w < s.size() && std::isalpha(static_cast<unsigned char>(s[w]))) ++w;
        std::string unit = s.substr(p, w - p);
        for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::int64_t scale = 0;
        if (unit.empty() || std::string("seconds").rfind(unit, 0) == 0) scale = 1;
        else if (std::string("minutes").rfind(unit, 0) == 0) scale = 60;
        else if (std::string("hours").rfind(unit, 0) == 0) scale = 3600;
        else if (std::string("days").rfind(unit, 0) == 0) scale = 86400;
        else if (std::string("weeks").rfind(unit, 0) == 0) scale = 7 * 86400;
        else return *why = "'" + unit + "' is not seconds, minutes, hours, days or weeks", false;
        delta = (minus ? -count : count) * scale;
        p = w;
    }
    const CivilTime c = clock.civil_of(clock.now + delta);
    f->set_date(c);
    f->hour = c.hour;
    f->minute = c.minute;
    f->second = c.second;
    *at = p;
    return true;
}

// The day read; then, after sep, an optional HH:MM[:SS]. *at moves past both.
bool set_day_then_clock(const std::string& s, std::size_t q, char sep, int y, int m, int d, std::size_t* at,
                        TimeFields* f, std::string* why) {
    f->year = y;
    f->month = m;
    f->day = d;
    if (q < s.size() && s[q] == sep) {
        ++q;
        if (!read_clock(s, &q, &f->hour, &f->minute, &f->second)) {
            return *why = "the time of day is not HH:MM[:SS]", false;
        }
    }
    *at = q;
    return true;
}

// Whether YYYY- starts at p.
bool iso_date_at(const std::string& s, std::size_t p) {
    return p + 4 < s.size() && digit(s[p]) && digit(s[p + 1]) && digit(s[p + 2]) && digit(s[p + 3]) && s[p + 4] == '-';
}

// YYYY-MM-DD[THH:MM[:SS]] at *at.
bool read_iso_date(const std::string& s, std::size_t* at, TimeFields* f, std::string* why) {
    std::size_t q = *at;
    const int y = digits(s, &q, 4);
    ++q;
    const int m = digits(s, &q, 2);
    if (m < 0 || q >= s.size() || s[q] != '-') return *why = "the date is not YYYY-MM-DD", false;
    ++q;
    const int d = digits(s, &q, 2);
    if (d < 0 || !valid_day(y, m, d)) return *why = "there is no such day", false;
    return set_day_then_clock(s, q, 'T', y, m, d, at, f, why);
}

// MMDD[YY], MM/DD[/YY], MM.DD[.YY] [-HH:MM[:SS]] at *at. Without a year,
// sacct's past reading: the latest such day not after today.
bool read_short_date(const std::string& s, std::size_t* at, const CivilTime& now, TimeFields* f, std::string* why) {
    std::size_t q = *at;
    const int m = digits(s, &q, 2);
    int d = -1, y = -1;
    if (m < 0) return *why = "the date is not MM/DD[/YY]", false;
    if (q < s.size() && (s[q] == '/' || s[q] == '.')) {
        const char sep = s[q++];
        d = digits(s, &q, 2);
        if (d < 0) return *why = "the date is not MM/DD[/YY]", false;
        if (q < s.size() && s[q] == sep) {
            ++q;
            y = digits(s, &q, 2);
            if (y < 0) return *why = "the year is not YY", false;
        }
    } else {
        d = digits(s, &q, 2);
        if (d < 0) return *why = "the date is not MMDD[YY]", false;
        if (q < s.size() && digit(s[q])) {
            y = digits(s, &q, 2);
            if (y < 0) return *why = "the year is not YY", false;
        }
    }
    const bool year_given = y >= 0;
    y = year_given ? 2000 + y : now.year;
    if (!year_given && (m > now.month || (m == now.month && d > now.day)) && valid_day(y - 1, m, d)) y -= 1;
    if (!valid_day(y, m, d)) return *why = "there is no such day", false;
    return set_day_then_clock(s, q, '-', y, m, d, at, f, why);
}

// One item at *at: a word, now[...], a clock time or a date.
bool read_item(const std::string& s, std::size_t* at, const LocalClock& clock, const CivilTime& now, TimeFields* f,
               std::string* why) {
    std::size_t& p = *at;
    if (read_word(s, at, clock, f)) return true;
    if (starts_with_word(s, p, "now")) {
        p += 3;
        return read_now(s, at, clock, f, why);
    }
    if (!digit(s[p])) return *why = "'" + s.substr(p) + "' is not understood", false;
    if ((p + 1 < s.size() && s[p + 1] == ':') || (p + 2 < s.size() && s[p + 2] == ':')) {
        if (!read_clock(s, at, &f->hour, &f->minute, &f->second)) {
            return *why = "the time of day is not HH:MM[:SS]", false;
        }
        return true;
    }
    if (iso_date_at(s, p)) return read_iso_date(s, at, f, why);
    return read_short_date(s, at, now, f, why);
}

}  // namespace

std::optional<ParsedTime> parse_slurm_time(const std::string& text, const LocalClock& clock, std::string* error) {
    auto fail = [&](const std::string& why) -> std::optional<ParsedTime> {
        if (error) {
            *error = "'" + text + "' is not a time Slurm takes (" + why +
                     "; e.g. 2026-06-01, 2026-06-01T08:30, 06/01, now-7days, today, midnight).";
        }
        return std::nullopt;
    };
    const CivilTime now = clock.civil_of(clock.now);
    TimeFields f;
    if (text.empty()) return fail("it is empty");
    std::string why;
    for (std::size_t p = 0; p < text.size();) {
        if (text[p] == ' ') {
            ++p;
        } else if (!read_item(text, &p, clock, now, &f, &why)) {
            return fail(why);
        }
    }
    ParsedTime out;
    if (f.year < 0) {
        if (f.hour < 0) return fail("it names neither a day nor a time");
        f.set_date(now);  // a time without a date: today's
    }
    if (f.hour < 0) {
        out.date_only = true;
        f.hour = f.minute = f.second = 0;
    }
    CivilTime c;
    c.year = f.year;
    c.month = f.month;
    c.day = f.day;
    c.hour = f.hour;
    c.minute = f.minute;
    c.second = f.second;
    out.at = clock.epoch_of(c);
    return out;
}

}  // namespace grants
