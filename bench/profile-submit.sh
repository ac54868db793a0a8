#!/bin/bash
# Where the time of a submission goes in slurmctld, with and without
# job_submit/grants (docs/PERFORMANCE.md, item 3). Starts two loopback
# clusters (none, grants) exactly as bench/slurmctld-submit.sh does (state on
# tmpfs, same policy, same sbatch plugstack), fills each queue with
# BENCH_QUEUE held jobs, then, interleaved for BENCH_ROUNDS rounds, submits
# BENCH_PER_ROUND held jobs to each and records:
#   - sdiag's mean server time per REQUEST_SUBMIT_BATCH_JOB,
#   - slurmctld's CPU time (utime + stime from /proc) per submission,
#   - with BENCH_PERF_DIR set: a `perf record` of slurmctld during the round
#     (BENCH_PERF_ARGS, default "-F 4999 -g"), one file per config and round.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${GRANTS_SRCDIR:-$here/..}
bin=${BENCH_BIN:-$here}
rounds=${BENCH_ROUNDS:-5}
per_round=${BENCH_PER_ROUND:-1000}
queue=${BENCH_QUEUE:-5000}
perf_dir=${BENCH_PERF_DIR:-}
read -r -a perf_args <<<"${BENCH_PERF_ARGS:--F 4999 -g}"
: "${GRANTS_PLUGIN_DIR:?set GRANTS_PLUGIN_DIR to the built plugins}"
[ "$(id -u)" = 0 ] || { echo "$0: must run as root (starts Slurm daemons)" >&2; exit 77; }

# shellcheck source=../tests/integration/cluster.sh
. "$src/tests/integration/cluster.sh"
ensure_test_users || exit 1

work=$(mktemp -d /tmp/slurm-grants-prof.XXXXXX) && chmod 0755 "$work" || exit 1
configs=${BENCH_CONFIGS:-none grants}
declare -A C_DIR C_PORT C_SPORT

use() {
    export CLUSTER_DIR=${C_DIR[$1]} SLURM_CONF=${C_DIR[$1]}/etc/slurm.conf
    export CLUSTER_MUNGE_SOCKET=${C_DIR[$1]}/run/munge.socket
    CLUSTER_CTLD_PORT=${C_PORT[$1]} CLUSTER_SLURMD_PORT=${C_SPORT[$1]}
}

stop_all() {
    local c
    for c in $configs; do
        [ -n "${C_DIR[$c]:-}" ] || continue
        use "$c"
        cluster_stop_ctld
        mountpoint -q "$CLUSTER_DIR/state" && umount "$CLUSTER_DIR/state"
        CLUSTER_KEEP=0 cluster_stop
        unset "C_DIR[$c]"
    done
    rm -rf "$work"
}
trap stop_all EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

"$bin/bench_core" gen-policy "${BENCH_AWARDS:-200}" "${BENCH_USERS:-2000}" "$work/grants.yaml" "alice, bob" || exit 1
award=BOT-2025-00000

for c in $configs; do
    unset CLUSTER_DIR CLUSTER_CTLD_PORT CLUSTER_SLURMD_PORT
    # BENCH_PLUGIN_DIR_<config>: another build of the plugins for that config (a variant to compare)
    plugin_dir_var=BENCH_PLUGIN_DIR_$c
    GRANTS_PLUGIN_DIR=${!plugin_dir_var:-$GRANTS_PLUGIN_DIR} GRANTS_POLICY=$work/grants.yaml \
        CLUSTER_EXTRA_CONF="MaxJobCount=50000" cluster_start || exit 1
    C_DIR[$c]=$CLUSTER_DIR C_PORT[$c]=$CLUSTER_CTLD_PORT C_SPORT[$c]=$CLUSTER_SLURMD_PORT
    cluster_stop_ctld || exit 1
    mount -t tmpfs -o size=1g,mode=0700 "slurm-grants-prof-$c" "$CLUSTER_DIR/state" || exit 1
    [ "$c" = none ] && sed -i '/^JobSubmitPlugins=/d' "$SLURM_CONF"
    cluster_start_ctld || exit 1
done

submit() { (cd "$(cluster_home alice)" && as_user alice "$bin/submit_many" "$1" trn1 "$award" 1 10 "$2"); }
ctld_pid() { cat "$CLUSTER_DIR/run/slurmctld.pid"; }
# utime + stime of a process, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
sdiag_submit() {
    sdiag 2>/dev/null | awk '/^Remote Procedure Call statistics by message type/ { on = 1 }
        on && /REQUEST_SUBMIT_BATCH_JOB/ { for (i = 1; i <= NF; i++) if ($i ~ /^ave_time:/) print substr($i, 10); exit }'
}
# "tid name ns" for each thread of a process: CPU time from schedstat (nanoseconds)
thread_ns() {
    local t tid
    for t in /proc/"$1"/task/*; do
        tid=${t##*/}
        printf '%s %s %s\n' "$tid" "$(cat "$t/comm" 2>/dev/null | tr -d ' ')" "$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null)"
    done
}
# CPU (us per submission) of each thread name between two thread_ns outputs; threads that came
# and went in between (slurmctld's per-connection srvcn threads) are in the process total only.
thread_delta() {
    awk -v n="$per_round" 'FNR == NR { before[$1] = $3; next }
        { d = $3 - (($1 in before) ? before[$1] : 0); cpu[$2] += d }
        END { for (c in cpu) if (cpu[c] > 0) printf " %s=%.1f", c, cpu[c] / 1000 / n }' "$1" "$2"
}

if [ "$queue" -gt 0 ]; then
    for c in $configs; do
        use "$c"
        submit $((queue / 2)) queued >/dev/null &
        p1=$!
        submit $((queue - queue / 2)) queued >/dev/null
        wait "$p1"
    done
fi
sleep 3
hz=$(getconf CLK_TCK)
echo "# slurmctld per submission: sdiag mean and CPU time; $rounds rounds x $per_round, queue $queue, interleaved"
for ((r = 1; r <= rounds; r++)); do
    for c in $configs; do
        use "$c"
        scancel --name=round 2>/dev/null
        sdiag --reset >/dev/null
        sleep "${BENCH_SETTLE:-1.5}"  # as slurmctld-submit.sh
        pid=$(ctld_pid)
        thread_ns "$pid" >"$work/threads.before"
        t0=$(cpu_ticks "$pid")
        if [ -n "$perf_dir" ]; then
            mkdir -p "$perf_dir"
            perf record "${perf_args[@]}" -o "$perf_dir/$c.$r.data" -p "$pid" 2>/dev/null &
            perf_pid=$!
            sleep 0.5
        fi
        w0=$(date +%s%N)
        out=$(submit "$per_round" round)
        w1=$(date +%s%N)
        if [ -n "$perf_dir" ]; then kill -INT "$perf_pid"; wait "$perf_pid"; fi
        t1=$(cpu_ticks "$pid")
        thread_ns "$pid" >"$work/threads.after"
        printf 'round=%d config=%-6s sdiag_mean_us=%s cpu_us_per_submit=%.1f wall_us_per_submit=%.1f (%s)\n' "$r" "$c" \
            "$(sdiag_submit)" "$(echo "($t1 - $t0) * 1000000 / $hz / $per_round" | bc -l)" \
            "$(echo "($w1 - $w0) / 1000 / $per_round" | bc -l)" "$out"
        echo "#   threads (CPU us per submission):$(thread_delta "$work/threads.before" "$work/threads.after")"
        scancel --name=round 2>/dev/null
    done
done
