#include "cli/controller_query.h"

#include <pwd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" {
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
// Exported by libslurm but absent from slurm.h (sbatch --test-only uses it).
void slurm_free_will_run_response_msg(will_run_response_msg_t* msg);
}

namespace grants::cli {

namespace {

// libslurm prints a refusal's message through its logger on stderr and does
// not hand it to the caller (slurm_protocol_pack.c, return_code2 messages),
// so the answer is read from stderr, redirected for the one call.
class StderrCapture {
public:
    StderrCapture() {
        std::fflush(stderr);
        fd_ = ::memfd_create("grantctl-answer", MFD_CLOEXEC);
        if (fd_ < 0) {
            std::FILE* f = std::tmpfile();
            if (f) fd_ = ::dup(::fileno(f));
            if (f) std::fclose(f);
        }
        if (fd_ >= 0) saved_ = ::dup(STDERR_FILENO);
        if (saved_ >= 0) ::dup2(fd_, STDERR_FILENO);
    }
    ~StderrCapture() { finish(); }
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;

    // Restores stderr and returns what was written to it meanwhile.
    std::string finish() {
        std::string text;
        if (saved_ >= 0) {
            std::fflush(stderr);
            ::dup2(saved_, STDERR_FILENO);
            ::close(saved_);
            saved_ = -1;
            if (::lseek(fd_, 0, SEEK_SET) == 0) {
                char buf[65536];
                ssize_t n;
                while ((n = ::read(fd_, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
            }
        }
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        return text;
    }

private:
    int fd_ = -1;
    int saved_ = -1;
};

// sbatch's --gres: every comma item gets the "gres:" type prefix.
std::string tres_of_gres(const std::string& gres) {
    std::string out;
    std::size_t pos = 0;
    while (pos <= gres.size()) {
        std::size_t comma = gres.find(',', pos);
        if (comma == std::string::npos) comma = gres.size();
        std::string item = gres.substr(pos, comma - pos);
        pos = comma + 1;
        if (item.empty()) continue;
        if (item.rfind("gres:", 0) != 0) item = "gres:" + item;
        out += (out.empty() ? "" : ",") + item;
    }
    return out;
}

// The lines libslurm printed, without its "prog: error: " prefixes.
std::string plain_lines(const std::string& captured) {
    std::string out;
    std::size_t pos = 0;
    while (pos < captured.size()) {
        std::size_t nl = captured.find('\n', pos);
        if (nl == std::string::npos) nl = captured.size();
        std::string line = captured.substr(pos, nl - pos);
        pos = nl + 1;
        auto tag = line.find("error: ");
        if (tag != std::string::npos) line = line.substr(tag + 7);
        if (line.empty()) continue;
        out += (out.empty() ? "" : "; ") + line;
    }
    return out;
}

char* mutable_text(std::string& s) { return s.empty() ? nullptr : &s[0]; }

}  // namespace

std::optional<Answer> ask_controller(QueryKind kind, const QueryJob& job, std::string* error) {
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (job.user) {
        struct passwd pw {};
        struct passwd* found = nullptr;
        std::vector<char> buf(16384);
        if (::getpwnam_r(job.user->c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
            *error = "there is no user " + *job.user + " on this machine.";
            return std::nullopt;
        }
        uid = found->pw_uid;
        gid = found->pw_gid;
    }

    // Storage for every string the job description points at.
    std::string name = "grantctl";
    std::string partition = job.partition.value_or("");
    std::string account = job.account.value_or("");
    std::string tres = job.gres ? tres_of_gres(*job.gres) : "";
    std::string array = job.array.value_or("");
    std::string constraint = job.constraint.value_or("");
    std::string question = std::string(kQueryVariable) + "=" + std::string(query_kind_name(kind));
    std::string award = job.award ? "_SLURM_SPANK_OPTION_grants_award=" + *job.award : "";
    std::string query_args = job.args ? std::string(kQueryArgsVariable) + "=" + *job.args : "";
    std::vector<char*> spank_env{&question[0]};
    if (!award.empty()) spank_env.push_back(&award[0]);
    if (!query_args.empty()) spank_env.push_back(&query_args[0]);

    // libslurm retries a missing slurm.conf for a minute and then exits.
    if (const char* conf = std::getenv("SLURM_CONF"); conf && *conf && ::access(conf, R_OK) != 0) {
        *error = std::string("cannot read SLURM_CONF=") + conf + ": " + std::strerror(errno) + ".";
        return std::nullopt;
    }
    // Once per process: Slurm 24.11's libslurm crashes when slurm_init runs
    // again after slurm_fini (report --plot asks twice).
    static bool initialized = false;
    if (!initialized) {
        slurm_init(nullptr);
        initialized = true;
        std::atexit([] { slurm_fini(); });
    }
    job_desc_msg_t desc;
    slurm_init_job_desc_msg(&desc);
    desc.user_id = uid;
    desc.group_id = gid;
    desc.name = &name[0];
    desc.partition = mutable_text(partition);
    desc.account = mutable_text(account);
    desc.tres_per_node = mutable_text(tres);
    desc.array_inx = mutable_text(array);
    desc.features = mutable_text(constraint);
    if (job.min_nodes) desc.min_nodes = *job.min_nodes;
    if (job.max_nodes) desc.max_nodes = *job.max_nodes;
    if (job.time_limit_minutes) desc.time_limit = *job.time_limit_minutes;
    if (job.ntasks) desc.num_tasks = *job.ntasks;
    desc.spank_job_env = spank_env.data();
    desc.spank_job_env_size = static_cast<uint32_t>(spank_env.size());

    will_run_response_msg_t* response = nullptr;
    StderrCapture capture;
    errno = 0;
    int rc = slurm_job_will_run2(&desc, &response);
    int err = errno;  // libslurm sets errno (slurm_get_errno() is gone from 24.11)
    std::string captured = capture.finish();
    if (response) slurm_free_will_run_response_msg(response);

    std::string why;
    if (auto answer = decode_answer(captured, &why)) return answer;
    std::string said = plain_lines(captured);
    if (rc == SLURM_SUCCESS) {
        *error = "slurmctld answered as if job_submit/grants were not loaded: check JobSubmitPlugins in slurm.conf.";
    } else if (err == ESLURM_USER_ID_MISSING || err == ESLURM_GROUP_ID_MISSING) {
        *error = "only root and SlurmUser may ask about another user.";
    } else if (!said.empty() && why == "no answer from job_submit/grants in the controller's reply") {
        *error = "slurmctld refused the question: " + said + ".";
    } else if (why != "no answer from job_submit/grants in the controller's reply") {
        *error = "cannot read slurmctld's answer: " + why + ".";
    } else {
        *error = std::string("cannot ask slurmctld: ") + slurm_strerror(err) + ".";
    }
    return std::nullopt;
}

}  // namespace grants::cli
