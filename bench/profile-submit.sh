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

configs=${BENCH_CONFIGS:-none grants}
# shellcheck source=clusters.sh
. "$here/clusters.sh"
bench_clusters_start slurm-grants-prof

ctld_pid() { cat "$CLUSTER_DIR/run/slurmctld.pid"; }
# utime + stime of a process, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# "tid name ns" for each thread of a process: CPU time from schedstat (nanoseconds).
# Shell builtins only: the snapshot must take milliseconds. Forking `tr` and
# `cut` per thread took ~25 ms a thread, i.e. seconds for 24.11's ~78 threads
# (64 conmgr workers), so each thread's "before" and "after" were read up to
# seconds away from the round's start and end, and a thread read late got the
# work done after the round (grants_acct: the next 5-s full pass) added in.
thread_ns() {
    local t comm ns rest
    for t in /proc/"$1"/task/*; do
        { read -r comm <"$t/comm" && read -r ns rest <"$t/schedstat"; } 2>/dev/null || continue
        printf '%s %s %s\n' "${t##*/}" "${comm// /}" "$ns"
    done
}
# CPU (us per submission) of each thread name between two thread_ns outputs; threads that came
# and went in between (slurmctld's per-connection srvcn threads) are in the process total only.
thread_delta() {
    awk -v n="$per_round" 'FNR == NR { before[$1] = $3; next }
        { d = $3 - (($1 in before) ? before[$1] : 0); cpu[$2] += d }
        END { for (c in cpu) if (cpu[c] > 0) printf " %s=%.1f", c, cpu[c] / 1000 / n }' "$1" "$2"
}

[ "$queue" -gt 0 ] && fill_queues "$queue"
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
        line=$(sdiag_submit)
        printf 'round=%d config=%-6s sdiag_mean_us=%s cpu_us_per_submit=%.1f wall_us_per_submit=%.1f (%s)\n' "$r" "$c" \
            "${line% *}" "$(echo "($t1 - $t0) * 1000000 / $hz / $per_round" | bc -l)" \
            "$(echo "($w1 - $w0) / 1000 / $per_round" | bc -l)" "$out"
        echo "#   threads (CPU us per submission):$(thread_delta "$work/threads.before" "$work/threads.after")"
        scancel --name=round 2>/dev/null
    done
done
