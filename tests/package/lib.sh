# shellcheck shell=bash
# lib.sh - what the check-*.sh scripts share, sourced by each (not run):
# the ok/not ok lines and the closing "N passed, N failed", the TARBALL
# argument, and the work directory in /tmp that is removed on exit unless a
# check failed or KEEP=1.
me=${0##*/}
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }
die() { echo "$me: $*" >&2; not_ok "$1"; finish; }

# tarball_arg ARG: sets tarball (absolute), name (slurm-grants-VERSION) and
# version, or exits 2 with the usage line when ARG is not a file.
tarball_arg() {
    tarball=${1:-}
    [ -f "$tarball" ] || { echo "usage: $me slurm-grants-VERSION.tar.gz" >&2; exit 2; }
    tarball=$(realpath "$tarball")
    name=$(basename "$tarball" .tar.gz)            # slurm-grants-0.1.0
    # shellcheck disable=SC2034 # used by the scripts that source this file
    version=${name#slurm-grants-}
}

# make_work_dir KIND: sets work to a new /tmp/slurm-grants-KIND.XXXXXX and
# arranges for it to go on exit.  A script that must undo more first (the
# .deb's install) defines before_cleanup.
make_work_dir() {
    work=$(mktemp -d "/tmp/slurm-grants-$1.XXXXXX") || exit 1
    trap cleanup EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
    if declare -F before_cleanup >/dev/null; then before_cleanup; fi
    if [ "$fail" = 0 ] && [ "${KEEP:-0}" != 1 ]; then
        rm -rf -- "$work"
    else
        echo "$me: work directory kept: $work" >&2
    fi
}
