// Reading grants.yaml from disk the way a controller must: only a regular
// file that nobody but root or SlurmUser can write, read through one open
// descriptor (no check-then-open race), with a signature to notice changes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/base/diagnostic.h"
#include "core/policy/policy.h"
#include "core/policy/policy_loader.h"
#include "core/policy/yaml_tree.h"

namespace grants {

struct PolicyFileOwners {
    std::vector<std::uint32_t> uids{0};  // root, plus SlurmUser when it is not root
};

// Identity and version of a file: any edit, replacement or chmod changes it.
struct FileSignature {
    std::uint64_t device = 0, inode = 0;
    std::int64_t size = -1;
    std::int64_t mtime_ns = 0, ctime_ns = 0;
    std::uint32_t mode = 0, uid = 0;
    bool exists = false;

    bool operator==(const FileSignature& o) const {
        return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns &&
               ctime_ns == o.ctime_ns && mode == o.mode && uid == o.uid && exists == o.exists;
    }
    bool operator!=(const FileSignature& o) const { return !(*this == o); }
};

// The signature of path now (stat follows symlinks); exists=false if absent.
FileSignature file_signature(const std::string& path);

struct PolicyFileLoad {
    std::shared_ptr<const Policy> policy;  // null whenever errors is not empty
    Diagnostics errors;
    FileSignature signature;               // of the file actually read
    std::string text;                      // its contents, when ownership checks passed
    std::string awards_dir;                // the drop-in directory it named (resolved); "" none
    std::size_t dropin_hash = 0;           // of the award files' names and contents
};

// grants.yaml and, when it names an awards_dir, the directory and every
// *.yaml file in it: any edit, addition, removal or rename changes it.
struct PolicySetSignature {
    FileSignature main, dir;
    std::vector<std::pair<std::string, FileSignature>> files;  // by name

    bool operator==(const PolicySetSignature& o) const { return main == o.main && dir == o.dir && files == o.files; }
    bool operator!=(const PolicySetSignature& o) const { return !(*this == o); }
    std::int64_t newest_mtime_ns() const;
};
PolicySetSignature policy_set_signature(const std::string& path, const std::string& awards_dir);

// awards_dir as written, relative to the policy file's directory.
std::string resolve_awards_dir(const std::string& policy_path, const std::string& awards_dir);

// The award files of dir (*.yaml, not hidden, in name order), each read as
// grants.yaml is: regular, owned by owners, not group or world writable,
// within limits; the directory itself must follow the same rule.
DropInSet read_award_files(const std::string& dir, const PolicyFileOwners& owners, const YamlLimits& limits);

// One sentence when a file with this mode and owner must not be trusted; "" otherwise.
// what names the file in the sentence.
std::string ownership_problem(std::uint32_t mode, std::uint32_t uid, const PolicyFileOwners& owners,
                              const std::string& what = "the policy file");

PolicyFileLoad load_trusted_policy_file(const std::string& path, const PolicyFileOwners& owners,
                                        const YamlLimits& limits = {});

}  // namespace grants
