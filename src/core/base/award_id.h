// Award identifiers: the one syntax every entry point checks.
#pragma once

#include <string>
#include <string_view>

namespace grants {

constexpr std::size_t kAwardIdMaxLength = 64;

// True when id matches [A-Za-z0-9][A-Za-z0-9._-]{0,63}.
bool is_valid_award_id(std::string_view id) noexcept;

// One plain sentence explaining why id is not a valid award ID; empty when it is.
// The offending text is quoted safely (control bytes escaped, long values cut).
std::string award_id_problem(std::string_view id);

// Printable, bounded rendering of untrusted text for messages and logs.
std::string quote_untrusted(std::string_view text, std::size_t max_chars = 80);

}  // namespace grants
