// The policy in force, swapped atomically; readers keep the snapshot they got.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/policy/enforce_scope.h"
#include "core/policy/policy.h"

namespace grants {

struct PolicyState {
    std::shared_ptr<const Policy> policy;  // null: no usable policy
    std::optional<EnforceScope> fallback;  // scope to apply while policy is null (none: unknown)
    std::string problem;                   // why there is no policy (for messages and logs)
};

class PolicyStore {
public:
    PolicyStore() : state_(std::make_shared<const PolicyState>()) {}

    std::shared_ptr<const PolicyState> current() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return state_;
    }
    void replace(std::shared_ptr<const PolicyState> state) {
        std::lock_guard<std::mutex> lock(mutex_);
        state_ = std::move(state);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const PolicyState> state_;
};

}  // namespace grants
