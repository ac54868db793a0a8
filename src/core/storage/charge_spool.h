// What the accounting pass must not forget across a controller restart, in
// a small file next to the ledger: charges of ended runs that the ledger
// could not take yet (locked, full, read-only, replaced), which a restart
// would lose once Slurm has purged their jobs, and what the job record of a
// running job no longer shows: the largest allocation of a run that was
// shrunk (`%shrunk` lines) and the largest time limit of a run whose limit
// was lowered (`%cap` lines), and which jobs' runs are still cloud-node
// boots (`%boot` lines: a boot that never became a run costs nothing, see
// usage.h). A spool written before either existed reads as it did.
// The file is rewritten whole (temporary file, fsync, rename) whenever the
// set of uncommitted charges changes, and removed once the ledger has them
// all; the ledger's key (cluster, job, run start) makes replaying a charge
// it already has a no-op.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/domain/spooled_runs.h"

namespace grants {

// Replaces the spool at path (removes it when spool is empty). false with
// *error when it could not be written; the old file is then unchanged. A
// cap over kSpoolMaxSeconds (an INFINITE limit that was lowered) is written
// as kSpoolMaxSeconds: no run lasts a century, so it charges the same.
bool write_charge_spool(const std::string& path, const ChargeSpool& spool, std::string* error);

// What a spooled charge can hold; anything else is not a charge the
// accounting pass made (a damaged or forged file), and the spool is refused.
inline constexpr std::int64_t kSpoolMaxChips = std::int64_t{1} << 30;
inline constexpr std::int64_t kSpoolMaxSeconds = std::int64_t{100} * 366 * 86400;  // a century

// Reads the spool at path into *out (empty when there is no file). The
// spool is trusted like the ledger (ledger_health.h owned_safely), checked
// before a byte is read: its directory and the file owned by root or one of
// owners and writable by nobody else, the file a regular file opened without
// following a link (checked on the descriptor read). Every line must hold
// possible values: no negative times, no negative or absurd chips, seconds or
// amounts (over kSpoolMaxChips, kSpoolMaxSeconds, or a saturated amount), in
// charge, shrunk-run, time-limit and boot lines alike. false with
// *error (and *out empty) when the file exists but is not trusted, cannot be
// read, is malformed or holds an impossible value (error names the line).
bool read_charge_spool(const std::string& path, const std::vector<uid_t>& owners, ChargeSpool* out,
                       std::string* error);

}  // namespace grants
