// Slurm time-limit syntax: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grants {

inline constexpr std::int64_t kMaxDurationSeconds = 3650LL * 24 * 3600;  // ten years

// Seconds, or nullopt when text is not one of the forms above, a field is out
// of range (seconds and minutes after the first field < 60, hours after days
// < 24), or the total exceeds ten years.
std::optional<std::int64_t> parse_slurm_duration(std::string_view text);

// Seconds as Slurm prints them: "D-HH:MM:SS" or "HH:MM:SS".
std::string format_duration(std::int64_t seconds);

}  // namespace grants
