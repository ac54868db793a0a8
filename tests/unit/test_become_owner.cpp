// become_owner (src/cli/become_owner.h), what root's grantctl adjust,
// deposit and alerts --send do before they write the ledger: afterwards the
// process has the owner's uid and gid and no group of root's left, as the
// kernel reports it in /proc/self/status. Needs root (it is what it tests):
// otherwise the program exits 77, which make check reports as SKIP.
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "cli/become_owner.h"
#include "cmocka.h"

using grants::cli::become_owner;

namespace {

// "Groups:", "Uid:" or "Gid:" of /proc/self/status, blanks collapsed.
std::string status_field(const std::string& name) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind(name + ":", 0) != 0) continue;
        std::string out, word;
        for (char c : line.substr(name.size() + 1) + " ") {
            if (c == ' ' || c == '\t') {
                if (!word.empty()) out += (out.empty() ? "" : " ") + word;
                word.clear();
            } else {
                word += c;
            }
        }
        return out;
    }
    return "?";
}

// In a child: root with supplementary groups (as from a login shell: root,
// disk, adm), then become_owner; exit 0 when the kernel shows only the
// owner's identity, else a code saying what stayed.
int child_after_drop(uid_t uid, gid_t gid) {
    const gid_t roots[] = {0, 6, 4};
    if (::setgroups(3, roots) != 0) return 10;
    if (status_field("Groups") != "0 4 6") return 11;
    if (!become_owner(uid, gid).empty()) return 12;
    const std::string u = std::to_string(uid), g = std::to_string(gid);
    if (status_field("Groups") != g) {
        std::fprintf(stderr, "Groups after the drop: %s\n", status_field("Groups").c_str());
        return 13;
    }
    if (status_field("Uid") != u + " " + u + " " + u + " " + u) return 14;
    if (status_field("Gid") != g + " " + g + " " + g + " " + g) return 15;
    // No way back to root.
    if (::setuid(0) == 0 || ::setgroups(0, nullptr) == 0) return 16;
    return 0;
}

void test_no_group_of_root_left(void**) {
    const pid_t pid = ::fork();
    assert_true(pid >= 0);
    if (pid == 0) ::_exit(child_after_drop(65534, 65533));
    int status = 0;
    assert_int_equal(::waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

}  // namespace

int main(void) {
    if (::geteuid() != 0) {
        std::puts("SKIP: become_owner needs root (make check as root runs it)");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_group_of_root_left),
    };
    return cmocka_run_group_tests_name("become_owner", tests, nullptr, nullptr);
}
