// A string as a JSON string literal: quotes, backslashes and control
// characters escaped; other bytes (UTF-8 names) as they are. grantctl's
// --json output and the files core writes as JSON (ood_balance.h).
#pragma once

#include <cstdio>
#include <string>

namespace grants {

inline std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", byte);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

}  // namespace grants
