#include "policy_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "policy_loader.h"

namespace grants {
namespace {

FileSignature signature_of(const struct stat& st) {
    FileSignature s;
    s.device = st.st_dev;
    s.inode = st.st_ino;
    s.size = st.st_size;
    s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    s.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
    s.mode = st.st_mode;
    s.uid = st.st_uid;
    s.exists = true;
    return s;
}

// Closes the descriptor on every path.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

PolicyFileLoad failure(const std::string& path, std::string message, FileSignature sig = {}) {
    PolicyFileLoad out;
    out.errors.push_back(Diagnostic{path, Mark{}, std::move(message)});
    out.signature = sig;
    return out;
}

}  // namespace

FileSignature file_signature(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return FileSignature{};
    return signature_of(st);
}

std::string ownership_problem(std::uint32_t mode, std::uint32_t uid, const PolicyFileOwners& owners) {
    if (std::find(owners.uids.begin(), owners.uids.end(), uid) == owners.uids.end()) {
        return "the policy file is owned by uid " + std::to_string(uid) +
               "; only root or SlurmUser may own it (chown root it)";
    }
    if (mode & (S_IWGRP | S_IWOTH)) {
        return "the policy file is writable by its group or by others (mode " +
               [&] {
                   char buf[8];
                   std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
                   return std::string(buf);
               }() +
               "); only its owner may write it (chmod go-w it)";
    }
    return {};
}

PolicyFileLoad load_trusted_policy_file(const std::string& path, const PolicyFileOwners& owners,
                                        const YamlLimits& limits) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        int err = errno;
        return failure(path, std::string("cannot open the policy file: ") + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        int err = errno;
        return failure(path, std::string("cannot stat the policy file: ") + std::strerror(err));
    }
    FileSignature sig = signature_of(st);
    if (!S_ISREG(st.st_mode)) return failure(path, "the policy file is not a regular file", sig);
    std::string problem = ownership_problem(st.st_mode, st.st_uid, owners);
    if (!problem.empty()) return failure(path, problem, sig);
    if (static_cast<std::uint64_t>(st.st_size) > limits.max_bytes) {
        return failure(path, "the policy file is " + std::to_string(st.st_size) + " bytes; at most " +
                                 std::to_string(limits.max_bytes) + " are accepted",
                       sig);
    }
    std::string text;
    text.reserve(static_cast<std::size_t>(st.st_size));
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            return failure(path, std::string("cannot read the policy file: ") + std::strerror(err), sig);
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > limits.max_bytes) {
            return failure(path, "the policy file grew past " + std::to_string(limits.max_bytes) + " bytes while being read", sig);
        }
    }
    PolicyLoad load = load_policy_text(text, path, limits);
    PolicyFileLoad out;
    out.policy = std::move(load.policy);
    out.errors = std::move(load.errors);
    out.signature = sig;
    out.text = std::move(text);
    return out;
}

}  // namespace grants
