// The only door into slurmctld internals, as a plain C++ API.
//
// slurmctld_bridge.cpp is the single translation unit that includes Slurm's
// internal headers (job_record_t, slurm_conf, xmalloc). Everything that
// depends on the exact Slurm version lives there; 23.02+ changes stay here.
#pragma once

#include <cstdint>
#include <string>

struct job_record;  // slurmctld's job_record_t

namespace grants::slurmctld {

// Slurm-allocated copy of text: Slurm frees job_desc fields and *err_msg.
char* slurm_strdup(const std::string& text);
// Replace a Slurm-owned string field: xfree(old); field = xstrdup(text).
void replace_slurm_string(char** field, const std::string& text);

void log_info(const std::string& message);
void log_error(const std::string& message);

std::string slurm_conf_path();  // "" when slurmctld has none recorded
std::string default_partition();  // "" when none is configured
std::string state_save_location();
std::uint32_t slurm_user_id();
// slurm_conf.last_update: changes on `scontrol reconfigure`. Callers must
// hold slurmctld's config read lock (job_submit and job_modify do).
long long conf_last_update();
bool is_operator(std::uint32_t uid);

// What job_modify needs from an existing job record, copied out.
struct JobSnapshot {
    std::uint32_t job_id = 0;
    std::uint32_t user_id = 0;
    std::uint32_t group_id = 0;
    std::string admin_comment;
    std::string partition;
    std::string account;
};
JobSnapshot snapshot_job(const struct job_record* job);

}  // namespace grants::slurmctld
