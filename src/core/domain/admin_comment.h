// The job tag: the token award=ID inside a job's AdminComment.
#pragma once

#include <cstdint>
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

// The deadline job_submit/grants gave a job (the award's end), as the token
// grants_deadline=EPOCH: only a deadline the plugin set is moved when the
// award's end moves (a user's own earlier --deadline is left alone).
std::optional<std::int64_t> deadline_in_admin_comment(std::string_view comment);
// comment with every grants_deadline= token removed and, when deadline > 0,
// grants_deadline=DEADLINE appended.
std::string with_deadline_tag(std::string_view comment, std::int64_t deadline);

// An operator rewrote a tagged job's AdminComment (scontrol update
// AdminComment=...): the new text with the plugin's tokens of the old one
// kept (award=AWARD, and grants_deadline= unless the new text has its own),
// so the job stays on its award and its deadline keeps following the award's end.
std::string keeping_plugin_tags(std::string_view rewritten, std::string_view before, std::string_view award);

// The mark job_submit/grants leaves on an in-scope job it accepted WITHOUT a
// check because enforce.on_error is open and the policy, the ledger or the
// awards' usage was unknown (unchecked_admission.h). With no usable policy
// the job has no award tag, and slurmstepd lets its tasks start only because
// of the mark (it refuses untagged in-scope jobs otherwise); with a usable
// policy it also carries award=ID and is held and charged like any tagged
// job, the mark telling logs and `sacct -o AdminComment` it was not
// budget-checked. Users cannot write AdminComment, so they cannot forge it.
inline constexpr std::string_view kUncheckedMark = "grants=unchecked";
bool has_unchecked_mark(std::string_view comment);
// comment with the mark added once.
std::string with_unchecked_mark(std::string_view comment);

}  // namespace grants
