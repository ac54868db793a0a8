// Text inside SVG and HTML (the burn-down chart, the award's page): every
// character that could end an element, an attribute or an entity is
// replaced, so an award id, a user name or an adjustment's reason is shown
// as text and never read as markup.
#pragma once

#include <string>
#include <string_view>

namespace grants {

inline std::string markup_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default:
                // Control characters are not allowed in XML 1.0 (nor wanted in a page).
                if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n') out += c;
        }
    }
    return out;
}

}  // namespace grants
