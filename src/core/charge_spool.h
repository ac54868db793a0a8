// Charges of ended runs that the ledger could not take yet (locked, full,
// read-only, replaced), kept in a small file next to it so that a
// controller restart does not lose them once Slurm has purged their jobs.
// The file is rewritten whole (temporary file, fsync, rename) whenever the
// set of uncommitted charges changes, and removed once the ledger has them
// all; the ledger's key (cluster, job, run start) makes replaying a charge
// it already has a no-op.
#pragma once

#include <string>
#include <vector>

#include "ledger.h"

namespace grants {

// Replaces the spool at path with charges (removes it when charges is
// empty). false with *error when it could not be written; the old file is
// then unchanged.
bool write_charge_spool(const std::string& path, const std::vector<ChargeRecord>& charges, std::string* error);

// Reads the spool at path into *out (empty when there is no file). false
// with *error when the file exists but cannot be read or is malformed
// (error names the line).
bool read_charge_spool(const std::string& path, std::vector<ChargeRecord>* out, std::string* error);

}  // namespace grants
