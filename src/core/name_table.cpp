#include "name_table.h"

#include <cstring>
#include <functional>

namespace grants {

void NameTable::build(const std::vector<std::string_view>& names) {
    std::size_t capacity = 16;
    while (capacity < names.size() * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    names_.clear();
    names_.reserve(names.size());
    const std::size_t mask = capacity - 1;
    for (std::string_view name : names) {
        if (find(name) != kNone) {
            names_.emplace_back(name);  // keeps numbering aligned with names
            continue;
        }
        const std::uint64_t h = std::hash<std::string_view>{}(name);
        std::size_t i = static_cast<std::size_t>(h) & mask;
        while (slots_[i].number != kNone) i = (i + 1) & mask;
        Slot& s = slots_[i];
        s.hash = h;
        s.number = static_cast<std::uint32_t>(names_.size());
        s.size = static_cast<std::uint32_t>(name.size());
        if (name.size() <= kInline) std::memcpy(s.text, name.data(), name.size());
        names_.emplace_back(name);
    }
}

std::uint32_t NameTable::find(std::string_view name) const {
    if (slots_.empty()) return kNone;
    const std::uint64_t h = std::hash<std::string_view>{}(name);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.number == kNone) return kNone;
        if (s.hash != h || s.size != name.size()) continue;
        if (name.size() <= kInline ? std::memcmp(s.text, name.data(), name.size()) == 0 : names_[s.number] == name) {
            return s.number;
        }
    }
}

}  // namespace grants
