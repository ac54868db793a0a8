// slurmstepd side of spank_grants: learns the approved award from the
// controller and hands it to every task as SLURM_AWARD_ID.
#pragma once

extern "C" {
#include <slurm/spank.h>
}

#include "core/policy/plugin_args.h"

namespace grants::spank {

// Once per step, as root: asks slurmctld for the job's AdminComment tag and
// partition, and notes whether the job runs on an enforced partition without
// an approved tag (then remote_task_init refuses every task).
int remote_init(spank_t sp, const SpankSettings& settings);

// In each task, just before exec: SLURM_AWARD_ID is the approved award, or
// unset; NEURON_RT_VISIBLE_CORES the cores of the job's Neuron devices on this
// node (core/domain/neuron_cores.h); non-zero (the task does not start) for a
// refused job.
int remote_task_init(spank_t sp);

}  // namespace grants::spank
