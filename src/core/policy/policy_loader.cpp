#include "core/policy/policy_loader.h"

#include "core/policy/instance_catalog.h"

#include "core/policy/membership.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>
#include <type_traits>

#include "core/base/award_id.h"
#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/base/duration.h"
#include "core/policy/wckey_rule.h"

namespace grants {
namespace {

// An admin-chosen name (key, partition, award, user) inside a message:
// 'name' as written when it is plain printable text, else escaped and cut
// by quote_untrusted, so a crafted key cannot put a newline or terminal
// escape into slurmctld.log or grantctl's output.
std::string named(std::string_view name) {
    bool plain = !name.empty() && name.size() <= 80;
    for (char c : name) {
        auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b >= 0x7f || c == '\'') plain = false;
    }
    return plain ? "'" + std::string(name) + "'" : quote_untrusted(name);
}

// The names given in one mapping, each with the line it was first given at:
// an open-addressing table of indexes into a vector, so that 50,000 user
// names cost no allocation each (docs/PERFORMANCE.md item 2).
class SeenNames {
public:
    // The line name was first given at, or 0 after recording it as given at line.
    std::size_t first_line(std::string_view name, std::size_t line) {
        if (2 * (names_.size() + 1) > slots_.size()) grow();
        std::size_t slot = find(name);
        if (slots_[slot] != 0) return names_[slots_[slot] - 1].second;
        names_.emplace_back(std::string(name), line);
        slots_[slot] = static_cast<std::uint32_t>(names_.size());  // <= max_nodes
        return 0;
    }

private:
    // The slot holding name, or the empty slot where it belongs.
    std::size_t find(std::string_view name) const {
        const std::size_t mask = slots_.size() - 1;
        std::size_t slot = std::hash<std::string_view>{}(name) & mask;
        while (slots_[slot] != 0 && names_[slots_[slot] - 1].first != name) slot = (slot + 1) & mask;
        return slot;
    }
    void grow() {
        slots_.assign(std::max<std::size_t>(64, 2 * slots_.size()), 0);
        for (std::size_t i = 0; i < names_.size(); ++i) {
            slots_[find(names_[i].first)] = static_cast<std::uint32_t>(i + 1);
        }
    }

    std::vector<std::pair<std::string, std::size_t>> names_;  // in file order
    std::vector<std::uint32_t> slots_;                        // 1 + index into names_; 0: empty
};

// A non-owning reference to a callable. A schema table lives only for the
// call that reads one mapping, so its handlers need not be copied: a
// std::function allocates for every lambda that captures more than two
// references, about twenty per award (docs/PERFORMANCE.md item 2).
template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
public:
    FunctionRef() = default;
    FunctionRef(std::nullptr_t) {}
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
    FunctionRef(F&& f)  // f must outlive this reference: a lambda written in the same full-expression does
        : callable_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* callable, Args... args) -> R {
              return (*static_cast<std::remove_reference_t<F>*>(callable))(std::forward<Args>(args)...);
          }) {}
    R operator()(Args... args) const { return call_(callable_, std::forward<Args>(args)...); }
    explicit operator bool() const { return call_ != nullptr; }

private:
    void* callable_ = nullptr;
    R (*call_)(void*, Args...) = nullptr;
};

// One key of a mapping's schema. handle reads the value as a tree; stream,
// when set, reads it from the YamlStream instead (the awards and users of a
// streamed root: one entry's tree at a time).
struct Field {
    const char* key;
    FunctionRef<void(const YamlNode&)> handle;
    bool required = false;
    FunctionRef<void(YamlStream&)> stream = nullptr;
};

// The keys given in one mapping, with where each was first given: the
// schema's keys by their position in it, any other key by name.
class KeysSeen {
public:
    static constexpr std::size_t kNotInSchema = static_cast<std::size_t>(-1);

    // Where key was first given, or null after recording it as given at mark.
    const Mark* first(std::size_t field, const std::string& key, Mark mark) {
        if (field < fields_.size()) {
            if (fields_[field].line != 0) return &fields_[field];
            fields_[field] = mark;
            return nullptr;
        }
        auto [it, fresh] = others_.emplace(key, mark);
        return fresh ? nullptr : &it->second;
    }
    bool has(std::size_t field, const char* key) const {
        return field < fields_.size() ? fields_[field].line != 0 : others_.count(key) != 0;
    }

private:
    std::array<Mark, 8> fields_{};  // line 0: not given (a node's line is at least 1)
    std::map<std::string, Mark, std::less<>> others_;
};

// An award's marks that the checks after the walk need; map nodes do not move.
struct AwardChecks {
    const Award* award = nullptr;
    std::vector<std::pair<std::string, Mark>> partitions;  // as listed
    Mark budget;
};

// The Policy before index_members, with every error found, in file order.
struct ReadPolicy {
    std::shared_ptr<Policy> policy;  // null whenever errors is not empty
    Diagnostics errors;
};

// Walks the YAML document against the schema; collects errors instead of
// stopping. The root, awards and users are streamed: only one award's or
// user's tree is in memory at a time, never the whole document's.
class PolicyReader {
public:
    PolicyReader(const std::string& file, const YamlLimits& limits = {}, const DropInSource* dropins = nullptr)
        : file_(file), limits_(limits), dropins_(dropins) {}

    // Reads the whole stream. A YAML problem (syntax, alias, a limit) is the
    // only error reported, as when the document was parsed before the walk.
    ReadPolicy read(YamlStream& in) {
        auto policy = std::make_shared<Policy>();
        policy->instance_types = builtin_instance_types();
        if (in.peek() == YamlStream::Next::End) {
            error(Mark{}, "the policy file is empty; expected a mapping with version, enforce and awards");
        } else {
            read_root(in, *policy);
        }
        if (!in.finish()) return ReadPolicy{nullptr, std::move(in.errors())};
        const std::string main_file = file_;
        read_dropins(*policy);
        file_ = main_file;
        check_references(*policy);
        award_checks_.clear();
        // Checks that run after a mapping is walked (missing keys, undefined
        // references) find problems out of order; callers are promised file
        // order (grants.yaml, then the drop-in files in name order).
        std::map<std::string, std::size_t> order{{main_file, 0}};
        for (const std::string& f : dropin_files_) order.emplace(f, order.size());
        auto rank = [&order](const Diagnostic& d) {
            auto it = order.find(d.file);
            return it == order.end() ? order.size() : it->second;
        };
        std::stable_sort(errors_.begin(), errors_.end(), [&rank](const Diagnostic& a, const Diagnostic& b) {
            if (rank(a) != rank(b)) return rank(a) < rank(b);
            return a.mark.line != b.mark.line ? a.mark.line < b.mark.line : a.mark.column < b.mark.column;
        });
        if (!errors_.empty()) return ReadPolicy{nullptr, std::move(errors_)};
        return ReadPolicy{std::move(policy), {}};
    }

private:
    void error(Mark mark, std::string message) { errors_.push_back(Diagnostic{file_, mark, std::move(message)}); }
    void error(const YamlNode& node, std::string message) { error(node.mark, std::move(message)); }

    static bool is_null(const YamlNode& n) {
        return n.is_scalar() && !n.quoted && (n.value.empty() || n.value == "~" || n.value == "null");
    }

    // The schema's field for key, or null after reporting why the key is refused
    // (not a plain name, given twice, not in the schema).
    const Field* field_for(const YamlNode& key, const std::string& where, std::initializer_list<Field> fields,
                           KeysSeen& seen) {
        if (!key.is_scalar()) {
            error(key, "keys in " + where + " must be plain names");
            return nullptr;
        }
        const Field* field = nullptr;
        std::size_t index = 0;
        for (const Field& f : fields) {
            if (key.value == f.key) {
                field = &f;
                break;
            }
            ++index;
        }
        if (const Mark* first = seen.first(field ? index : KeysSeen::kNotInSchema, key.value, key.mark)) {
            error(key, "duplicate key " + named(key.value) + " in " + where + " (first given at line " +
                           std::to_string(first->line) + ")");
            return nullptr;
        }
        if (!field) {
            std::string expected;
            for (const Field& f : fields) expected += std::string(expected.empty() ? "" : ", ") + f.key;
            error(key, "unknown key " + quote_untrusted(key.value) + " in " + where + "; expected one of: " + expected);
        }
        return field;
    }

    void report_missing(Mark mark, const std::string& where, std::initializer_list<Field> fields,
                        const KeysSeen& seen) {
        std::size_t index = 0;
        for (const Field& f : fields) {
            if (f.required && !seen.has(index, f.key)) error(mark, where + " is missing the key " + named(f.key));
            ++index;
        }
    }

    // Checks that node is a mapping, dispatches each key, and reports unknown,
    // duplicate and missing keys. where names the mapping in messages.
    void read_mapping(const YamlNode& node, const std::string& where, std::initializer_list<Field> fields) {
        if (!node.is_mapping()) {
            error(node, where + " must be a mapping, found " + std::string(node.kind_name()));
            return;
        }
        KeysSeen seen;
        for (const auto& [key, value] : node.entries()) {
            const Field* field = field_for(key, where, fields, seen);
            if (field && field->handle) field->handle(value);  // stream-only fields are read only from a stream
        }
        report_missing(node.mark, where, fields, seen);
    }

    // The same, for the next node of the stream: a mapping is read one key
    // and one value at a time, anything else as a tree.
    void read_mapping(YamlStream& in, const std::string& where, std::initializer_list<Field> fields) {
        YamlParse key_tree, value_tree;  // buffers reused by every entry
        if (!in.next_is_mapping()) {
            read_mapping(in.read_tree(value_tree), where, fields);
            return;
        }
        const Mark mark = in.mark();
        in.enter();
        KeysSeen seen;
        while (in.peek() == YamlStream::Next::Node) {
            const Field* field = field_for(in.read_tree(key_tree), where, fields, seen);
            if (!field) {
                in.skip_node();
            } else if (field->stream) {
                field->stream(in);
            } else {
                field->handle(in.read_tree(value_tree));
            }
        }
        in.leave();
        report_missing(mark, where, fields, seen);
    }

    // True when key is a usable, first-seen name of an entry of where; else reports why not.
    bool check_name(const YamlNode& key, const std::string& where, SeenNames& seen) {
        if (!key.is_scalar() || key.value.empty()) {
            error(key, "names in " + where + " must be non-empty plain strings");
            return false;
        }
        if (std::size_t first = seen.first_line(key.value, key.mark.line)) {
            error(key, "duplicate entry " + named(key.value) + " in " + where + " (first given at line " +
                           std::to_string(first) + ")");
            return false;
        }
        return true;
    }

    using EntryReader = FunctionRef<void(const YamlNode& key, const YamlNode& value)>;

    // Like read_mapping, for maps whose keys are names chosen by the admin.
    void read_named_entries(const YamlNode& node, const std::string& where, const EntryReader& each) {
        if (is_null(node)) return;
        if (!node.is_mapping()) {
            error(node, where + " must be a mapping, found " + std::string(node.kind_name()));
            return;
        }
        SeenNames seen;
        for (const auto& [key, value] : node.entries()) {
            if (check_name(key, where, seen)) each(key, value);
        }
    }

    // The same, for the next node of the stream: one entry's tree at a time.
    void read_named_entries(YamlStream& in, const std::string& where, const EntryReader& each) {
        YamlParse key_tree, value_tree;  // buffers reused by every entry
        if (!in.next_is_mapping()) {
            read_named_entries(in.read_tree(value_tree), where, each);
            return;
        }
        in.enter();
        SeenNames seen;
        while (in.peek() == YamlStream::Next::Node) {
            const YamlNode& key = in.read_tree(key_tree);
            if (check_name(key, where, seen)) {
                each(key, in.read_tree(value_tree));
            } else {
                in.skip_node();
            }
        }
        in.leave();
    }

    std::optional<std::string> string_value(const YamlNode& node, const std::string& where) {
        if (!node.is_scalar() || is_null(node)) {
            error(node, where + " must be a string, found " +
                            std::string(is_null(node) ? "nothing" : node.kind_name()));
            return std::nullopt;
        }
        return node.value;
    }

    static std::string found(const YamlNode& node) {
        return node.is_scalar() ? quote_untrusted(node.value) : std::string(node.kind_name());
    }

    // A whole number in [min, max].
    std::optional<std::int64_t> integer_value(const YamlNode& node, const std::string& where, std::int64_t min,
                                              std::int64_t max) {
        if (node.is_scalar() && !node.quoted && !node.value.empty() && node.value.size() <= 18) {
            std::int64_t v = 0;
            bool negative = node.value[0] == '-';
            bool ok = node.value.size() > (negative ? 1u : 0u);
            for (std::size_t i = negative ? 1 : 0; ok && i < node.value.size(); ++i) {
                char c = node.value[i];
                ok = c >= '0' && c <= '9';
                v = v * 10 + (c - '0');
            }
            if (ok) {
                if (negative) v = -v;
                if (v >= min && v <= max) return v;
                error(node, where + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                ", found " + node.value);
                return std::nullopt;
            }
        }
        error(node, where + " must be a whole number, found " + found(node));
        return std::nullopt;
    }

    // A non-negative decimal with at most 6 places, stored exactly.
    std::optional<Micros> amount_value(const YamlNode& node, const std::string& where) {
        if (node.is_scalar() && !node.quoted) {
            if (auto v = parse_decimal(node.value)) return v;
            if (!node.value.empty() && node.value[0] == '-') {
                error(node, where + " must not be negative, found " + node.value);
                return std::nullopt;
            }
        }
        error(node, where + " must be a non-negative number (at most 6 decimals, at most 10^9), found " +
                        found(node));
        return std::nullopt;
    }

    std::optional<DayNumber> date_value(const YamlNode& node, const std::string& where) {
        if (node.is_scalar()) {
            if (auto d = parse_date(node.value)) return d;
        }
        error(node, where + " must be a date YYYY-MM-DD (1970 or later), found " + found(node));
        return std::nullopt;
    }

    std::optional<std::int64_t> duration_value(const YamlNode& node, const std::string& where) {
        if (node.is_scalar() && !is_null(node)) {
            if (auto d = parse_slurm_duration(node.value)) {
                if (*d > 0) return d;
            }
        }
        error(node, where + " must be a Slurm duration (M, M:S, H:M:S, D-H, D-H:M or D-H:M:S; more than 0, "
                            "at most 3650 days), found " + found(node));
        return std::nullopt;
    }

    // Sequence of non-empty, distinct strings; marks kept for later reference checks.
    void string_list(const YamlNode& node, const std::string& where, NameSet& out,
                     std::vector<std::pair<std::string, Mark>>* marks = nullptr) {
        if (is_null(node)) return;
        if (!node.is_sequence()) {
            error(node, where + " must be a list such as [a, b], found " + std::string(node.kind_name()));
            return;
        }
        const std::string each_entry = "each entry of " + where;  // once per list, not per entry
        for (const YamlNode& item : node.items()) {
            auto s = string_value(item, each_entry);
            if (!s) continue;
            if (s->empty()) {
                error(item, "entries of " + where + " must not be empty");
                continue;
            }
            auto [it, fresh] = out.insert(std::move(*s));
            if (!fresh) {
                error(item, quote_untrusted(*it) + " is listed twice in " + where);
            } else if (marks) {
                marks->emplace_back(*it, item.mark);
            }
        }
    }

    // alerts: { used: [50, 80], days_before_end: [30, 7], notify_members: no }
    void read_alerts(const YamlNode& node, const std::string& where, AlertRules& out) {
        auto thresholds = [&](const YamlNode& l, const std::string& key, std::int64_t max) {
            const std::string w = where + "." + key;
            std::vector<int> values;
            if (!l.is_sequence()) {
                error(l, w + " must be a list such as [50, 80], found " + std::string(l.kind_name()));
                return values;
            }
            for (const YamlNode& item : l.items()) {
                if (auto v = integer_value(item, w + " entry", 1, max)) {
                    if (std::find(values.begin(), values.end(), static_cast<int>(*v)) != values.end()) {
                        error(item, w + " lists " + std::to_string(*v) + " twice");
                    } else {
                        values.push_back(static_cast<int>(*v));
                    }
                }
            }
            std::sort(values.begin(), values.end());
            return values;
        };
        read_mapping(node, where,
                     {{"used", [&](const YamlNode& v) { out.used = thresholds(v, "used", 100); }},
                      {"days_before_end",
                       [&](const YamlNode& v) { out.days_before_end = thresholds(v, "days_before_end", 3660); }},
                      {"notify_members", [&](const YamlNode& v) {
                           if (auto b = bool_value(v, where + ".notify_members")) out.notify_members = *b;
                       }}});
    }

    void read_root(YamlStream& in, Policy& policy) {
        read_mapping(in, "the policy file",
                     {
                         {"version",
                          [&](const YamlNode& v) {
                              auto n = integer_value(v, "version", 0, 1000);
                              if (n && *n != 1) error(v, "version " + std::to_string(*n) +
                                                             " is not supported; this plugin reads version 1");
                              if (n) policy.version = static_cast<int>(*n);
                          },
                          true},
                         {"enforce", [&](const YamlNode& v) { read_enforce(v, policy, enforced_); }, true},
                         {"partitions", [&](const YamlNode& v) { read_partitions(v, policy); }},
                         {"instance_types", [&](const YamlNode& v) { read_instance_types(v, policy); }},
                         {"awards", nullptr, true, [&](YamlStream& s) { read_awards(s, policy); }},
                         {"users", nullptr, false, [&](YamlStream& s) { read_users(s, policy); }},
                         {"alerts", [&](const YamlNode& v) { read_alerts(v, "alerts", policy.alerts); }},
                         {"ledger", [&](const YamlNode& v) { read_ledger(v, policy.ledger); }},
                         {"awards_dir",
                          [&](const YamlNode& v) {
                              awards_dir_mark_ = v.mark;
                              auto d = string_value(v, "awards_dir");
                              if (!d) return;
                              if (d->empty()) {
                                  error(v, "awards_dir must name a directory");
                              } else {
                                  policy.awards_dir = *d;
                              }
                          }},
                     });
    }

    // awards_dir: each *.yaml file there holds one award, as an entry of
    // awards: would (the same schema), read as if it were in grants.yaml.
    void read_dropins(Policy& policy) {
        if (policy.awards_dir.empty()) return;
        if (!dropins_ || !*dropins_) {
            error(awards_dir_mark_, "awards_dir " + quote_untrusted(policy.awards_dir) +
                                        " cannot be read here (no directory access)");
            return;
        }
        DropInSet set = (*dropins_)(policy.awards_dir);
        for (Diagnostic& e : set.errors) {
            dropin_files_.push_back(e.file);
            errors_.push_back(std::move(e));
        }
        for (const DropInFile& f : set.files) {
            file_ = f.path;
            dropin_files_.push_back(f.path);
            const std::size_t before = policy.awards.size();
            const std::size_t errors_before = errors_.size();
            YamlStream in(f.text, f.path, limits_);
            if (in.peek() == YamlStream::Next::End) {
                error(Mark{}, "the award file is empty; it holds one award: ID: { members: ..., budget: ... }");
                continue;
            }
            read_awards(in, policy, "the award file");
            if (!in.finish()) {
                for (Diagnostic& e : in.errors()) errors_.push_back(std::move(e));
                continue;
            }
            const std::size_t added = policy.awards.size() - before;
            if (added > 1) {
                error(Mark{1, 1}, "the award file holds " + std::to_string(added) +
                                      " awards; a file in awards_dir holds exactly one");
            } else if (added == 0 && errors_.size() == errors_before) {
                error(Mark{1, 1}, "the award file holds no award");
            }
        }
    }

    // What can only be checked once the whole file is read: references
    // between sections that may come in any order.
    void check_references(Policy& policy) {
        for (const PartitionType& typed : partition_types_) {
            PartitionCost& cost = policy.partitions.at(typed.partition);
            const InstanceType* type = policy.find_instance_type(typed.type);
            if (!type) {
                std::string known;
                for (const auto& [name, t] : policy.instance_types) known += (known.empty() ? "" : ", ") + name;
                error(typed.mark, "partition " + named(typed.partition) + ".instance_type " + quote_untrusted(typed.type) +
                                      " is not an instance type; known: " + known +
                                      " (or 'features' to read each node's type from its Features)");
                continue;
            }
            if (typed.price_given && (type->usd_per_chip_hour || type->usd_per_instance_hour)) {
                error(typed.mark, "partition " + named(typed.partition) + " has a usd_per_chip_hour and its instance type " +
                                      named(typed.type) + " has a price; keep one");
                continue;
            }
            const int cores = cost.cores_per_chip;
            if (auto resolved = cost_for_type(policy, cost, typed.type)) cost = *resolved;
            if (typed.cores_given) cost.cores_per_chip = cores;
        }
        partition_types_.clear();
        for (const auto& [name, mark] : exempt_) {
            if (policy.enforces(name)) {
                error(mark, "partition " + named(name) +
                                " is in both enforce.partitions and enforce.exempt; an exempt partition is one that is "
                                "not enforced");
            }
        }
        for (const auto& [name, mark] : enforced_) {
            if (!policy.find_partition(name)) {
                error(mark, "enforced partition " + named(name) +
                                " is not defined under partitions (chips_per_node is needed to count its chips)");
            }
        }
        if (policy.wckey_is_award) {
            // Slurm stores WCKeys in lower case: two IDs that differ only in
            // case would report as one award in sreport.
            std::map<std::string, std::string> by_wckey;
            for (const auto& [id, award] : policy.awards) {
                auto [it, fresh] = by_wckey.emplace(wckey_of_award(id), id);
                if (!fresh) {
                    error(wckey_mark_, "with enforce.wckey: award, awards " + named(it->second) + " and " + named(id) +
                                           " would share the WCKey " + it->first +
                                           " (Slurm stores WCKeys in lower case); rename one");
                }
            }
        }
        for (const auto& [id, mark] : default_awards_) {
            if (!policy.find_award(id)) error(mark, "default_award " + named(id) + " is not defined under awards");
        }
        // In file order rather than ID order: each award's errors have marks of
        // its own, so the sort by position gives the same list either way.
        for (const AwardChecks& checks : award_checks_) check_award(policy, checks);
    }

    void check_award(const Policy& policy, const AwardChecks& checks) {
        const Award& award = *checks.award;
        for (const auto& [part, mark] : checks.partitions) {
            if (!policy.enforces(part)) {
                error(mark, "award " + named(award.id) + " lists partition " + named(part) +
                                ", which is not in enforce.partitions");
            }
        }
        if (award.budget.unit != Budget::Unit::Usd) return;
        for (const auto& part : policy.enforced_partitions) {
            const PartitionCost* cost = policy.find_partition(part);
            // A features partition is priced by its nodes' types (checked per job at submit).
            const bool typed_prices = cost && cost->types_from_features &&
                                      std::any_of(policy.instance_types.begin(), policy.instance_types.end(),
                                                  [](const auto& t) {
                                                      return t.second.usd_per_chip_hour || t.second.usd_per_instance_hour;
                                                  });
            if (award.allows_partition(part) && cost && !cost->usd_per_chip_hour && !typed_prices) {
                error(checks.budget, "award " + named(award.id) + " has a usd budget but partition " + named(part) +
                                         " has no usd_per_chip_hour; add a rate or restrict the award's partitions");
            }
        }
    }

    // ledger: { backend: sqlite|mysql, path: FILE, credentials: FILE, cluster: NAME }
    void read_ledger(const YamlNode& node, LedgerConfig& out) {
        std::optional<Mark> path_mark, credentials_mark, lease_timeout_mark;
        read_mapping(node, "ledger",
                     {{"backend",
                       [&](const YamlNode& v) {
                           auto s = string_value(v, "ledger.backend");
                           if (!s) return;
                           if (*s == "sqlite") {
                               out.backend = LedgerBackend::Sqlite;
                           } else if (*s == "mysql") {
                               out.backend = LedgerBackend::Mysql;
                           } else {
                               error(v, "ledger.backend must be 'sqlite' or 'mysql', found " + quote_untrusted(*s));
                           }
                       }},
                      {"path",
                       [&](const YamlNode& v) {
                           path_mark = v.mark;
                           auto s = string_value(v, "ledger.path");
                           if (s && (s->empty() || (*s)[0] != '/')) {
                               error(v, "ledger.path must be an absolute file name");
                           } else if (s) {
                               out.path = *s;
                           }
                       }},
                      {"credentials",
                       [&](const YamlNode& v) {
                           credentials_mark = v.mark;
                           auto s = string_value(v, "ledger.credentials");
                           if (s && (s->empty() || (*s)[0] != '/')) {
                               error(v, "ledger.credentials must be an absolute file name");
                           } else if (s) {
                               out.credentials = *s;
                           }
                       }},
                      {"lease_timeout",
                       [&](const YamlNode& v) {
                           lease_timeout_mark = v.mark;
                           // Seconds: at least two renewals (5 s apart), at most a day.
                           if (auto n = integer_value(v, "ledger.lease_timeout (seconds)", 10, 86400)) out.lease_timeout = *n;
                       }},
                      {"cluster", [&](const YamlNode& v) {
                           auto s = string_value(v, "ledger.cluster");
                           if (!s) return;
                           if (s->empty() || s->size() > 64 ||
                               s->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
                                   std::string::npos) {
                               error(v, "ledger.cluster must be a cluster name (letters, digits, '_', '-', '.'), found " +
                                            quote_untrusted(*s));
                           } else {
                               out.cluster = *s;
                           }
                       }}});
        if (path_mark && out.backend == LedgerBackend::Mysql) {
            error(*path_mark, "ledger.path is for backend sqlite; the mysql backend reads ledger.credentials");
        }
        if (lease_timeout_mark && out.backend == LedgerBackend::Sqlite) {
            error(*lease_timeout_mark, "ledger.lease_timeout is for backend mysql (clusters sharing one ledger)");
        }
        if (credentials_mark && out.backend == LedgerBackend::Sqlite) {
            error(*credentials_mark, "ledger.credentials is for backend mysql; the sqlite backend reads ledger.path");
        }
    }

    void read_enforce(const YamlNode& node, Policy& policy, std::vector<std::pair<std::string, Mark>>& enforced) {
        read_mapping(node, "enforce",
                     {{"partitions",
                       [&](const YamlNode& v) {
                           string_list(v, "enforce.partitions", policy.enforced_partitions, &enforced);
                       },
                       true},
                      {"on_error", [&](const YamlNode& v) {
                           auto s = string_value(v, "enforce.on_error");
                           if (!s) return;
                           if (*s == "closed") {
                               policy.on_error = OnError::Closed;
                           } else if (*s == "open") {
                               policy.on_error = OnError::Open;
                           } else {
                               error(v, "enforce.on_error must be 'closed' or 'open', found " + quote_untrusted(*s));
                           }
                       }},
                      {"exempt",
                       [&](const YamlNode& v) { string_list(v, "enforce.exempt", policy.exempt_partitions, &exempt_); }},
                      {"wckey", [&](const YamlNode& v) {
                           auto s = string_value(v, "enforce.wckey");
                           if (!s) return;
                           if (*s == "award") {
                               policy.wckey_is_award = true;
                               wckey_mark_ = v.mark;
                           } else if (*s == "none") {
                               policy.wckey_is_award = false;
                           } else {
                               error(v, "enforce.wckey must be 'award' or 'none', found " + quote_untrusted(*s));
                           }
                       }}});
    }

    // Letters, digits, '_', '-' and '.': what gres.conf names and types use.
    static bool is_gres_word(const std::string& w) {
        if (w.empty() || w.size() > 64) return false;
        for (char c : w) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                            c == '-' || c == '.';
            if (!ok) return false;
        }
        return true;
    }

    void read_partitions(const YamlNode& node, Policy& policy) {
        read_named_entries(node, "partitions", [&](const YamlNode& key, const YamlNode& value) {
            const std::string where = "partition " + named(key.value);
            PartitionCost cost;
            PartitionType typed{key.value, {}, {}, false, false, false};
            read_mapping(value, where,
                         {{"chips_per_node",
                           [&](const YamlNode& v) {
                               typed.chips_given = true;
                               if (auto n = integer_value(v, where + ".chips_per_node", 1, 65536)) {
                                   cost.chips_per_node = static_cast<int>(*n);
                               }
                           }},
                          {"instance_type",
                           [&](const YamlNode& v) {
                               auto t = string_value(v, where + ".instance_type");
                               if (!t) return;
                               typed.mark = v.mark;
                               if (*t == "features") {
                                   cost.types_from_features = true;
                               } else {
                                   typed.type = *t;
                               }
                           }},
                          {"cores_per_chip",
                           [&](const YamlNode& v) {
                               typed.cores_given = true;
                               if (auto n = integer_value(v, where + ".cores_per_chip", 1, 1024)) {
                                   cost.cores_per_chip = static_cast<int>(*n);
                               }
                           }},
                          {"usd_per_chip_hour",
                           [&](const YamlNode& v) {
                               typed.price_given = true;
                               if (auto d = amount_value(v, where + ".usd_per_chip_hour")) cost.usd_per_chip_hour = *d;
                           }},
                          {"boot_time",
                           [&](const YamlNode& v) {
                               auto t = string_value(v, where + ".boot_time");
                               if (!t) return;
                               if (*t == "charged") {
                                   cost.charge_boot = true;
                               } else if (*t != "free") {
                                   error(v, where + ".boot_time must be free or charged; found " +
                                                quote_untrusted(*t));
                               }
                           }},
                          {"gres", [&](const YamlNode& v) {
                               auto s = string_value(v, where + ".gres");
                               if (!s) return;
                               // "neuron", "gpu", or "gpu:trainium2" (a type, as gres.conf or
                               // gpu/nrt's AutoDetect names it).
                               const std::size_t colon = s->find(':');
                               cost.gres = s->substr(0, colon);
                               if (colon != std::string::npos) cost.gres_type = s->substr(colon + 1);
                               if (!is_gres_word(cost.gres) ||
                                   (colon != std::string::npos && !is_gres_word(cost.gres_type))) {
                                   error(v, where + ".gres must be a GRES name with an optional type, such as "
                                                    "neuron, gpu or gpu:trainium2; found " +
                                                quote_untrusted(*s));
                               }
                           }}});
            if (value.is_mapping()) {
                if (!typed.chips_given && typed.type.empty() && !cost.types_from_features) {
                    error(value, where + " is missing the key " + named("chips_per_node"));
                } else if (typed.chips_given && !typed.type.empty()) {
                    error(typed.mark, where + " gives both chips_per_node and instance_type; the instance type "
                                              "says how many chips its nodes have, so keep one");
                }
            }
            if (!typed.type.empty()) partition_types_.push_back(typed);
            policy.partitions.emplace(key.value, std::move(cost));
        });
    }

    // instance_types: NAME: {chips, cores_per_chip, usd_per_chip_hour | usd_per_instance_hour}.
    // A built-in type's facts are kept where the policy does not give them.
    void read_instance_types(const YamlNode& node, Policy& policy) {
        read_named_entries(node, "instance_types", [&](const YamlNode& key, const YamlNode& value) {
            const std::string where = "instance type " + named(key.value);
            if (!is_gres_word(key.value)) {
                error(key, where + ": a name has letters, digits, '.', '_' and '-' only, such as trn1.32xlarge");
                return;
            }
            const InstanceType* builtin = nullptr;
            if (auto it = builtin_instance_types().find(key.value); it != builtin_instance_types().end()) {
                builtin = &it->second;
            }
            InstanceType type = builtin ? *builtin : InstanceType{};
            read_mapping(value, where,
                         {{"chips",
                           [&](const YamlNode& v) {
                               if (auto n = integer_value(v, where + ".chips", 1, 65536)) type.chips = static_cast<int>(*n);
                           }},
                          {"cores_per_chip",
                           [&](const YamlNode& v) {
                               if (auto n = integer_value(v, where + ".cores_per_chip", 1, 1024)) {
                                   type.cores_per_chip = static_cast<int>(*n);
                               }
                           }},
                          {"usd_per_chip_hour",
                           [&](const YamlNode& v) {
                               if (auto d = amount_value(v, where + ".usd_per_chip_hour")) type.usd_per_chip_hour = *d;
                           }},
                          {"usd_per_instance_hour", [&](const YamlNode& v) {
                               if (auto d = amount_value(v, where + ".usd_per_instance_hour")) {
                                   type.usd_per_instance_hour = *d;
                               }
                           }}});
            if (!value.is_mapping()) return;
            if (type.chips <= 0) {
                error(value, where + " is missing the key " + named("chips"));
            } else if (type.usd_per_chip_hour && type.usd_per_instance_hour) {
                error(value, where + " gives both usd_per_chip_hour and usd_per_instance_hour; keep one");
            }
            policy.instance_types[key.value] = type;
        });
    }

    void read_users(YamlStream& in, Policy& policy) {
        read_named_entries(in, "users", [&](const YamlNode& key, const YamlNode& value) {
            UserSettings settings;
            read_mapping(value, "user " + named(key.value),
                         {{"default_award", [&](const YamlNode& d) {
                               auto id = string_value(d, "default_award");
                               if (!id) return;
                               settings.default_award = *id;
                               // Awards are only ever added: one defined by now stays defined, and
                               // only the others need their mark kept (50,000 users usually come last).
                               if (!policy.find_award(*id)) default_awards_.emplace_back(*id, d.mark);
                           }}});
            policy.users.emplace(key.value, std::move(settings));
        });
    }

    void read_validity(const YamlNode& node, const std::string& where, Validity& valid) {
        read_mapping(node, where,
                     {{"from", [&](const YamlNode& v) { valid.from = date_value(v, where + ".from"); }},
                      {"until", [&](const YamlNode& v) { valid.until = date_value(v, where + ".until"); }}});
        if (valid.from && valid.until && *valid.from > *valid.until) {
            error(node, where + ".from (" + format_date(*valid.from) + ") is after " + where + ".until (" +
                            format_date(*valid.until) + ")");
        }
    }

    // yes/no as YAML 1.1 writes it: true/false (any case), yes/no, on/off.
    std::optional<bool> bool_value(const YamlNode& node, const std::string& where) {
        if (node.is_scalar() && !node.quoted) {
            std::string v = node.value;
            for (char& c : v) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            if (v == "true" || v == "yes" || v == "on") return true;
            if (v == "false" || v == "no" || v == "off") return false;
        }
        error(node, where + " must be true or false, found " + found(node));
        return std::nullopt;
    }

    // budget: a mapping (one amount for the award's validity) or a list of
    // tranches, each a mapping with one amount and its own from/until.
    void read_budget_or_tranches(const YamlNode& node, const std::string& where, Award& award) {
        if (!node.is_sequence()) {
            read_budget(node, where, award.budget);
            return;
        }
        if (node.items().empty()) {
            error(node, where + " is an empty list; give at least one tranche");
            return;
        }
        std::optional<Budget::Unit> unit;
        WideInt total = 0;
        std::size_t n = 0;
        for (const YamlNode& item : node.items()) {
            const std::string at = where + "[" + std::to_string(++n) + "]";
            Budget b;
            Tranche t;
            int given = 0;
            read_mapping(item, at,
                         {{"chip_hours",
                           [&](const YamlNode& v) {
                               ++given;
                               b.unit = Budget::Unit::ChipHours;
                               if (auto a = amount_value(v, at + ".chip_hours")) t.amount = *a;
                           }},
                          {"usd",
                           [&](const YamlNode& v) {
                               ++given;
                               b.unit = Budget::Unit::Usd;
                               if (auto a = amount_value(v, at + ".usd")) t.amount = *a;
                           }},
                          {"from", [&](const YamlNode& v) { t.from = date_value(v, at + ".from"); }},
                          {"until", [&](const YamlNode& v) { t.until = date_value(v, at + ".until"); }}});
            if (!item.is_mapping()) continue;
            if (given != 1) {
                error(item, at + " needs exactly one of chip_hours or usd, found " +
                                (given == 0 ? std::string("neither") : std::string("both")));
                continue;
            }
            if (unit && *unit != b.unit) {
                error(item, at + " is in " + (b.unit == Budget::Unit::Usd ? "usd" : "chip_hours") +
                                " but the first tranche is in " + (*unit == Budget::Unit::Usd ? "usd" : "chip_hours") +
                                "; an award has one unit");
                continue;
            }
            unit = b.unit;
            if (t.from && t.until && *t.from > *t.until) {
                error(item, at + ".from (" + format_date(*t.from) + ") is after " + at + ".until (" +
                                format_date(*t.until) + ")");
            }
            total += t.amount;
            tranche_marks_.push_back({at, item.mark});
            award.tranches.push_back(t);
        }
        if (total > kMaxAmountMicros) {
            error(node, where + " adds up to more than 10^9");
            return;
        }
        if (unit) award.budget.unit = *unit;
        award.budget.amount = static_cast<Micros>(total);
    }

    // Each tranche lies within the award's validity (read in any key order).
    void check_tranches(const Award& award) {
        const std::size_t first = tranche_marks_.size() - award.tranches.size();
        for (std::size_t i = 0; i < award.tranches.size(); ++i) {
            const Tranche& t = award.tranches[i];
            const auto& [at, mark] = tranche_marks_[first + i];
            const auto from = t.from ? t.from : award.valid.from;
            const auto until = t.until ? t.until : award.valid.until;
            if (award.valid.from && from && *from < *award.valid.from) {
                error(mark, at + " starts on " + format_date(*from) + ", before the award's valid.from (" +
                                format_date(*award.valid.from) + ")");
            } else if (award.valid.until && until && *until > *award.valid.until) {
                error(mark, at + " ends on " + format_date(*until) + ", after the award's valid.until (" +
                                format_date(*award.valid.until) + ")");
            } else if (from && until && *from > *until) {
                if (t.from && t.until) continue;  // said already
                error(mark, at + " starts on " + format_date(*from) + " and ends on " + format_date(*until) +
                                ": give it a window within the award's validity");
            }
        }
        tranche_marks_.clear();
    }

    void read_budget(const YamlNode& node, const std::string& where, Budget& budget) {
        int given = 0;
        read_mapping(node, where,
                     {{"chip_hours",
                       [&](const YamlNode& v) {
                           ++given;
                           budget.unit = Budget::Unit::ChipHours;
                           if (auto a = amount_value(v, where + ".chip_hours")) budget.amount = *a;
                       }},
                      {"usd", [&](const YamlNode& v) {
                           ++given;
                           budget.unit = Budget::Unit::Usd;
                           if (auto a = amount_value(v, where + ".usd")) budget.amount = *a;
                       }}});
        if (node.is_mapping() && given != 1) {
            error(node, where + " needs exactly one of chip_hours or usd, found " +
                            (given == 0 ? std::string("neither") : std::string("both")));
        }
    }

    void read_limits(const YamlNode& node, const std::string& where, Limits& limits) {
        // A handler for a count; the Field refers to it, so it is returned to
        // the full-expression that reads the mapping and lives as long.
        auto count = [this](const char* key, std::optional<std::int64_t>& out, const std::string& prefix) {
            return [this, key, &out, &prefix](const YamlNode& v) {
                out = integer_value(v, prefix + "." + key, 0, 100'000'000);
            };
        };
        read_mapping(node, where,
                     {{"max_chips_per_job", count("max_chips_per_job", limits.max_chips_per_job, where)},
                      {"max_walltime",
                       [&](const YamlNode& v) { limits.max_walltime_seconds = duration_value(v, where + ".max_walltime"); }},
                      {"max_running_chips", count("max_running_chips", limits.max_running_chips, where)},
                      {"max_jobs", count("max_jobs", limits.max_jobs, where)},
                      {"per_user", [&](const YamlNode& v) {
                           const std::string pu = where + ".per_user";
                           read_mapping(v, pu,
                                        {{"max_running_chips",
                                          count("max_running_chips", limits.per_user.max_running_chips, pu)},
                                         {"max_jobs", count("max_jobs", limits.per_user.max_jobs, pu)}});
                       }}});
    }

    void read_awards(YamlStream& in, Policy& policy, const char* where_awards = "awards") {
        read_named_entries(in, where_awards, [&](const YamlNode& key, const YamlNode& value) {
            if (!is_valid_award_id(key.value)) {
                error(key, award_id_problem(key.value));
                return;
            }
            Award award;
            award.id = key.value;
            award.file = file_;
            const std::string where = "award " + named(key.value);
            AwardChecks checks;
            read_mapping(value, where,
                         {{"title",
                           [&](const YamlNode& v) {
                               if (auto s = string_value(v, where + ".title")) award.title = *s;
                           }},
                          {"pi",
                           [&](const YamlNode& v) {
                               if (auto s = string_value(v, where + ".pi")) award.pi = *s;
                           }},
                          {"managers",
                           [&](const YamlNode& v) { string_list(v, where + ".managers", award.managers); }},
                          {"members",
                           [&](const YamlNode& v) {
                               read_mapping(v, where + ".members",
                                            {{"users", [&](const YamlNode& l) {
                                                  string_list(l, where + ".members.users", award.members.users);
                                              }},
                                             {"groups", [&](const YamlNode& l) {
                                                  string_list(l, where + ".members.groups", award.members.groups);
                                              }},
                                             {"accounts", [&](const YamlNode& l) {
                                                  string_list(l, where + ".members.accounts",
                                                              award.members.accounts);
                                              }}});
                           },
                           true},
                          {"valid", [&](const YamlNode& v) { read_validity(v, where + ".valid", award.valid); }},
                          {"budget",
                           [&](const YamlNode& v) {
                               checks.budget = v.mark;
                               read_budget_or_tranches(v, where + ".budget", award);
                           },
                           true},
                          {"rollover",
                           [&](const YamlNode& v) {
                               if (auto b = bool_value(v, where + ".rollover")) award.rollover = *b;
                           }},
                          {"partitions",
                           [&](const YamlNode& v) {
                               string_list(v, where + ".partitions", award.partitions, &checks.partitions);
                               if (v.is_sequence() && v.items().empty()) {
                                   error(v, where + ".partitions is empty; omit it to allow every enforced "
                                                    "partition");
                               }
                           }},
                          {"limits", [&](const YamlNode& v) { read_limits(v, where + ".limits", award.limits); }},
                          {"alerts", [&](const YamlNode& v) { read_alerts(v, where + ".alerts", award.alerts); }}});
            if (!award.tranches.empty()) check_tranches(award);
            tranche_marks_.clear();
            auto [it, fresh] = policy.awards.emplace(award.id, std::move(award));
            if (!fresh) {
                const auto& [file, line] = award_origin_[it->first];
                error(key, "award " + named(it->first) + " is defined twice: here and in " + file + ":" +
                               std::to_string(line));
                return;
            }
            award_origin_[it->first] = {file_, key.mark.line};
            checks.award = &it->second;
            if (fresh && (!checks.partitions.empty() || checks.award->budget.unit == Budget::Unit::Usd)) {
                award_checks_.push_back(std::move(checks));
            }
        });
    }

    // A partition that names an instance type, resolved once the whole file is read.
    struct PartitionType {
        std::string partition;
        std::string type;
        Mark mark;
        bool chips_given;
        bool cores_given;
        bool price_given;
    };
    std::vector<PartitionType> partition_types_;
    std::vector<AwardChecks> award_checks_;
    std::vector<std::pair<std::string, Mark>> tranche_marks_;  // the current award's tranches, where they are
    std::vector<std::pair<std::string, Mark>> enforced_;        // enforce.partitions
    std::vector<std::pair<std::string, Mark>> exempt_;          // enforce.exempt
    Mark wckey_mark_;                                           // enforce.wckey: award
    std::vector<std::pair<std::string, Mark>> default_awards_;  // users' default_award not defined when read
    std::string file_;  // the file being read: grants.yaml, then each drop-in
    YamlLimits limits_;
    const DropInSource* dropins_;
    Mark awards_dir_mark_;
    std::vector<std::string> dropin_files_;  // in the order they were read
    std::map<std::string, std::pair<std::string, std::size_t>> award_origin_;  // award -> file, line
    Diagnostics errors_;
};

// Indexes a policy that read without errors; a PolicyLoad either way.
PolicyLoad finish_load(ReadPolicy read) {
    if (!read.policy) return PolicyLoad{nullptr, std::move(read.errors)};
    index_members(*read.policy);
    return PolicyLoad{std::move(read.policy), {}};
}

// The file's size when the stream can tell it (0 otherwise); the stream is
// left at the start with its state cleared, so reading reports errors as before.
std::size_t size_hint(std::ifstream& in) {
    in.seekg(0, std::ios::end);
    const std::streamoff end = in.tellg();
    in.clear();
    in.seekg(0, std::ios::beg);
    in.clear();
    return end > 0 ? static_cast<std::size_t>(end) : 0;
}

}  // namespace

PolicyLoad load_policy_text(std::string_view text, const std::string& file, const YamlLimits& limits,
                            const DropInSource& dropins) {
    YamlStream in(text, file, limits);
    return finish_load(PolicyReader(file, limits, &dropins).read(in));
}

PolicyLoad load_policy_file(const std::string& path, const YamlLimits& limits) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int err = errno;
        return PolicyLoad{nullptr, {Diagnostic{path, Mark{}, std::string("cannot open the policy file: ") +
                                                                 std::strerror(err)}}};
    }
    std::string text;
    text.reserve(std::min(size_hint(in), limits.max_bytes + 1));  // one buffer: no copies, no new pages per doubling
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(in.gcount()));
        if (text.size() > limits.max_bytes) {
            return PolicyLoad{nullptr, {Diagnostic{path, Mark{}, "the policy file is larger than " +
                                                                     std::to_string(limits.max_bytes) +
                                                                     " bytes; refusing it"}}};
        }
    }
    if (in.bad()) {
        return PolicyLoad{nullptr, {Diagnostic{path, Mark{}, "cannot read the policy file"}}};
    }
    ReadPolicy read;
    {
        YamlStream stream(text, path, limits);
        read = PolicyReader(path).read(stream);
    }
    std::string().swap(text);  // the Policy holds copies of what it needs: free the text before the indexes
    return finish_load(std::move(read));
}

}  // namespace grants
