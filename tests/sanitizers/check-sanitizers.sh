#!/bin/bash
# check-sanitizers.sh: part of `make check-sanitizers`, run in the
# --enable-sanitizers build after the unit tests and the integration suites.
#
#   1. The canary: an instrumented SPANK plugin with a heap overflow and a
#      signed overflow is loaded by the real (uninstrumented) sbatch with the
#      runtimes preloaded exactly as the suites preload them; its reports must
#      appear in a scratch log directory. This proves that a bug in our
#      plugins inside Slurm's binaries would be reported, not silently missed.
#   2. The suites' log directory (GRANTS_SANITIZER_LOG_DIR) must hold no
#      report at all: every report file is printed and the check fails.
#
# Usage: check-sanitizers.sh LOG_DIR CANARY_SO
# Environment: GRANTS_SANITIZER_PRELOAD (from configure --enable-sanitizers).
set -u
logs=$1
canary=$2
: "${GRANTS_SANITIZER_PRELOAD:?run from make check-sanitizers (configure --enable-sanitizers)}"
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/grants-canary.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
conf=$scratch/slurm.conf
# A client configuration whose plugstack loads only the canary; sbatch reads
# plugstack.conf before it contacts any controller, so none is needed.
printf 'ClusterName=canary\nSlurmctldHost=localhost\nPlugStackConfig=%s/plugstack.conf\n' "$scratch" >"$conf"
printf 'required %s\n' "$canary" >"$scratch/plugstack.conf"
for mode in asan ubsan; do
    env -i PATH=/usr/bin:/bin SLURM_CONF="$conf" GRANTS_CANARY=$mode LD_PRELOAD="$GRANTS_SANITIZER_PRELOAD" \
        ASAN_OPTIONS="log_path=$scratch/asan:detect_leaks=0" \
        UBSAN_OPTIONS="log_path=$scratch/ubsan:print_stacktrace=1:halt_on_error=1" \
        sbatch --wrap true >"$scratch/sbatch-$mode.out" 2>&1
done
if grep -qs 'ERROR: AddressSanitizer: heap-buffer-overflow' "$scratch"/asan.*; then
    ok "canary: a heap overflow in a plugin inside the uninstrumented sbatch is reported"
else
    not_ok "canary: no AddressSanitizer report from the canary plugin"
    cat "$scratch"/sbatch-asan.out
fi
# GCC 12's UBSan ignores log_path and reports on stderr: look there too.
if grep -qs 'runtime error: signed integer overflow' "$scratch"/ubsan.* "$scratch"/sbatch-ubsan.out; then
    ok "canary: a signed overflow in a plugin inside the uninstrumented sbatch is reported"
else
    not_ok "canary: no UBSan report from the canary plugin"
    cat "$scratch"/sbatch-ubsan.out
fi

# Every process the suites started with the runtimes wrote here, if anything:
# ASan's log_path files, and the stderr of the daemons (cluster.sh copies
# their *.out and logs here) and of the clients (clients.stderr).
reports=$( (find "$logs" -type f \( -name 'asan.*' -o -name 'ubsan.*' \) 2>/dev/null
    grep -lsE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|AddressSanitizer:DEADLYSIGNAL' "$logs"/*) | sort -u)
ndaemon=$(find "$logs" -name '*.slurmctld.out' 2>/dev/null | wc -l)
echo "# $ndaemon slurmctld runs, $(grep -c . "$logs/clients.stderr" 2>/dev/null || echo 0) lines of client stderr scanned"
if [ ! -d "$logs" ]; then
    not_ok "no sanitizer log directory $logs: the suites did not run with the runtimes"
elif [ -z "$reports" ]; then
    if [ "$ndaemon" = 0 ]; then
        not_ok "no daemon log reached $logs: nothing was checked"
    else
        ok "no AddressSanitizer/UBSan report from slurmctld, slurmd/slurmstepd or the clients ($logs)"
    fi
else
    not_ok "sanitizer reports in $logs:"
    for r in $reports; do
        echo "---- $r"
        head -n 60 "$r"
    done
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
