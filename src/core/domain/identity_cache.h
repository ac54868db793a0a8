// Cached user and group names for membership checks.
//
// Name service lookups (LDAP/SSSD behind NSS) can take milliseconds, so the
// submit path asks at most once per user per period (default 300 s); the
// lookup function is injected so tests and benchmarks control it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace grants {

struct UnixIdentity {
    std::string user;
    std::vector<std::string> groups;  // primary first, then supplementary
};

class IdentityCache {
public:
    using Clock = std::chrono::steady_clock;
    using Lookup = std::function<std::optional<UnixIdentity>(std::uint32_t uid)>;

    explicit IdentityCache(Lookup lookup, std::chrono::seconds ttl = std::chrono::seconds(300));

    // The identity of uid, or nullopt when the name service does not know it
    // (failures are cached for the same period as successes).
    std::optional<UnixIdentity> get(std::uint32_t uid, Clock::time_point now = Clock::now());

    // The same, without copying the names under the cache's lock (the submit
    // path and the accounting pass share it): null when unknown.
    std::shared_ptr<const UnixIdentity> find(std::uint32_t uid, Clock::time_point now = Clock::now());

    std::size_t lookups() {  // calls to the name service so far
        std::lock_guard<std::mutex> lock(mutex_);
        return lookups_;
    }

private:
    struct Entry {
        std::shared_ptr<const UnixIdentity> identity;  // null: unknown
        Clock::time_point fetched;
    };
    Lookup lookup_;
    std::chrono::seconds ttl_;
    std::mutex mutex_;
    std::unordered_map<std::uint32_t, Entry> entries_;
    std::size_t lookups_ = 0;
};

// The system lookup: getpwuid_r + getgrouplist + getgrgid_r.
std::optional<UnixIdentity> lookup_unix_identity(std::uint32_t uid);

}  // namespace grants
