#include "core/domain/update_pass.h"

namespace grants {

bool UpdatePassThrottle::should_request(bool touches_cost, std::int64_t now) {
    if (!touches_cost) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    // A clock stepped back counts as a new period rather than a long wait.
    if (last_ && now >= *last_ && now - *last_ < every_) {
        ++declined_;
        return false;
    }
    last_ = now;
    ++requested_;
    return true;
}

std::uint64_t UpdatePassThrottle::requested() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requested_;
}

std::uint64_t UpdatePassThrottle::declined() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return declined_;
}

}  // namespace grants
