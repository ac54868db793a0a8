#!/bin/sh
# run-suite.sh [RUNNER...] SCRIPT - make check's SH_LOG_COMPILER: runs SCRIPT
# (through RUNNER, e.g. tests/sanitizers/retry-hang.sh) under the machine-wide
# test lock, /tmp/slurm-grants-tests.lock, the same lock every worktree's
# make check takes.
#
# Each suite's cluster is private (own directory, own free ports, own
# MariaDB), so suites may run side by side: they take the lock shared, from
# the parallel lanes of one make check (make -j2 check) and from other
# worktrees alike. The suites named in GRANTS_ALONE_SUITES (paths or file
# names; Makefile.am passes its TIMED_SUITES: they assert timings, such as a
# policy reload within 2 s or a failover) take it exclusive and run with no other suite on the machine; so
# does every suite of a tree whose make check still takes the lock the old
# way (flock without --shared is exclusive).
#
# flock(2) lets new shared holders in while an exclusive one waits, so with
# several lanes a timed suite could wait until every other suite has ended.
# A second lock, LOCK.gate, queues them: a timed suite holds the gate
# exclusive while it waits for the test lock and while it runs; every other
# suite passes the gate (shared, for an instant) before it takes the test
# lock. A timed suite therefore waits only for the suites already running.
#
# --close: the script (and every daemon it starts) runs without the locks'
# descriptors, so a daemon a suite left behind cannot hold a lock against
# every later one.
#
# Last line of the suite's log: how long it waited for the lock and ran
# (build-aux/quickstart prints them as a table).
for script; do :; done
name=${script##*/}
lock=${GRANTS_TESTS_LOCK:-/tmp/slurm-grants-tests.lock}
timeout=${GRANTS_LOCK_TIMEOUT:-3600}
mode=shared
for alone in ${GRANTS_ALONE_SUITES:-}; do
    [ "${alone##*/}" = "$name" ] && mode=exclusive
done
t0=$(date +%s)
# Runs inside the lock: the time it was granted, then the suite.
inside='t1=$(date +%s); echo "$t1" >"$0"; env "$@"'
stamp=$(mktemp /tmp/slurm-grants-suite-stamp.XXXXXX) || exit 99
trap 'rm -f "$stamp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "$mode" = exclusive ]; then
    flock --close --timeout "$timeout" --exclusive "$lock.gate" \
        flock --close --timeout "$timeout" --exclusive "$lock" sh -c "$inside" "$stamp" "$@"
    rc=$?
else
    flock --timeout "$timeout" --shared "$lock.gate" true
    flock --close --timeout "$timeout" --shared "$lock" sh -c "$inside" "$stamp" "$@"
    rc=$?
fi
t2=$(date +%s)
t1=$(cat "$stamp" 2>/dev/null)
[ -n "$t1" ] || t1=$t2
echo "run-suite: $name: waited $((t1 - t0)) s for the $mode lock, ran $((t2 - t1)) s, exit $rc"
exit "$rc"
