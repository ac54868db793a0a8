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

# PACKAGE_TEST_FLAGS (e.g. "-Og -g1"; build-aux/quickstart test sets it):
# compiler options appended to the distribution's flags in every package
# build (the last -O and -g options win), for test builds whose code nobody
# runs in production and whose debug information nobody reads. Unset: the
# packages build exactly as a site builds them.
rpm_flag_args=()
if [ -n "${PACKAGE_TEST_FLAGS:-}" ]; then
    export DEB_CFLAGS_APPEND="${DEB_CFLAGS_APPEND:+$DEB_CFLAGS_APPEND }$PACKAGE_TEST_FLAGS"
    export DEB_CXXFLAGS_APPEND="${DEB_CXXFLAGS_APPEND:+$DEB_CXXFLAGS_APPEND }$PACKAGE_TEST_FLAGS"
    if command -v rpm >/dev/null; then
        # shellcheck disable=SC2034 # used by the scripts that source this file
        rpm_flag_args=(--define "optflags $(rpm --eval '%{optflags}') $PACKAGE_TEST_FLAGS")
    fi
fi

# test_flags_used LOG: with PACKAGE_TEST_FLAGS set, an ok line if the
# build in LOG compiled with them (a not ok line if it did not).
test_flags_used() {
    [ -n "${PACKAGE_TEST_FLAGS:-}" ] || return 0
    # dh prints each compiler command, rpmbuild each line of %build (set -x).
    if grep -E 'g\+\+ |gcc |CXXFLAGS=' "$1" | grep -qF -- " $PACKAGE_TEST_FLAGS"; then
        ok "compiled with PACKAGE_TEST_FLAGS ($PACKAGE_TEST_FLAGS) after the distribution's flags"
    else
        not_ok "PACKAGE_TEST_FLAGS ($PACKAGE_TEST_FLAGS) did not reach the compiler ($1)"
    fi
}

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
