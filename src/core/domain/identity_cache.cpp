#include "core/domain/identity_cache.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace grants {

IdentityCache::IdentityCache(Lookup lookup, std::chrono::seconds ttl) : lookup_(std::move(lookup)), ttl_(ttl) {}

std::shared_ptr<const UnixIdentity> IdentityCache::find(std::uint32_t uid, Clock::time_point now) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = entries_.find(uid);
        if (it != entries_.end() && now - it->second.fetched < ttl_) return it->second.identity;
        ++lookups_;
    }
    // The name service (LDAP/SSSD) can take milliseconds or time out: never
    // with the cache locked, so that nobody waits on another user's lookup.
    // Two threads missing the same uid at once both ask; the last answer stays.
    std::optional<UnixIdentity> found = lookup_(uid);
    Entry entry{found ? std::make_shared<const UnixIdentity>(std::move(*found)) : nullptr, now};
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() > 100000) entries_.clear();  // bound memory on huge sites
    entries_[uid] = entry;
    return entry.identity;
}

std::optional<UnixIdentity> IdentityCache::get(std::uint32_t uid, Clock::time_point now) {
    auto identity = find(uid, now);
    if (!identity) return std::nullopt;
    return *identity;
}

namespace {

std::optional<std::string> group_name(gid_t gid) {
    std::vector<char> buf(4096);
    struct group gr {};
    struct group* result = nullptr;
    while (getgrgid_r(gid, &gr, buf.data(), buf.size(), &result) == ERANGE && buf.size() < (1u << 20)) {
        buf.resize(buf.size() * 2);
    }
    if (!result) return std::nullopt;
    return std::string(gr.gr_name);
}

}  // namespace

std::optional<UnixIdentity> lookup_unix_identity(std::uint32_t uid) {
    std::vector<char> buf(4096);
    struct passwd pw {};
    struct passwd* result = nullptr;
    while (getpwuid_r(static_cast<uid_t>(uid), &pw, buf.data(), buf.size(), &result) == ERANGE &&
           buf.size() < (1u << 20)) {
        buf.resize(buf.size() * 2);
    }
    if (!result) return std::nullopt;
    UnixIdentity id;
    id.user = pw.pw_name;
    gid_t primary = pw.pw_gid;
    int count = 64;
    std::vector<gid_t> gids(static_cast<std::size_t>(count));
    if (getgrouplist(pw.pw_name, primary, gids.data(), &count) < 0) {
        gids.resize(static_cast<std::size_t>(count));
        if (getgrouplist(pw.pw_name, primary, gids.data(), &count) < 0) count = 0;
    }
    gids.resize(static_cast<std::size_t>(count));
    if (auto name = group_name(primary)) id.groups.push_back(*name);
    for (gid_t g : gids) {
        if (g == primary) continue;
        if (auto name = group_name(g)) id.groups.push_back(*name);
    }
    return id;
}

}  // namespace grants
