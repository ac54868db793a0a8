#include "spank_remote.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include <slurm/slurm.h>
}

#include "core/base/award_id.h"
#include "core/base/text.h"
#include "core/domain/admin_comment.h"
#include "core/domain/decision.h"
#include "core/domain/instance_types.h"
#include "core/domain/neuron_cores.h"
#include "core/domain/task_gate.h"
#include "core/policy/paths.h"
#include "core/policy/policy_loader.h"
#include "core/site/slurm_conf_nodes.h"
#include "grants_config.h"

namespace grants::spank {
namespace {

constexpr char kAwardVariable[] = "SLURM_AWARD_ID";
constexpr char kCoresVariable[] = "NEURON_RT_VISIBLE_CORES";

// Set in remote_init (slurmstepd), read in each forked task.
std::optional<std::string> approved_award;
std::string refusal;  // non-empty: the tasks must not start

// The job's Neuron devices, for NEURON_RT_VISIBLE_CORES in each task.
struct NeuronJob {
    bool known = false;  // the partition is priced per core in the policy, or per node type
    PartitionCost cost;
    // instance_type: features: the chips and cores of each of the job's
    // nodes whose type is known (core/domain/neuron_cores.h, node_neuron_cost).
    bool per_node = false;
    std::map<std::string, PartitionCost, std::less<>> node_costs;
    bool exclusive = false;
    std::string nodes;                      // the job's node list ("n[1-4]")
    std::vector<std::string> gres_details;  // per node of `nodes`, in order
};
NeuronJob neuron_job;

struct JobTag {
    bool found = false;
    std::string admin_comment;
    std::string partition;
    bool exclusive = false;
    std::string nodes;
    std::vector<std::string> gres_details;
};

// SHOW_DETAIL: the job's GRES per node with device indices (gres_detail_str).
// SHOW_LOCAL: this cluster's controller only, which runs the job. Without it,
// in a federation (job id >= 2^26) Slurm asks every sibling cluster too, and
// 24.11's slurmstepd signs those requests with the default munge socket, not
// slurm.conf's AuthInfo: the query fails and the task gate refuses the job
// (seen in tests/integration/test-cluster-pair.sh).
JobTag query_controller(std::uint32_t job_id) {
    JobTag tag;
    job_info_msg_t* msg = nullptr;
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(26, 5, 0)
    // 26.05: slurm_load_job takes a step id (the uint32_t form is a C11
    // _Generic macro C++ cannot use); a job id with no step finds the job.
    slurm_step_id_t id;
    id.sluid = 0;
    id.job_id = job_id;
    id.step_het_comp = NO_VAL;
    id.step_id = NO_VAL;
    const int rc = slurm_load_job(&msg, id, SHOW_ALL | SHOW_DETAIL | SHOW_LOCAL);
#else
    const int rc = slurm_load_job(&msg, job_id, SHOW_ALL | SHOW_DETAIL | SHOW_LOCAL);
#endif
    if (rc != SLURM_SUCCESS || !msg) return tag;
    for (std::uint32_t i = 0; i < msg->record_count; ++i) {
        const slurm_job_info_t& job = msg->job_array[i];
        if (job.job_id != job_id) continue;
        tag.found = true;
        if (job.admin_comment) tag.admin_comment = job.admin_comment;
        if (job.partition) tag.partition = job.partition;
        tag.exclusive = job.shared == 0;  // JOB_SHARED_NONE: --exclusive or OverSubscribe=EXCLUSIVE
        if (job.nodes) tag.nodes = job.nodes;
        for (std::uint32_t n = 0; n < job.gres_detail_cnt && job.gres_detail_str; ++n) {
            tag.gres_details.emplace_back(job.gres_detail_str[n] ? job.gres_detail_str[n] : "");
        }
        break;
    }
    slurm_free_job_info_msg(msg);
    return tag;
}

// slurmstepd's own SLURM_CONF (slurmd's environment, not the job's).
std::string slurm_conf_path() {
    const char* conf = std::getenv("SLURM_CONF");
    return conf && *conf ? conf : GRANTS_DEFAULT_SLURM_CONF;
}

std::string policy_path(const SpankSettings& settings) {
    if (!settings.policy_path.empty()) return settings.policy_path;
    return policy_path_next_to(slurm_conf_path());
}

// On an `instance_type: features` partition, the chips and cores of each of
// the job's nodes, from its instance type: the node's Features as slurm.conf
// (the one this slurmd runs with, ParallelCluster's include files too)
// defines them. Read from the file rather than asked of slurmctld: no RPC per
// node at every step launch, and nothing in the job's environment counts.
void learn_node_costs(const Policy& policy, std::uint32_t job_id, NeuronJob* job) {
    job->per_node = true;
    auto nodes = expand_hostlist(job->nodes);
    if (!nodes || nodes->empty()) {
        slurm_info("grants: job %u: cannot read its node list; %s stays unset", job_id, kCoresVariable);
        return;
    }
    std::string error;
    const std::optional<SlurmConfPartitions> conf = load_slurm_conf(slurm_conf_path(), &error);
    if (!conf) {
        slurm_info("grants: job %u: %s; %s stays unset", job_id, error.c_str(), kCoresVariable);
        return;
    }
    for (const std::string& node : *nodes) {
        std::optional<std::string> features;
        if (auto it = conf->node_features.find(node); it != conf->node_features.end()) features = it->second;
        std::string why;
        if (auto cost = node_neuron_cost(policy, job->cost, node, features, &why)) {
            job->node_costs.emplace(node, std::move(*cost));
        } else {
            slurm_info("grants: job %u: %s; %s stays unset there", job_id, why.c_str(), kCoresVariable);
        }
    }
}

// This node's entry of the job's GRES details; "" when it has none.
std::string gres_detail_of(const NeuronJob& job, const char* node) {
    if (!node || job.nodes.empty()) return "";
    struct hostlist* hosts = slurm_hostlist_create(job.nodes.c_str());
    if (!hosts) return "";
    const int index = slurm_hostlist_find(hosts, node);
    slurm_hostlist_destroy(hosts);
    if (index < 0 || static_cast<std::size_t>(index) >= job.gres_details.size()) return "";
    return job.gres_details[static_cast<std::size_t>(index)];
}

std::optional<std::string> task_env(spank_t sp, const char* name) {
    char buf[4096];
    if (spank_getenv(sp, name, buf, sizeof buf) != ESPANK_SUCCESS) return std::nullopt;
    return std::string(buf);
}

// NEURON_RT_VISIBLE_CORES for this task (core/domain/neuron_cores.h has the rule).
void set_visible_cores(spank_t sp) {
    if (!neuron_job.known) return;
    NeuronTaskFacts facts;
    facts.whole_node = neuron_job.exclusive;
    // slurmstepd sets SLURMD_NODENAME over any value the user gave; and only
    // the job's own nodes have a cost here.
    const std::optional<std::string> node = task_env(sp, "SLURMD_NODENAME");
    const PartitionCost* cost = &neuron_job.cost;
    if (neuron_job.per_node) {
        auto it = node ? neuron_job.node_costs.find(*node) : neuron_job.node_costs.end();
        if (it == neuron_job.node_costs.end()) return;
        cost = &it->second;
    }
    std::string detail = gres_detail_of(neuron_job, node ? node->c_str() : nullptr);
    if (!detail.empty()) facts.gres_detail = std::move(detail);
    facts.step_gpus = task_env(sp, "SLURM_STEP_GPUS");
    if (!facts.step_gpus) facts.step_gpus = task_env(sp, "SLURM_JOB_GPUS");
    facts.user_value = task_env(sp, kCoresVariable);
    const VisibleCores cores = visible_cores(*cost, facts);
    if (!cores.note.empty()) slurm_info("grants: %s: %s", kCoresVariable, cores.note.c_str());
    if (cores.action == VisibleCores::Action::Set) spank_setenv(sp, kCoresVariable, cores.value.c_str(), 1);
}

}  // namespace

int remote_init(spank_t sp, const SpankSettings& settings) {
    approved_award.reset();
    refusal.clear();
    neuron_job = NeuronJob{};
    std::uint32_t job_id = 0;
    if (spank_get_item(sp, S_JOB_ID, &job_id) != ESPANK_SUCCESS || job_id == 0) return 0;

    // The job record, with a short bounded retry (core/domain/task_gate.h): a busy
    // controller gets a second chance; one that never answers gets no
    // benefit of the doubt on an enforced partition.
    StepFacts facts;
    facts.job_id = job_id;
    JobTag tag;
    facts.attempts = retry_bounded([&] { return (tag = query_controller(job_id)).found; }, kJobRecordAttempts,
                                   [](int) { ::sleep(kJobRecordRetryPauseSeconds); }, &facts.record_loaded);
    if (facts.record_loaded) {
        facts.admin_comment = tag.admin_comment;
        facts.partition = tag.partition;
    } else {
        facts.partition_hint = task_env(sp, "SLURM_JOB_PARTITION");
    }

    PolicyLoad load = load_policy_file(policy_path(settings));
    if (!load.policy) {
        if (facts.record_loaded) {
            auto award = award_in_admin_comment(tag.admin_comment);
            if (award && is_valid_award_id(*award)) approved_award = *award;
        } else {
            slurm_error("grants: job %u: cannot read its award tag from slurmctld; SLURM_AWARD_ID stays unset", job_id);
        }
        slurm_info("grants: job %u: policy unavailable in slurmstepd (%s); not re-checking the tag", job_id,
                   load.errors.empty() ? "unknown error" : load.errors.front().to_string().c_str());
        return 0;
    }
    if (const PartitionCost* cost = load.policy->find_partition(tag.partition);
        facts.record_loaded && cost && (cost->cores_per_chip > 0 || cost->types_from_features)) {
        neuron_job.known = true;
        neuron_job.cost = *cost;
        neuron_job.exclusive = tag.exclusive;
        neuron_job.nodes = tag.nodes;
        neuron_job.gres_details = tag.gres_details;
        if (cost->types_from_features) learn_node_costs(*load.policy, job_id, &neuron_job);
    }
    // Defence in depth: the controller should never let such a job start.
    // Refused in each task, not here: a failure in slurmstepd's plugin
    // initialisation drains the node, which would let users drain nodes.
    TaskGate gate = decide_task_gate(*load.policy, facts);
    approved_award = gate.award;
    refusal = gate.refusal;
    if (!refusal.empty()) {
        slurm_error("grants: %s", refusal.c_str());
    } else if (!facts.record_loaded) {
        slurm_error("grants: job %u: cannot read its award tag from slurmctld; SLURM_AWARD_ID stays unset", job_id);
    }
    return 0;
}

int remote_task_init(spank_t sp) {
    if (!refusal.empty()) {
        slurm_error("grants: %s", refusal.c_str());
        return -1;
    }
    if (approved_award) {
        spank_setenv(sp, kAwardVariable, approved_award->c_str(), 1);
    } else {
        spank_unsetenv(sp, kAwardVariable);
    }
    set_visible_cores(sp);
    return 0;
}

}  // namespace grants::spank
