// Hot reload: the store gets a new policy when the file changes or a reload
// is requested; a file that does not validate leaves the last good policy in
// force (and says so, with file:line:col); with no good policy at all, the
// enforce scope comes from the broken file or from the copy saved earlier.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "cmocka.h"
#include "core/policy/policy_reloader.h"

using grants::EnforceScope;
using grants::OnError;
using grants::PolicyReloader;
using grants::PolicyState;
using grants::PolicyStore;
using LogLevel = grants::PolicyReloader::LogLevel;
using std::chrono::milliseconds;

namespace {

// Valid policies of different sizes, and broken ones.
const char kP1[] =
    "version: 1\nenforce:\n  partitions: [trn1]\npartitions:\n  trn1: { chips_per_node: 16 }\nawards:\n"
    "  A1: { members: { users: [alice] }, budget: { chip_hours: 100 } }\n";
const char kP2[] =
    "version: 1\nenforce:\n  partitions: [trn1]\npartitions:\n  trn1: { chips_per_node: 16 }\nawards:\n"
    "  A1: { members: { users: [alice] }, budget: { chip_hours: 100 } }\n"
    "  A2: { members: { users: [bob] }, budget: { chip_hours: 5 }, partitions: [trn1] }\n";
const char kP3[] =
    "version: 1\nenforce:\n  partitions: [trn1, trn2]\n  on_error: open\npartitions:\n"
    "  trn1: { chips_per_node: 16 }\n  trn2: { chips_per_node: 16 }\nawards:\n"
    "  A3: { members: { users: [carol] }, budget: { chip_hours: 7 } }\n";
// Refused (version 2 at 1:10), but its enforce section reads cleanly.
const char kBroken[] =
    "version: 2\nenforce:\n  partitions: [trn1, trn2]\n  on_error: open\npartitions:\n"
    "  trn1: { chips_per_node: 16 }\n  trn2: { chips_per_node: 16 }\nawards: {}\n";
// Refused, and so is its enforce section.
const char kBrokenEnforce[] = "version: 1\nenforce:\n  partitions: [trn1]\n  on_error: maybe\nawards: {}\n";

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

struct Env {
    std::string dir;
    std::string policy;  // <dir>/grants.yaml
    std::string scope;   // <dir>/state/enforce.state (the directory is created on first save)
    std::mutex mutex;
    std::vector<std::pair<LogLevel, std::string>> logs;
    std::int64_t next_mtime = 1'700'000'000;
    // For tests with a running thread: owned here, so that the teardown stops
    // the thread even when a failed assertion leaves the test early.
    std::unique_ptr<PolicyStore> owned_store;
    std::unique_ptr<PolicyReloader> owned_reloader;

    PolicyReloader& make_reloader() {
        owned_store = std::make_unique<PolicyStore>();
        owned_reloader = std::make_unique<PolicyReloader>(*owned_store, options(), log());
        return *owned_reloader;
    }

    PolicyReloader::Log log() {
        return [this](LogLevel level, const std::string& line) {
            std::lock_guard<std::mutex> lock(mutex);
            logs.emplace_back(level, line);
        };
    }
    PolicyReloader::Options options(bool with_scope = true) {
        PolicyReloader::Options o;
        o.policy_path = policy;
        o.scope_path = with_scope ? scope : "";
        o.owners.uids = {static_cast<std::uint32_t>(geteuid())};  // root when run as root
        return o;
    }
    // True when some line of level contains every needle.
    bool logged(LogLevel level, std::initializer_list<std::string_view> needles) {
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto& [l, line] : logs) {
            if (l != level) continue;
            bool all = true;
            for (auto n : needles) all = all && contains(line, n);
            if (all) return true;
        }
        return false;
    }
    std::size_t count(LogLevel level) {
        std::lock_guard<std::mutex> lock(mutex);
        std::size_t n = 0;
        for (const auto& entry : logs) n += entry.first == level;
        return n;
    }
    void dump() {
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto& [l, line] : logs) print_error("  [%s] %s\n", l == LogLevel::Info ? "info" : "error", line.c_str());
    }
    void clear_logs() {
        std::lock_guard<std::mutex> lock(mutex);
        logs.clear();
    }

    // Rewrites a file in place (same inode) with a fresh mtime, so that the
    // change is visible even within one tick of the file system clock.
    void write(const std::string& path, std::string_view text, mode_t mode = 0644) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        assert_int_equal(::fchmod(fd, mode), 0);
        const struct timespec times[2] = {{next_mtime, 0}, {next_mtime, 0}};
        ++next_mtime;
        assert_int_equal(::futimens(fd, times), 0);
        assert_int_equal(::close(fd), 0);
    }
    void write_policy(std::string_view text, mode_t mode = 0644) { write(policy, text, mode); }
    // Replaces the policy atomically (write a new file, rename it over): a
    // polling thread sees the old file or the new one, never half of one.
    void replace_policy(std::string_view text) {
        const std::string tmp = policy + ".new";
        write(tmp, text);
        assert_int_equal(::rename(tmp.c_str(), policy.c_str()), 0);
    }
    void write_scope(std::string_view text) {
        ::mkdir((dir + "/state").c_str(), 0700);
        write(scope, text, 0600);
    }
};

int setup(void** state) {
    char tmpl[] = "/tmp/grants-reloader-XXXXXX";
    if (!mkdtemp(tmpl)) return -1;
    auto* env = new Env;
    env->dir = tmpl;
    env->policy = env->dir + "/grants.yaml";
    env->scope = env->dir + "/state/enforce.state";
    *state = env;
    return 0;
}

int teardown(void** state) {
    auto* env = static_cast<Env*>(*state);
    env->owned_reloader.reset();  // joins a running thread
    env->owned_store.reset();
    const std::string cmd = "rm -rf '" + env->dir + "'";
    int rc = std::system(cmd.c_str());
    delete env;
    return rc == 0 ? 0 : -1;
}

Env& env_of(void** state) { return *static_cast<Env*>(*state); }

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::uint64_t inode_of(const std::string& path) {
    struct stat st {};
    assert_int_equal(::stat(path.c_str(), &st), 0);
    return st.st_ino;
}

EnforceScope scope(grants::NameSet partitions, OnError on_error) {
    EnforceScope s;
    s.partitions = std::move(partitions);
    s.on_error = on_error;
    return s;
}

void expect_fallback(const PolicyState& state, const std::optional<EnforceScope>& want) {
    assert_null(state.policy.get());
    assert_false(state.problem.empty());
    assert_int_equal(state.fallback.has_value(), want.has_value());
    if (want) assert_true(*state.fallback == *want);
}

// Polls pred every 5 ms for at most 2 s.
template <typename Pred>
bool eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(milliseconds(5));
    }
    return pred();
}

void test_initial_load(void** state) {
    Env& env = env_of(state);
    env.write_policy(kP1);
    PolicyStore store;
    assert_null(store.current()->policy.get());
    PolicyReloader reloader(store, env.options(), env.log());
    assert_int_equal(reloader.loads_attempted(), 0);

    assert_true(reloader.check(false, "start"));
    assert_int_equal(reloader.loads_attempted(), 1);
    auto current = store.current();
    assert_non_null(current->policy.get());
    assert_non_null(current->policy->find_award("A1"));
    assert_false(current->fallback.has_value());
    assert_true(current->problem.empty());
    if (!env.logged(LogLevel::Info, {"policy " + env.policy + " loaded (start): 1 awards, enforced partitions trn1"})) {
        env.dump();
        fail();
    }
    assert_int_equal(env.count(LogLevel::Error), 0);

    // The enforce scope is saved (its directory created, private) for a later start without a usable file.
    assert_string_equal(read_text(env.scope).c_str(), "partitions=trn1\non_error=closed\n");
    struct stat st {};
    assert_int_equal(::stat((env.dir + "/state").c_str(), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_false(exists(env.scope + ".tmp"));
}

void test_unchanged_does_nothing(void** state) {
    Env& env = env_of(state);
    env.write_policy(kP1);
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_true(reloader.check(false, "start"));
    auto first = store.current();
    for (int i = 0; i < 3; ++i) assert_false(reloader.check(false, "file changed"));
    assert_int_equal(reloader.loads_attempted(), 1);
    assert_true(store.current() == first);

    // A forced reload (scontrol reconfigure) reads the same file again.
    assert_true(reloader.check(true, "reconfigure"));
    assert_int_equal(reloader.loads_attempted(), 2);
    assert_true(store.current() != first);
    assert_non_null(store.current()->policy->find_award("A1"));
    assert_true(env.logged(LogLevel::Info, {"loaded (reconfigure)"}));
}

void test_edit_reloads(void** state) {
    Env& env = env_of(state);
    env.write_policy(kP1);
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_true(reloader.check(false, "start"));
    const std::uint64_t scope_inode = inode_of(env.scope);

    env.write_policy(kP2);
    assert_true(reloader.check(false, "file changed"));
    assert_int_equal(reloader.loads_attempted(), 2);
    assert_int_equal(store.current()->policy->awards.size(), 2);
    assert_non_null(store.current()->policy->find_award("A2"));
    assert_true(env.logged(LogLevel::Info, {"loaded (file changed): 2 awards"}));
    // Same scope: the saved file is left alone.
    assert_int_equal(inode_of(env.scope), scope_inode);

    // A new scope is saved.
    env.write_policy(kP3);
    assert_true(reloader.check(false, "file changed"));
    assert_non_null(store.current()->policy->find_award("A3"));
    assert_null(store.current()->policy->find_award("A1"));
    assert_string_equal(read_text(env.scope).c_str(), "partitions=trn1,trn2\non_error=open\n");
    assert_true(env.logged(LogLevel::Info, {"enforced partitions trn1,trn2"}));

    // Replaced by rename, as editors do.
    const std::string tmp = env.policy + ".new";
    env.write(tmp, kP1);
    assert_int_equal(::rename(tmp.c_str(), env.policy.c_str()), 0);
    assert_true(reloader.check(false, "file changed"));
    assert_non_null(store.current()->policy->find_award("A1"));
    assert_int_equal(reloader.loads_attempted(), 4);
    assert_int_equal(env.count(LogLevel::Error), 0);
}

void test_broken_edit_keeps_last_good(void** state) {
    Env& env = env_of(state);
    env.write_policy(kP1);
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_true(reloader.check(false, "start"));
    auto good = store.current();

    env.write_policy(kBroken);
    assert_false(reloader.check(false, "file changed"));
    assert_int_equal(reloader.loads_attempted(), 2);
    assert_true(store.current() == good);  // the very same state: nothing swapped
    const bool located =
        env.logged(LogLevel::Error, {"policy refused: " + env.policy + ":1:10: version 2 is not supported"});
    const bool kept = env.logged(LogLevel::Error, {"policy " + env.policy + " refused (file changed, 1 error(s)); "
                                                   "the last good policy stays in force"});
    if (!located || !kept) {
        env.dump();
        fail();
    }
    // The saved scope still is the good one's.
    assert_string_equal(read_text(env.scope).c_str(), "partitions=trn1\non_error=closed\n");

    // The broken file is not re-read until it changes again, not even logged again.
    const std::size_t errors = env.count(LogLevel::Error);
    assert_false(reloader.check(false, "file changed"));
    assert_int_equal(reloader.loads_attempted(), 2);
    assert_int_equal(env.count(LogLevel::Error), errors);
    // A forced reload retries it, and keeps the last good policy again.
    assert_false(reloader.check(true, "reconfigure"));
    assert_int_equal(reloader.loads_attempted(), 3);
    assert_true(store.current() == good);

    // Several errors: every one is logged with its location.
    env.write_policy("version: 1\nenforce: {partitions: [trn1]}\nawards:\n  A1: {members: {}}\n  A2: {budget: {}}\n");
    assert_false(reloader.check(false, "file changed"));
    assert_true(store.current() == good);
    assert_true(env.logged(LogLevel::Error, {env.policy + ":2:24: enforced partition 'trn1' is not defined"}));
    assert_true(env.logged(LogLevel::Error, {env.policy + ":4:7: award 'A1' is missing the key 'budget'"}));
    assert_true(env.logged(LogLevel::Error, {env.policy + ":5:7: award 'A2' is missing the key 'members'"}));
    assert_true(env.logged(LogLevel::Error, {env.policy + ":5:16: award 'A2'.budget needs exactly one"}));
    assert_true(env.logged(LogLevel::Error, {"refused (file changed, 4 error(s))"}));

    // Fixed: the new policy takes effect.
    env.write_policy(kP2);
    assert_true(reloader.check(false, "file changed"));
    assert_non_null(store.current()->policy->find_award("A2"));
}

void test_permission_broken_keeps_last_good(void** state) {
    Env& env = env_of(state);
    env.write_policy(kP1);
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_true(reloader.check(false, "start"));
    auto good = store.current();

    // chmod alone is a change, and a refusal.
    assert_int_equal(::chmod(env.policy.c_str(), 0666), 0);
    assert_false(reloader.check(false, "file changed"));
    assert_int_equal(reloader.loads_attempted(), 2);
    assert_true(store.current() == good);
    if (!env.logged(LogLevel::Error, {"policy refused: " + env.policy + ": the policy file is writable by its group "
                                      "or by others (mode 0666)"}) ||
        !env.logged(LogLevel::Error, {"the last good policy stays in force"})) {
        env.dump();
        fail();
    }

    // Even new content is not trusted while the mode is wrong.
    env.write_policy(kP2, 0666);
    assert_false(reloader.check(false, "file changed"));
    assert_null(store.current()->policy->find_award("A2"));

    assert_int_equal(::chmod(env.policy.c_str(), 0644), 0);
    assert_true(reloader.check(false, "file changed"));
    assert_non_null(store.current()->policy->find_award("A2"));
    good = store.current();

    // Removed: the last good policy stays.
    assert_int_equal(::unlink(env.policy.c_str()), 0);
    assert_false(reloader.check(false, "file changed"));
    assert_true(store.current() == good);
    assert_true(env.logged(LogLevel::Error, {env.policy + ": cannot open the policy file: No such file or directory"}));
}

void test_first_load_broken_uses_enforce_section(void** state) {
    Env& env = env_of(state);
    // Even with a saved scope around, the file's own enforce section wins: it is newer.
    env.write_scope("partitions=old\non_error=closed\n");
    env.write_policy(kBroken);
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_false(reloader.check(false, "start"));
    auto current = store.current();
    expect_fallback(*current, scope({"trn1", "trn2"}, OnError::Open));
    assert_true(contains(current->problem, env.policy + ":1:10: version 2 is not supported"));
    if (!env.logged(LogLevel::Error, {"no usable grant policy; partitions trn1,trn2 (from the enforce section of " +
                                      env.policy + ") are handled as on_error=open"})) {
        env.dump();
        fail();
    }
    assert_true(env.logged(LogLevel::Error, {"policy refused: " + env.policy + ":1:10:"}));
    // A refused file's scope is not saved over the good one.
    assert_string_equal(read_text(env.scope).c_str(), "partitions=old\non_error=closed\n");
}

void test_first_load_broken_no_scope_saved(void** state) {
    Env& env = env_of(state);
    env.write_policy(kBroken);
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_false(reloader.check(false, "start"));
    expect_fallback(*store.current(), scope({"trn1", "trn2"}, OnError::Open));
    assert_false(exists(env.scope));
}

void test_first_load_missing_uses_saved_scope(void** state) {
    Env& env = env_of(state);
    env.write_scope("partitions=trnX,trnY\non_error=open\n");
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_false(reloader.check(false, "start"));
    auto current = store.current();
    expect_fallback(*current, scope({"trnX", "trnY"}, OnError::Open));
    assert_true(contains(current->problem, "cannot open the policy file: No such file or directory"));
    if (!env.logged(LogLevel::Error, {"partitions trnX,trnY (from " + env.scope + " (saved at the last good load))",
                                      "on_error=open"})) {
        env.dump();
        fail();
    }
}

void test_first_load_broken_enforce_uses_saved_scope(void** state) {
    Env& env = env_of(state);
    env.write_scope("partitions=trn1\non_error=closed\n");
    env.write_policy(kBrokenEnforce);
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_false(reloader.check(false, "start"));
    expect_fallback(*store.current(), scope({"trn1"}, OnError::Closed));
    assert_true(env.logged(LogLevel::Error, {"(saved at the last good load)", "on_error=closed"}));
}

void test_untrusted_file_gives_no_scope(void** state) {
    // A file others may write is not read at all, not even its enforce section.
    Env& env = env_of(state);
    env.write_policy(kP3, 0666);
    {
        PolicyStore store;
        PolicyReloader reloader(store, env.options(), env.log());
        assert_false(reloader.check(false, "start"));
        expect_fallback(*store.current(), std::nullopt);
        assert_true(contains(store.current()->problem, "writable by its group or by others"));
    }
    env.write_scope("partitions=trn1\non_error=closed\n");
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_false(reloader.check(false, "start"));
    expect_fallback(*store.current(), scope({"trn1"}, OnError::Closed));
}

void test_nothing_known(void** state) {
    Env& env = env_of(state);
    {
        PolicyStore store;
        PolicyReloader reloader(store, env.options(), env.log());
        assert_false(reloader.check(false, "start"));
        expect_fallback(*store.current(), std::nullopt);
        if (!env.logged(LogLevel::Error, {"no usable grant policy and no saved scope", "jobs pass untouched until " +
                                                                                           env.policy + " is valid"})) {
            env.dump();
            fail();
        }
    }
    // A garbled saved scope is no scope.
    env.write_scope("partitions=trn1\non_error=perhaps\n");
    {
        PolicyStore store;
        PolicyReloader reloader(store, env.options(), env.log());
        assert_false(reloader.check(false, "start"));
        expect_fallback(*store.current(), std::nullopt);
    }
    // Without a scope path, nothing is read or saved.
    PolicyStore store;
    PolicyReloader reloader(store, env.options(false), env.log());
    assert_false(reloader.check(false, "start"));
    expect_fallback(*store.current(), std::nullopt);
    env.write_policy(kP1);
    assert_true(reloader.check(false, "file changed"));
    assert_string_equal(read_text(env.scope).c_str(), "partitions=trn1\non_error=perhaps\n");  // untouched
}

void test_recovery_after_fallback(void** state) {
    Env& env = env_of(state);
    env.write_policy(kBroken);
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_false(reloader.check(false, "start"));
    assert_true(store.current()->fallback.has_value());

    // Still broken, differently: the fallback follows the file.
    env.write_policy("version: 2\nenforce: {partitions: [trn9]}\nawards: {}\n");
    assert_false(reloader.check(false, "file changed"));
    expect_fallback(*store.current(), scope({"trn9"}, OnError::Closed));

    env.write_policy(kP1);
    assert_true(reloader.check(false, "file changed"));
    auto current = store.current();
    assert_non_null(current->policy.get());
    assert_false(current->fallback.has_value());
    assert_true(current->problem.empty());
    assert_string_equal(read_text(env.scope).c_str(), "partitions=trn1\non_error=closed\n");
}

void test_thread_picks_up_change(void** state) {
    Env& env = env_of(state);
    env.replace_policy(kP1);
    PolicyReloader& reloader = env.make_reloader();
    PolicyStore& store = *env.owned_store;
    assert_true(reloader.check(false, "start"));
    reloader.start(milliseconds(20));

    env.replace_policy(kP2);
    const bool seen = eventually([&] {
        auto s = store.current();
        return s->policy && s->policy->find_award("A2") != nullptr;
    });
    if (!seen) env.dump();
    assert_true(seen);
    assert_true(env.logged(LogLevel::Info, {"loaded (file changed)"}));

    // Polling an unchanged file loads nothing.
    const std::size_t attempts = reloader.loads_attempted();
    std::this_thread::sleep_for(milliseconds(100));
    assert_int_equal(reloader.loads_attempted(), attempts);

    // A broken edit seen by the thread keeps the last good policy too.
    auto good = store.current();
    env.replace_policy(kBroken);
    assert_true(eventually([&] { return env.logged(LogLevel::Error, {"the last good policy stays in force"}); }));
    assert_true(store.current() == good);
    reloader.stop();
}

void test_request_reload(void** state) {
    Env& env = env_of(state);
    env.replace_policy(kP1);
    PolicyReloader& reloader = env.make_reloader();
    PolicyStore& store = *env.owned_store;
    assert_true(reloader.check(false, "start"));
    // A long interval: only request_reload can explain a prompt load.
    reloader.start(std::chrono::seconds(60));
    auto before = store.current();
    reloader.request_reload();
    const bool reloaded = eventually([&] { return reloader.loads_attempted() == 2; });
    if (!reloaded) env.dump();
    assert_true(reloaded);
    assert_true(eventually([&] { return store.current() != before; }));  // forced: loaded although unchanged
    assert_true(env.logged(LogLevel::Info, {"loaded (reconfigure)"}));

    // A changed file picked up by a forced reload.
    env.replace_policy(kP2);
    reloader.request_reload();
    assert_true(eventually([&] {
        auto s = store.current();
        return s->policy && s->policy->find_award("A2") != nullptr;
    }));
    reloader.stop();
}

void test_stop_is_prompt(void** state) {
    Env& env = env_of(state);
    env.replace_policy(kP1);
    PolicyReloader& reloader = env.make_reloader();
    PolicyStore& store = *env.owned_store;
    assert_true(reloader.check(false, "start"));

    reloader.start(std::chrono::seconds(60));
    std::this_thread::sleep_for(milliseconds(20));
    auto t0 = std::chrono::steady_clock::now();
    reloader.stop();
    auto took = std::chrono::steady_clock::now() - t0;
    assert_true(took < milliseconds(500));
    reloader.stop();  // twice is fine

    // It can be started again (slurmctld reconfigure re-inits plugins), and it still works.
    reloader.start(milliseconds(20));
    env.replace_policy(kP2);
    assert_true(eventually([&] { return store.current()->policy->find_award("A2") != nullptr; }));
    reloader.start(milliseconds(20));  // restart while running
    env.replace_policy(kP3);
    assert_true(eventually([&] { return store.current()->policy->find_award("A3") != nullptr; }));
    t0 = std::chrono::steady_clock::now();
    reloader.stop();
    assert_true(std::chrono::steady_clock::now() - t0 < milliseconds(500));
    // Stopped: changes are no longer picked up.
    const std::size_t attempts = reloader.loads_attempted();
    env.replace_policy(kP1);
    std::this_thread::sleep_for(milliseconds(100));
    assert_int_equal(reloader.loads_attempted(), attempts);
}

void test_destructor_stops_thread(void** state) {
    Env& env = env_of(state);
    env.replace_policy(kP1);
    PolicyReloader& reloader = env.make_reloader();
    reloader.start(std::chrono::seconds(60));
    reloader.request_reload();
    assert_true(eventually([&] { return reloader.loads_attempted() == 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    env.owned_reloader.reset();  // destroyed while its thread waits
    assert_true(std::chrono::steady_clock::now() - t0 < milliseconds(500));
    assert_non_null(env.owned_store->current()->policy.get());
}

}  // namespace

// awards_dir: a portal adds, changes and retires awards by writing files;
// each change reloads the whole set, and a bad file refuses it (with its
// file:line:column) while the last good policy stays.
void test_award_files_reload(void** state) {
    Env& env = env_of(state);
    const std::string dir = env.dir + "/awards.d";
    assert_int_equal(::mkdir(dir.c_str(), 0755), 0);
    env.write_policy(std::string(kP1) + "awards_dir: awards.d\n");
    env.write(dir + "/b2.yaml", "B2: { members: { users: [bob] }, budget: { chip_hours: 7 } }\n");
    env.write(dir + "/notes.txt", "not an award\n");          // not *.yaml: ignored
    env.write(dir + "/.b3.yaml.tmp", "half written\n");       // hidden: ignored
    PolicyStore store;
    PolicyReloader reloader(store, env.options(), env.log());
    assert_true(reloader.check(false, "start"));
    assert_non_null(store.current()->policy->find_award("B2"));
    assert_non_null(store.current()->policy->find_award("A1"));
    assert_true(env.logged(LogLevel::Info, {"2 awards (with " + dir + ")"}));
    assert_false(reloader.check(false, "file changed"));  // nothing changed

    // Added by rename (a portal's atomic write): noticed.
    env.write(dir + "/.b3.tmp", "B3: { members: { users: [carol] }, budget: { chip_hours: 5 } }\n");
    assert_int_equal(::rename((dir + "/.b3.tmp").c_str(), (dir + "/b3.yaml").c_str()), 0);
    assert_true(reloader.check(false, "file changed"));
    assert_non_null(store.current()->policy->find_award("B3"));

    // Changed in place: noticed.
    env.write(dir + "/b2.yaml", "B2: { members: { users: [bob] }, budget: { chip_hours: 9 } }\n");
    assert_true(reloader.check(false, "file changed"));
    assert_int_equal(store.current()->policy->find_award("B2")->budget.amount, 9'000'000);

    // A bad file refuses the whole set, located in that file; the last good stays.
    auto good = store.current();
    env.write(dir + "/b4.yaml", "B4:\n  members: { users: [dave] }\n  budget: { chip_hours: -1 }\n");
    assert_false(reloader.check(false, "file changed"));
    assert_true(store.current() == good);
    if (!env.logged(LogLevel::Error, {"policy refused: " + dir + "/b4.yaml:3:25: award 'B4'.budget.chip_hours must not be negative"})) {
        env.dump();
        fail();
    }
    // An award defined twice (in grants.yaml and a file) names both places.
    env.write(dir + "/b4.yaml", "A1: { members: { users: [dave] }, budget: { chip_hours: 1 } }\n");
    assert_false(reloader.check(false, "file changed"));
    assert_true(env.logged(LogLevel::Error, {dir + "/b4.yaml:1:1: award 'A1' is defined twice: here and in " + env.policy + ":7"}));
    // Two awards in one file.
    env.write(dir + "/b4.yaml", "B4: { members: {}, budget: { chip_hours: 1 } }\nB5: { members: {}, budget: { chip_hours: 1 } }\n");
    assert_false(reloader.check(false, "file changed"));
    assert_true(env.logged(LogLevel::Error, {"b4.yaml:1:1: the award file holds 2 awards; a file in awards_dir holds exactly one"}));
    // A file others may write is refused like grants.yaml.
    env.write(dir + "/b4.yaml", "B4: { members: {}, budget: { chip_hours: 1 } }\n", 0666);
    assert_false(reloader.check(false, "file changed"));
    assert_true(env.logged(LogLevel::Error, {"b4.yaml: the award file is writable by its group or by others (mode 0666)"}));

    // Retired: removing the file removes the award.
    assert_int_equal(::unlink((dir + "/b4.yaml").c_str()), 0);
    assert_int_equal(::unlink((dir + "/b3.yaml").c_str()), 0);
    assert_true(reloader.check(false, "file changed"));
    assert_null(store.current()->policy->find_award("B3"));
    assert_non_null(store.current()->policy->find_award("B2"));

    // A directory others may write is refused (anyone could add an award).
    assert_int_equal(::chmod(dir.c_str(), 0777), 0);
    assert_false(reloader.check(true, "reconfigure"));
    assert_true(env.logged(LogLevel::Error, {dir + ": awards_dir is writable by its group or by others (mode 0777)"}));
    assert_int_equal(::chmod(dir.c_str(), 0755), 0);
    // A missing directory too.
    assert_int_equal(::rename(dir.c_str(), (dir + ".gone").c_str()), 0);
    assert_false(reloader.check(false, "file changed"));
    assert_true(env.logged(LogLevel::Error, {dir + ": cannot open awards_dir: No such file or directory"}));
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_initial_load),
        TEST(test_unchanged_does_nothing),
        TEST(test_edit_reloads),
        TEST(test_broken_edit_keeps_last_good),
        TEST(test_permission_broken_keeps_last_good),
        TEST(test_first_load_broken_uses_enforce_section),
        TEST(test_first_load_broken_no_scope_saved),
        TEST(test_first_load_missing_uses_saved_scope),
        TEST(test_first_load_broken_enforce_uses_saved_scope),
        TEST(test_untrusted_file_gives_no_scope),
        TEST(test_nothing_known),
        TEST(test_recovery_after_fallback),
        TEST(test_thread_picks_up_change),
        TEST(test_request_reload),
        TEST(test_stop_is_prompt),
        TEST(test_destructor_stops_thread),
        TEST(test_award_files_reload),
    };
    return cmocka_run_group_tests_name("policy_reloader", tests, nullptr, nullptr);
}
