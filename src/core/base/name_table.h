// Names interned to numbers for the submit path: an open-addressing hash
// table whose slots hold the name itself when it is short (award IDs, user,
// group and account names usually are), so a lookup costs one or two cache
// lines instead of a std::unordered_map's bucket, node and key
// (docs/PERFORMANCE.md, item 1, third round).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace grants {

class NameTable {
public:
    static constexpr std::uint32_t kNone = 0xffffffffu;

    // Numbers in order of first appearance: with distinct names, number i is names[i].
    void build(const std::vector<std::string_view>& names);

    // Sizes the table for count names (it also grows as needed).
    void reserve(std::size_t count);
    // The number of name, added as the next number when new.
    std::uint32_t insert(std::string_view name);

    // The number of name, or kNone.
    std::uint32_t find(std::string_view name) const;

    std::size_t size() const { return names_.size(); }
    const std::string& name(std::uint32_t number) const { return names_[number]; }

private:
    static constexpr std::size_t kInline = 16;
    void rehash(std::size_t capacity);
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t number = kNone;  // kNone: empty slot
        std::uint32_t size = 0;
        char text[kInline] = {};  // the name when it fits
    };
    std::vector<Slot> slots_;  // a power of two, at most half full
    std::vector<std::string> names_;
};

}  // namespace grants
