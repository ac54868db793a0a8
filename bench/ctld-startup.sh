#!/bin/bash
# Item 4 of docs/PERFORMANCE.md: slurmctld start-up time with job_submit/grants
# and a ledger of BENCH_LEDGER (a file built by `bench_core ledger`, e.g.
# 1,000,000 charges) against an empty ledger, interleaved, BENCH_STARTS
# rounds. Time = from spawning slurmctld until `scontrol ping` says UP
# (cluster.sh polls every 0.2 s). StateSaveLocation (and so the ledger) on a
# tmpfs. Then the grantctl read commands, timed against the big ledger.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${GRANTS_SRCDIR:-$here/..}
bin=${BENCH_BIN:-$here}
starts=${BENCH_STARTS:-3}
: "${GRANTS_PLUGIN_DIR:?set GRANTS_PLUGIN_DIR to the built plugins}"
: "${BENCH_LEDGER:?set BENCH_LEDGER to a ledger built by bench_core ledger}"
grantctl=${GRANTCTL:-grantctl}
[ "$(id -u)" = 0 ] || { echo "$0: must run as root" >&2; exit 77; }
. "$src/tests/integration/cluster.sh"
ensure_test_users || exit 1

work=$(mktemp -d /tmp/slurm-grants-bench.XXXXXX) || exit 1
finish() {
    if [ -n "${CLUSTER_DIR:-}" ]; then
        cluster_stop_ctld
        mountpoint -q "$CLUSTER_DIR/state" && umount "$CLUSTER_DIR/state"
        CLUSTER_KEEP=0 cluster_stop
    fi
    rm -rf "$work"
}
trap finish EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

"$bin/bench_core" gen-policy 200 2000 "$work/grants.yaml" "alice, bob" || exit 1
GRANTS_POLICY=$work/grants.yaml cluster_start || exit 1
cluster_stop_ctld || exit 1
mount -t tmpfs -o size=2g,mode=0700 slurm-grants-bench-startup "$CLUSTER_DIR/state" || exit 1
ledger_dir=$CLUSTER_DIR/state/grants

use_ledger() {  # empty | big
    rm -rf "$ledger_dir" && mkdir -p "$ledger_dir" && chmod 0700 "$ledger_dir"
    [ "$1" = big ] && cp "$BENCH_LEDGER" "$ledger_dir/ledger.db"
    return 0
}

echo "# item 4: slurmctld start-up (spawn -> scontrol ping UP, 0.2 s polling), ledger empty vs $(du -h "$BENCH_LEDGER" | cut -f1) ($BENCH_LEDGER)"
declare -A T
for ((r = 1; r <= starts; r++)); do
    for l in empty big; do
        cluster_stop_ctld
        use_ledger "$l"
        t0=$(date +%s.%N)
        cluster_start_ctld || exit 1
        t=$(echo "$(date +%s.%N) - $t0" | bc)
        T[$l]="${T[$l]:-} $t"
        echo "start round=$r ledger=$l seconds=$t"
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf 'median start-up: empty ledger %.2f s, big ledger %.2f s\n' "$(echo "${T[empty]}" | median)" "$(echo "${T[big]}" | median)"
grep -h 'job_submit/grants' "$CLUSTER_DIR/log/slurmctld.log" | grep -i 'ledger' | tail -3

# The grantctl read commands against the big ledger (the controller is up
# with it). Each line runs only when this grantctl has the command: add one
# line here when a new read command lands.
timed() {  # timed LABEL CMD...: BENCH_REPEAT (default 3) runs, each time and the median
    local t0 t all="" i
    for ((i = 0; i < ${BENCH_REPEAT:-3}; i++)); do
        t0=$(date +%s.%N)
        "${@:2}" >/dev/null 2>&1 || { echo "grantctl $1: failed or not available"; return 0; }
        t=$(echo "$(date +%s.%N) - $t0" | bc)
        all="$all $t"
    done
    echo "grantctl $1 median_seconds=$(echo "$all" | median) runs:$all"
}
has() { "$grantctl" "$1" --help >/dev/null 2>&1; }
peak() {  # peak LABEL CMD...: maximum resident set size of one run (GNU time)
    [ -x /usr/bin/time ] || return 0
    local kb
    kb=$(/usr/bin/time -f %M "${@:2}" 2>&1 >/dev/null | tail -1)
    echo "grantctl $1 peak_rss_kb=$kb"
}
if has report; then
    timed "report --award" "$grantctl" report --award BOT-2025-00007
    timed "report --user" "$grantctl" report --user u5
    timed "report --since --until (1 day)" "$grantctl" report --since 2023-11-20 --until 2023-11-21
    timed "report --by day" "$grantctl" report --by day
    timed "report --by user" "$grantctl" report --by user
    timed "report --by job" "$grantctl" report --by job
    peak "report --by day" "$grantctl" report --by day
    peak "report --by user" "$grantctl" report --by user
    peak "report --by job" "$grantctl" report --by job
else
    echo "grantctl report: not in this build (measure with this script once it lands)"
fi
if has balance; then
    timed "balance (as alice)" as_user alice "$grantctl" balance
    timed "balance --award (as alice)" as_user alice "$grantctl" balance --award BOT-2025-00000
else
    echo "grantctl balance: not in this build (measure with this script once it lands)"
fi
