// Slurm's -o/--format field lists for grantctl's row-printing commands, as
// sacct and sreport take them: comma-separated field names, any case, in the
// order wanted ("JobID,User,Cost"). A name that is not one of the command's
// fields is an error naming it and the fields there are.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace grants {

// Indexes into names of the fields asked for (repeats kept); nullopt with
// *error for an empty list, an empty name or an unknown one.
std::optional<std::vector<std::size_t>> select_fields(const std::string& list, const std::vector<std::string>& names,
                                                      std::string* error);

// How rows are printed: aligned columns (default), CSV, or Slurm's
// --parsable2 ("|" between fields, none at the end); with or without the
// header line (--noheader).
struct RowStyle {
    enum class Kind { Table, Csv, Parsable2 };
    Kind kind = Kind::Table;
    bool header = true;
    std::vector<std::size_t> fields;  // empty: every field
};

}  // namespace grants
