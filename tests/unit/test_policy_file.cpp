// Reading grants.yaml as the controller does: only a regular file that nobody
// but root or SlurmUser can write; FileSignature notices every kind of change.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "cmocka.h"
#include "temp_dir.h"
#include "core/policy/policy_file.h"

using grants::file_signature;
using grants::FileSignature;
using grants::load_trusted_policy_file;
using grants::ownership_problem;
using grants::PolicyFileLoad;
using grants::PolicyFileOwners;

namespace {

constexpr std::uint32_t kNobody = 65534;

const char kValid[] =
    "version: 1\nenforce:\n  partitions: [trn1]\npartitions:\n  trn1: { chips_per_node: 16 }\nawards:\n  A1:\n"
    "    members: { users: [alice] }\n    budget: { chip_hours: 100 }\n";

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

using grants::test::dir_of;
using grants::test::make_dir;
using grants::test::remove_dir;

void write_file(const std::string& path, std::string_view text, mode_t mode = 0644) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    assert_int_equal(::close(fd), 0);
    assert_int_equal(::chmod(path.c_str(), mode), 0);
}

void print_errors(const PolicyFileLoad& load) {
    for (const auto& d : load.errors) print_error("  %s\n", d.to_string().c_str());
}

// Refused with exactly one located-at-the-file error containing needle.
void expect_refused(const PolicyFileLoad& load, const std::string& path, const char* needle) {
    if (load.policy || load.errors.size() != 1 || load.errors[0].file != path || load.errors[0].mark.line != 0 ||
        !contains(load.errors[0].message, needle)) {
        print_error("want one error with \"%s\", got %s with:\n", needle, load.policy ? "a policy" : "no policy");
        print_errors(load);
        fail();
    }
    // Nothing of an untrusted file is handed on.
    assert_true(load.text.empty());
}

void test_valid_file_loads(void** state) {
    const std::string path = dir_of(state) + "/grants.yaml";
    write_file(path, kValid, 0644);
    if (geteuid() == 0) assert_int_equal(::chown(path.c_str(), 0, 0), 0);
    struct stat st {};
    assert_int_equal(::stat(path.c_str(), &st), 0);
    PolicyFileOwners owners;
    owners.uids = {static_cast<std::uint32_t>(st.st_uid)};  // root when run as root

    PolicyFileLoad load = load_trusted_policy_file(path, owners);
    print_errors(load);
    assert_non_null(load.policy.get());
    assert_true(load.errors.empty());
    assert_non_null(load.policy->find_award("A1"));
    assert_string_equal(load.text.c_str(), kValid);
    assert_true(load.signature.exists);
    assert_int_equal(load.signature.size, sizeof kValid - 1);
    assert_int_equal(load.signature.mode & 07777, 0644);
    assert_int_equal(load.signature.uid, st.st_uid);
    assert_int_equal(load.signature.inode, st.st_ino);
    assert_true(load.signature == file_signature(path));

    // Read-only modes are fine too.
    for (mode_t mode : {0600, 0640, 0444, 0400, 0755}) {
        assert_int_equal(::chmod(path.c_str(), mode), 0);
        load = load_trusted_policy_file(path, owners);
        print_errors(load);
        assert_non_null(load.policy.get());
    }
}

void test_root_owned(void** state) {
    if (geteuid() != 0) skip();
    const std::string path = dir_of(state) + "/root.yaml";
    write_file(path, kValid, 0644);
    assert_int_equal(::chown(path.c_str(), 0, 0), 0);
    PolicyFileLoad load = load_trusted_policy_file(path, PolicyFileOwners{});  // default: root only
    print_errors(load);
    assert_non_null(load.policy.get());
}

void test_writable_refused(void** state) {
    const std::string path = dir_of(state) + "/grants.yaml";
    write_file(path, kValid, 0666);
    struct stat st {};
    assert_int_equal(::stat(path.c_str(), &st), 0);
    PolicyFileOwners owners;
    owners.uids = {static_cast<std::uint32_t>(st.st_uid)};

    PolicyFileLoad load = load_trusted_policy_file(path, owners);
    expect_refused(load, path, "the policy file is writable by its group or by others (mode 0666)");
    expect_refused(load, path, "only its owner may write it (chmod go-w it)");
    assert_true(load.signature.exists);  // the signature of what was looked at, so edits are noticed
    assert_true(load.signature == file_signature(path));

    assert_int_equal(::chmod(path.c_str(), 0620), 0);
    expect_refused(load_trusted_policy_file(path, owners), path, "writable by its group or by others (mode 0620)");
    assert_int_equal(::chmod(path.c_str(), 0602), 0);
    expect_refused(load_trusted_policy_file(path, owners), path, "(mode 0602); only its owner may write it");
    assert_int_equal(::chmod(path.c_str(), 04664), 0);
    expect_refused(load_trusted_policy_file(path, owners), path, "(mode 4664)");
    // The content is never looked at: a broken file gives the same answer.
    write_file(path, "version: [", 0664);
    expect_refused(load_trusted_policy_file(path, owners), path, "(mode 0664)");
}

void test_owner_refused(void** state) {
    if (geteuid() != 0) skip();  // chown needs root
    const std::string path = dir_of(state) + "/nobody.yaml";
    write_file(path, kValid, 0644);
    assert_int_equal(::chown(path.c_str(), kNobody, kNobody), 0);

    PolicyFileLoad load = load_trusted_policy_file(path, PolicyFileOwners{});
    expect_refused(load, path,
                   "the policy file is owned by uid 65534; only root or SlurmUser may own it (chown root it)");
    assert_int_equal(load.signature.uid, kNobody);

    PolicyFileOwners others;
    others.uids = {0, 1234};
    expect_refused(load_trusted_policy_file(path, others), path, "owned by uid 65534");

    // SlurmUser (here: nobody) is allowed to own it.
    PolicyFileOwners with_slurm_user;
    with_slurm_user.uids = {0, kNobody};
    load = load_trusted_policy_file(path, with_slurm_user);
    print_errors(load);
    assert_non_null(load.policy.get());
    assert_string_equal(load.text.c_str(), kValid);

    // ... but not to let others write it.
    assert_int_equal(::chmod(path.c_str(), 0664), 0);
    expect_refused(load_trusted_policy_file(path, with_slurm_user), path, "(mode 0664)");
    // Ownership is reported first.
    expect_refused(load_trusted_policy_file(path, PolicyFileOwners{}), path, "owned by uid 65534");
}

void test_ownership_problem(void** /*state*/) {
    const PolicyFileOwners root{};
    PolicyFileOwners with_slurm;
    with_slurm.uids = {0, 450};
    assert_string_equal(ownership_problem(S_IFREG | 0644, 0, root).c_str(), "");
    assert_string_equal(ownership_problem(S_IFREG | 0600, 450, with_slurm).c_str(), "");
    assert_true(contains(ownership_problem(S_IFREG | 0644, 450, root), "owned by uid 450"));
    assert_true(contains(ownership_problem(S_IFREG | 0646, 0, root), "(mode 0646)"));
    assert_true(contains(ownership_problem(S_IFREG | 0660, 450, with_slurm), "(mode 0660)"));
    assert_true(contains(ownership_problem(S_IFREG | 0664, 7, with_slurm), "owned by uid 7"));
    // The owner's own write bit is fine; execute bits do not matter.
    assert_string_equal(ownership_problem(S_IFREG | 0755, 0, root).c_str(), "");
}

void test_not_a_regular_file(void** state) {
    const std::string dir = dir_of(state) + "/grants.d";
    assert_int_equal(::mkdir(dir.c_str(), 0755), 0);
    PolicyFileLoad load = load_trusted_policy_file(dir, PolicyFileOwners{});
    expect_refused(load, dir, "the policy file is not a regular file");
    assert_true(load.signature.exists);

    // A FIFO is refused without blocking on open.
    const std::string fifo = dir_of(state) + "/fifo.yaml";
    assert_int_equal(::mkfifo(fifo.c_str(), 0644), 0);
    expect_refused(load_trusted_policy_file(fifo, PolicyFileOwners{}), fifo, "not a regular file");
}

void test_missing_file(void** state) {
    const std::string path = dir_of(state) + "/none.yaml";
    PolicyFileLoad load = load_trusted_policy_file(path, PolicyFileOwners{});
    expect_refused(load, path, "cannot open the policy file: No such file or directory");
    assert_false(load.signature.exists);
    assert_false(file_signature(path).exists);
    assert_true(file_signature(path) == FileSignature{});
}

void test_invalid_content(void** state) {
    const std::string path = dir_of(state) + "/broken.yaml";
    const char text[] = "version: 2\nenforce: {partitions: [trn1]}\npartitions: {trn1: {chips_per_node: 1}}\nawards: {}\n";
    write_file(path, text, 0644);
    struct stat st {};
    assert_int_equal(::stat(path.c_str(), &st), 0);
    PolicyFileOwners owners;
    owners.uids = {static_cast<std::uint32_t>(st.st_uid)};
    PolicyFileLoad load = load_trusted_policy_file(path, owners);
    assert_null(load.policy.get());
    assert_int_equal(load.errors.size(), 1);
    assert_string_equal(load.errors[0].to_string().c_str(),
                        (path + ":1:10: version 2 is not supported; this plugin reads version 1").c_str());
    // A trusted but invalid file's text is handed on (its enforce section may still be read).
    assert_string_equal(load.text.c_str(), text);
    assert_true(load.signature.exists);
}

void test_size_cap(void** state) {
    const std::string path = dir_of(state) + "/big.yaml";
    write_file(path, kValid, 0644);
    struct stat st {};
    assert_int_equal(::stat(path.c_str(), &st), 0);
    PolicyFileOwners owners;
    owners.uids = {static_cast<std::uint32_t>(st.st_uid)};
    grants::YamlLimits limits;
    limits.max_bytes = sizeof kValid - 1;
    assert_non_null(load_trusted_policy_file(path, owners, limits).policy.get());
    limits.max_bytes = sizeof kValid - 2;
    expect_refused(load_trusted_policy_file(path, owners, limits), path,
                   ("the policy file is " + std::to_string(sizeof kValid - 1) + " bytes; at most " +
                    std::to_string(sizeof kValid - 2) + " are accepted")
                       .c_str());
}

void expect_changed(const char* what, const FileSignature& before, const FileSignature& after) {
    if (before == after) {
        print_error("the signature did not change on %s\n", what);
        fail();
    }
    assert_true(before != after);
}

// Sets the file's mtime to a fixed second, so edits within one clock tick still differ.
void set_mtime(const std::string& path, time_t seconds) {
    const struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
    assert_int_equal(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

void test_signature_changes(void** state) {
    const std::string path = dir_of(state) + "/sig.yaml";
    write_file(path, kValid, 0644);
    set_mtime(path, 1'700'000'000);
    FileSignature a = file_signature(path);
    assert_true(a.exists);
    assert_true(a == file_signature(path));  // stable while nothing happens

    // Content edit in place, same size: mtime (and ctime) move.
    std::string edited = kValid;
    edited[edited.size() - 2] = '9';  // chip_hours: 109
    write_file(path, edited, 0644);
    set_mtime(path, 1'700'000'001);
    FileSignature b = file_signature(path);
    expect_changed("a same-size edit", a, b);
    assert_int_equal(b.inode, a.inode);
    assert_int_equal(b.size, a.size);

    // Content edit that changes the size.
    write_file(path, std::string(kValid) + "# more\n", 0644);
    FileSignature c = file_signature(path);
    expect_changed("a growing edit", b, c);
    assert_int_equal(c.size, sizeof kValid - 1 + 7);

    // chmod alone.
    assert_int_equal(::chmod(path.c_str(), 0600), 0);
    FileSignature d = file_signature(path);
    expect_changed("chmod", c, d);
    assert_int_equal(d.mode & 07777, 0600);

    // Replaced by rename (how editors and config management write files), same content and mtime.
    const std::string tmp = path + ".new";
    write_file(tmp, std::string(kValid) + "# more\n", 0600);
    struct stat st {};
    assert_int_equal(::stat(path.c_str(), &st), 0);
    const struct timespec same[2] = {st.st_mtim, st.st_mtim};
    assert_int_equal(::utimensat(AT_FDCWD, tmp.c_str(), same, 0), 0);
    assert_int_equal(::rename(tmp.c_str(), path.c_str()), 0);
    FileSignature e = file_signature(path);
    expect_changed("replace by rename", d, e);
    assert_true(e.inode != d.inode);
    assert_int_equal(e.size, d.size);
    assert_int_equal(e.mtime_ns, d.mtime_ns);
    assert_int_equal(e.mode, d.mode);

    // Removed.
    assert_int_equal(::unlink(path.c_str()), 0);
    FileSignature f = file_signature(path);
    expect_changed("removal", e, f);
    assert_false(f.exists);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_file_loads, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_root_owned, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_writable_refused, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_owner_refused, make_dir, remove_dir),
        cmocka_unit_test(test_ownership_problem),
        cmocka_unit_test_setup_teardown(test_not_a_regular_file, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_missing_file, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_invalid_content, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_size_cap, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_signature_changes, make_dir, remove_dir),
    };
    return cmocka_run_group_tests_name("policy_file", tests, nullptr, nullptr);
}
