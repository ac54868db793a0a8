// A small, bounded YAML document tree built from libyaml events.
//
// The policy loader walks trees rather than libyaml events so that every
// node keeps its line and column, duplicate keys can be reported, and hostile
// input is bounded in one place: aliases are refused (no alias bombs), and
// size, depth and node count are capped. YamlStream hands out one subtree at
// a time; parse_yaml builds the whole document.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/diagnostic.h"

namespace grants {

struct YamlLimits {
    std::size_t max_bytes = 16u << 20;  // 16 MiB
    std::size_t max_depth = 64;
    std::size_t max_nodes = 2'000'000;
};

struct YamlNode;

// A node's children: a contiguous run of nodes owned by the YamlParse.
class YamlItems {
public:
    YamlItems() = default;
    YamlItems(const YamlNode* first, std::size_t count) : first_(first), count_(count) {}
    const YamlNode* begin() const { return first_; }
    const YamlNode* end() const;
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }

private:
    const YamlNode* first_ = nullptr;
    std::size_t count_ = 0;
};

// A mapping's entries: key, value, key, value, ... in file order; iterating
// gives (key, value) pairs of references: `for (const auto& [key, value] : node.entries)`.
class YamlEntries {
public:
    class iterator {
    public:
        explicit iterator(const YamlNode* at) : at_(at) {}
        std::pair<const YamlNode&, const YamlNode&> operator*() const;
        iterator& operator++();
        bool operator!=(const iterator& other) const { return at_ != other.at_; }
        bool operator==(const iterator& other) const { return at_ == other.at_; }

    private:
        const YamlNode* at_;
    };
    YamlEntries() = default;
    YamlEntries(const YamlNode* first, std::size_t pairs) : first_(first), pairs_(pairs) {}
    iterator begin() const { return iterator(first_); }
    iterator end() const;
    std::size_t size() const { return pairs_; }
    bool empty() const { return pairs_ == 0; }

private:
    const YamlNode* first_ = nullptr;
    std::size_t pairs_ = 0;
};

// One node. All nodes of a document live in one vector (YamlParse::nodes)
// and every collection's children are a contiguous run of it: no per-node
// containers, one allocation for the whole tree (docs/PERFORMANCE.md item 2).
struct YamlNode {
    enum class Kind : unsigned char { Scalar, Sequence, Mapping };

    Kind kind = Kind::Scalar;
    bool quoted = false; // scalar written in quotes (never a number/bool/null)
    std::uint32_t child_count = 0;  // set by the parser: children (sequences) or keys + values (mappings)
    Mark mark;
    std::string value;   // scalars only
    union {
        const YamlNode* first_child = nullptr;  // set by the parser
        std::size_t child_offset;               // used by the parser until the tree is complete
    };

    YamlItems items() const;      // sequences (empty for anything else)
    YamlEntries entries() const;  // mappings, in file order (empty for anything else)

    bool is_scalar() const { return kind == Kind::Scalar; }
    bool is_sequence() const { return kind == Kind::Sequence; }
    bool is_mapping() const { return kind == Kind::Mapping; }
    // "a mapping", "a list", "a string": for "expected X, found Y" messages.
    const char* kind_name() const;
};

// Defined here: they need YamlNode complete.
inline YamlItems YamlNode::items() const {
    return kind == Kind::Sequence ? YamlItems(first_child, child_count) : YamlItems();
}
inline YamlEntries YamlNode::entries() const {
    return kind == Kind::Mapping ? YamlEntries(first_child, child_count / 2) : YamlEntries();
}
inline const YamlNode* YamlItems::end() const { return first_ + count_; }
inline std::pair<const YamlNode&, const YamlNode&> YamlEntries::iterator::operator*() const {
    return {at_[0], at_[1]};
}
inline YamlEntries::iterator& YamlEntries::iterator::operator++() {
    at_ += 2;
    return *this;
}
inline YamlEntries::iterator YamlEntries::end() const { return iterator(first_ + 2 * pairs_); }

struct YamlParse {
    std::vector<YamlNode> nodes;     // the tree; root and children point into it
    const YamlNode* root = nullptr;  // null when errors is not empty or the file is empty
    Diagnostics errors;

    YamlParse() = default;
    YamlParse(YamlParse&&) = default;  // a moved vector keeps its buffer: the pointers stay valid
    YamlParse& operator=(YamlParse&&) = default;
    YamlParse(const YamlParse&) = delete;
    YamlParse& operator=(const YamlParse&) = delete;
};

// Parse one YAML document. file names the source in diagnostics.
YamlParse parse_yaml(std::string_view text, const std::string& file, const YamlLimits& limits = {});

// Pulls one YAML document from libyaml node by node, under the same limits
// and with the same messages as parse_yaml. The caller reads a node whole
// (read_tree) or steps into a collection (enter), takes its children one at
// a time, and steps out (leave): the policy loader holds one award's tree at
// a time instead of the whole document's (docs/PERFORMANCE.md item 2).
// After the first problem the stream stays failed, every step is a no-op,
// and errors() holds that one problem.
class YamlStream {
public:
    enum class Next { Node, End, Failed };  // End: the current collection, or the document, ends

    YamlStream(std::string_view text, const std::string& file, const YamlLimits& limits = {});
    ~YamlStream();
    YamlStream(const YamlStream&) = delete;
    YamlStream& operator=(const YamlStream&) = delete;

    Next peek();                   // what comes next, without consuming it
    YamlNode::Kind kind() const;   // of the next node (peek() == Node)
    Mark mark() const;             // of the next node (peek() == Node)
    bool next_is_mapping() { return peek() == Next::Node && kind() == YamlNode::Kind::Mapping; }

    // Reads the next node and everything in it into into (reusing its
    // buffer); the node stays valid until into is read into again.
    const YamlNode& read_tree(YamlParse& into);
    void skip_node();  // the next node and everything in it, unbuilt
    void enter();  // consumes the start of the next collection
    void leave();  // consumes the end of the current collection
    // Reads to the end of the stream (a second document or trailing garbage
    // is an error); true when the whole stream was well formed.
    bool finish();

    bool failed() const;
    Diagnostics& errors();

private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace grants
