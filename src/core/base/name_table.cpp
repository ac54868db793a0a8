#include "core/base/name_table.h"

#include <cstring>
#include <functional>

namespace grants {

namespace {

std::uint64_t hash_of(std::string_view name) {
    return std::hash<std::string_view>{}(name);
}

}  // namespace

void NameTable::build(const std::vector<std::string_view>& names) {
    slots_.clear();
    names_.clear();
    reserve(names.size());
    for (std::string_view name : names) insert(name);
}

void NameTable::reserve(std::size_t count) {
    // At most half full, so probes stay short and always end at an empty slot.
    std::size_t capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    if (capacity > slots_.size()) rehash(capacity);
    names_.reserve(count);
}

void NameTable::rehash(std::size_t capacity) {
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    const std::size_t mask = capacity - 1;
    for (const Slot& s : old) {
        if (s.number == kNone) continue;
        std::size_t i = static_cast<std::size_t>(s.hash) & mask;
        while (slots_[i].number != kNone) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

std::uint32_t NameTable::insert(std::string_view name) {
    if ((names_.size() + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    const std::uint64_t h = hash_of(name);
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h) & mask;
    for (; slots_[i].number != kNone; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.hash == h && s.size == name.size() &&
            (name.size() <= kInline ? std::memcmp(s.text, name.data(), name.size()) == 0 : names_[s.number] == name)) {
            return s.number;
        }
    }
    Slot& s = slots_[i];
    s.hash = h;
    s.number = static_cast<std::uint32_t>(names_.size());
    s.size = static_cast<std::uint32_t>(name.size());
    if (name.size() <= kInline) std::memcpy(s.text, name.data(), name.size());
    names_.emplace_back(name);
    return s.number;
}

std::uint32_t NameTable::find(std::string_view name) const {
    if (slots_.empty()) return kNone;
    const std::uint64_t h = hash_of(name);
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
