#include "core/policy/policy_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "core/policy/policy_loader.h"

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

std::string ownership_problem(std::uint32_t mode, std::uint32_t uid, const PolicyFileOwners& owners,
                              const std::string& what) {
    if (std::find(owners.uids.begin(), owners.uids.end(), uid) == owners.uids.end()) {
        return what + " is owned by uid " + std::to_string(uid) +
               "; only root or SlurmUser may own it (chown root it)";
    }
    if (mode & (S_IWGRP | S_IWOTH)) {
        return what + " is writable by its group or by others (mode " +
               [&] {
                   char buf[8];
                   std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
                   return std::string(buf);
               }() +
               "); only its owner may write it (chmod go-w it)";
    }
    return {};
}

namespace {

// Reads the open file fd (named path in messages) when it is a regular file
// that owners alone may write and within limits; "" or the problem. what
// names the file in messages ("the policy file", "the award file").
std::string read_trusted(int fd, const std::string& what, const PolicyFileOwners& owners, const YamlLimits& limits,
                         FileSignature* sig, std::string* text) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return "cannot stat " + what + ": " + std::strerror(errno);
    *sig = signature_of(st);
    if (!S_ISREG(st.st_mode)) return what + " is not a regular file";
    std::string problem = ownership_problem(st.st_mode, st.st_uid, owners, what);
    if (!problem.empty()) return problem;
    if (static_cast<std::uint64_t>(st.st_size) > limits.max_bytes) {
        return what + " is " + std::to_string(st.st_size) + " bytes; at most " + std::to_string(limits.max_bytes) +
               " are accepted";
    }
    text->clear();
    text->reserve(static_cast<std::size_t>(st.st_size));
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return "cannot read " + what + ": " + std::strerror(errno);
        if (n == 0) break;
        text->append(buf, static_cast<std::size_t>(n));
        if (text->size() > limits.max_bytes) {
            return what + " grew past " + std::to_string(limits.max_bytes) + " bytes while being read";
        }
    }
    return {};
}

bool is_award_file_name(const std::string& name) {
    const std::string ext = ".yaml";
    return name.size() > ext.size() && name[0] != '.' && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
}

// The *.yaml names in the open directory dir_fd, sorted; false on a read error.
bool award_file_names(int dir_fd, std::vector<std::string>* names) {
    int fd = ::dup(dir_fd);
    if (fd < 0) return false;
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
        ::close(fd);
        return false;
    }
    errno = 0;
    while (struct dirent* e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (is_award_file_name(name)) names->push_back(std::move(name));
    }
    const bool ok = errno == 0;
    ::closedir(dir);
    std::sort(names->begin(), names->end());
    return ok;
}

}  // namespace

std::string resolve_awards_dir(const std::string& policy_path, const std::string& awards_dir) {
    if (awards_dir.empty() || awards_dir[0] == '/') return awards_dir;
    const auto slash = policy_path.rfind('/');
    return (slash == std::string::npos ? std::string(".") : policy_path.substr(0, slash)) + "/" + awards_dir;
}

DropInSet read_award_files(const std::string& dir, const PolicyFileOwners& owners, const YamlLimits& limits) {
    DropInSet out;
    auto fail = [&out](const std::string& path, std::string message) {
        out.errors.push_back(Diagnostic{path, Mark{}, std::move(message)});
        return out;
    };
    Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() < 0) return fail(dir, std::string("cannot open awards_dir: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(dir_fd.get(), &st) != 0) return fail(dir, std::string("cannot stat awards_dir: ") + std::strerror(errno));
    // Whoever may add a file there may add an award: the directory follows
    // the policy file's rule.
    std::string problem = ownership_problem(st.st_mode, st.st_uid, owners, "awards_dir");
    if (!problem.empty()) return fail(dir, problem);
    std::vector<std::string> names;
    if (!award_file_names(dir_fd.get(), &names)) return fail(dir, std::string("cannot list awards_dir: ") + std::strerror(errno));
    for (const std::string& name : names) {
        const std::string path = dir + "/" + name;
        Fd fd(::openat(dir_fd.get(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
        if (fd.get() < 0) {
            // Removed between the listing and the open: a portal retiring it.
            if (errno == ENOENT) continue;
            out.errors.push_back(Diagnostic{path, Mark{}, std::string("cannot open the award file: ") + std::strerror(errno)});
            continue;
        }
        DropInFile file;
        file.path = path;
        FileSignature sig;
        problem = read_trusted(fd.get(), "the award file", owners, limits, &sig, &file.text);
        if (!problem.empty()) {
            out.errors.push_back(Diagnostic{path, Mark{}, problem});
            continue;
        }
        out.files.push_back(std::move(file));
    }
    return out;
}

PolicySetSignature policy_set_signature(const std::string& path, const std::string& awards_dir) {
    PolicySetSignature s;
    s.main = file_signature(path);
    if (awards_dir.empty()) return s;
    s.dir = file_signature(awards_dir);
    Fd dir_fd(::open(awards_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::vector<std::string> names;
    if (dir_fd.get() < 0 || !award_file_names(dir_fd.get(), &names)) return s;
    for (const std::string& name : names) {
        struct stat st {};
        FileSignature sig;
        if (::fstatat(dir_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) sig = signature_of(st);
        s.files.emplace_back(name, sig);
    }
    return s;
}

std::int64_t PolicySetSignature::newest_mtime_ns() const {
    std::int64_t newest = main.exists ? main.mtime_ns : 0;
    if (dir.exists) newest = std::max(newest, dir.mtime_ns);
    for (const auto& [name, sig] : files) {
        if (sig.exists) newest = std::max(newest, sig.mtime_ns);
    }
    return newest;
}

PolicyFileLoad load_trusted_policy_file(const std::string& path, const PolicyFileOwners& owners,
                                        const YamlLimits& limits) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        int err = errno;
        return failure(path, std::string("cannot open the policy file: ") + std::strerror(err));
    }
    FileSignature sig;
    std::string text;
    const std::string problem = read_trusted(fd.get(), "the policy file", owners, limits, &sig, &text);
    if (!problem.empty()) return failure(path, problem, sig);
    PolicyFileLoad out;
    std::size_t dropin_hash = 0;
    const DropInSource dropins = [&](const std::string& awards_dir) {
        out.awards_dir = resolve_awards_dir(path, awards_dir);
        DropInSet set = read_award_files(out.awards_dir, owners, limits);
        for (const DropInFile& f : set.files) {
            dropin_hash = dropin_hash * 31 + std::hash<std::string>{}(f.path) * 7 + std::hash<std::string>{}(f.text);
        }
        return set;
    };
    PolicyLoad load = load_policy_text(text, path, limits, dropins);
    out.policy = std::move(load.policy);
    out.errors = std::move(load.errors);
    out.signature = sig;
    out.text = std::move(text);
    out.dropin_hash = dropin_hash;
    return out;
}

}  // namespace grants
