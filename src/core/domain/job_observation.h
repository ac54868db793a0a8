// How the accounting pass reads a job record: which phase of a run it is in
// ("charged exactly once" depends on it), what it holds, and the shape that
// prices it. Pure: slurmctld_internals.c hands over a grants_job_view.
#pragma once

#include "core/domain/job_shape.h"
#include "core/domain/job_view.h"
#include "core/domain/usage.h"

namespace grants {

// The job's request as recorded (job_modify prices a change against it).
void requested_shape(const grants_job_view& view, JobShape& shape);

// Fills *o from the view, reusing its strings' buffers (the pass calls this
// under slurmctld's job read lock for every job: no allocation once the
// buffers exist). o->user is cleared: it is looked up outside the lock.
void observe_job(const grants_job_view& view, JobObservation& o);

// Reads the plugin's tag out of o's AdminComment (outside the lock): sets
// o.award ("" when untagged or the tag is malformed) and, for a pending
// job, o.tagged_deadline (the deadline the plugin set; a running job's no
// longer matters). Returns whether the tag carries the unchecked mark (the
// job was admitted without a budget check and the pass checks it now).
bool read_tag(JobObservation& o);

}  // namespace grants
