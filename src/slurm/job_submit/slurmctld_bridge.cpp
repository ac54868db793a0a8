// The C++ face of slurmctld_internals.c: std::string in and out, and the
// accounting pass's walk over the job list kept exception-free while
// slurmctld's locks are held. No Slurm internal header is included here.
#include "slurmctld_bridge.h"

#include <dlfcn.h>

#include <cstdio>
#include <new>

#include "core/domain/admin_comment.h"
#include "core/domain/job_observation.h"
#include "slurmctld_internals.h"

namespace grants::slurmctld {

char* slurm_strdup(const std::string& text) { return grants_ctld_strdup(text.c_str()); }

void replace_slurm_string(char** field, const std::string& text) { grants_ctld_replace_string(field, text.c_str()); }

void log_info(const std::string& message) { grants_ctld_log(0, message.c_str()); }
void log_error(const std::string& message) { grants_ctld_log(1, message.c_str()); }

std::string slurm_conf_path() { return grants_ctld_conf_path(); }
std::string default_partition() { return grants_ctld_default_partition(); }
std::string state_save_location() { return grants_ctld_state_save_location(); }
std::uint32_t slurm_user_id() { return grants_ctld_slurm_user_id(); }
long long conf_last_update() { return grants_ctld_conf_last_update(); }
bool track_wckey() { return grants_ctld_track_wckey() != 0; }
bool is_operator(std::uint32_t uid) { return grants_ctld_is_operator(uid) != 0; }
std::string cluster_name() { return grants_ctld_cluster_name(); }
std::string default_account(std::uint32_t uid) {
    char name[256];
    const std::size_t n = grants_ctld_default_account(uid, name, sizeof name);
    return std::string(name, n);
}

JobSnapshot snapshot_job(const struct job_record* job) {
    JobSnapshot s;
    if (!job) return s;
    grants_job_view v;
    grants_ctld_view_job(job, nullptr, &v);
    s.job_id = v.job_id;
    s.user_id = v.user_id;
    s.group_id = v.group_id;
    if (v.admin_comment) s.admin_comment = v.admin_comment;
    if (v.wckey) s.wckey = v.wckey;
    if (v.partition) s.partition = v.partition;
    if (v.account) s.account = v.account;
    s.running = !v.is_pending && !v.is_finished && v.start_time > 0;
    s.end_time = v.end_time;
    if (s.running) s.start_time = v.start_time;
    s.pending = v.is_pending != 0;
    s.held = v.held != 0;
    s.restart_count = v.restart_count;
    s.begin_time = v.begin_time;
    return s;
}

PartitionFacts partition_facts(const std::string& name) {
    PartitionFacts f;
    std::int64_t default_time = -1, total_nodes = 0;
    int exclusive = 0;
    if (!grants_ctld_partition_facts(name.c_str(), &default_time, &total_nodes, &exclusive)) return f;
    if (default_time >= 0) f.default_time_minutes = default_time;
    f.total_nodes = total_nodes;
    f.exclusive = exclusive != 0;
    return f;
}

std::optional<std::vector<NodeRecord>> nodes_if_changed(long long stamp[2]) {
    std::vector<NodeRecord> nodes;
    auto visit = [](const char* name, const char* features, const char* partitions, void* arg) {
        auto* out = static_cast<std::vector<NodeRecord>*>(arg);
        try {
            out->push_back(NodeRecord{name ? name : "", features ? features : "", partitions ? partitions : ""});
        } catch (...) {
            // Out of memory: the table is short; the next change rebuilds it.
        }
    };
    if (!grants_ctld_list_nodes(stamp, visit, &nodes)) return std::nullopt;
    return nodes;
}

std::optional<std::vector<NodePower>> node_power_changes(bool full, bool* complete) {
    struct Copy {
        std::vector<NodePower> nodes;
        bool short_of_memory = false;
    } copy;
    // Runs under slurmctld's node and partition read locks: nothing may throw out of it.
    auto visit = [](const char* name, int state, const char* partitions, void* arg) noexcept {
        auto* c = static_cast<Copy*>(arg);
        try {
            PowerState s = state == GRANTS_POWER_BOOTING ? PowerState::Booting
                           : state == GRANTS_POWER_BUSY  ? PowerState::Busy
                           : state == GRANTS_POWER_IDLE  ? PowerState::Idle
                                                         : PowerState::Off;
            c->nodes.push_back(NodePower{name ? name : "", s, partitions ? partitions : ""});
        } catch (...) {
            c->short_of_memory = true;
        }
    };
    const int seen = grants_ctld_node_power_changes(full ? 1 : 0, visit, &copy);
    if (copy.short_of_memory) {
        grants_ctld_node_power_reset();  // the states were updated for nodes we lost
        return std::nullopt;
    }
    *complete = seen < 0;
    return std::move(copy.nodes);
}

void forget_node_power() { grants_ctld_node_power_reset(); }

std::optional<std::vector<std::pair<std::string, std::string>>> partitions_if_changed(long long* stamp) {
    struct Copy {
        std::vector<std::pair<std::string, std::string>> parts;
        bool short_of_memory = false;
    } copy;
    // Runs under slurmctld's node and partition read locks: nothing may throw out of it.
    auto visit = [](const char* name, const char* nodes, void* arg) noexcept {
        auto* c = static_cast<Copy*>(arg);
        try {
            c->parts.emplace_back(name ? name : "", nodes ? nodes : "");
        } catch (...) {
            c->short_of_memory = true;
        }
    };
    if (!grants_ctld_list_partitions(stamp, visit, &copy)) return std::nullopt;
    if (copy.short_of_memory) {
        *stamp = -1;  // read them again next time
        return std::nullopt;
    }
    return std::move(copy.parts);
}

JobShape shape_of_job(const struct job_record* job) {
    JobShape shape;
    grants_job_view v;
    grants_ctld_view_job(job, nullptr, &v);
    requested_shape(v, shape);
    // An update of a pending array's meta record applies to every task it still holds.
    if (v.array_task_cnt > 0 && v.is_pending) shape.array_tasks = v.array_task_cnt;
    return shape;
}

namespace {

JobListStamp from_c(const grants_job_list_stamp& c) {
    JobListStamp s;
    s.list = c.list;
    s.last_update = c.last_update;
    s.read_at = c.read_at;
    s.started = c.started;
    s.completed = c.completed;
    s.canceled = c.canceled;
    s.failed = c.failed;
    s.recovered = c.recovered != 0;
    return s;
}

struct Walk {
    std::vector<JobObservation>* out;
    std::size_t next;
};

// Runs under slurmctld's job and partition read locks: an exception must not
// unwind through Slurm's C code with the locks held. It stops the walk instead.
extern "C" int observe_one(const grants_job_view* view, void* arg) noexcept {
    Walk* w = static_cast<Walk*>(arg);
    try {
        if (w->next == w->out->size()) w->out->emplace_back();
        observe_job(*view, (*w->out)[w->next]);
        ++w->next;
        return 0;
    } catch (...) {
        return -1;
    }
}

}  // namespace

JobListStamp job_list_stamp() {
    grants_job_list_stamp c{};
    grants_ctld_job_list_stamp(&c);
    return from_c(c);
}

bool observe_jobs(const char* marker_variable, std::vector<JobObservation>* out, JobListStamp* stamp) {
    Walk w{out, 0};
    grants_job_list_stamp c{};
    const int rc = grants_ctld_walk_jobs(marker_variable, observe_one, &w, &c);
    if (stamp) *stamp = from_c(c);
    out->resize(w.next);  // shrinking keeps the capacity (and the strings' buffers) for the next pass
    return rc == 0;
}

void set_spank_env(struct job_descriptor* job_desc, const std::string& name, const std::string& value) {
    grants_ctld_set_spank_env(job_desc, name.c_str(), value.c_str());
}

bool in_control() { return grants_ctld_in_control() != 0; }

int hold_jobs(const std::vector<JobToHold>& jobs) {
    std::vector<std::uint32_t> ids;
    std::vector<const char*> reasons;
    ids.reserve(jobs.size());
    reasons.reserve(jobs.size());
    for (const auto& j : jobs) {
        ids.push_back(j.job_id);
        reasons.push_back(j.reason.c_str());
    }
    return grants_ctld_hold_jobs(jobs.size(), ids.data(), reasons.data());
}

int hold_reruns(const std::vector<RerunVerdict>& refused) {
    std::vector<std::uint32_t> ids, attempts;
    std::vector<const char*> reasons;
    for (const auto& v : refused) {
        ids.push_back(v.rerun.job_id);
        attempts.push_back(v.rerun.attempt);
        reasons.push_back(v.reason.c_str());
    }
    return grants_ctld_hold_reruns(ids.size(), ids.data(), attempts.data(), reasons.data());
}

namespace {
// Runs under slurmctld's job write lock: no exception leaves it. out_size
// leaves room for the tag (at most 29 characters and a space).
void retag_deadline(const char* comment, std::int64_t deadline, char* out, std::size_t out_size) noexcept {
    try {
        const std::string s = with_deadline_tag(comment, deadline);
        std::snprintf(out, out_size, "%s", s.c_str());
    } catch (...) {
        std::snprintf(out, out_size, "%s", comment);
    }
}
}  // namespace

int move_deadlines(const std::vector<DeadlineMove>& moves) {
    std::vector<std::uint32_t> ids;
    std::vector<std::int64_t> deadlines;
    ids.reserve(moves.size());
    deadlines.reserve(moves.size());
    for (const auto& m : moves) {
        ids.push_back(m.job_id);
        deadlines.push_back(m.deadline);
    }
    return grants_ctld_set_deadlines(moves.size(), ids.data(), deadlines.data(), retag_deadline);
}

void unset_spank_env(struct job_descriptor* job_desc, const std::string& name) {
    grants_ctld_set_spank_env(job_desc, name.c_str(), nullptr);
}

void keep_module_loaded(void* address) {
    Dl_info info{};
    if (dladdr(address, &info) && info.dli_fname) {
        // RTLD_NOLOAD: only mark the already loaded object NODELETE.
        if (!dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE)) {
            log_error(std::string("cannot pin ") + info.dli_fname + " in memory");
        }
    }
}

}  // namespace grants::slurmctld
