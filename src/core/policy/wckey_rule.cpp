#include "core/policy/wckey_rule.h"

#include "core/base/award_id.h"

namespace grants {

std::string wckey_of_award(std::string_view award) {
    std::string w(award);
    for (char& c : w) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return w;
}

SubmitWckey wckey_at_submit(std::string_view award, const std::optional<std::string>& requested) {
    SubmitWckey out;
    out.wckey = wckey_of_award(award);
    if (requested && !requested->empty() && wckey_of_award(*requested) != out.wckey) {
        out.note = "Its WCKey is " + out.wckey + ", the award's (--wckey=" + quote_untrusted(*requested) +
                   " replaced).";
    }
    return out;
}

WckeyVerdict wckey_at_update(const WckeyChange& c) {
    WckeyVerdict v;
    if (c.award.empty()) return v;
    const std::string wanted = wckey_of_award(c.award);
    if (c.requested && wckey_of_award(*c.requested) != wanted) {
        v.refused = true;
        v.message = "update of job " + std::to_string(c.job_id) + " refused: its WCKey follows its award " + c.award +
                    " (" + wanted + "); to file it elsewhere, move the job to another award.";
        v.log = "job " + std::to_string(c.job_id) + ": WCKey " + quote_untrusted(*c.requested) +
                " refused: it follows award " + c.award;
        return v;
    }
    if (!c.award_changed || c.current == wanted) return v;
    if (c.pending) {
        v.set = wanted;
    } else {
        v.log = "job " + std::to_string(c.job_id) + " moved to award " + c.award + " while running: its WCKey stays " +
                (c.current.empty() ? std::string("empty") : quote_untrusted(c.current)) +
                " (Slurm changes the WCKey of pending jobs only)";
    }
    return v;
}

}  // namespace grants
