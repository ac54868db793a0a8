// write_atomically (src/cli/atomic_file.h), as a root cron job running
// `grantctl metrics --output` into a directory others can write would use it:
// a symbolic link planted where the temporary file goes is never followed
// (its target stays untouched), the write still succeeds under another name,
// or fails with one clear sentence when every name is taken.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "cli/atomic_file.h"
#include "cmocka.h"
#include "temp_dir.h"

using grants::cli::AtomicWrite;
using grants::cli::kTempNameAttempts;
using grants::cli::random_temp_name;
using grants::cli::write_atomically;
using grants::test::dir_of;

namespace {

std::string contents(const std::string& path) {
    std::ifstream f(path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::trunc);
    f << text;
}

bool is_link(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

void test_writes_and_replaces(void** state) {
    const std::string path = dir_of(state) + "/grants.prom";
    std::string tmp;
    assert_int_equal(static_cast<int>(write_atomically(path, "one\n", &tmp)), static_cast<int>(AtomicWrite::Ok));
    assert_string_equal(contents(path).c_str(), "one\n");
    assert_false(exists(tmp));
    assert_int_equal(static_cast<int>(write_atomically(path, "two\n", &tmp)), static_cast<int>(AtomicWrite::Ok));
    assert_string_equal(contents(path).c_str(), "two\n");
    // Readable by the exporter that reads it (0644 before the umask).
    const mode_t mask = ::umask(0);
    ::umask(mask);
    struct stat st {};
    assert_int_equal(::stat(path.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644 & ~mask);
    // Names nobody can guess: the PID alone (the old PATH.tmp.PID) is not enough.
    const std::string a = random_temp_name(path, 0), b = random_temp_name(path, 0);
    assert_true(a != b);
    assert_true(a.rfind(path + ".tmp." + std::to_string(::getpid()) + ".", 0) == 0);
    assert_int_equal(a.size(), path.size() + 5 + std::to_string(::getpid()).size() + 1 + 16);
}

// Links planted at the predictable name PATH.tmp.PID (what grantctl used
// before) and at the name of the first try: neither target is written.
void test_planted_link_not_followed(void** state) {
    const std::string dir = dir_of(state);
    const std::string path = dir + "/grants.prom", victim = dir + "/shadow";
    write_file(victim, "precious\n");
    const std::string predictable = path + ".tmp." + std::to_string(::getpid());
    assert_int_equal(::symlink(victim.c_str(), predictable.c_str()), 0);
    std::string tmp;
    assert_int_equal(static_cast<int>(write_atomically(path, "metrics\n", &tmp)), static_cast<int>(AtomicWrite::Ok));
    assert_string_equal(contents(victim).c_str(), "precious\n");
    assert_string_equal(contents(path).c_str(), "metrics\n");

    // The first name tried is taken by a link: the next one is used.
    const std::string planted = path + ".tmp.planted";
    assert_int_equal(::symlink(victim.c_str(), planted.c_str()), 0);
    int tries = 0;
    const auto names = [&](const std::string& p, int attempt) {
        ++tries;
        return attempt == 0 ? planted : p + ".tmp.fresh" + std::to_string(attempt);
    };
    assert_int_equal(static_cast<int>(write_atomically(path, "again\n", &tmp, names)), static_cast<int>(AtomicWrite::Ok));
    assert_int_equal(tries, 2);
    assert_string_equal(contents(victim).c_str(), "precious\n");
    assert_true(is_link(planted));
    assert_string_equal(contents(path).c_str(), "again\n");
    assert_false(is_link(path));
}

// Every name taken: nothing is written anywhere, and the sentence says why.
void test_every_name_taken(void** state) {
    const std::string dir = dir_of(state);
    const std::string path = dir + "/grants.prom", victim = dir + "/shadow";
    write_file(victim, "precious\n");
    const std::string planted = path + ".tmp.planted";
    assert_int_equal(::symlink(victim.c_str(), planted.c_str()), 0);
    int tries = 0;
    const auto always = [&](const std::string&, int) {
        ++tries;
        return planted;
    };
    std::string tmp;
    assert_int_equal(static_cast<int>(write_atomically(path, "metrics\n", &tmp, always)),
                     static_cast<int>(AtomicWrite::WriteFailed));
    assert_int_equal(tries, kTempNameAttempts);
    assert_string_equal(contents(victim).c_str(), "precious\n");
    assert_false(exists(path));
    assert_true(tmp.find(planted) == 0);
    assert_true(tmp.find("other temporary names beside it were taken") != std::string::npos);
    // A directory that cannot be written: the reason, once.
    assert_int_equal(static_cast<int>(write_atomically(dir + "/no/such/dir/f", "x", &tmp)),
                     static_cast<int>(AtomicWrite::WriteFailed));
    assert_true(tmp.find("(No such file or directory)") != std::string::npos);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writes_and_replaces, grants::test::make_dir, grants::test::remove_dir),
        cmocka_unit_test_setup_teardown(test_planted_link_not_followed, grants::test::make_dir,
                                        grants::test::remove_dir),
        cmocka_unit_test_setup_teardown(test_every_name_taken, grants::test::make_dir, grants::test::remove_dir),
    };
    return cmocka_run_group_tests_name("atomic_file", tests, nullptr, nullptr);
}
