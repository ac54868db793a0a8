// slurmstepd side of spank_grants: learns the approved award from the
// controller and hands it to every task as SLURM_AWARD_ID.
#pragma once

extern "C" {
#include <slurm/spank.h>
}

#include "core/plugin_args.h"

namespace grants::spank {

// Once per step, as root: asks slurmctld for the job's AdminComment tag and
// partition; refuses the step (non-zero) when the job runs on an enforced
// partition without an approved tag.
int remote_init(spank_t sp, const SpankSettings& settings);

// In each task, just before exec: SLURM_AWARD_ID is the approved award, or unset.
int remote_task_init(spank_t sp);

}  // namespace grants::spank
