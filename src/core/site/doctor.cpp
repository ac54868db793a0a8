#include "core/site/doctor.h"

#include <algorithm>
#include <set>

#include "core/domain/instance_types.h"
#include "core/site/elf_symbol.h"

namespace grants {

namespace {

Finding error(std::string code, std::string message) {
    return {Severity::Error, std::move(code), std::move(message)};
}
Finding warning(std::string code, std::string message) {
    return {Severity::Warning, std::move(code), std::move(message)};
}
Finding note(std::string code, std::string message) {
    return {Severity::Note, std::move(code), std::move(message)};
}

std::vector<std::string> split(const std::string& list, char sep) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= list.size()) {
        std::size_t end = list.find(sep, pos);
        if (end == std::string::npos) end = list.size();
        std::string item = list.substr(pos, end - pos);
        const auto b = item.find_first_not_of(" \t");
        const auto e = item.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
        pos = end + 1;
    }
    return out;
}

std::string first_names(const std::vector<std::string>& names, std::size_t shown = 4) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
    return out;
}

// "1800 s (30 min)"
std::string seconds_text(std::int64_t s) {
    std::string out = std::to_string(s) + " s";
    if (s >= 120 && s % 60 == 0) out += " (" + std::to_string(s / 60) + " min)";
    return out;
}

std::string where(const PlugstackEntry& e) {
    return e.file + ":" + std::to_string(e.line);
}

// Major and minor of a SLURM_VERSION_NUM.
std::uint32_t series(std::uint32_t v) {
    return v >> 8;
}

}  // namespace

const char* severity_name(Severity s) {
    switch (s) {
        case Severity::Error:
            return "error";
        case Severity::Warning:
            return "warning";
        case Severity::Note:
            return "note";
    }
    return "note";
}

std::vector<Finding> check_job_submit(const std::string& job_submit_plugins, const std::string& controller_version,
                                      const std::string& plugin_dir, const PluginFile& plugin) {
    std::vector<Finding> out;
    bool loaded = false;
    for (const auto& p : split(job_submit_plugins, ',')) loaded |= p == "grants" || p == "job_submit/grants";
    if (!loaded) {
        out.push_back(error("job_submit_not_loaded",
                            "the running slurmctld does not load job_submit/grants (JobSubmitPlugins=" +
                                (job_submit_plugins.empty() ? std::string("(none)") : job_submit_plugins) +
                                "), so jobs on enforced partitions are neither checked nor charged: add grants to "
                                "JobSubmitPlugins in slurm.conf and run 'scontrol reconfigure'."));
    }
    if (plugin.path.empty()) {
        out.push_back(note("job_submit_plugin_not_here",
                           "job_submit_grants.so is not in PluginDir (" + plugin_dir +
                               ") on this host, so its Slurm version was not checked: run grantctl doctor on the "
                               "slurmctld host."));
        return out;
    }
    if (!plugin.version) {
        out.push_back(warning("job_submit_plugin_unreadable", "cannot tell which Slurm " + plugin.path +
                                                                  " was built for (" + plugin.error +
                                                                  "): reinstall slurm-grants built for this Slurm."));
        return out;
    }
    const auto running = slurm_version_number(controller_version);
    if (running && *plugin.version != *running) {
        out.push_back(error("job_submit_version_mismatch",
                            plugin.path + " is built for Slurm " + slurm_version_text(*plugin.version) +
                                " but slurmctld runs " + controller_version +
                                ", and a job_submit plugin must match the exact version: slurmctld will not load it "
                                "at its next start; rebuild slurm-grants against Slurm " +
                                controller_version + " and reinstall it."));
    }
    return out;
}

std::vector<Finding> check_spank(const std::string& plugstack_path, const std::optional<Plugstack>& stack,
                                 const std::string& read_error, const std::vector<SpankEntry>& grants_entries,
                                 const std::string& controller_version) {
    std::vector<Finding> out;
    if (!stack) {
        out.push_back(error("plugstack_unreadable",
                            "cannot read " + plugstack_path +
                                ", the PlugStackConfig that slurmd and the clients read (" + read_error +
                                "), so no node loads spank_grants: create it with the line "
                                "'required spank_grants.so' (or an include of etc/plugstack.conf.d/grants.conf)."));
        return out;
    }
    for (const auto& p : stack->problems) {
        out.push_back(warning("plugstack_problem", p.substr(0, p.size() - (p.empty() || p.back() != '.' ? 0 : 1)) +
                                                       ": fix that line, which Slurm cannot use either."));
    }
    if (grants_entries.empty()) {
        out.push_back(error("spank_not_in_plugstack",
                            "spank_grants is not in " + plugstack_path +
                                " or the files it includes, so sbatch, srun and salloc do not know --award and tasks "
                                "on enforced partitions are not checked: add the line 'required spank_grants.so' "
                                "(etc/plugstack.conf.d/grants.conf shows one)."));
        return out;
    }
    if (grants_entries.size() > 1) {
        out.push_back(warning("spank_loaded_twice",
                              "spank_grants is loaded " + std::to_string(grants_entries.size()) + " times (" +
                                  where(grants_entries[0].entry) + " and " + where(grants_entries[1].entry) +
                                  "), and Slurm refuses a second --award option: keep one line."));
    }
    const auto running = slurm_version_number(controller_version);
    for (const auto& g : grants_entries) {
        if (!g.entry.required) {
            out.push_back(warning("spank_optional",
                                  where(g.entry) +
                                      " loads spank_grants as optional, so a node where it fails to load runs jobs "
                                      "without the task check and without SLURM_AWARD_ID: write 'required' instead."));
        }
        if (g.file.path.empty()) {
            out.push_back(error(
                "spank_plugin_missing",
                where(g.entry) + " names " + g.entry.plugin + ", which is not on this host" +
                    (g.entry.required ? ", so every job step fails here" : ", so Slurm skips it here without a word") +
                    ": install spank_grants.so there or correct the path."));
            continue;
        }
        if (!g.file.version) {
            out.push_back(warning("spank_plugin_unreadable", "cannot tell which Slurm " + g.file.path +
                                                                 " was built for (" + g.file.error +
                                                                 "): reinstall slurm-grants built for this Slurm."));
            continue;
        }
        if (running && series(*g.file.version) != series(*running)) {
            out.push_back(error("spank_version_mismatch",
                                g.file.path + " is built for Slurm " + slurm_version_text(*g.file.version) +
                                    " but slurmctld runs " + controller_version +
                                    ", and a SPANK plugin must match the major and minor version: rebuild "
                                    "slurm-grants against Slurm " +
                                    controller_version + " and reinstall it."));
        }
    }
    return out;
}

std::vector<Finding> check_wckey_tracking(const Policy& policy, bool track_wckey) {
    std::vector<Finding> out;
    if (policy.wckey_is_award && !track_wckey) {
        out.push_back(warning("wckey_not_tracked",
                              "enforce.wckey is 'award' but the running slurmctld has TrackWCKey=no, so jobs get "
                              "their award's WCKey but sreport's WCKey reports stay empty: set TrackWCKey=yes in "
                              "slurm.conf and slurmdbd.conf and restart slurmdbd and slurmctld."));
    }
    return out;
}

std::vector<Finding> check_enforced_partitions_exist(const Policy& policy, const PartitionNodes& live) {
    std::vector<Finding> out;
    for (const auto& name : policy.enforced_partitions) {
        if (live.count(name)) continue;
        out.push_back(error("enforced_partition_missing",
                            "enforce.partitions names " + name +
                                ", which is not a partition of the running Slurm, so nothing is enforced under that "
                                "name: correct the name in grants.yaml (partition names are case-sensitive) or add "
                                "the partition to slurm.conf."));
    }
    return out;
}

std::vector<Finding> check_partition_overlaps(const Policy& policy, const PartitionNodes& live) {
    std::vector<Finding> out;
    for (const auto& o : unenforced_overlaps(live, policy))
        out.push_back(error("partition_overlap", overlap_warning(o)));
    return out;
}

std::vector<Finding> check_instance_type_features(const Policy& policy, const PartitionNodes& live,
                                                  const std::vector<LiveNode>& nodes) {
    std::vector<Finding> out;
    std::map<std::string, const LiveNode*, std::less<>> by_name;
    for (const auto& n : nodes) by_name[n.name] = &n;
    for (const auto& name : policy.enforced_partitions) {
        const PartitionCost* cost = policy.find_partition(name);
        auto it = live.find(name);
        if (!cost || !cost->types_from_features || it == live.end()) continue;
        std::set<std::string> untyped;
        std::set<std::string> seen_features;
        std::size_t hidden = 0;
        for (const auto& node : it->second) {
            auto n = by_name.find(node);
            if (n == by_name.end() || n->second->hidden) {
                ++hidden;
                continue;
            }
            const std::string& features = n->second->features;
            if (!type_of_features(policy, features).empty()) continue;
            untyped.insert(node);
            seen_features.insert(features.empty() ? "(none)" : features);
        }
        if (hidden > 0) {
            out.push_back(note("node_types_hidden", std::to_string(hidden) + " powered-down cloud node" +
                                                        (hidden == 1 ? "" : "s") + " of partition " + name +
                                                        (hidden == 1 ? " is" : " are") +
                                                        " hidden from queries, so their Features were not checked: add "
                                                        "PrivateData=cloud to slurm.conf to show them."));
        }
        if (untyped.empty()) continue;
        const std::vector<std::string> nodes_list(untyped.begin(), untyped.end());
        const std::vector<std::string> features_list(seen_features.begin(), seen_features.end());
        std::string types;
        for (const auto& [t, _] : policy.instance_types) types += (types.empty() ? "" : ", ") + t;
        const std::string what = "partition " + name + " prices nodes by the instance type their Features name, but " +
                                 std::to_string(untyped.size()) + (untyped.size() == 1 ? " node" : " nodes") + " (" +
                                 first_names(nodes_list) + ", Features " + first_names(features_list, 2) +
                                 ") name none the policy knows (" + types + ")";
        if (cost->chips_per_node > 0) {
            out.push_back(warning("node_type_unknown",
                                  what + ", so they are priced as " + std::to_string(cost->chips_per_node) +
                                      " chips at the partition's rate: add their type to the node's Features or to "
                                      "instance_types in grants.yaml."));
        } else {
            out.push_back(error("node_type_unknown",
                                what + ", and the partition has no chips_per_node to fall back on, so jobs that could "
                                       "land there are refused: add their type to the node's Features or to "
                                       "instance_types in grants.yaml."));
        }
    }
    return out;
}

std::vector<Finding> check_cloud_settings(const Policy& policy, const PartitionNodes& live,
                                          const std::vector<LiveNode>& nodes,
                                          const std::map<std::string, PowerSettings, std::less<>>& power) {
    std::vector<Finding> out;
    std::set<std::string, std::less<>> cloud;
    for (const auto& n : nodes) {
        if (n.cloud) cloud.insert(n.name);
    }
    for (const auto& name : policy.enforced_partitions) {
        auto it = live.find(name);
        if (it == live.end()) continue;
        std::size_t count = 0;
        for (const auto& node : it->second) count += cloud.count(node);
        if (count == 0) continue;
        auto p = power.find(name);
        const PowerSettings s = p == power.end() ? PowerSettings{} : p->second;
        const std::string nodes_text =
            "partition " + name + " has " + std::to_string(count) + " cloud" + (count == 1 ? " node" : " nodes");
        if (s.resume_timeout < kMinResumeTimeout) {
            out.push_back(warning("resume_timeout_short",
                                  nodes_text + " but ResumeTimeout is " + seconds_text(s.resume_timeout) +
                                      ", less than a Trainium instance may take to launch and start slurmd, so slow "
                                      "launches are marked failed and their jobs requeued: set ResumeTimeout to at "
                                      "least " +
                                      seconds_text(kMinResumeTimeout) + " (ParallelCluster uses 1800 s)."));
        }
        if (!s.suspend_time) {
            out.push_back(warning("suspend_time_off",
                                  nodes_text + " but SuspendTime is not set (or NONE or negative), so idle instances "
                                               "are never powered down and keep costing money no award pays: set "
                                               "SuspendTime (e.g. 600 s, ParallelCluster's default)."));
        } else if (*s.suspend_time > kMaxSuspendTime) {
            out.push_back(warning("suspend_time_long",
                                  nodes_text + " and SuspendTime is " + seconds_text(*s.suspend_time) +
                                      ", so each instance may sit idle that long after its last job at the site's "
                                      "cost: set SuspendTime to at most " +
                                      seconds_text(kMaxSuspendTime) + " (600 s is ParallelCluster's default)."));
        }
    }
    return out;
}

std::vector<Finding> check_time_zone(const ZoneInfo& ours, const std::optional<ZoneInfo>& controller,
                                     const std::string& why) {
    std::vector<Finding> out;
    if (!controller) {
        out.push_back(note("time_zone_unknown",
                           "award ends (valid.until) are inclusive in slurmctld's local time zone, which could not be "
                           "read (" +
                               why + "); grantctl runs in " + ours.name + " (from " + ours.source +
                               "): run grantctl doctor as root on the slurmctld host to compare them."));
        return out;
    }
    out.push_back(note("time_zone", "award ends (valid.until) are inclusive in slurmctld's time zone, " +
                                        controller->name + " (from its " + controller->source + ")."));
    const bool same = ours.name == controller->name || (!ours.data.empty() && ours.data == controller->data);
    if (!same) {
        out.push_back(warning("time_zone_differs",
                              "grantctl runs in time zone " + ours.name + " (from " + ours.source +
                                  ") but slurmctld in " + controller->name + " (from its " + controller->source +
                                  "), so the days grantctl reads and shows (report --since/--until, today's "
                                  "validity) are not the controller's: run grantctl with TZ=" +
                                  controller->name + ", or give slurmctld the zone you mean."));
    }
    return out;
}

int doctor_exit_status(const std::vector<Finding>& findings, bool strict) {
    for (const auto& f : findings) {
        if (f.severity == Severity::Error || (strict && f.severity == Severity::Warning)) return 1;
    }
    return 0;
}

}  // namespace grants
