#include "core/domain/ledger_health.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace grants {
namespace {

bool owner_ok(uid_t uid, const std::vector<uid_t>& owners) {
    return uid == 0 || std::find(owners.begin(), owners.end(), uid) != owners.end();
}

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace

bool owned_safely(const struct stat& st, const std::vector<uid_t>& owners) {
    return owner_ok(st.st_uid, owners) && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

LedgerHealth check_ledger_file(const std::string& path, const FileIdentity* opened, const std::vector<uid_t>& owners) {
    LedgerHealth h;
    const std::string dir = dir_of(path);
    struct stat ds {};
    if (::lstat(dir.c_str(), &ds) != 0) {
        h.missing = true;
        h.problem = "its directory " + dir + " is gone (" + std::strerror(errno) + ")";
        return h;
    }
    if (!S_ISDIR(ds.st_mode)) {
        h.problem = "its directory " + dir + " is not a directory";
        return h;
    }
    if (!owned_safely(ds, owners)) {
        h.problem = "its directory " + dir + " is writable by others than root and SlurmUser";
        return h;
    }
    struct stat fs {};
    if (::lstat(path.c_str(), &fs) != 0) {
        h.missing = errno == ENOENT;
        h.problem = errno == ENOENT ? "the file is missing (deleted?)" : std::string("cannot stat it: ") + std::strerror(errno);
        return h;
    }
    if (S_ISLNK(fs.st_mode)) {
        h.problem = "it is a symbolic link (refused: the ledger is never followed through a link)";
        return h;
    }
    if (!S_ISREG(fs.st_mode)) {
        h.problem = "it is not a regular file";
        return h;
    }
    h.identity = FileIdentity{fs.st_dev, fs.st_ino};
    if (!owned_safely(fs, owners)) {
        h.problem = "it is owned or writable by others than root and SlurmUser";
        return h;
    }
    if (opened && *opened != h.identity) h.replaced = true;
    struct statvfs vs {};
    if (::statvfs(dir.c_str(), &vs) == 0) {
        if (vs.f_flag & ST_RDONLY) {
            h.problem = "its filesystem is read-only";
            return h;
        }
        const std::uint64_t free_bytes = static_cast<std::uint64_t>(vs.f_bavail) * vs.f_frsize;
        if (free_bytes < kLedgerMinFreeBytes) {
            h.problem = "its filesystem is full (" + std::to_string(free_bytes / 1024) + " KiB free)";
            return h;
        }
    }
    return h;
}

bool LedgerStatus::report_problem(const std::string& problem) {
    const bool fresh = problem != last_error_;
    last_error_ = problem;
    usable_ = false;
    return fresh;
}

bool LedgerStatus::mark_usable() {
    if (charges_failing_) return false;
    const bool was_failing = !last_error_.empty();
    last_error_.clear();
    usable_ = true;
    return was_failing;
}

void LedgerStatus::cannot_record() {
    usable_ = false;
}

bool LedgerStatus::charges_recorded() {
    const bool was_failing = !last_error_.empty();
    last_error_.clear();
    charges_failing_ = false;
    usable_ = true;
    return was_failing;
}

bool LedgerStatus::charges_refused(const std::string& error) {
    const bool fresh = error != last_error_;
    last_error_ = error;
    charges_failing_ = true;
    usable_ = false;
    return fresh;
}

void LedgerStatus::forget() {
    usable_ = false;
    charges_failing_ = false;
    last_error_.clear();
}

}  // namespace grants
