#include "core/policy/policy_reloader.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <cstring>
#include <functional>
#include <fstream>
#include <sstream>

namespace grants {

PolicyReloader::PolicyReloader(PolicyStore& store, Options options, Log log)
    : store_(store), options_(std::move(options)), log_(std::move(log)) {}

PolicyReloader::~PolicyReloader() { stop(); }

bool PolicyReloader::check(bool force, const std::string& why) {
    std::lock_guard<std::mutex> guard(check_mutex_);
    // grants.yaml, and the drop-in directory it named at the last attempt.
    PolicySetSignature now = policy_set_signature(options_.policy_path, awards_dir_);
    if (!force && attempted_ && !unsettled_ && now == last_signature_) return false;
    const bool recheck_only = !force && attempted_ && now == last_signature_;
    attempted_ = true;
    ++attempts_;

    PolicyFileLoad load = load_trusted_policy_file(options_.policy_path, options_.owners, options_.limits);
    const std::size_t text_hash = std::hash<std::string>{}(load.text) * 31 + load.dropin_hash;
    const bool same_text = text_hash == last_text_hash_;
    last_text_hash_ = text_hash;
    if (load.awards_dir != awards_dir_) {
        // Named (or renamed) just now: watch it from here on.
        awards_dir_ = load.awards_dir;
        now = policy_set_signature(options_.policy_path, awards_dir_);
    }
    last_signature_ = now;
    if (load.signature.exists) last_signature_.main = load.signature;
    // An in-place rewrite of the same size within one filesystem timestamp
    // tick leaves the signature unchanged: while a file's mtime is this
    // recent, read them again at the next poll.
    struct timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    const std::int64_t now_ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    unsettled_ = last_signature_.main.exists && now_ns - last_signature_.newest_mtime_ns() < 2'000'000'000;
    if (recheck_only && same_text) return false;  // nothing changed after all
    auto previous = store_.current();

    if (load.policy) {
        auto state = std::make_shared<PolicyState>();
        state->policy = load.policy;
        store_.replace(state);
        std::string parts;
        for (const auto& p : load.policy->enforced_partitions) parts += (parts.empty() ? "" : ",") + p;
        log_(LogLevel::Info, "policy " + options_.policy_path + " loaded (" + why + "): " +
                                 std::to_string(load.policy->awards.size()) + " awards" +
                                 (load.awards_dir.empty() ? std::string() : " (with " + load.awards_dir + ")") +
                                 ", enforced partitions " + (parts.empty() ? "(none)" : parts));
        save_scope(scope_of(*load.policy));
        return true;
    }

    for (const auto& e : load.errors) log_(LogLevel::Error, "policy refused: " + e.to_string());
    const std::string problem = load.errors.empty() ? "the policy could not be read" : load.errors.front().to_string();
    if (previous->policy) {
        log_(LogLevel::Error, "policy " + options_.policy_path + " refused (" + why + ", " +
                                  std::to_string(load.errors.size()) + " error(s)); the last good policy stays in force");
        return false;
    }

    // No good policy yet: find out which partitions are enforced anyway.
    auto state = std::make_shared<PolicyState>();
    state->problem = problem;
    std::string source;
    if (!load.text.empty()) {
        if (auto scope = read_enforce_section(load.text)) {
            state->fallback = scope;
            source = "the enforce section of " + options_.policy_path;
        }
    }
    if (!state->fallback) {
        if (auto scope = saved_scope()) {
            state->fallback = scope;
            source = options_.scope_path + " (saved at the last good load)";
        }
    }
    if (state->fallback) {
        std::string parts;
        for (const auto& p : state->fallback->partitions) parts += (parts.empty() ? "" : ",") + p;
        log_(LogLevel::Error, "no usable grant policy; partitions " + (parts.empty() ? std::string("(none)") : parts) +
                                  " (from " + source + ") are handled as on_error=" +
                                  (state->fallback->on_error == OnError::Open ? "open" : "closed"));
    } else {
        log_(LogLevel::Error, "no usable grant policy and no saved scope: no partition is known to be enforced, "
                              "so jobs pass untouched until " + options_.policy_path + " is valid");
    }
    store_.replace(state);
    return false;
}

void PolicyReloader::start(std::chrono::milliseconds interval) {
    stop();
    {
        std::lock_guard<std::mutex> lock(wake_mutex_);
        stopping_ = false;
    }
    thread_ = std::thread([this, interval] {
        pthread_setname_np(pthread_self(), "grants_policy");  // for `top -H` and `ps -L`
        run(interval);
    });
}

void PolicyReloader::stop() {
    {
        std::lock_guard<std::mutex> lock(wake_mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void PolicyReloader::request_reload() {
    {
        std::lock_guard<std::mutex> lock(wake_mutex_);
        forced_ = true;
    }
    wake_.notify_all();
}

void PolicyReloader::run(std::chrono::milliseconds interval) {
    std::unique_lock<std::mutex> lock(wake_mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, interval, [this] { return stopping_ || forced_; });
        if (stopping_) break;
        bool force = forced_;
        forced_ = false;
        lock.unlock();
        try {
            check(force, force ? "reconfigure" : "file changed");
        } catch (const std::exception& e) {
            try { log_(LogLevel::Error, std::string("policy reload failed: ") + e.what()); } catch (...) {}
        } catch (...) {
        }
        lock.lock();
    }
}

std::optional<EnforceScope> PolicyReloader::saved_scope() const {
    if (options_.scope_path.empty()) return std::nullopt;
    std::ifstream in(options_.scope_path);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return parse_scope(text.str());
}

void PolicyReloader::save_scope(const EnforceScope& scope) {
    if (options_.scope_path.empty()) return;
    if (auto saved = saved_scope(); saved && *saved == scope) return;
    auto slash = options_.scope_path.rfind('/');
    if (slash != std::string::npos && slash > 0) ::mkdir(options_.scope_path.substr(0, slash).c_str(), 0700);
    const std::string tmp = options_.scope_path + ".tmp";
    const std::string text = serialize_scope(scope);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    int err = errno;
    if (fd >= 0) ::close(fd);
    if (ok && ::rename(tmp.c_str(), options_.scope_path.c_str()) == 0) return;
    if (ok) err = errno;
    ::unlink(tmp.c_str());
    log_(LogLevel::Error, "cannot save the enforce scope to " + options_.scope_path + ": " + std::strerror(err));
}

}  // namespace grants
