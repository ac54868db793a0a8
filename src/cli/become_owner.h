// Root writing the ledger (grantctl adjust, deposit, alerts --send) becomes
// the ledger's owner first, so that SQLite's journal files stay slurmctld's
// (SlurmUser's) and MailProg runs as SlurmUser, as slurmctld runs it.
#pragma once

#include <grp.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace grants::cli {

// Drops every privilege of root for uid and gid: the supplementary groups
// first (setgid and setuid leave root's own, e.g. disk or shadow, in place),
// then the group, then the user (setuid as root sets the real, effective and
// saved uid: there is no way back). The only group left is gid: writing the
// ledger needs nothing else. "" on success, else why not (one clause).
inline std::string become_owner(uid_t uid, gid_t gid) {
    if (::setgroups(1, &gid) != 0) return std::string("cannot drop root's supplementary groups: ") + std::strerror(errno);
    if (::setgid(gid) != 0) return "cannot switch to group " + std::to_string(gid) + ": " + std::strerror(errno);
    if (::setuid(uid) != 0) return "cannot switch to uid " + std::to_string(uid) + ": " + std::strerror(errno);
    return "";
}

}  // namespace grants::cli
