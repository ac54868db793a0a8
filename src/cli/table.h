// Aligned text tables for grantctl's human output (like squeue/sacct).
#pragma once

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace grants::cli {

class Table {
public:
    // right: numbers are right-aligned.
    explicit Table(std::vector<std::string> headers, std::vector<bool> right = {})
        : headers_(std::move(headers)), right_(std::move(right)) {
        right_.resize(headers_.size(), false);
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
};

}  // namespace grants::cli
