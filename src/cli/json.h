// Minimal JSON text helpers for grantctl's --json output.
#pragma once

#include <cstdio>
#include <string>

namespace grants::cli {

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

}  // namespace grants::cli
