// Which partitions are enforced, and how, when no valid policy is in force.
//
// Jobs outside enforced partitions are never touched, whatever fails; so the
// plugin must know the enforced partitions even when grants.yaml is missing
// or broken at start. They come from, in order: the broken file's own
// `enforce` section when that part still reads cleanly, else the copy saved
// at the last successful load (<StateSaveLocation>/grants/enforce.state).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/policy/policy.h"

namespace grants {

struct EnforceScope {
    NameSet partitions;
    OnError on_error = OnError::Closed;

    bool enforces(std::string_view partition) const { return partitions.find(partition) != partitions.end(); }
    bool operator==(const EnforceScope& o) const { return partitions == o.partitions && on_error == o.on_error; }
};

EnforceScope scope_of(const Policy& policy);

// The enforce section of a policy text that may be invalid elsewhere; nullopt
// when the YAML does not parse or the section itself is missing or malformed.
std::optional<EnforceScope> read_enforce_section(std::string_view text);

// The saved-scope file format: "partitions=trn1,trn2\non_error=closed\n".
std::string serialize_scope(const EnforceScope& scope);
std::optional<EnforceScope> parse_scope(std::string_view text);

}  // namespace grants
