// The job tag: the token award=ID inside a job's AdminComment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace grants {

// The award named by the first award=ID token (tokens are separated by
// whitespace, ',' or ';'); nullopt when there is none.
std::optional<std::string> award_in_admin_comment(std::string_view comment);

// comment with every award= token removed and award=ID appended, keeping
// whatever else an admin wrote there.
std::string with_award_tag(std::string_view comment, std::string_view award);

}  // namespace grants
