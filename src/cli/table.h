// Aligned text tables for grantctl's human output (like squeue/sacct).
#pragma once

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace grants::cli {

// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
inline std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

class Table {
public:
    // right: numbers are right-aligned.
    explicit Table(std::vector<std::string> headers, std::vector<bool> right = {})
        : headers_(std::move(headers)), right_(std::move(right)) {
        right_.resize(headers_.size(), false);
        for (const auto& h : headers_) width_.push_back(h.size());
    }
    void add(std::vector<std::string> row) {
        row.resize(headers_.size());
        rows_.push_back(std::move(row));
    }
    bool empty() const { return rows_.empty(); }
    void print(std::ostream& out) const {
        std::vector<std::size_t> width(headers_.size());
        for (std::size_t i = 0; i < headers_.size(); ++i) width[i] = headers_[i].size();
        for (const auto& r : rows_) {
            for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
        }
        print_row(out, headers_, width);
        for (const auto& r : rows_) print_row(out, r, width);
    }

    // Instead of add() and print() when there are too many rows to keep: hand
    // every row to measure(), then print_header() and every row again, in the
    // same order, to print_line(). The output is the same as print()'s.
    void measure(const std::vector<std::string>& row) {
        for (std::size_t i = 0; i < row.size() && i < width_.size(); ++i) width_[i] = std::max(width_[i], row[i].size());
        ++measured_;
    }
    std::size_t measured() const { return measured_; }
    void print_header(std::ostream& out) const { print_row(out, headers_, width_); }
    void print_line(std::ostream& out, const std::vector<std::string>& row) const {
        if (row.size() == headers_.size()) {
            print_row(out, row, width_);
        } else {
            std::vector<std::string> r = row;
            r.resize(headers_.size());
            print_row(out, r, width_);
        }
    }

private:
    void print_row(std::ostream& out, const std::vector<std::string>& r, const std::vector<std::size_t>& width) const {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            std::string pad(width[i] - r[i].size(), ' ');
            if (i) line += "  ";
            line += right_[i] ? pad + r[i] : (i + 1 == r.size() ? r[i] : r[i] + pad);
        }
        line.erase(line.find_last_not_of(' ') + 1);
        out << line << "\n";
    }
    std::vector<std::string> headers_;
    std::vector<bool> right_;
    std::vector<std::vector<std::string>> rows_;
    std::vector<std::size_t> width_;  // of the headers and the measured rows
    std::size_t measured_ = 0;
};

}  // namespace grants::cli
