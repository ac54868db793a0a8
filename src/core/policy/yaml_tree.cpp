#include "core/policy/yaml_tree.h"

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

bool is_quoted(yaml_scalar_style_t style) {
    return style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
           style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE;
}

// Turns every collection's (count, offset) into pointers, once tree.nodes no longer grows.
void link(YamlParse& tree) {
    YamlNode* base = tree.nodes.data();
    for (YamlNode& n : tree.nodes) {
        if (n.kind == YamlNode::Kind::Scalar) continue;
        const std::size_t offset = n.child_offset;
        n.first_child = base + offset;
    }
}

const YamlNode kNoNode{};  // what read_tree returns once the stream has failed

}  // namespace

// One event of lookahead. Every limit is checked when an event is fetched,
// which is just before it is consumed, so counts and depth are those of the
// document up to that event, as when the whole tree was built at once.
struct YamlStream::State {
    State(std::string_view text, std::string file_name, const YamlLimits& caps)
        : parser(text), file(std::move(file_name)), limits(caps) {}

    Parser parser;
    Event ev;
    bool buffered = false;  // ev holds the next, unconsumed event
    bool failed = false;
    const std::string file;  // copies: a stream may outlive a temporary argument
    const YamlLimits limits;
    Diagnostics errors;
    std::size_t nodes = 0;  // node events so far
    std::size_t depth = 0;  // collections open
    int documents = 0;
    std::vector<YamlNode> pending;  // read_tree: nodes whose parent is still open, in file order
    std::vector<std::size_t> open;  // read_tree: index in pending of each open collection

    void fail(Mark mark, std::string message) {
        failed = true;
        buffered = false;
        errors.push_back(Diagnostic{file, mark, std::move(message)});
    }
    bool fetch();
    void consume() {
        if (ev->type != YAML_STREAM_END_EVENT) buffered = false;  // the end stays: libyaml has nothing after it
    }
};

bool YamlStream::State::fetch() {
    while (!failed && !buffered) {
        if (!ev.next(parser)) {
            yaml_parser_t* p = parser.get();
            std::string problem = p->problem ? p->problem : "malformed YAML";
            if (p->context) problem = std::string(p->context) + ": " + problem;
            fail(mark_of(p->problem_mark), "YAML syntax error: " + problem);
            break;
        }
        const yaml_event_t& e = *ev;
        const Mark mark = mark_of(e.start_mark);
        switch (e.type) {
            case YAML_STREAM_START_EVENT:
            case YAML_DOCUMENT_END_EVENT:
            case YAML_NO_EVENT:
                break;
            case YAML_DOCUMENT_START_EVENT:
                if (++documents > 1) fail(mark, "only one YAML document is allowed; remove the second '---'");
                break;
            case YAML_ALIAS_EVENT:
                fail(mark, "YAML aliases (*name) are not allowed in a policy file; write the value out");
                break;
            case YAML_SCALAR_EVENT:
            case YAML_SEQUENCE_START_EVENT:
            case YAML_MAPPING_START_EVENT:
                if (++nodes > limits.max_nodes) {
                    fail(mark, "the file has more than " + std::to_string(limits.max_nodes) + " YAML nodes; refusing it");
                } else if (e.type != YAML_SCALAR_EVENT && depth + 1 > limits.max_depth) {
                    fail(mark, "nesting is deeper than " + std::to_string(limits.max_depth) + " levels; refusing it");
                } else {
                    buffered = true;
                }
                break;
            case YAML_SEQUENCE_END_EVENT:
            case YAML_MAPPING_END_EVENT:
            case YAML_STREAM_END_EVENT:
                buffered = true;
                break;
        }
    }
    return !failed;
}

YamlStream::YamlStream(std::string_view text, const std::string& file, const YamlLimits& limits)
    : s_(std::make_unique<State>(text, file, limits)) {
    if (text.size() > limits.max_bytes) {
        s_->fail(Mark{}, "the file is " + std::to_string(text.size()) + " bytes; at most " +
                             std::to_string(limits.max_bytes) + " are accepted");
    } else if (!s_->parser.ok()) {
        s_->fail(Mark{}, "cannot initialise the YAML parser (out of memory)");
    }
}

YamlStream::~YamlStream() = default;

YamlStream::Next YamlStream::peek() {
    if (!s_->fetch()) return Next::Failed;
    switch (s_->ev->type) {
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            return Next::Node;
        default:
            return Next::End;
    }
}

YamlNode::Kind YamlStream::kind() const {
    switch (s_->ev->type) {
        case YAML_SEQUENCE_START_EVENT: return YamlNode::Kind::Sequence;
        case YAML_MAPPING_START_EVENT: return YamlNode::Kind::Mapping;
        default: return YamlNode::Kind::Scalar;
    }
}

Mark YamlStream::mark() const { return mark_of(s_->ev->start_mark); }

bool YamlStream::failed() const { return s_->failed; }

Diagnostics& YamlStream::errors() { return s_->errors; }

void YamlStream::enter() {
    if (peek() != Next::Node || kind() == YamlNode::Kind::Scalar) return;
    ++s_->depth;
    s_->consume();
}

void YamlStream::leave() {
    if (peek() != Next::End || s_->depth == 0) return;
    --s_->depth;
    s_->consume();
}

void YamlStream::skip_node() {
    std::size_t level = 0;  // collections open inside the skipped node
    do {
        const Next next = peek();
        if (next == Next::Failed || (next == Next::End && level == 0)) return;
        if (next == Next::End) {
            --level;
            --s_->depth;
        } else if (kind() != YamlNode::Kind::Scalar) {
            ++level;
            ++s_->depth;
        }
        s_->consume();
    } while (level > 0);
}

bool YamlStream::finish() {
    while (peek() == Next::Node) skip_node();  // never for a well-formed document: it has one root
    return !failed();
}

// Builds the tree in post-order: a node waits on `pending` until its parent
// closes, then the parent's children move together into `into.nodes`, so each
// run of children is contiguous. Children are recorded as offsets while the
// vector may still grow, and turned into pointers once it is complete.
const YamlNode& YamlStream::read_tree(YamlParse& into) {
    into.nodes.clear();
    into.root = nullptr;
    State& s = *s_;
    s.pending.clear();
    s.open.clear();
    do {
        const Next next = peek();
        if (next == Next::Failed || (next == Next::End && s.open.empty())) return kNoNode;
        if (next == Next::End) {
            // The children of the collection that ends are the nodes after it on `pending`.
            const std::size_t at = s.open.back();
            s.open.pop_back();
            const std::size_t first = into.nodes.size();
            const std::size_t count = s.pending.size() - at - 1;
            for (std::size_t i = at + 1; i < s.pending.size(); ++i) into.nodes.push_back(std::move(s.pending[i]));
            s.pending.resize(at + 1);
            // An offset until link(); the collection itself moves with its parent's children.
            s.pending[at].child_count = static_cast<std::uint32_t>(count);  // <= max_nodes
            s.pending[at].child_offset = first;
            --s.depth;
        } else {
            const yaml_event_t& e = *s.ev;
            YamlNode node;
            node.mark = mark_of(e.start_mark);
            node.kind = kind();
            if (node.kind == YamlNode::Kind::Scalar) {
                node.value.assign(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
                node.quoted = is_quoted(e.data.scalar.style);
            } else {
                s.open.push_back(s.pending.size());
                ++s.depth;
            }
            s.pending.push_back(std::move(node));
        }
        s.consume();
    } while (!s.open.empty());
    into.nodes.push_back(std::move(s.pending.back()));
    s.pending.clear();
    link(into);
    into.root = &into.nodes.back();
    return *into.root;
}

YamlParse parse_yaml(std::string_view text, const std::string& file, const YamlLimits& limits) {
    YamlParse out;
    YamlStream in(text, file, limits);
    if (in.peek() == YamlStream::Next::Node) {
        // About one node per 10 bytes in real policies; untouched capacity costs no memory.
        out.nodes.reserve(std::min(limits.max_nodes, text.size() / 4 + 16));
        in.read_tree(out);
    }
    if (!in.finish()) {
        out.root = nullptr;
        out.nodes.clear();
        out.errors = std::move(in.errors());
    }
    return out;
}

}  // namespace grants
