#include "policy_loader.h"

#include "membership.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "award_id.h"
#include "date.h"
#include "decimal.h"
#include "duration.h"

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

struct Field {
    const char* key;
    std::function<void(const YamlNode&)> handle;
    bool required = false;
};

// Walks the YAML tree against the schema; collects errors instead of stopping.
class PolicyReader {
public:
    explicit PolicyReader(const std::string& file) : file_(file) {}

    // Consumes parsed: the tree is freed before the indexes are built, so
    // that the two are never in memory together (peak RSS, docs/PERFORMANCE.md).
    PolicyLoad read(YamlParse& parsed) {
        auto policy = std::make_shared<Policy>();
        if (!parsed.root) {
            error(Mark{}, "the policy file is empty; expected a mapping with version, enforce and awards");
        } else {
            read_root(*parsed.root, *policy);
        }
        parsed = YamlParse();
        award_refs_.clear();
        budget_marks_.clear();
        // Checks that run after a mapping is walked (missing keys, undefined
        // references) find problems out of order; callers are promised file order.
        std::stable_sort(errors_.begin(), errors_.end(), [](const Diagnostic& a, const Diagnostic& b) {
            return a.mark.line != b.mark.line ? a.mark.line < b.mark.line : a.mark.column < b.mark.column;
        });
        PolicyLoad out;
        if (errors_.empty()) {
            index_members(*policy);
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
        for (const auto& [key, value] : node.entries()) {
            if (!key.is_scalar()) {
                error(key, "keys in " + where + " must be plain names");
                continue;
            }
            auto [it, fresh] = seen.emplace(key.value, key.mark);
            if (!fresh) {
                error(key, "duplicate key " + named(key.value) + " in " + where + " (first given at line " +
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
            if (f.required && !seen.count(f.key)) error(node, where + " is missing the key " + named(f.key));
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
        std::unordered_map<std::string_view, Mark> seen;  // views into the tree, alive for the whole read
        seen.reserve(node.entries().size());
        for (const auto& [key, value] : node.entries()) {
            if (!key.is_scalar() || key.value.empty()) {
                error(key, "names in " + where + " must be non-empty plain strings");
                continue;
            }
            auto [it, fresh] = seen.emplace(key.value, key.mark);
            if (!fresh) {
                error(key, "duplicate entry " + named(key.value) + " in " + where + " (first given at line " +
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

    void read_root(const YamlNode& root, Policy& policy) {
        std::vector<std::pair<std::string, Mark>> default_awards;
        std::vector<std::pair<std::string, Mark>> enforced;
        Mark partitions_mark = root.mark;
        read_mapping(root, "the policy file",
                     {
                         {"version",
                          [&](const YamlNode& v) {
                              auto n = integer_value(v, "version", 0, 1000);
                              if (n && *n != 1) error(v, "version " + std::to_string(*n) +
                                                             " is not supported; this plugin reads version 1");
                              if (n) policy.version = static_cast<int>(*n);
                          },
                          true},
                         {"enforce", [&](const YamlNode& v) { read_enforce(v, policy, enforced); }, true},
                         {"partitions",
                          [&](const YamlNode& v) {
                              partitions_mark = v.mark;
                              read_partitions(v, policy);
                          }},
                         {"awards", [&](const YamlNode& v) { read_awards(v, policy); }, true},
                         {"users", [&](const YamlNode& v) { read_users(v, policy, default_awards); }},
                     });
        for (const auto& [name, mark] : enforced) {
            if (!policy.find_partition(name)) {
                error(mark, "enforced partition " + named(name) +
                                " is not defined under partitions (chips_per_node is needed to count its chips)");
            }
        }
        for (const auto& [id, mark] : default_awards) {
            if (!policy.find_award(id)) error(mark, "default_award " + named(id) + " is not defined under awards");
        }
        for (const auto& [id, refs] : award_refs_) {
            const Award* award = policy.find_award(id);
            if (!award) continue;
            for (const auto& [part, mark] : refs) {
                if (!policy.enforces(part)) {
                    error(mark, "award " + named(id) + " lists partition " + named(part) +
                                    ", which is not in enforce.partitions");
                }
            }
            if (award->budget.unit == Budget::Unit::Usd) {
                for (const auto& part : policy.enforced_partitions) {
                    const PartitionCost* cost = policy.find_partition(part);
                    if (award->allows_partition(part) && cost && !cost->usd_per_chip_hour) {
                        error(budget_marks_[id], "award " + named(id) + " has a usd budget but partition " + named(part) +
                                                     " has no usd_per_chip_hour; add a rate or restrict the "
                                                     "award's partitions");
                    }
                }
            }
        }
        (void)partitions_mark;
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
                       }}});
    }

    void read_partitions(const YamlNode& node, Policy& policy) {
        read_named_entries(node, "partitions", [&](const YamlNode& key, const YamlNode& value) {
            const std::string where = "partition " + named(key.value);
            PartitionCost cost;
            read_mapping(value, where,
                         {{"chips_per_node",
                           [&](const YamlNode& v) {
                               if (auto n = integer_value(v, where + ".chips_per_node", 1, 65536)) {
                                   cost.chips_per_node = static_cast<int>(*n);
                               }
                           },
                           true},
                          {"cores_per_chip",
                           [&](const YamlNode& v) {
                               if (auto n = integer_value(v, where + ".cores_per_chip", 1, 1024)) {
                                   cost.cores_per_chip = static_cast<int>(*n);
                               }
                           }},
                          {"usd_per_chip_hour",
                           [&](const YamlNode& v) {
                               if (auto d = amount_value(v, where + ".usd_per_chip_hour")) cost.usd_per_chip_hour = *d;
                           }},
                          {"gres", [&](const YamlNode& v) {
                               if (auto s = string_value(v, where + ".gres")) cost.gres = *s;
                           }}});
            policy.partitions.emplace(key.value, std::move(cost));
        });
    }

    void read_users(const YamlNode& node, Policy& policy, std::vector<std::pair<std::string, Mark>>& default_awards) {
        read_named_entries(node, "users", [&](const YamlNode& key, const YamlNode& value) {
            UserSettings settings;
            read_mapping(value, "user " + named(key.value),
                         {{"default_award", [&](const YamlNode& d) {
                               auto id = string_value(d, "default_award");
                               if (!id) return;
                               settings.default_award = *id;
                               default_awards.emplace_back(*id, d.mark);
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
        constexpr std::int64_t kMaxCount = 100'000'000;
        auto count = [&](const char* key, std::optional<std::int64_t>& out, const std::string& prefix) {
            return Field{key, [&, key, prefix](const YamlNode& v) { out = integer_value(v, prefix + "." + key, 0, kMaxCount); }};
        };
        read_mapping(node, where,
                     {count("max_chips_per_job", limits.max_chips_per_job, where),
                      {"max_walltime",
                       [&](const YamlNode& v) { limits.max_walltime_seconds = duration_value(v, where + ".max_walltime"); }},
                      count("max_running_chips", limits.max_running_chips, where),
                      count("max_jobs", limits.max_jobs, where),
                      {"per_user", [&](const YamlNode& v) {
                           const std::string pu = where + ".per_user";
                           read_mapping(v, pu,
                                        {count("max_running_chips", limits.per_user.max_running_chips, pu),
                                         count("max_jobs", limits.per_user.max_jobs, pu)});
                       }}});
    }

    void read_awards(const YamlNode& node, Policy& policy) {
        read_named_entries(node, "awards", [&](const YamlNode& key, const YamlNode& value) {
            if (!is_valid_award_id(key.value)) {
                error(key, award_id_problem(key.value));
                return;
            }
            Award award;
            award.id = key.value;
            const std::string where = "award " + named(key.value);
            auto& refs = award_refs_[award.id];
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
                           true},
                          {"valid", [&](const YamlNode& v) { read_validity(v, where + ".valid", award.valid); }},
                          {"budget",
                           [&](const YamlNode& v) {
                               budget_marks_[award.id] = v.mark;
                               read_budget(v, where + ".budget", award.budget);
                           },
                           true},
                          {"partitions",
                           [&](const YamlNode& v) {
                               string_list(v, where + ".partitions", award.partitions, &refs);
                               if (v.is_sequence() && v.items().empty()) {
                                   error(v, where + ".partitions is empty; omit it to allow every enforced "
                                                    "partition");
                               }
                           }},
                          {"limits", [&](const YamlNode& v) { read_limits(v, where + ".limits", award.limits); }}});
            policy.awards.emplace(award.id, std::move(award));
        });
    }

    std::map<std::string, std::vector<std::pair<std::string, Mark>>> award_refs_;
    std::map<std::string, Mark> budget_marks_;
    const std::string& file_;
    Diagnostics errors_;
};

}  // namespace

PolicyLoad load_policy_text(std::string_view text, const std::string& file, const YamlLimits& limits) {
    YamlParse parsed = parse_yaml(text, file, limits);
    if (!parsed.errors.empty()) return PolicyLoad{nullptr, std::move(parsed.errors)};
    return PolicyReader(file).read(parsed);
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
    YamlParse parsed = parse_yaml(text, path, limits);
    std::string().swap(text);  // the tree holds copies of every scalar: free the text before the Policy is built
    if (!parsed.errors.empty()) return PolicyLoad{nullptr, std::move(parsed.errors)};
    return PolicyReader(path).read(parsed);
}

}  // namespace grants
