#include "yaml_tree.h"

#include <yaml.h>

#include <algorithm>

namespace grants {

const char* YamlNode::kind_name() const {
    switch (kind) {
        case Kind::Scalar: return "a scalar value";
        case Kind::Sequence: return "a list";
        case Kind::Mapping: return "a mapping";
    }
    return "a value";
}

namespace {

// Owns one libyaml parser; the event wrapper deletes every event on every path.
class Parser {
public:
    Parser(std::string_view text) {
        ok_ = yaml_parser_initialize(&parser_) != 0;
        if (ok_) {
            yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                         text.size());
        }
    }
    ~Parser() {
        if (ok_) yaml_parser_delete(&parser_);
    }
    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;

    bool ok() const { return ok_; }
    yaml_parser_t* get() { return &parser_; }

private:
    yaml_parser_t parser_{};
    bool ok_ = false;
};

class Event {
public:
    Event() = default;
    ~Event() { reset(); }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    bool next(Parser& p) {
        reset();
        live_ = yaml_parser_parse(p.get(), &event_) != 0;
        return live_;
    }
    const yaml_event_t& operator*() const { return event_; }
    const yaml_event_t* operator->() const { return &event_; }

private:
    void reset() {
        if (live_) yaml_event_delete(&event_);
        live_ = false;
    }
    yaml_event_t event_{};
    bool live_ = false;
};

Mark mark_of(const yaml_mark_t& m) { return Mark{m.line + 1, m.column + 1}; }

// Builds the tree in post-order: a node waits on `pending` until its parent
// closes, then the parent's children move together into `out.nodes`, so each
// run of children is contiguous. Children are recorded as offsets while the
// vector may still grow, and turned into pointers once it is complete.
class TreeBuilder {
public:
    TreeBuilder(const std::string& file, const YamlLimits& limits) : file_(file), limits_(limits) {}

    YamlParse run(std::string_view text) {
        YamlParse out;
        if (text.size() > limits_.max_bytes) {
            fail(out, Mark{}, "the file is " + std::to_string(text.size()) + " bytes; at most " +
                                  std::to_string(limits_.max_bytes) + " are accepted");
            return out;
        }
        Parser parser(text);
        if (!parser.ok()) {
            fail(out, Mark{}, "cannot initialise the YAML parser (out of memory)");
            return out;
        }
        // About one node per 10 bytes in real policies; untouched capacity costs no memory.
        out.nodes.reserve(std::min(limits_.max_nodes, text.size() / 4 + 16));
        Event ev;
        std::vector<YamlNode> pending;   // nodes whose parent is still open, in file order
        std::vector<std::size_t> open;   // index in pending of each open collection
        int documents = 0;
        for (;;) {
            if (!ev.next(parser)) {
                yaml_parser_t* p = parser.get();
                std::string problem = p->problem ? p->problem : "malformed YAML";
                if (p->context) problem = std::string(p->context) + ": " + problem;
                fail(out, mark_of(p->problem_mark), "YAML syntax error: " + problem);
                return out;
            }
            const yaml_event_t& e = *ev;
            Mark mark = mark_of(e.start_mark);
            switch (e.type) {
                case YAML_STREAM_START_EVENT:
                case YAML_DOCUMENT_END_EVENT:
                    break;
                case YAML_STREAM_END_EVENT:
                    if (!pending.empty()) {
                        out.nodes.push_back(std::move(pending.back()));
                        pending.clear();
                        link(out);
                        out.root = &out.nodes.back();
                    }
                    return out;
                case YAML_DOCUMENT_START_EVENT:
                    if (++documents > 1) {
                        fail(out, mark, "only one YAML document is allowed; remove the second '---'");
                        return out;
                    }
                    break;
                case YAML_ALIAS_EVENT:
                    fail(out, mark, "YAML aliases (*name) are not allowed in a policy file; write the value out");
                    return out;
                case YAML_SCALAR_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT: {
                    if (++nodes_ > limits_.max_nodes) {
                        fail(out, mark, "the file has more than " + std::to_string(limits_.max_nodes) +
                                            " YAML nodes; refusing it");
                        return out;
                    }
                    YamlNode node;
                    node.mark = mark;
                    if (e.type == YAML_SCALAR_EVENT) {
                        node.kind = YamlNode::Kind::Scalar;
                        node.value.assign(reinterpret_cast<const char*>(e.data.scalar.value),
                                          e.data.scalar.length);
                        node.quoted = e.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                                      e.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
                                      e.data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                                      e.data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
                    } else {
                        node.kind = e.type == YAML_SEQUENCE_START_EVENT ? YamlNode::Kind::Sequence
                                                                         : YamlNode::Kind::Mapping;
                        if (open.size() + 1 > limits_.max_depth) {
                            fail(out, mark, "nesting is deeper than " + std::to_string(limits_.max_depth) +
                                                " levels; refusing it");
                            return out;
                        }
                        open.push_back(pending.size());
                    }
                    pending.push_back(std::move(node));
                    break;
                }
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT: {
                    // The children of the collection that ends are the nodes after it on `pending`.
                    const std::size_t at = open.back();
                    open.pop_back();
                    const std::size_t first = out.nodes.size();
                    const std::size_t count = pending.size() - at - 1;
                    for (std::size_t i = at + 1; i < pending.size(); ++i) out.nodes.push_back(std::move(pending[i]));
                    pending.resize(at + 1);
                    // An offset until link(); the collection itself moves with its parent's children.
                    pending[at].child_count = static_cast<std::uint32_t>(count);  // <= max_nodes
                    pending[at].child_offset = first;
                    break;
                }
                case YAML_NO_EVENT:
                    break;
            }
        }
    }

private:
    // Turns every collection's (count, offset) into pointers, once out.nodes no longer grows.
    void link(YamlParse& out) {
        YamlNode* base = out.nodes.data();
        for (YamlNode& n : out.nodes) {
            if (n.kind == YamlNode::Kind::Scalar) continue;
            const std::size_t offset = n.child_offset;
            n.first_child = base + offset;
        }
    }

    void fail(YamlParse& out, Mark mark, std::string message) {
        out.root = nullptr;
        out.nodes.clear();
        out.errors.push_back(Diagnostic{file_, mark, std::move(message)});
    }

    const std::string& file_;
    const YamlLimits& limits_;
    std::size_t nodes_ = 0;
};

}  // namespace

YamlParse parse_yaml(std::string_view text, const std::string& file, const YamlLimits& limits) {
    return TreeBuilder(file, limits).run(text);
}

}  // namespace grants
