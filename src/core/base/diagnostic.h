// A located error in an input file: what every loader reports.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace grants {

struct Mark {
    std::size_t line = 0;    // 1-based; 0 when unknown
    std::size_t column = 0;  // 1-based
};

struct Diagnostic {
    std::string file;
    Mark mark;
    std::string message;

    // "file:line:column: message", the form compilers and editors understand.
    std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace grants
