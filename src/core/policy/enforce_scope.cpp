#include "core/policy/enforce_scope.h"

#include "core/policy/yaml_tree.h"

namespace grants {

EnforceScope scope_of(const Policy& policy) { return EnforceScope{policy.enforced_partitions, policy.on_error}; }

std::optional<EnforceScope> read_enforce_section(std::string_view text) {
    YamlParse parsed = parse_yaml(text, "policy");
    if (!parsed.root || !parsed.root->is_mapping()) return std::nullopt;
    const YamlNode* enforce = nullptr;
    for (const auto& [key, value] : parsed.root->entries()) {
        if (key.is_scalar() && key.value == "enforce") {
            if (enforce) return std::nullopt;  // duplicate: ambiguous
            enforce = &value;
        }
    }
    if (!enforce || !enforce->is_mapping()) return std::nullopt;
    EnforceScope scope;
    bool have_partitions = false, have_on_error = false, have_exempt = false;
    for (const auto& [key, value] : enforce->entries()) {
        if (!key.is_scalar()) return std::nullopt;
        if (key.value == "partitions") {
            if (have_partitions || !value.is_sequence()) return std::nullopt;  // duplicate: ambiguous
            for (const auto& item : value.items()) {
                if (!item.is_scalar() || item.value.empty()) return std::nullopt;
                scope.partitions.insert(item.value);
            }
            have_partitions = true;
        } else if (key.value == "exempt") {
            // Only silences overlap warnings (partition_overlap.h): nothing to keep here.
            if (have_exempt || !value.is_sequence()) return std::nullopt;  // duplicate: ambiguous
            have_exempt = true;
        } else if (key.value == "on_error") {
            if (have_on_error || !value.is_scalar()) return std::nullopt;  // duplicate: ambiguous
            have_on_error = true;
            if (value.value == "open") {
                scope.on_error = OnError::Open;
            } else if (value.value != "closed") {
                return std::nullopt;
            }
        } else {
            return std::nullopt;
        }
    }
    if (!have_partitions) return std::nullopt;
    return scope;
}

std::string serialize_scope(const EnforceScope& scope) {
    std::string out = "partitions=";
    bool first = true;
    for (const auto& p : scope.partitions) {
        out += (first ? "" : ",") + p;
        first = false;
    }
    out += "\non_error=";
    out += scope.on_error == OnError::Open ? "open" : "closed";
    out += "\n";
    return out;
}

std::optional<EnforceScope> parse_scope(std::string_view text) {
    EnforceScope scope;
    bool have_partitions = false, have_on_error = false;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty()) continue;
        auto eq = line.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        auto key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "partitions") {
            while (!value.empty()) {
                auto comma = value.find(',');
                auto name = value.substr(0, comma);
                if (name.empty()) return std::nullopt;
                scope.partitions.emplace(name);
                value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
            }
            have_partitions = true;
        } else if (key == "on_error" && (value == "open" || value == "closed")) {
            scope.on_error = value == "open" ? OnError::Open : OnError::Closed;
            have_on_error = true;
        } else {
            return std::nullopt;
        }
    }
    if (!have_partitions || !have_on_error) return std::nullopt;
    return scope;
}

}  // namespace grants
