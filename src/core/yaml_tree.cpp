#include "yaml_tree.h"

#include <yaml.h>

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
        Event ev;
        std::vector<YamlNode*> stack;  // open collections
        std::vector<bool> key_pending; // for mappings: next node is a key
        int documents = 0;
        std::unique_ptr<YamlNode> root;
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
                    out.root = std::move(root);
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
                        if (stack.size() + 1 > limits_.max_depth) {
                            fail(out, mark, "nesting is deeper than " + std::to_string(limits_.max_depth) +
                                                " levels; refusing it");
                            return out;
                        }
                    }
                    YamlNode* placed = place(std::move(node), stack, key_pending, root);
                    if (placed->kind != YamlNode::Kind::Scalar) {
                        stack.push_back(placed);
                        key_pending.push_back(true);
                    }
                    break;
                }
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                    stack.pop_back();
                    key_pending.pop_back();
                    break;
                case YAML_NO_EVENT:
                    break;
            }
        }
    }

private:
    // Attach node under the innermost open collection; returns its final address.
    static YamlNode* place(YamlNode&& node, std::vector<YamlNode*>& stack, std::vector<bool>& key_pending,
                           std::unique_ptr<YamlNode>& root) {
        if (stack.empty()) {
            root = std::make_unique<YamlNode>(std::move(node));
            return root.get();
        }
        YamlNode* parent = stack.back();
        if (parent->is_sequence()) {
            parent->items.push_back(std::move(node));
            return &parent->items.back();
        }
        if (key_pending.back()) {
            parent->entries.emplace_back(std::move(node), YamlNode{});
            key_pending.back() = false;
            return &parent->entries.back().first;
        }
        parent->entries.back().second = std::move(node);
        key_pending.back() = true;
        return &parent->entries.back().second;
    }

    void fail(YamlParse& out, Mark mark, std::string message) {
        out.root.reset();
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
