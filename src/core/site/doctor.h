// grantctl doctor's rules: what is wrong with a live installation, each as
// one finding (a severity, a stable code scripts may match, and one sentence
// saying what is wrong and how to fix it). Plain facts in (the running
// controller's settings, partitions and nodes, plugstack.conf as read, the
// plugin files' built-for versions, the policy, the time zones); findings
// out. The CLI (src/cli/doctor_command.cpp) gathers the facts; nothing here
// touches Slurm or the disk. docs/admin-guide.md "Checking an installation"
// lists the codes and the thresholds below.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/partition_overlap.h"
#include "core/policy/policy.h"
#include "core/site/plugstack.h"

namespace grants {

enum class Severity { Error, Warning, Note };

struct Finding {
    Severity severity = Severity::Note;
    std::string code;     // stable, e.g. "job_submit_not_loaded"
    std::string message;  // one sentence: what is wrong, and what to do
};

const char* severity_name(Severity s);  // "error", "warning", "note"

// A plugin file as found on this host. path "" when it was not found; version
// nullopt when the file could not be read (error says why).
struct PluginFile {
    std::string path;
    std::optional<std::uint32_t> version;  // its plugin_version (SLURM_VERSION_NUM)
    std::string error;
};

// 1. job_submit/grants in the running slurmctld's JobSubmitPlugins (as
// `scontrol show config` shows it), and job_submit_grants.so in its PluginDir
// built for exactly the controller's version (non-SPANK plugins must match
// major, minor and micro).
std::vector<Finding> check_job_submit(const std::string& job_submit_plugins, const std::string& controller_version,
                                      const std::string& plugin_dir, const PluginFile& plugin);

// One plugstack line that loads spank_grants.so, and the file it resolves to.
struct SpankEntry {
    PlugstackEntry entry;
    PluginFile file;
};

// 2. spank_grants in the plugstack that slurmd and the login nodes read
// (PlugStackConfig, includes followed): present, required, loaded once, the
// file there, built for the controller's major.minor (SPANK plugins must
// match those). stack nullopt: the file could not be read (read_error why).
std::vector<Finding> check_spank(const std::string& plugstack_path, const std::optional<Plugstack>& stack,
                                 const std::string& read_error, const std::vector<SpankEntry>& grants_entries,
                                 const std::string& controller_version);

// 3. Every enforced partition exists in the running Slurm.
std::vector<Finding> check_enforced_partitions_exist(const Policy& policy, const PartitionNodes& live);

// 3b. enforce.wckey: award needs TrackWCKey=yes in the running slurmctld
// (its conf_flags, as `scontrol show config` shows TrackWCKey).
std::vector<Finding> check_wckey_tracking(const Policy& policy, bool track_wckey);

// 4. Unenforced, unexempt partitions over enforced nodes (partition_overlap.h).
std::vector<Finding> check_partition_overlaps(const Policy& policy, const PartitionNodes& live);

struct LiveNode {
    std::string name;
    std::string features;  // available features, comma-separated
    bool cloud = false;    // State=CLOUD or power-saving (powered down/up)
    // In a partition but not in the node table: slurmctld hides powered-down
    // cloud nodes from every query unless slurm.conf has PrivateData=cloud.
    // Counted as cloud nodes; their Features are unknown.
    bool hidden = false;
};

// 5. On enforced `instance_type: features` partitions, nodes whose Features
// name no instance type the policy knows: an error when the partition has no
// chips_per_node to fall back on (jobs that could land there are refused),
// a warning when it has (they are priced as chips_per_node, not as their type).
// Hidden nodes cannot be checked: a note says so and how to show them.
std::vector<Finding> check_instance_type_features(const Policy& policy, const PartitionNodes& live,
                                                  const std::vector<LiveNode>& nodes);

// Power saving as it applies to one partition's nodes: the partition's own
// value if set, else slurm.conf's.
struct PowerSettings {
    std::int64_t resume_timeout = 60;          // seconds
    std::optional<std::int64_t> suspend_time;  // seconds; nullopt: never suspended (NONE, -1, unset)
};

// A Trainium instance's launch until slurmd registers: EC2 start, boot, the
// node's configuration. ParallelCluster's default ResumeTimeout is 1800 s.
inline constexpr std::int64_t kMinResumeTimeout = 600;
// An idle instance costs what a busy one does; ParallelCluster suspends after
// 10 minutes (ScaledownIdletime). Longer than this is called out.
inline constexpr std::int64_t kMaxSuspendTime = 1800;

// 6. Enforced partitions with cloud nodes: ResumeTimeout at least
// kMinResumeTimeout (a launch cut short is a failed launch, the job
// requeued), SuspendTime set and at most kMaxSuspendTime (idle instances
// cost the site money no award pays). power: by partition name; a partition
// missing there has the defaults of PowerSettings.
std::vector<Finding> check_cloud_settings(const Policy& policy, const PartitionNodes& live,
                                          const std::vector<LiveNode>& nodes,
                                          const std::map<std::string, PowerSettings, std::less<>>& power);

// A time zone as a process uses it: its name ("Europe/Berlin", or "UTC"),
// where that came from ("TZ", "/etc/localtime"), and the zone file's bytes
// when found ("" otherwise), which tell apart names of the same zone.
struct ZoneInfo {
    std::string name;
    std::string source;
    std::string data;
};

// 7. valid.until is inclusive in slurmctld's local zone: says which zone that
// is (a note), and warns when grantctl's zone differs (the dates balance,
// quote and report show and read are then another day's). controller
// nullopt: not known (why says why, e.g. slurmctld runs on another host).
std::vector<Finding> check_time_zone(const ZoneInfo& ours, const std::optional<ZoneInfo>& controller,
                                     const std::string& why);

// 0 when no error (and, with strict, no warning) is among findings; else 1.
int doctor_exit_status(const std::vector<Finding>& findings, bool strict);

}  // namespace grants
