// Is the ledger file still the one we write, and can it be written?
//
// Checked by the accounting thread before every pass (a few stat calls, no
// I/O on the database): a ledger deleted, replaced by a symlink or another
// file, made writable by others, or on a read-only or full filesystem makes
// the ledger unusable, so new in-scope jobs follow enforce.on_error and
// charges stay held (and are retried) instead of going to a deleted inode or
// a file an attacker controls. LedgerStatus keeps what those checks and
// the writes found between passes.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace grants {

// Identity of an opened ledger file (device and inode).
struct FileIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const FileIdentity& o) const { return dev == o.dev && ino == o.ino; }
    bool operator!=(const FileIdentity& o) const { return !(*this == o); }
};

struct LedgerHealth {
    std::string problem;     // "" when usable; else one clause for the log
    bool missing = false;    // the file does not exist
    bool replaced = false;   // it exists, but is not the file opened before
    FileIdentity identity;   // of the file now at the path (when it exists)
};

// Below this much free space the ledger counts as full: a charge must never
// be the write that fails half-way.
inline constexpr std::uint64_t kLedgerMinFreeBytes = 1024 * 1024;

// The rule the ledger, its directory and the files beside it follow: owned
// by root or one of owners, writable by nobody else (no group or other
// write bit). st from lstat or fstat.
bool owned_safely(const struct stat& st, const std::vector<uid_t>& owners);

// path: the ledger; opened: identity of the file the caller has open (null if
// none); owners: uids allowed to own the file and its directory (root is
// always allowed).
LedgerHealth check_ledger_file(const std::string& path, const FileIdentity* opened, const std::vector<uid_t>& owners);

// Whether the ledger takes charges, as the accounting thread learns it pass
// by pass: from the file check (or the connection), and from the writes
// themselves. Each problem is logged once, so every call that changes what
// the log should say returns whether to say it. Only the thread that owns it
// calls the rest; usable() may be read from any thread (submissions).
class LedgerStatus {
public:
    bool usable() const { return usable_.load(); }
    // The ledger refused charges that still wait: usable only once a write succeeds.
    bool charges_failing() const { return charges_failing_; }

    // The file or the connection is unusable. true: a new problem, to log.
    [[nodiscard]] bool report_problem(const std::string& problem);
    // The file looks healthy. While charges it refused are still waiting it
    // stays unusable: a file that opens but refuses inserts (e.g. locked by
    // another process) must not let new in-scope jobs through between two
    // failed writes. true: it was unusable for a logged problem, to log
    // that it is usable again.
    [[nodiscard]] bool mark_usable();
    // Charges are waiting but the ledger could not be opened this pass.
    void cannot_record();
    // The ledger took the pass's charges. true: it had failed, to log that
    // it is writable again.
    [[nodiscard]] bool charges_recorded();
    // The ledger refused the pass's charges. true: a new error, to log.
    [[nodiscard]] bool charges_refused(const std::string& error);
    // Control lost: the ledger is the other controller's.
    void forget();

private:
    std::atomic<bool> usable_{false};
    bool charges_failing_ = false;
    std::string last_error_;  // the last problem logged ("" while usable)
};

}  // namespace grants
