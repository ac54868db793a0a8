// plugstack.conf as slurmd, slurmstepd and the clients on login nodes read
// it (Slurm's plugstack.c): "required|optional PLUGIN [ARGS...]" lines and
// "include PATTERN" lines (a relative pattern is taken from the directory of
// the file that names it, and globbed). grantctl doctor looks for
// spank_grants there. The caller reads the files: the core touches no disk.
#pragma once

#include <string>
#include <vector>

#include "core/site/slurm_conf_nodes.h"

namespace grants {

struct PlugstackEntry {
    std::string file;  // the file and line that load it
    int line = 0;
    bool required = false;
    std::string plugin;  // as written: a path, or a name looked up in PluginDir
    std::vector<std::string> args;
};

struct Plugstack {
    std::vector<PlugstackEntry> entries;  // in load order
    // "FILE:LINE: sentence" for what Slurm would not understand or could not
    // read (an unknown word, an include it cannot list).
    std::vector<std::string> problems;
};

// includes: as for slurm.conf (slurm_conf_nodes.h), given the resolved
// pattern; a pattern that matches nothing adds nothing, as in Slurm.
Plugstack read_plugstack(const SlurmConfText& plugstack, const SlurmConfIncludes& includes);

// The file name of an entry's plugin ("/usr/lib/slurm/spank_grants.so" -> "spank_grants.so").
std::string plugin_file_name(const std::string& plugin);

// Where Slurm finds an entry's plugin: an absolute path as it is, else the
// first directory of plugin_dir (':'-separated) for which exists() is true.
// "" when none.
template <typename Exists>
std::string resolve_plugin(const std::string& plugin, const std::string& plugin_dir, Exists exists) {
    if (!plugin.empty() && plugin[0] == '/') return plugin;
    std::size_t pos = 0;
    while (pos <= plugin_dir.size()) {
        std::size_t colon = plugin_dir.find(':', pos);
        if (colon == std::string::npos) colon = plugin_dir.size();
        std::string dir = plugin_dir.substr(pos, colon - pos);
        pos = colon + 1;
        if (dir.empty()) continue;
        if (dir.back() != '/') dir += '/';
        if (exists(dir + plugin)) return dir + plugin;
    }
    return "";
}

}  // namespace grants
