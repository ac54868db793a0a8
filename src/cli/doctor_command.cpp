// grantctl doctor: gathers the facts of a live installation (the running
// slurmctld's settings, partitions and nodes through libslurm; plugstack.conf,
// the plugin files, the policy and the time zones from this host's disk) and
// prints what core/site/doctor.h finds in them.
#include <glob.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/slurm_conf.h"
#include "core/base/hostlist.h"
#include "core/policy/paths.h"
#include "core/policy/policy_file.h"
#include "core/site/doctor.h"
#include "core/site/elf_symbol.h"
#include "core/site/plugstack.h"
#include "grants_config.h"

extern "C" {
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
}

namespace grants::cli {

namespace {

const char kDoctorUsage[] =
    "Usage: grantctl doctor [--json] [--strict] [--policy FILE]\n"
    "\n"
    "Check the live installation and say, one line per problem, what is wrong\n"
    "and how to fix it: job_submit/grants loaded by the running slurmctld and\n"
    "built for its exact Slurm version; spank_grants in the plugstack.conf that\n"
    "slurmd and the clients read (includes followed), required, built for this\n"
    "Slurm; every enforced partition exists; no unenforced partition has\n"
    "enforced nodes; on `instance_type: features` partitions every node's\n"
    "Features name a known instance type; on enforced partitions with cloud\n"
    "nodes, ResumeTimeout and SuspendTime; and the time zone award ends are in.\n"
    "Lines start with error:, warning: or note: (a check that could not be\n"
    "done here, or a fact); \"No problem found.\" when there is no error or warning.\n"
    "Run it as root (or SlurmUser) on the slurmctld host for every check.\n"
    "\n"
    "Options:\n"
    "  --json         print {\"findings\":[{\"severity\",\"code\",\"message\"}...],...}\n"
    "  --strict       exit 1 on warnings too\n"
    "  --policy FILE  the policy to check against (default: grants.yaml next to slurm.conf)\n"
    "  -h, --help     show this help\n"
    "\n"
    "Exit status: 0 no error (warnings alone exit 0 unless --strict), 1 errors\n"
    "found (or slurmctld unreachable), 2 usage error.\n";

std::string text_or_empty(const char* s) {
    return s ? s : "";
}

bool exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

PluginFile plugin_file(const std::string& path) {
    PluginFile f;
    f.path = path;
    if (path.empty()) return f;
    std::string image, why;
    if (!read_text(path, &image, &why)) {
        f.error = "cannot read it: " + why;
        return f;
    }
    f.version = elf_u32_symbol(image, "plugin_version", &f.error);
    return f;
}

// ---------------------------------------------------------------- time zones

std::string zone_dir() {
    const char* dir = std::getenv("TZDIR");
    return dir && *dir ? dir : "/usr/share/zoneinfo";
}

std::string read_or_empty(const std::string& path) {
    std::string text, why;
    return read_text(path, &text, &why) ? text : std::string();
}

// The zone of a process with this TZ (nullopt: unset) and root directory
// ("" for ours, "/proc/PID/root" for another process's).
ZoneInfo zone_of(const std::optional<std::string>& tz, const std::string& root) {
    ZoneInfo z;
    if (tz) {
        std::string name = *tz;
        if (!name.empty() && name[0] == ':') name = name.substr(1);
        z.name = name.empty() ? "UTC" : name;
        z.source = "TZ";
        // TZ="" is UTC to glibc.
        const std::string file = name.empty() ? "UTC" : name;
        z.data = read_or_empty(root + (file[0] == '/' ? file : zone_dir() + "/" + file));
        return z;
    }
    const std::string localtime = root + "/etc/localtime";
    z.source = "/etc/localtime";
    char target[4096];
    const ssize_t n = ::readlink(localtime.c_str(), target, sizeof target - 1);
    if (n > 0) {
        std::string t(target, static_cast<std::size_t>(n));
        const auto at = t.find("zoneinfo/");
        z.name = at == std::string::npos ? t : t.substr(at + 9);
    }
    z.data = read_or_empty(localtime);
    if (z.data.empty() && n <= 0) {
        z.name = "UTC";
        z.source = "default (no /etc/localtime)";
    } else if (z.name.empty()) {
        std::string timezone = read_or_empty(root + "/etc/timezone");
        while (!timezone.empty() && (timezone.back() == '\n' || timezone.back() == ' ')) timezone.pop_back();
        z.name = timezone.empty() ? "the zone in /etc/localtime" : timezone;
    }
    return z;
}

// slurmctld's zone when it runs on this host (its pid file names a live
// slurmctld) and its environment can be read; else nullopt and *why.
std::optional<ZoneInfo> controller_zone(const std::string& pid_file, std::string* why) {
    std::string text, err;
    if (pid_file.empty() || !read_text(pid_file, &text, &err)) {
        *why = "slurmctld does not run on this host: no pid file " + pid_file;
        return std::nullopt;
    }
    const long pid = std::strtol(text.c_str(), nullptr, 10);
    const std::string proc = "/proc/" + std::to_string(pid);
    std::string comm = read_or_empty(proc + "/comm");
    if (pid <= 0 || comm.rfind("slurmctld", 0) != 0) {
        *why = "no slurmctld runs on this host with the pid in " + pid_file;
        return std::nullopt;
    }
    std::string environ;
    if (!read_text(proc + "/environ", &environ, &err)) {
        *why = "reading slurmctld's environment (" + proc + "/environ) needs root or SlurmUser";
        return std::nullopt;
    }
    std::optional<std::string> tz;
    std::size_t pos = 0;
    while (pos < environ.size()) {
        std::size_t end = environ.find('\0', pos);
        if (end == std::string::npos) end = environ.size();
        if (environ.compare(pos, 3, "TZ=") == 0) tz = environ.substr(pos + 3, end - pos - 3);
        pos = end + 1;
    }
    // Its own root: a slurmctld in a container has its own /etc/localtime.
    const std::string root = ::access((proc + "/root/").c_str(), R_OK) == 0 ? proc + "/root" : "";
    return zone_of(tz, root);
}

// ---------------------------------------------------------------- output

void print_text(const std::vector<Finding>& findings) {
    bool problem = false;
    for (const auto& f : findings) {
        std::cout << severity_name(f.severity) << ": " << f.message << "\n";
        problem |= f.severity != Severity::Note;
    }
    if (!problem) std::cout << "No problem found.\n";
}

void print_json(const std::vector<Finding>& findings, const std::string& controller_version) {
    int counts[3] = {0, 0, 0};
    std::cout << "{\"controller_version\":" << json_string(controller_version) << ",\"findings\":[";
    for (std::size_t i = 0; i < findings.size(); ++i) {
        const auto& f = findings[i];
        ++counts[static_cast<int>(f.severity)];
        std::cout << (i ? "," : "") << "{\"severity\":\"" << severity_name(f.severity)
                  << "\",\"code\":" << json_string(f.code) << ",\"message\":" << json_string(f.message) << "}";
    }
    std::cout << "],\"errors\":" << counts[0] << ",\"warnings\":" << counts[1] << ",\"notes\":" << counts[2] << "}\n";
}

bool is_cloud(std::uint32_t state) {
    return (state & (NODE_STATE_CLOUD | NODE_STATE_POWERED_DOWN | NODE_STATE_POWERING_UP | NODE_STATE_POWERING_DOWN)) !=
           0;
}

// 2. spank_grants in PlugStackConfig (include lines followed as Slurm does).
std::vector<Finding> spank_findings(const std::string& plugstack_path, const std::string& plugin_dir,
                                    const std::string& version) {
    SlurmConfText main{plugstack_path, {}};
    std::string why;
    std::optional<Plugstack> stack;
    std::vector<SpankEntry> grants_entries;
    if (read_text(plugstack_path, &main.text, &why)) {
        // plugstack.conf's include is always a glob (plugstack.c): no match adds nothing.
        stack = read_plugstack(main, [](const std::string& pattern, std::vector<SlurmConfText>* files,
                                        std::string* error) { return read_matching_files(pattern, files, error, true); });
        for (const auto& e : stack->entries) {
            if (plugin_file_name(e.plugin) != "spank_grants.so") continue;
            const std::string path = resolve_plugin(e.plugin, plugin_dir, exists);
            grants_entries.push_back({e, plugin_file(exists(path) ? path : "")});
        }
    }
    return check_spank(plugstack_path, stack, why, grants_entries, version);
}

// The running partitions (their nodes and power settings) and nodes.
struct LiveCluster {
    PartitionNodes partitions;
    std::map<std::string, PowerSettings, std::less<>> power;
    std::vector<LiveNode> nodes;
};

// A partition's power settings over the global ones.
PowerSettings partition_power(const partition_info_t& p, const PowerSettings& global) {
    PowerSettings s = global;
    if (p.resume_timeout != NO_VAL16 && p.resume_timeout != INFINITE16) s.resume_timeout = p.resume_timeout;
    if (p.suspend_time == INFINITE) {
        s.suspend_time.reset();
    } else if (p.suspend_time != NO_VAL) {
        if (static_cast<std::int32_t>(p.suspend_time) >= 0) {
            s.suspend_time = p.suspend_time;
        } else {
            s.suspend_time.reset();
        }
    }
    return s;
}

LiveCluster load_live_cluster(const PowerSettings& global, std::vector<Finding>* findings) {
    LiveCluster c;
    partition_info_msg_t* parts = nullptr;
    node_info_msg_t* node_msg = nullptr;
    if (slurm_load_partitions(0, &parts, SHOW_ALL) == SLURM_SUCCESS && parts) {
        for (std::uint32_t i = 0; i < parts->record_count; ++i) {
            const partition_info_t& p = parts->partition_array[i];
            if (!p.name) continue;
            std::string error;
            auto names = expand_hostlist(text_or_empty(p.nodes), &error);
            c.partitions[p.name] = names ? *names : std::vector<std::string>{};
            c.power[p.name] = partition_power(p, global);
        }
        slurm_free_partition_info_msg(parts);
    } else {
        findings->push_back({Severity::Error, "partitions_unreadable",
                             std::string("cannot load the partitions from slurmctld (") + slurm_strerror(errno) +
                                 "), so partitions and nodes were not checked: try again, or see slurmctld.log."});
    }
    std::set<std::string> known;
    const bool nodes_loaded = slurm_load_node(0, &node_msg, SHOW_ALL | SHOW_FUTURE) == SLURM_SUCCESS && node_msg;
    if (!nodes_loaded) return c;
    for (std::uint32_t i = 0; i < node_msg->record_count; ++i) {
        const node_info_t& n = node_msg->node_array[i];
        if (!n.name || !*n.name) continue;
        c.nodes.push_back({n.name, text_or_empty(n.features), is_cloud(n.node_state), false});
        known.insert(n.name);
    }
    slurm_free_node_info_msg(node_msg);
    // What partitions list and the node table does not show: powered-down
    // cloud nodes, hidden without PrivateData=cloud.
    for (const auto& [part, names] : c.partitions) {
        for (const auto& name : names) {
            if (known.insert(name).second) c.nodes.push_back({name, "", true, true});
        }
    }
    return c;
}

// 3 to 6 need the policy: enforced partitions, TrackWCKey for enforce.wckey, overlaps, instance types,
// cloud settings.
std::vector<Finding> policy_findings(const std::string& policy_path, const std::string& slurm_conf,
                                     const LiveCluster& live, bool track_wckey) {
    if (::access(policy_path.c_str(), R_OK) != 0) {
        const int err = errno;
        return {{err == ENOENT ? Severity::Error : Severity::Note, err == ENOENT ? "policy_missing" : "policy_unreadable",
                 err == ENOENT ? "there is no policy at " + policy_path +
                                     ", so slurmctld enforces nothing (or refuses in-scope jobs when on_error is "
                                     "closed): write it (etc/grants.yaml.example), or pass --policy FILE if it lives "
                                     "elsewhere."
                               : "cannot read the policy " + policy_path + " (" + std::strerror(err) +
                                     "), so partitions, node types and cloud settings were not checked: run grantctl "
                                     "doctor as root or SlurmUser."}};
    }
    PolicyFileLoad load = load_trusted_policy_file(policy_path, trusted_owners(slurm_conf));
    if (!load.policy) {
        return {{Severity::Error, "policy_invalid",
                 "the policy " + policy_path + " is refused (" +
                     (load.errors.empty() ? std::string("no reason given") : load.errors.front().to_string()) +
                     "), so partitions, node types and cloud settings were not checked: run 'grantctl "
                     "check' and fix what it says."}};
    }
    std::vector<Finding> findings;
    if (live.partitions.empty()) return findings;
    const Policy& policy = *load.policy;
    auto add = [&](std::vector<Finding> more) { findings.insert(findings.end(), more.begin(), more.end()); };
    add(check_enforced_partitions_exist(policy, live.partitions));
    add(check_wckey_tracking(policy, track_wckey));
    add(check_partition_overlaps(policy, live.partitions));
    add(check_instance_type_features(policy, live.partitions, live.nodes));
    add(check_cloud_settings(policy, live.partitions, live.nodes, live.power));
    return findings;
}

// 7. Time zones: grantctl's against the controller's.
std::vector<Finding> time_zone_findings(const std::string& pid_file) {
    std::string why;
    const char* tz = std::getenv("TZ");
    auto ours = zone_of(tz ? std::optional<std::string>(tz) : std::nullopt, "");
    auto theirs = controller_zone(pid_file, &why);
    return check_time_zone(ours, theirs, why);
}

}  // namespace

int run_doctor(const std::vector<std::string>& args) {
    ParsedArgs opts;
    if (auto stop = parse_command(args, {{"json", 0, false}, {"strict", 0, false}, {"policy", 0, true}}, kDoctorUsage,
                                  "doctor", &opts)) {
        return *stop;
    }
    const bool json = opts.has("json");
    // libslurm exits (configless DNS lookup, then fatal) without a readable slurm.conf.
    if (const std::string conf = slurm_conf_path(); ::access(conf.c_str(), R_OK) != 0) {
        return refused("cannot read " + conf + " (" + std::strerror(errno) +
                       "): run grantctl doctor where slurm.conf is, or set SLURM_CONF.");
    }
    slurm_init(nullptr);
    std::vector<Finding> findings;
    auto finish = [&](const std::string& version) {
        if (json) {
            print_json(findings, version);
        } else {
            print_text(findings);
        }
        return doctor_exit_status(findings, opts.has("strict"));
    };

    slurm_conf_t* conf = nullptr;
    if (slurm_load_ctl_conf(0, &conf) != SLURM_SUCCESS || !conf) {
        findings.push_back(
            {Severity::Error, "controller_unreachable",
             std::string("cannot reach slurmctld (") + slurm_strerror(errno) +
                 "), so nothing was checked: start it, or point SLURM_CONF at the cluster's slurm.conf."});
        const int status = finish("");
        slurm_fini();
        return status;
    }
    const std::string version = text_or_empty(conf->version);
    const std::string plugin_dir = text_or_empty(conf->plugindir);
    const std::string plugstack_path = text_or_empty(conf->plugstack);
    const std::string pid_file = text_or_empty(conf->slurmctld_pidfile);
    // TrackWCKey: CTL_CONF_WCKEY up to 23.02, CONF_FLAG_WCKEY from 23.11 (the same bit).
#if defined(CONF_FLAG_WCKEY)
    const bool track_wckey = (conf->conf_flags & CONF_FLAG_WCKEY) != 0;
#else
    const bool track_wckey = (conf->conf_flags & CTL_CONF_WCKEY) != 0;
#endif
    PowerSettings global;
    global.resume_timeout = conf->resume_timeout;
    if (conf->suspend_time != INFINITE && conf->suspend_time != NO_VAL && conf->suspend_time != NO_VAL16 &&
        static_cast<std::int32_t>(conf->suspend_time) >= 0) {
        global.suspend_time = conf->suspend_time;
    }

    // 1. job_submit/grants in the controller, and its file's version.
    findings = check_job_submit(text_or_empty(conf->job_submit_plugins), version, plugin_dir,
                                plugin_file(resolve_plugin("job_submit_grants.so", plugin_dir, exists)));

    // 2. spank_grants in PlugStackConfig.
    {
        auto more = spank_findings(plugstack_path, plugin_dir, version);
        findings.insert(findings.end(), more.begin(), more.end());
    }
    slurm_free_ctl_conf(conf);

    const LiveCluster live = load_live_cluster(global, &findings);
    const std::string slurm_conf = slurm_conf_path();
    const std::string policy_path = opts.value("policy") ? *opts.value("policy") : policy_path_next_to(slurm_conf);
    for (Finding& f : policy_findings(policy_path, slurm_conf, live, track_wckey)) findings.push_back(std::move(f));
    for (Finding& f : time_zone_findings(pid_file)) findings.push_back(std::move(f));
    const int status = finish(version);
    slurm_fini();
    return status;
}

}  // namespace grants::cli
