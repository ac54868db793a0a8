// The name-service cache: at most one lookup per uid per TTL, failures
// cached too; the clock is injected so time is under the test's control.
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cmocka.h"
#include "core/domain/identity_cache.h"

using grants::IdentityCache;
using grants::UnixIdentity;
using std::chrono::seconds;

namespace {

// A fake name service: known uids, and how often each was asked for.
struct FakeNss {
    std::map<std::uint32_t, UnixIdentity> known;
    std::map<std::uint32_t, int> calls;

    IdentityCache::Lookup lookup() {
        return [this](std::uint32_t uid) -> std::optional<UnixIdentity> {
            ++calls[uid];
            auto it = known.find(uid);
            if (it == known.end()) return std::nullopt;
            return it->second;
        };
    }
};

const IdentityCache::Clock::time_point t0 = IdentityCache::Clock::time_point{} + std::chrono::hours(1000);

void test_first_get_looks_up(void** /*state*/) {
    FakeNss nss;
    nss.known[1000] = UnixIdentity{"alice", {"alice", "nlp-lab", "users"}};
    IdentityCache cache(nss.lookup());
    assert_int_equal(cache.lookups(), 0);
    auto id = cache.get(1000, t0);
    assert_true(id.has_value());
    assert_string_equal(id->user.c_str(), "alice");
    assert_int_equal(id->groups.size(), 3);
    assert_string_equal(id->groups[0].c_str(), "alice");
    assert_string_equal(id->groups[1].c_str(), "nlp-lab");
    assert_int_equal(cache.lookups(), 1);
    assert_int_equal(nss.calls[1000], 1);
}

void test_within_ttl_is_cached(void** /*state*/) {
    FakeNss nss;
    nss.known[1000] = UnixIdentity{"alice", {"alice"}};
    IdentityCache cache(nss.lookup(), seconds(60));
    cache.get(1000, t0);
    for (int s = 0; s < 60; s += 7) {
        auto id = cache.get(1000, t0 + seconds(s));
        assert_true(id.has_value());
        assert_string_equal(id->user.c_str(), "alice");
    }
    auto id = cache.get(1000, t0 + seconds(59));
    assert_true(id.has_value());
    assert_int_equal(cache.lookups(), 1);
    assert_int_equal(nss.calls[1000], 1);
}

void test_after_ttl_looks_up_again(void** /*state*/) {
    FakeNss nss;
    nss.known[1000] = UnixIdentity{"alice", {"alice"}};
    IdentityCache cache(nss.lookup(), seconds(60));
    cache.get(1000, t0);
    // The name service changed meanwhile: alice joined a group.
    nss.known[1000].groups.push_back("nlp-lab");
    auto stale = cache.get(1000, t0 + seconds(59));
    assert_int_equal(stale->groups.size(), 1);
    assert_int_equal(cache.lookups(), 1);
    // At exactly the TTL the entry has expired.
    auto fresh = cache.get(1000, t0 + seconds(60));
    assert_int_equal(cache.lookups(), 2);
    assert_int_equal(fresh->groups.size(), 2);
    assert_string_equal(fresh->groups[1].c_str(), "nlp-lab");
    // And the new entry is good for another TTL from the refetch.
    cache.get(1000, t0 + seconds(119));
    assert_int_equal(cache.lookups(), 2);
    cache.get(1000, t0 + seconds(120));
    assert_int_equal(cache.lookups(), 3);
    assert_int_equal(nss.calls[1000], 3);
}

void test_default_ttl_is_300s(void** /*state*/) {
    FakeNss nss;
    nss.known[7] = UnixIdentity{"bob", {}};
    IdentityCache cache(nss.lookup());
    cache.get(7, t0);
    cache.get(7, t0 + seconds(299));
    assert_int_equal(cache.lookups(), 1);
    cache.get(7, t0 + seconds(300));
    assert_int_equal(cache.lookups(), 2);
}

void test_failures_are_cached(void** /*state*/) {
    FakeNss nss;  // knows nobody
    IdentityCache cache(nss.lookup(), seconds(30));
    assert_false(cache.get(4242, t0).has_value());
    assert_false(cache.get(4242, t0 + seconds(1)).has_value());
    assert_false(cache.get(4242, t0 + seconds(29)).has_value());
    assert_int_equal(cache.lookups(), 1);
    assert_int_equal(nss.calls[4242], 1);
    // Once the failure expires the name service is asked again, and a user
    // created meanwhile is found.
    nss.known[4242] = UnixIdentity{"newcomer", {"newcomer"}};
    auto id = cache.get(4242, t0 + seconds(30));
    assert_true(id.has_value());
    assert_string_equal(id->user.c_str(), "newcomer");
    assert_int_equal(cache.lookups(), 2);
}

void test_uids_are_cached_separately(void** /*state*/) {
    FakeNss nss;
    nss.known[1] = UnixIdentity{"one", {}};
    nss.known[2] = UnixIdentity{"two", {}};
    IdentityCache cache(nss.lookup(), seconds(60));
    assert_string_equal(cache.get(1, t0)->user.c_str(), "one");
    assert_string_equal(cache.get(2, t0)->user.c_str(), "two");
    assert_false(cache.get(3, t0).has_value());
    assert_int_equal(cache.lookups(), 3);
    assert_string_equal(cache.get(1, t0 + seconds(10))->user.c_str(), "one");
    assert_string_equal(cache.get(2, t0 + seconds(10))->user.c_str(), "two");
    assert_false(cache.get(3, t0 + seconds(10)).has_value());
    assert_int_equal(cache.lookups(), 3);
    assert_int_equal(nss.calls[1], 1);
    assert_int_equal(nss.calls[2], 1);
    assert_int_equal(nss.calls[3], 1);
}

void test_zero_ttl_never_caches(void** /*state*/) {
    FakeNss nss;
    nss.known[1] = UnixIdentity{"one", {}};
    IdentityCache cache(nss.lookup(), seconds(0));
    cache.get(1, t0);
    cache.get(1, t0);
    assert_int_equal(cache.lookups(), 2);
}

void test_system_lookup(void** /*state*/) {
    // The real NSS lookup agrees with getpwuid for the user running the test.
    uid_t uid = getuid();
    struct passwd* pw = getpwuid(uid);
    if (!pw) skip();  // a container uid without a passwd entry
    std::string name = pw->pw_name;
    auto id = grants::lookup_unix_identity(static_cast<std::uint32_t>(uid));
    assert_true(id.has_value());
    assert_string_equal(id->user.c_str(), name.c_str());
    // An unknown uid is not an error, just nobody.
    assert_false(grants::lookup_unix_identity(4000000000u).has_value());
}

// A slow name service (LDAP timing out) for one user must not hold up
// another user whose identity is cached: the lookup runs without the
// cache's lock.
void test_slow_lookup_does_not_block_others(void** /*state*/) {
    std::mutex m;
    std::condition_variable cv;
    bool release = false, entered = false;
    IdentityCache cache([&](std::uint32_t uid) -> std::optional<grants::UnixIdentity> {
        if (uid == 1) {
            std::unique_lock<std::mutex> lock(m);
            entered = true;
            cv.notify_all();
            cv.wait(lock, [&] { return release; });
        }
        return grants::UnixIdentity{"user" + std::to_string(uid), {}};
    });
    assert_non_null(cache.find(2).get());  // cached
    std::thread slow([&] { cache.find(1); });
    {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return entered; });
    }
    auto other = std::async(std::launch::async, [&] { return cache.find(2); });
    const bool answered = other.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    {
        std::lock_guard<std::mutex> lock(m);
        release = true;
    }
    cv.notify_all();
    slow.join();
    assert_true(answered);
    assert_string_equal(other.get()->user.c_str(), "user2");
    assert_string_equal(cache.find(1)->user.c_str(), "user1");
    assert_int_equal(cache.lookups(), 2);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_get_looks_up),       cmocka_unit_test(test_within_ttl_is_cached),
        cmocka_unit_test(test_after_ttl_looks_up_again), cmocka_unit_test(test_default_ttl_is_300s),
        cmocka_unit_test(test_failures_are_cached),      cmocka_unit_test(test_uids_are_cached_separately),
        cmocka_unit_test(test_zero_ttl_never_caches),    cmocka_unit_test(test_system_lookup),
        cmocka_unit_test(test_slow_lookup_does_not_block_others),
    };
    return cmocka_run_group_tests_name("identity_cache", tests, nullptr, nullptr);
}
