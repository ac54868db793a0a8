#!/bin/sh
# Runs one integration suite under the sanitizers with a time limit, and once
# more if it hung: GCC 12's ASan can deadlock in slurmstepd, where Slurm frees
# memory in the forked task child (docs/SECURITY.md, "Memory safety"). A
# suite that fails, rather than hangs, is not retried.
limit=${GRANTS_SAN_SUITE_TIMEOUT:-300}
timeout "$limit" env "$@"
rc=$?
if [ "$rc" = 124 ]; then
    echo "retry-hang: ${1##*/} hung for ${limit} s (the known ASan deadlock in slurmstepd); running it once more"
    timeout "$limit" env "$@"
    rc=$?
fi
exit "$rc"
