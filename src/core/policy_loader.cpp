#include "policy_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>

#include "award_id.h"

namespace grants {
namespace {

struct Field {
    const char* key;
    std::function<void(const YamlNode&)> handle;
    bool required = false;
};

// Walks the YAML tree against the schema; collects errors instead of stopping.
class PolicyReader {
public:
    explicit PolicyReader(const std::string& file) : file_(file) {}

    PolicyLoad read(const YamlNode* root) {
        auto policy = std::make_shared<Policy>();
        if (!root) {
            error(Mark{}, "the policy file is empty; expected a mapping with version, enforce and awards");
        } else {
            read_root(*root, *policy);
        }
        // Checks that run after a mapping is walked (missing keys, undefined
        // references) find problems out of order; callers are promised file order.
        std::stable_sort(errors_.begin(), errors_.end(), [](const Diagnostic& a, const Diagnostic& b) {
            return a.mark.line != b.mark.line ? a.mark.line < b.mark.line : a.mark.column < b.mark.column;
        });
        PolicyLoad out;
        if (errors_.empty()) {
            out.policy = std::move(policy);
        } else {
            out.errors = std::move(errors_);
        }
        return out;
    }

private:
    void error(Mark mark, std::string message) { errors_.push_back(Diagnostic{file_, mark, std::move(message)}); }
    void error(const YamlNode& node, std::string message) { error(node.mark, std::move(message)); }

    static bool is_null(const YamlNode& n) {
        return n.is_scalar() && !n.quoted && (n.value.empty() || n.value == "~" || n.value == "null");
    }

    // Checks that node is a mapping, dispatches each key, and reports unknown,
    // duplicate and missing keys. where names the mapping in messages.
    void read_mapping(const YamlNode& node, const std::string& where, std::initializer_list<Field> fields) {
        if (!node.is_mapping()) {
            error(node, where + " must be a mapping, found " + std::string(node.kind_name()));
            return;
        }
        std::map<std::string, Mark> seen;
        for (const auto& [key, value] : node.entries) {
            if (!key.is_scalar()) {
                error(key, "keys in " + where + " must be plain names");
                continue;
            }
            auto [it, fresh] = seen.emplace(key.value, key.mark);
            if (!fresh) {
                error(key, "duplicate key '" + key.value + "' in " + where + " (first given at line " +
                               std::to_string(it->second.line) + ")");
                continue;
            }
            const Field* field = nullptr;
            for (const Field& f : fields) {
                if (key.value == f.key) field = &f;
            }
            if (!field) {
                std::string expected;
                for (const Field& f : fields) expected += std::string(expected.empty() ? "" : ", ") + f.key;
                error(key, "unknown key " + quote_untrusted(key.value) + " in " + where + "; expected one of: " +
                               expected);
                continue;
            }
            field->handle(value);
        }
        for (const Field& f : fields) {
            if (f.required && !seen.count(f.key)) error(node, where + " is missing the key '" + f.key + "'");
        }
    }

    // Like read_mapping, for maps whose keys are names chosen by the admin.
    void read_named_entries(const YamlNode& node, const std::string& where,
                            const std::function<void(const YamlNode& key, const YamlNode& value)>& each) {
        if (is_null(node)) return;
        if (!node.is_mapping()) {
            error(node, where + " must be a mapping, found " + std::string(node.kind_name()));
            return;
        }
        std::map<std::string, Mark> seen;
        for (const auto& [key, value] : node.entries) {
            if (!key.is_scalar() || key.value.empty()) {
                error(key, "names in " + where + " must be non-empty plain strings");
                continue;
            }
            auto [it, fresh] = seen.emplace(key.value, key.mark);
            if (!fresh) {
                error(key, "duplicate entry '" + key.value + "' in " + where + " (first given at line " +
                               std::to_string(it->second.line) + ")");
                continue;
            }
            each(key, value);
        }
    }

    std::optional<std::string> string_value(const YamlNode& node, const std::string& where) {
        if (!node.is_scalar() || is_null(node)) {
            error(node, where + " must be a string, found " +
                            std::string(is_null(node) ? "nothing" : node.kind_name()));
            return std::nullopt;
        }
        return node.value;
    }

    std::optional<long long> integer_value(const YamlNode& node, const std::string& where) {
        if (node.is_scalar() && !node.quoted && !node.value.empty()) {
            std::size_t used = 0;
            try {
                long long v = std::stoll(node.value, &used, 10);
                if (used == node.value.size()) return v;
            } catch (const std::exception&) {
            }
        }
        error(node, where + " must be a whole number, found " +
                        (node.is_scalar() ? quote_untrusted(node.value) : std::string(node.kind_name())));
        return std::nullopt;
    }

    std::optional<double> number_value(const YamlNode& node, const std::string& where) {
        if (node.is_scalar() && !node.quoted && !node.value.empty()) {
            std::size_t used = 0;
            try {
                double v = std::stod(node.value, &used);
                if (used == node.value.size() && v == v && v >= 0 && v < 1e15) return v;
            } catch (const std::exception&) {
            }
        }
        error(node, where + " must be a non-negative number, found " +
                        (node.is_scalar() ? quote_untrusted(node.value) : std::string(node.kind_name())));
        return std::nullopt;
    }

    void string_list(const YamlNode& node, const std::string& where, std::set<std::string, std::less<>>& out) {
        if (is_null(node)) return;
        if (!node.is_sequence()) {
            error(node, where + " must be a list such as [a, b], found " + std::string(node.kind_name()));
            return;
        }
        for (const YamlNode& item : node.items) {
            auto s = string_value(item, "each entry of " + where);
            if (!s) continue;
            if (s->empty()) {
                error(item, "entries of " + where + " must not be empty");
            } else if (!out.insert(*s).second) {
                error(item, "'" + *s + "' is listed twice in " + where);
            }
        }
    }

    void read_root(const YamlNode& root, Policy& policy) {
        std::vector<std::pair<std::string, Mark>> default_awards;  // checked once awards are known
        std::vector<std::pair<std::string, Mark>> enforced;
        read_mapping(root, "the policy file",
                     {
                         {"version",
                          [&](const YamlNode& v) {
                              auto n = integer_value(v, "version");
                              if (n && *n != 1) error(v, "version " + std::to_string(*n) +
                                                             " is not supported; this plugin reads version 1");
                              if (n) policy.version = static_cast<int>(*n);
                          },
                          true},
                         {"enforce", [&](const YamlNode& v) { read_enforce(v, policy); }, true},
                         {"partitions", [&](const YamlNode& v) { read_partitions(v, policy); }},
                         {"awards", [&](const YamlNode& v) { read_awards(v, policy); }, true},
                         {"users",
                          [&](const YamlNode& v) {
                              read_named_entries(v, "users", [&](const YamlNode& key, const YamlNode& value) {
                                  UserSettings settings;
                                  read_mapping(value, "user '" + key.value + "'",
                                               {{"default_award", [&](const YamlNode& d) {
                                                     auto id = string_value(d, "default_award");
                                                     if (!id) return;
                                                     settings.default_award = *id;
                                                     default_awards.emplace_back(*id, d.mark);
                                                 }}});
                                  policy.users.emplace(key.value, std::move(settings));
                              });
                          }},
                     });
        for (const auto& [id, mark] : default_awards) {
            if (!policy.find_award(id)) error(mark, "default_award '" + id + "' is not defined under awards");
        }
    }

    void read_enforce(const YamlNode& node, Policy& policy) {
        read_mapping(node, "enforce",
                     {{"partitions",
                       [&](const YamlNode& v) { string_list(v, "enforce.partitions", policy.enforced_partitions); },
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
                       }}});
    }

    void read_partitions(const YamlNode& node, Policy& policy) {
        read_named_entries(node, "partitions", [&](const YamlNode& key, const YamlNode& value) {
            const std::string where = "partition '" + key.value + "'";
            PartitionCost cost;
            read_mapping(value, where,
                         {{"chips_per_node",
                           [&](const YamlNode& v) {
                               auto n = integer_value(v, where + ".chips_per_node");
                               if (n && (*n < 1 || *n > 65536)) {
                                   error(v, where + ".chips_per_node must be between 1 and 65536");
                               } else if (n) {
                                   cost.chips_per_node = static_cast<int>(*n);
                               }
                           },
                           true},
                          {"cores_per_chip",
                           [&](const YamlNode& v) {
                               auto n = integer_value(v, where + ".cores_per_chip");
                               if (n && (*n < 1 || *n > 1024)) {
                                   error(v, where + ".cores_per_chip must be between 1 and 1024");
                               } else if (n) {
                                   cost.cores_per_chip = static_cast<int>(*n);
                               }
                           }},
                          {"usd_per_chip_hour",
                           [&](const YamlNode& v) {
                               if (auto d = number_value(v, where + ".usd_per_chip_hour")) cost.usd_per_chip_hour = *d;
                           }},
                          {"gres", [&](const YamlNode& v) {
                               if (auto s = string_value(v, where + ".gres")) cost.gres = *s;
                           }}});
            policy.partitions.emplace(key.value, std::move(cost));
        });
    }

    void read_awards(const YamlNode& node, Policy& policy) {
        read_named_entries(node, "awards", [&](const YamlNode& key, const YamlNode& value) {
            if (!is_valid_award_id(key.value)) {
                error(key, award_id_problem(key.value));
                return;
            }
            Award award;
            award.id = key.value;
            const std::string where = "award '" + key.value + "'";
            read_mapping(value, where,
                         {{"title",
                           [&](const YamlNode& v) {
                               if (auto s = string_value(v, where + ".title")) award.title = *s;
                           }},
                          {"pi",
                           [&](const YamlNode& v) {
                               if (auto s = string_value(v, where + ".pi")) award.pi = *s;
                           }},
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
                           true}});
            policy.awards.emplace(award.id, std::move(award));
        });
    }

    const std::string& file_;
    Diagnostics errors_;
};

}  // namespace

PolicyLoad load_policy_text(std::string_view text, const std::string& file, const YamlLimits& limits) {
    YamlParse parsed = parse_yaml(text, file, limits);
    if (!parsed.errors.empty()) return PolicyLoad{nullptr, std::move(parsed.errors)};
    return PolicyReader(file).read(parsed.root.get());
}

PolicyLoad load_policy_file(const std::string& path, const YamlLimits& limits) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int err = errno;
        return PolicyLoad{nullptr, {Diagnostic{path, Mark{}, std::string("cannot open the policy file: ") +
                                                                 std::strerror(err)}}};
    }
    std::string text;
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
    return load_policy_text(text, path, limits);
}

}  // namespace grants
