// The policy in force, swapped atomically; readers keep the version they got.
#pragma once

#include <memory>
#include <mutex>

#include "policy.h"

namespace grants {

class PolicyStore {
public:
    std::shared_ptr<const Policy> current() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return policy_;
    }
    void replace(std::shared_ptr<const Policy> policy) {
        std::lock_guard<std::mutex> lock(mutex_);
        policy_ = std::move(policy);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const Policy> policy_;
};

}  // namespace grants
