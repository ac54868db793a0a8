#include "core/site/plugstack.h"

#include <sstream>

namespace grants {

namespace {

constexpr int kMaxIncludeDepth = 16;

std::vector<std::string> words_of(const std::string& line) {
    std::vector<std::string> words;
    std::istringstream in(line);
    std::string w;
    while (in >> w) words.push_back(w);
    return words;
}

std::string dir_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

void read_one(const SlurmConfText& file, const SlurmConfIncludes& includes, int depth, Plugstack* out) {
    std::istringstream in(file.text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        line = line.substr(0, line.find('#'));
        const auto words = words_of(line);
        if (words.empty()) continue;
        const std::string where = file.path + ":" + std::to_string(number) + ": ";
        if (words[0] == "include") {
            if (words.size() < 2) {
                out->problems.push_back(where + "an include line names no file.");
                continue;
            }
            if (depth >= kMaxIncludeDepth) {
                out->problems.push_back(where + "includes nest deeper than " + std::to_string(kMaxIncludeDepth) +
                                        " files (a loop?).");
                continue;
            }
            const std::string pattern = words[1][0] == '/' ? words[1] : dir_of(file.path) + "/" + words[1];
            std::vector<SlurmConfText> files;
            std::string error;
            if (!includes(pattern, &files, &error)) {
                out->problems.push_back(where + "cannot read " + pattern + ": " + error + ".");
                continue;
            }
            for (const auto& f : files) read_one(f, includes, depth + 1, out);
            continue;
        }
        if (words[0] != "required" && words[0] != "optional") {
            out->problems.push_back(where + "'" + words[0] + "' is not required, optional or include.");
            continue;
        }
        if (words.size() < 2) {
            out->problems.push_back(where + "a " + words[0] + " line names no plugin.");
            continue;
        }
        PlugstackEntry e;
        e.file = file.path;
        e.line = number;
        e.required = words[0] == "required";
        e.plugin = words[1];
        e.args.assign(words.begin() + 2, words.end());
        out->entries.push_back(std::move(e));
    }
}

}  // namespace

Plugstack read_plugstack(const SlurmConfText& plugstack, const SlurmConfIncludes& includes) {
    Plugstack out;
    read_one(plugstack, includes, 0, &out);
    return out;
}

std::string plugin_file_name(const std::string& plugin) {
    const auto slash = plugin.rfind('/');
    return slash == std::string::npos ? plugin : plugin.substr(slash + 1);
}

}  // namespace grants
