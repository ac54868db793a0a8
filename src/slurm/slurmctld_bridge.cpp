// Slurm 22.05 internals. Keep this file small: it is what changes when Slurm does.
#include "slurmctld_bridge.h"

extern "C" {
#include "config.h"
#include "slurm/slurm.h"
#include "src/common/log.h"
#include "src/common/read_config.h"
#include "src/common/xmalloc.h"
#include "src/common/xstring.h"
#include "src/slurmctld/slurmctld.h"
}

namespace grants::slurmctld {

char* slurm_strdup(const std::string& text) { return xstrdup(text.c_str()); }

void replace_slurm_string(char** field, const std::string& text) {
    xfree(*field);
    *field = xstrdup(text.c_str());
}

void log_info(const std::string& message) { info("job_submit/grants: %s", message.c_str()); }
void log_error(const std::string& message) { error("job_submit/grants: %s", message.c_str()); }

std::string slurm_conf_path() {
    if (slurm_conf.slurm_conf) return slurm_conf.slurm_conf;
    return {};
}

std::string default_partition() { return default_part_name ? default_part_name : ""; }

std::string state_save_location() { return slurm_conf.state_save_location ? slurm_conf.state_save_location : ""; }

std::uint32_t slurm_user_id() { return slurm_conf.slurm_user_id; }

long long conf_last_update() { return static_cast<long long>(slurm_conf.last_update); }

bool is_operator(std::uint32_t uid) { return validate_operator(static_cast<uid_t>(uid)); }

JobSnapshot snapshot_job(const struct job_record* job) {
    JobSnapshot s;
    if (!job) return s;
    s.job_id = job->job_id;
    s.user_id = job->user_id;
    s.group_id = job->group_id;
    if (job->admin_comment) s.admin_comment = job->admin_comment;
    if (job->partition) s.partition = job->partition;
    if (job->account) s.account = job->account;
    return s;
}

}  // namespace grants::slurmctld
