// The ledger file check run before every accounting pass: a deleted,
// replaced, symlinked or world-writable ledger (or directory) is unusable.
// (Read-only and full filesystems are proved by tests/integration/test-faults.sh.)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/domain/ledger_health.h"

using grants::check_ledger_file;
using grants::FileIdentity;
using grants::LedgerHealth;

namespace {

struct Dir {
    std::string path, ledger;
};

int make_dir(void** state) {
    char tmpl[] = "/tmp/grants-health-XXXXXX";
    if (!mkdtemp(tmpl)) return -1;
    ::chmod(tmpl, 0700);
    *state = new Dir{tmpl, std::string(tmpl) + "/ledger.db"};
    return 0;
}

int remove_dir(void** state) {
    auto* d = static_cast<Dir*>(*state);
    std::string cmd = "rm -rf '" + d->path + "'";
    int rc = std::system(cmd.c_str());
    delete d;
    return rc == 0 ? 0 : -1;
}

void write_file(const std::string& path, mode_t mode = 0600) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(::write(fd, "x", 1), 1);
    ::close(fd);
    ::chmod(path.c_str(), mode);
}

const std::vector<uid_t> kOwners{::geteuid()};

void test_good_file(void** state) {
    auto* d = static_cast<Dir*>(*state);
    write_file(d->ledger);
    LedgerHealth h = check_ledger_file(d->ledger, nullptr, kOwners);
    assert_string_equal(h.problem.c_str(), "");
    assert_false(h.missing);
    assert_false(h.replaced);
    LedgerHealth again = check_ledger_file(d->ledger, &h.identity, kOwners);
    assert_string_equal(again.problem.c_str(), "");
    assert_false(again.replaced);
}

void test_deleted(void** state) {
    auto* d = static_cast<Dir*>(*state);
    write_file(d->ledger);
    LedgerHealth h = check_ledger_file(d->ledger, nullptr, kOwners);
    ::unlink(d->ledger.c_str());
    LedgerHealth gone = check_ledger_file(d->ledger, &h.identity, kOwners);
    assert_true(gone.missing);
    assert_string_equal(gone.problem.c_str(), "the file is missing (deleted?)");
}

void test_replaced_by_rename(void** state) {
    auto* d = static_cast<Dir*>(*state);
    write_file(d->ledger);
    LedgerHealth h = check_ledger_file(d->ledger, nullptr, kOwners);
    write_file(d->ledger + ".new");
    assert_int_equal(::rename((d->ledger + ".new").c_str(), d->ledger.c_str()), 0);
    LedgerHealth now = check_ledger_file(d->ledger, &h.identity, kOwners);
    assert_true(now.replaced);
    assert_string_equal(now.problem.c_str(), "");
}

void test_symlink_swapped_in(void** state) {
    auto* d = static_cast<Dir*>(*state);
    write_file(d->path + "/elsewhere");
    assert_int_equal(::symlink((d->path + "/elsewhere").c_str(), d->ledger.c_str()), 0);
    LedgerHealth h = check_ledger_file(d->ledger, nullptr, kOwners);
    assert_non_null(strstr(h.problem.c_str(), "symbolic link"));
}

void test_world_writable_file(void** state) {
    auto* d = static_cast<Dir*>(*state);
    write_file(d->ledger, 0666);
    LedgerHealth h = check_ledger_file(d->ledger, nullptr, kOwners);
    assert_non_null(strstr(h.problem.c_str(), "writable by others"));
}

void test_world_writable_directory(void** state) {
    auto* d = static_cast<Dir*>(*state);
    write_file(d->ledger);
    ::chmod(d->path.c_str(), 0777);
    LedgerHealth h = check_ledger_file(d->ledger, nullptr, kOwners);
    assert_non_null(strstr(h.problem.c_str(), "directory"));
    assert_non_null(strstr(h.problem.c_str(), "writable by others"));
}

void test_not_a_regular_file(void** state) {
    auto* d = static_cast<Dir*>(*state);
    assert_int_equal(::mkdir(d->ledger.c_str(), 0700), 0);
    LedgerHealth h = check_ledger_file(d->ledger, nullptr, kOwners);
    assert_string_equal(h.problem.c_str(), "it is not a regular file");
}

void test_missing_directory(void** state) {
    auto* d = static_cast<Dir*>(*state);
    LedgerHealth h = check_ledger_file(d->path + "/no/such/ledger.db", nullptr, kOwners);
    assert_true(h.missing);
    assert_non_null(strstr(h.problem.c_str(), "is gone"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_file, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_deleted, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_replaced_by_rename, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_symlink_swapped_in, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_world_writable_file, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_world_writable_directory, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_not_a_regular_file, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_missing_directory, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
