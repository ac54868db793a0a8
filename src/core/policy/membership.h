// Who may use an award: by user name, Unix group, or Slurm account.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/policy/policy.h"

namespace grants {

// The identity a request is judged by; filled by the adapter.
struct Identity {
    std::string user;                 // login name of the submitting user
    std::vector<std::string> groups;  // primary and supplementary group names
    std::string account;              // Slurm account the job runs under ("" if none)
};

bool is_member(const Award& award, const Identity& who);

// IDs of the awards who belongs to, sorted.
std::vector<std::string> awards_of(const Policy& policy, const Identity& who);

// With policy.member_index built: the same by award number (the submit path
// works on numbers and formats IDs only for messages).
bool is_member(const Policy& policy, std::uint32_t award, const Identity& who);
std::vector<std::uint32_t> award_numbers_of(const Policy& policy, const Identity& who);

// Builds policy.member_index from the awards' members and policy.name_index
// (call after the awards and users are final).
void index_members(Policy& policy);

}  // namespace grants
