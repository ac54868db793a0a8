// Keeps the PolicyStore current: loads grants.yaml at start, notices edits
// (checked at most once per interval, by file signature) and forced reloads
// (scontrol reconfigure), swaps a new valid policy in atomically, and keeps the
// last good one when a new file does not validate. Runs on its own thread so
// the submit path never touches the disk.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/policy/policy_file.h"
#include "core/policy/policy_store.h"

namespace grants {

class PolicyReloader {
public:
    enum class LogLevel { Info, Error };
    using Log = std::function<void(LogLevel, const std::string&)>;

    struct Options {
        std::string policy_path;
        std::string scope_path;  // saved enforce scope; "" disables saving
        PolicyFileOwners owners;
        YamlLimits limits;
    };

    PolicyReloader(PolicyStore& store, Options options, Log log);
    ~PolicyReloader();
    PolicyReloader(const PolicyReloader&) = delete;
    PolicyReloader& operator=(const PolicyReloader&) = delete;

    // Loads when the file's signature changed since the last attempt, or
    // always when force is set. why names the trigger in log lines. Returns
    // true when a new policy took effect.
    bool check(bool force, const std::string& why);

    // Background polling every interval; request_reload() wakes it early and forces a load.
    void start(std::chrono::milliseconds interval);
    void stop();
    void request_reload();

    std::size_t loads_attempted() const { return attempts_.load(); }

private:
    void run(std::chrono::milliseconds interval);
    void save_scope(const EnforceScope& scope);
    std::optional<EnforceScope> saved_scope() const;

    PolicyStore& store_;
    Options options_;
    Log log_;
    std::mutex check_mutex_;  // one load at a time
    PolicySetSignature last_signature_;
    std::string awards_dir_;  // the drop-in directory of the last attempt (resolved); "" none
    bool attempted_ = false;
    bool unsettled_ = false;  // the file changed too recently to trust its signature
    std::size_t last_text_hash_ = 0;
    std::atomic<std::size_t> attempts_{0};

    std::mutex wake_mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool forced_ = false;
    std::thread thread_;
};

}  // namespace grants
