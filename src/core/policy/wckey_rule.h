// enforce.wckey: a tagged job's WCKey is its award's ID, so that Slurm's
// accounting (sreport's WCKey reports, XDMoD) can group usage by award
// without reading AdminComment. Pure rules; job_submit/grants writes
// job_desc->wckey.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace grants {

// The WCKey of a job on award: the award ID in lower case, because
// slurmctld lowercases every WCKey before it stores it (job_mgr.c, "anything
// that may be put in the database will be lower case", 22.05 to 24.11).
std::string wckey_of_award(std::string_view award);

// A submission accepted on award: the WCKey to write, and, when the user
// asked for another one (--wckey), a sentence to add to the acceptance
// message saying it was replaced (the award is the accounting key; "" otherwise).
struct SubmitWckey {
    std::string wckey;
    std::string note;
};
SubmitWckey wckey_at_submit(std::string_view award, const std::optional<std::string>& requested);

// A change to an existing job (job_modify), with enforce.wckey on.
struct WckeyChange {
    unsigned job_id = 0;
    // The award the job is on after the change ("" none: then its WCKey is
    // not ours and the change goes through untouched).
    std::string award;
    bool award_changed = false;  // an operator moved the job to award
    bool pending = false;        // Slurm changes the WCKey of pending jobs only
    std::optional<std::string> requested;  // the WCKey the update asks for (scontrol update WCKey=)
    std::string current;                   // the job's WCKey now
};
struct WckeyVerdict {
    bool refused = false;
    std::string message;               // refused: the sentence for the user
    std::optional<std::string> set;    // write this WCKey into the update
    std::string log;                   // a line for slurmctld's log ("" none)
};
// A WCKey other than the award's is refused, from anyone: it would file the
// job's usage under another key than the award it is charged to (an
// operator changes the award, and the WCKey follows). When the award
// changes, a pending job's WCKey follows it; a running job's stays (Slurm
// refuses to change it, and the whole update with it), which is logged.
WckeyVerdict wckey_at_update(const WckeyChange& change);

}  // namespace grants
