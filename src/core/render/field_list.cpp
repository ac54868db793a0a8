#include "core/render/field_list.h"

#include <cctype>

namespace grants {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

}  // namespace

std::optional<std::vector<std::size_t>> select_fields(const std::string& list, const std::vector<std::string>& names,
                                                      std::string* error) {
    std::vector<std::size_t> out;
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ",") + lower(n);
    std::size_t at = 0;
    while (true) {
        const std::size_t comma = list.find(',', at);
        const std::string name = trim(list.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        if (name.empty()) {
            if (error) *error = "the field list '" + list + "' has an empty field name (fields: " + known + ").";
            return std::nullopt;
        }
        std::optional<std::size_t> found;
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (lower(names[i]) == lower(name)) found = i;
        }
        if (!found) {
            if (error) *error = "there is no field '" + name + "' (fields: " + known + ").";
            return std::nullopt;
        }
        out.push_back(*found);
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return out;
}

}  // namespace grants
