#include "core/site/slurm_conf_nodes.h"

#include <glob.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "core/base/hostlist.h"

namespace grants {
namespace {

// Slurm's parser (parse_config.c) nests includes; a loop of includes must end.
constexpr int kMaxIncludeDepth = 16;

bool same_word(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

struct KeyValue {
    std::string key, value;
};

// "NodeName=n[1-4] Features=\"a,b\" ...": the pairs of one logical line.
std::vector<KeyValue> pairs_of(std::string_view line) {
    std::vector<KeyValue> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        if (i == line.size()) break;
        std::size_t eq = i;
        while (eq < line.size() && line[eq] != '=' && !is_space(line[eq])) ++eq;
        KeyValue kv;
        kv.key = std::string(line.substr(i, eq - i));
        i = eq;
        if (i < line.size() && line[i] == '=') {
            ++i;
            if (i < line.size() && line[i] == '"') {
                const std::size_t close = line.find('"', i + 1);
                const std::size_t end = close == std::string_view::npos ? line.size() : close;
                kv.value = std::string(line.substr(i + 1, end - i - 1));
                i = close == std::string_view::npos ? line.size() : close + 1;
            } else {
                const std::size_t start = i;
                while (i < line.size() && !is_space(line[i])) ++i;
                kv.value = std::string(line.substr(start, i - start));
            }
        }
        out.push_back(std::move(kv));
    }
    return out;
}

const std::string* value_of(const std::vector<KeyValue>& pairs, std::string_view key) {
    const std::string* found = nullptr;
    for (const auto& kv : pairs) {
        if (same_word(kv.key, key)) found = &kv.value;
    }
    return found;
}

struct Where {
    std::string file;
    int line = 0;
    std::string text() const { return file + ":" + std::to_string(line); }
};

struct NodeSet {
    std::string nodes, feature;
    Where where;
};

struct PartitionLine {
    std::string name;
    std::optional<std::string> nodes;  // unset: PartitionName=DEFAULT's
    Where where;
};

class Reader {
public:
    Reader(const SlurmConfText& main, const SlurmConfIncludes& includes) : main_(main), includes_(includes) {}

    SlurmConfPartitions run() {
        read_file(main_, 0);
        finish();
        return std::move(result_);
    }

private:
    void problem(const Where& w, const std::string& what) { result_.problems.push_back(w.text() + ": " + what); }

    std::string directory_of_main() const {
        const auto slash = main_.path.rfind('/');
        if (slash == std::string::npos) return ".";
        return slash == 0 ? "/" : main_.path.substr(0, slash);
    }

    // As Slurm's _parse_for_format and get_extra_conf_path (24.11): %c is the
    // lower-cased ClusterName; a relative name is under slurm.conf's
    // directory. (22.05 resolves it against the including file's directory,
    // which is the same place for every layout seen, ParallelCluster's too.)
    std::string include_path(std::string name) const {
        for (std::size_t at; (at = name.find("%c")) != std::string::npos;) {
            std::string cluster = cluster_;
            for (auto& c : cluster) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            name.replace(at, 2, cluster);
        }
        if (!name.empty() && name[0] == '/') return name;
        const std::string dir = directory_of_main();
        return dir + (dir.back() == '/' ? "" : "/") + name;
    }

    void read_file(const SlurmConfText& file, int depth) {
        int number = 0;
        std::string logical;
        int logical_start = 0;
        std::size_t start = 0;
        while (start <= file.text.size()) {
            std::size_t nl = file.text.find('\n', start);
            if (nl == std::string::npos) nl = file.text.size();
            const std::string_view physical(file.text.data() + start, nl - start);
            start = nl + 1;
            ++number;
            if (logical.empty()) logical_start = number;
            // '#' starts a comment unless escaped as "\#".
            std::string text;
            for (std::size_t i = 0; i < physical.size(); ++i) {
                if (physical[i] == '\\' && i + 1 < physical.size() && physical[i + 1] == '#') {
                    text += '#';
                    ++i;
                } else if (physical[i] == '#') {
                    break;
                } else {
                    text += physical[i];
                }
            }
            while (!text.empty() && is_space(text.back())) text.pop_back();
            if (!text.empty() && text.back() == '\\') {  // continued on the next line
                text.pop_back();
                logical += text;
                if (start <= file.text.size()) continue;
            } else {
                logical += text;
            }
            line(Where{file.path, logical_start}, logical, depth);
            logical.clear();
        }
    }

    void line(const Where& where, const std::string& text, int depth) {
        std::size_t b = 0;
        while (b < text.size() && is_space(text[b])) ++b;
        const std::string_view rest(text.data() + b, text.size() - b);
        if (rest.empty()) return;
        if (rest.size() > 7 && same_word(rest.substr(0, 7), "include") && is_space(rest[7])) {
            std::size_t n = 7;
            while (n < rest.size() && is_space(rest[n])) ++n;
            std::size_t e = n;
            while (e < rest.size() && !is_space(rest[e])) ++e;
            include(where, std::string(rest.substr(n, e - n)), depth);
            return;
        }
        const std::vector<KeyValue> pairs = pairs_of(rest);
        if (pairs.empty()) return;
        const KeyValue& first = pairs.front();
        if (same_word(first.key, "ClusterName")) {
            cluster_ = first.value;
        } else if (same_word(first.key, "NodeName")) {
            node_line(where, first.value, pairs);
        } else if (same_word(first.key, "NodeSet")) {
            NodeSet set;
            set.where = where;
            if (const std::string* v = value_of(pairs, "Nodes")) set.nodes = *v;
            if (const std::string* v = value_of(pairs, "Feature")) set.feature = *v;
            if (const std::string* v = value_of(pairs, "Features")) set.feature = *v;
            nodesets_[first.value] = std::move(set);
        } else if (same_word(first.key, "PartitionName")) {
            const std::string* nodes = value_of(pairs, "Nodes");
            if (same_word(first.value, "DEFAULT")) {
                if (nodes) default_nodes_ = *nodes;
                return;
            }
            PartitionLine p;
            p.name = first.value;
            if (nodes) p.nodes = *nodes;
            p.where = where;
            partitions_.push_back(std::move(p));
        }
    }

    void include(const Where& where, const std::string& name, int depth) {
        if (name.empty()) {
            problem(where, "an include line names no file");
            return;
        }
        if (depth >= kMaxIncludeDepth) {
            problem(where, "includes nest deeper than " + std::to_string(kMaxIncludeDepth) +
                               " files (an include loop?); " + name + " is not read");
            return;
        }
        const std::string path = include_path(name);
        std::vector<SlurmConfText> files;
        std::string error;
        if (!includes_ || !includes_(path, &files, &error)) {
            problem(where, "cannot read the included file " + path + (error.empty() ? "" : ": " + error) +
                               "; the nodes and partitions it defines are not checked");
            return;
        }
        for (const auto& f : files) read_file(f, depth + 1);
    }

    static std::set<std::string> features_of(const std::string& list) {
        std::set<std::string> out;
        for (std::string_view f : split_node_list(list)) out.emplace(f);
        return out;
    }

    void node_line(const Where& where, const std::string& names, const std::vector<KeyValue>& pairs) {
        const std::string* features = value_of(pairs, "Features");
        if (!features) features = value_of(pairs, "Feature");
        if (same_word(names, "DEFAULT")) {
            if (features) {
                default_features_ = features_of(*features);
                default_features_text_ = *features;
            }
            return;
        }
        std::string error;
        auto expanded = expand_hostlist(names, &error);
        if (!expanded) {
            problem(where, "NodeName: " + error);
            return;
        }
        for (auto& n : *expanded) {
            if (known_.insert(n).second) nodes_.push_back(n);
            node_features_[n] = features ? features_of(*features) : default_features_;
            result_.node_features[n] = features ? *features : default_features_text_;
        }
    }

    std::vector<std::string> nodes_with_feature(const std::string& feature) const {
        std::vector<std::string> out;
        for (const auto& n : nodes_) {
            auto it = node_features_.find(n);
            if (it != node_features_.end() && it->second.count(feature)) out.push_back(n);
        }
        return out;
    }

    // Slurm's nodespec_to_hostlist: ALL, else a hostlist whose items may be NodeSet names.
    void expand_nodes(const PartitionLine& p, const std::string& spec, std::vector<std::string>* out) {
        if (same_word(spec, "ALL")) {
            out->insert(out->end(), nodes_.begin(), nodes_.end());
            return;
        }
        for (std::string_view item : split_node_list(spec)) {
            if (item.find('{') != std::string_view::npos) {
                problem(p.where, "partition " + p.name + ": the node list " + std::string(item) +
                                     " uses a hostlist function that grantctl cannot expand; its nodes are not checked");
                continue;
            }
            auto set = nodesets_.find(std::string(item));
            if (set != nodesets_.end()) {
                if (!set->second.feature.empty()) {
                    for (auto& n : nodes_with_feature(set->second.feature)) out->push_back(std::move(n));
                }
                if (same_word(set->second.nodes, "ALL")) {
                    out->insert(out->end(), nodes_.begin(), nodes_.end());
                } else if (!set->second.nodes.empty()) {
                    std::string error;
                    auto names = expand_hostlist(set->second.nodes, &error);
                    if (!names) {
                        problem(set->second.where, "NodeSet " + set->first + ": " + error);
                    } else {
                        out->insert(out->end(), names->begin(), names->end());
                    }
                }
                continue;
            }
            std::string error;
            auto names = expand_hostlist(item, &error);
            if (!names) {
                problem(p.where, "partition " + p.name + ": " + error);
                continue;
            }
            out->insert(out->end(), names->begin(), names->end());
        }
    }

    void finish() {
        for (const auto& p : partitions_) {
            std::vector<std::string>& nodes = result_.partitions[p.name];
            expand_nodes(p, p.nodes ? *p.nodes : default_nodes_, &nodes);
        }
    }

    const SlurmConfText& main_;
    const SlurmConfIncludes& includes_;
    SlurmConfPartitions result_;
    std::string cluster_;
    std::vector<std::string> nodes_;  // NodeName lines, in order
    std::unordered_set<std::string> known_;
    std::map<std::string, std::set<std::string>> node_features_;
    std::set<std::string> default_features_;
    std::string default_features_text_;
    std::map<std::string, NodeSet> nodesets_;
    std::vector<PartitionLine> partitions_;
    std::string default_nodes_;
};

}  // namespace

bool read_text(const std::string& path, std::string* text, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = std::strerror(errno);
        return false;
    }
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) {
        *error = "read error";
        return false;
    }
    *text = s.str();
    return true;
}

bool read_matching_files(const std::string& pattern, std::vector<SlurmConfText>* files, std::string* error,
                         bool always_glob) {
    std::vector<std::string> paths;
    if (!always_glob && pattern.find('*') == std::string::npos) {
        paths.push_back(pattern);
    } else {
        glob_t g{};
        const int rc = ::glob(pattern.c_str(), always_glob ? 0 : GLOB_ERR, nullptr, &g);
        for (std::size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
        ::globfree(&g);
        if (rc != 0 && rc != GLOB_NOMATCH) {
            *error = "cannot list the files it names";
            return false;
        }
    }
    for (const auto& p : paths) {
        SlurmConfText f{p, {}};
        if (!read_text(p, &f.text, error)) return false;
        files->push_back(std::move(f));
    }
    return true;
}

SlurmConfPartitions read_slurm_conf_partitions(const SlurmConfText& slurm_conf, const SlurmConfIncludes& includes) {
    return Reader(slurm_conf, includes).run();
}

std::optional<SlurmConfPartitions> load_slurm_conf(const std::string& slurm_conf, std::string* error) {
    SlurmConfText main{slurm_conf, {}};
    std::string why;
    if (!read_text(slurm_conf, &main.text, &why)) {
        *error = "cannot read " + slurm_conf + ": " + why;
        return std::nullopt;
    }
    return read_slurm_conf_partitions(main, [](const std::string& pattern, std::vector<SlurmConfText>* files,
                                                std::string* why_not) { return read_matching_files(pattern, files, why_not); });
}

}  // namespace grants
