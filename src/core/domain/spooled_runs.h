// What the accounting thread keeps of runs between passes and across a
// restart, as plain values (storage/charge_spool.h writes and reads them):
// charges not yet in the ledger, shrunk runs, lowered caps, boots.
#pragma once

#include <cstdint>
#include <vector>

#include "core/domain/ledger_records.h"

namespace grants {

// A running job's run that was shrunk: the most chips it held.
struct ShrunkRun {
    std::uint32_t job_id = 0;
    std::int64_t run_start = 0;
    std::int64_t chips = 0;
    bool operator==(const ShrunkRun& o) const {
        return job_id == o.job_id && run_start == o.run_start && chips == o.chips;
    }
};

// A running job's run whose time limit was lowered: the largest it had (the
// run is charged up to it, see run_tracker.h).
struct RunCap {
    std::uint32_t job_id = 0;
    std::int64_t run_start = 0;
    std::int64_t seconds = 0;
    bool operator==(const RunCap& o) const {
        return job_id == o.job_id && run_start == o.run_start && seconds == o.seconds;
    }
};

// A job seen with its (cloud) nodes booting (CONFIGURING): the start of the
// allocation the boot began at. While the job record still shows that start
// the job has no run (a cancelled boot, a failed launch); once Slurm settles
// the start the boot belongs to that run (boot_time: charged).
struct BootRecord {
    std::uint32_t job_id = 0;
    std::int64_t allocated = 0;
    bool operator==(const BootRecord& o) const { return job_id == o.job_id && allocated == o.allocated; }
};

struct ChargeSpool {
    std::vector<ChargeRecord> charges;
    std::vector<ShrunkRun> shrunk;
    std::vector<RunCap> caps;
    std::vector<BootRecord> boots;
    bool empty() const { return charges.empty() && shrunk.empty() && caps.empty() && boots.empty(); }
};

}  // namespace grants
