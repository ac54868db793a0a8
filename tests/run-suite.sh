#!/bin/sh
# run-suite.sh [RUNNER...] SCRIPT - make check's SH_LOG_COMPILER: runs SCRIPT
# (through RUNNER, e.g. tests/sanitizers/retry-hang.sh) under the machine-wide
# test lock, /tmp/slurm-grants-tests.lock, the same lock every worktree's
# make check takes.
#
# Each suite's cluster is private (own directory, own free ports, own
# MariaDB), so suites may run side by side: they take the lock shared.
# The suites named in GRANTS_ALONE_SUITES (Makefile.am's ALONE_SUITES: they
# assert timings, such as a policy reload within 2 s or a failover) take it
# exclusive and run with no other suite on the machine, from this run or any
# other worktree's; so does every suite of a tree whose make check still
# takes the lock the old way (flock without --shared is exclusive).
#
# --close: the script (and every daemon it starts) runs without the lock's
# descriptor, so a daemon a suite left behind cannot hold the lock against
# every later one.
for script; do :; done
mode=--shared
case " ${GRANTS_ALONE_SUITES:-} " in
    *" ${script##*/} "*) mode=--exclusive ;;
esac
exec flock --close --timeout "${GRANTS_LOCK_TIMEOUT:-3600}" "$mode" \
    "${GRANTS_TESTS_LOCK:-/tmp/slurm-grants-tests.lock}" env "$@"
