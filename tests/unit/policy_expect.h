// Shared by the policy loader tests: fixtures, and "these exact diagnostics".
#pragma once

#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cmocka.h"
#include "core/policy/policy_loader.h"

namespace policy_expect {

inline std::string fixture(const char* name) { return std::string(FIXTURES_DIR) + "/" + name; }

inline std::string read_fixture(const char* name) {
    std::ifstream in(fixture(name), std::ios::binary);
    assert_true(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

inline void print_errors(const grants::PolicyLoad& load) {
    for (const grants::Diagnostic& d : load.errors) print_error("  %s\n", d.to_string().c_str());
}

// One expected diagnostic: where, and a part of what it says.
struct Expect {
    std::size_t line;
    std::size_t column;
    const char* message;
};

// True when load failed with exactly the expected diagnostics, in this order;
// otherwise prints both lists.
inline bool errors_match(const char* name, const grants::PolicyLoad& load, const std::string& file,
                         const std::vector<Expect>& expected) {
    bool ok = load.policy == nullptr && load.errors.size() == expected.size();
    for (std::size_t i = 0; ok && i < expected.size(); ++i) {
        const grants::Diagnostic& d = load.errors[i];
        ok = d.file == file && d.mark.line == expected[i].line && d.mark.column == expected[i].column &&
             contains(d.message, expected[i].message);
    }
    if (!ok) {
        print_error("case '%s': policy %s, %zu error(s), want %zu:\n", name, load.policy ? "loaded" : "refused",
                    load.errors.size(), expected.size());
        print_errors(load);
        print_error(" expected:\n");
        for (const Expect& e : expected) print_error("  %zu:%zu: ...%s...\n", e.line, e.column, e.message);
    }
    return ok;
}

}  // namespace policy_expect
