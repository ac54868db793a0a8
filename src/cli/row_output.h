// Slurm's output conventions for grantctl's commands that print rows
// (sacct, sreport, sshare): --parsable2 ("|" between fields, none after the
// last), -n/--noheader, and -o/--format FIELD,FIELD,... (any case). grantctl's
// --format also keeps its own values table, csv and json: a --format that is
// exactly one of them chooses the output, anything else is a field list.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/json.h"
#include "cli/options.h"
#include "cli/table.h"
#include "core/render/field_list.h"

namespace grants::cli {

// The options every row-printing command adds to its own.
inline void add_row_options(std::vector<OptionSpec>& specs) {
    specs.push_back({"parsable2", 0, false});
    specs.push_back({"noheader", 'n', false});
}

struct RowOutput {
    std::string format = "table";  // table, csv or json
    RowStyle style;
};

// From --format/-o, --json, --parsable2, --noheader; fields: the command's
// field names. nullopt: go on; else the exit status (a usage error printed).
inline std::optional<int> parse_row_output(const ParsedArgs& a, const std::string& command,
                                           const std::vector<std::string>& fields, RowOutput* out) {
    const std::string* f = a.value("format");
    std::optional<std::string> list;
    out->format = "table";
    if (f && (*f == "table" || *f == "csv" || *f == "json")) {
        out->format = *f;
    } else if (f) {
        list = *f;
    }
    if (a.has("json")) {
        if (f && !list && *f != "json") return usage_error(command, "--json and --format " + *f + " disagree.");
        out->format = "json";
    }
    if (a.has("parsable2")) {
        if (out->format != "table") {
            return usage_error(command, "--parsable2 prints rows with '|': it does not go with " + out->format + ".");
        }
        out->style.kind = RowStyle::Kind::Parsable2;
    } else if (out->format == "csv") {
        out->style.kind = RowStyle::Kind::Csv;
    }
    out->style.header = !a.has("noheader");
    if (list) {
        if (out->format == "json") return usage_error(command, "--json prints every field: it takes no field list.");
        std::string error;
        auto picked = select_fields(*list, fields, &error);
        if (!picked) return usage_error(command, "--format: " + error);
        out->style.fields = *picked;
    }
    return std::nullopt;
}

// Prints rows (each with every field, in fields' order) as style says.
// right: which fields are right-aligned in a table.
inline void print_rows(std::ostream& out, const std::vector<std::string>& fields, const std::vector<bool>& right,
                       const std::vector<std::vector<std::string>>& rows, const RowStyle& style,
                       const std::vector<std::size_t>& default_fields = {}) {
    std::vector<std::size_t> pick = style.fields;
    if (pick.empty()) pick = default_fields;
    if (pick.empty()) {
        for (std::size_t i = 0; i < fields.size(); ++i) pick.push_back(i);
    }
    auto select = [&](const std::vector<std::string>& row) {
        std::vector<std::string> r;
        for (std::size_t i : pick) r.push_back(i < row.size() ? row[i] : "");
        return r;
    };
    std::vector<std::string> head;
    std::vector<bool> align;
    for (std::size_t i : pick) {
        std::string h = fields[i];
        if (style.kind == RowStyle::Kind::Table) {
            for (char& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        head.push_back(h);
        align.push_back(i < right.size() && right[i]);
    }
    if (style.kind == RowStyle::Kind::Table) {
        Table t(head, align);
        for (const auto& row : rows) t.add(select(row));
        if (style.header) {
            t.print(out);
        } else {
            for (const auto& row : rows) t.measure(select(row));
            t.measure(head);
            for (const auto& row : rows) t.print_line(out, select(row));
        }
        return;
    }
    const char* sep = style.kind == RowStyle::Kind::Csv ? "," : "|";
    auto line = [&](const std::vector<std::string>& r) {
        for (std::size_t i = 0; i < r.size(); ++i) {
            out << (i ? sep : "") << (style.kind == RowStyle::Kind::Csv ? csv_field(r[i]) : r[i]);
        }
        out << "\n";
    };
    if (style.header) line(head);
    for (const auto& row : rows) line(select(row));
}

}  // namespace grants::cli
