#include "core/base/decimal.h"

namespace grants {

std::optional<Micros> parse_decimal(std::string_view s) {
    if (s.empty()) return std::nullopt;
    Micros whole = 0;
    std::size_t i = 0;
    std::size_t int_digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++int_digits) {
        if (int_digits >= 13) return std::nullopt;
        whole = whole * 10 + (s[i] - '0');
    }
    Micros frac = 0;
    std::size_t frac_digits = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++frac_digits) {
            if (frac_digits >= 6) return std::nullopt;
            frac = frac * 10 + (s[i] - '0');
        }
        if (frac_digits == 0) return std::nullopt;
    }
    if (i != s.size() || int_digits == 0) return std::nullopt;
    for (std::size_t k = frac_digits; k < 6; ++k) frac *= 10;
    if (whole > kMaxAmountMicros / kMicrosPerUnit) return std::nullopt;  // 13 digits can overflow below
    Micros value = whole * kMicrosPerUnit + frac;
    if (value > kMaxAmountMicros) return std::nullopt;
    return value;
}

std::string format_decimal(Micros value) {
    std::string out;
    if (value < 0) {
        out = "-";
        value = -value;
    }
    out += std::to_string(value / kMicrosPerUnit);
    Micros frac = value % kMicrosPerUnit;
    if (frac != 0) {
        std::string f = std::to_string(frac);
        f.insert(0, 6 - f.size(), '0');
        while (!f.empty() && f.back() == '0') f.pop_back();
        out += "." + f;
    }
    return out;
}

Micros micros_of_ticks(Ticks value) {
    const WideInt half = kTicksPerMicro / 2;
    const WideInt v = value;
    return static_cast<Micros>(v >= 0 ? (v + half) / kTicksPerMicro : -((-v + half) / kTicksPerMicro));
}

std::string format_ticks(Ticks value) { return format_decimal(micros_of_ticks(value)); }

std::optional<Micros> parse_signed_decimal(std::string_view text) {
    if (text.empty()) return std::nullopt;
    const bool negative = text[0] == '-';
    if (text[0] == '-' || text[0] == '+') text.remove_prefix(1);
    const std::optional<Micros> v = parse_decimal(text);
    if (!v) return std::nullopt;
    return negative ? -*v : *v;
}

}  // namespace grants
