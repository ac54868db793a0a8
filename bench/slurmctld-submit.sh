#!/bin/bash
# Item 3 of docs/PERFORMANCE.md: slurmctld's own mean time per
# REQUEST_SUBMIT_BATCH_JOB (sdiag), for three controllers side by side:
#   none  no job_submit plugin
#   grants  job_submit/grants with a realistic policy
#   lua   job_submit/lua running bench/job_submit.lua (same policy, same checks)
# with 0 and then BENCH_QUEUE held jobs in each queue. Rounds are interleaved
# (none grants lua none grants lua ...), sdiag --reset before each, and the
# medians and ratios of the per-round means are printed.
#
# All three clusters load spank_grants.so in sbatch's plugstack (so requests
# are identical); StateSaveLocation of each is a tmpfs mounted under its
# cluster directory and unmounted before the directory is removed.
#
# Environment: GRANTS_PLUGIN_DIR (built plugins), BENCH_BIN (bench programs),
# GRANTS_SRCDIR; BENCH_ROUNDS (7), BENCH_PER_ROUND (200 submissions),
# BENCH_QUEUE (5000), BENCH_AWARDS (200), BENCH_USERS (2000), BENCH_SETTLE
# (1.5 s between the previous round's cancellation and the next round; it
# was 0.5 s before 2026-11-28, see docs/PERFORMANCE.md item 3).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${GRANTS_SRCDIR:-$here/..}
bin=${BENCH_BIN:-$here}
rounds=${BENCH_ROUNDS:-7}
per_round=${BENCH_PER_ROUND:-200}
queue=${BENCH_QUEUE:-5000}
awards=${BENCH_AWARDS:-200}
users=${BENCH_USERS:-2000}
: "${GRANTS_PLUGIN_DIR:?set GRANTS_PLUGIN_DIR to the built plugins}"
[ "$(id -u)" = 0 ] || { echo "$0: must run as root (starts Slurm daemons)" >&2; exit 77; }

# shellcheck source=../tests/integration/cluster.sh
. "$src/tests/integration/cluster.sh"
ensure_test_users || exit 1

work=$(mktemp -d /tmp/slurm-grants-bench.XXXXXX) && chmod 0755 "$work" || exit 1
configs="none grants lua"
declare -A C_DIR C_PORT C_SPORT

# Make cluster $1 the current one for cluster.sh and the Slurm clients.
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

# The realistic policy: BENCH_AWARDS awards, BENCH_USERS users; alice and bob
# are members of award 0 (BOT-2025-00000), which the benchmark submits to.
"$bin/bench_core" gen-policy "$awards" "$users" "$work/grants.yaml" "alice, bob" || exit 1
"$bin/bench_core" gen-lua "$work/grants.yaml" "$work/grants_policy.lua" || exit 1
award=BOT-2025-00000

for c in $configs; do
    unset CLUSTER_DIR CLUSTER_CTLD_PORT CLUSTER_SLURMD_PORT
    GRANTS_POLICY=$work/grants.yaml CLUSTER_EXTRA_CONF="MaxJobCount=50000" cluster_start || exit 1
    C_DIR[$c]=$CLUSTER_DIR C_PORT[$c]=$CLUSTER_CTLD_PORT C_SPORT[$c]=$CLUSTER_SLURMD_PORT
    # StateSaveLocation on a tmpfs, and this configuration's job_submit plugin.
    cluster_stop_ctld || exit 1
    mount -t tmpfs -o size=1g,mode=0700 "slurm-grants-bench-$c" "$CLUSTER_DIR/state" || exit 1
    case $c in
        none) sed -i '/^JobSubmitPlugins=/d' "$SLURM_CONF" ;;
        lua)
            sed -i 's/^JobSubmitPlugins=.*/JobSubmitPlugins=lua/' "$SLURM_CONF"
            install -m 0644 "$here/job_submit.lua" "$CLUSTER_DIR/etc/job_submit.lua"
            install -m 0644 "$work/grants_policy.lua" "$CLUSTER_DIR/etc/grants_policy.lua" ;;
    esac
    cluster_start_ctld || exit 1
    echo "# $c: $(grep -h '^JobSubmitPlugins=' "$SLURM_CONF" || echo 'no JobSubmitPlugins'), state on tmpfs, $CLUSTER_DIR" >&2
done

# One check that each controller answers as configured.
for c in $configs; do
    use "$c"
    out=$(cd "$(cluster_home alice)" && as_user alice sbatch --hold -p trn1 --award="$award" -t 10 -J check --wrap true 2>&1)
    echo "# $c: sbatch: $(printf '%s' "$out" | tr '\n' ' ')"
    scancel --name=check 2>/dev/null
done

# submit N NAME HOLD: N submissions through libslurm as alice (see submit_many.c).
submit() {
    (cd "$(cluster_home alice)" && as_user alice "$bin/submit_many" "$1" trn1 "$award" 1 10 "$2")
}

# The mean server time (us) and count of REQUEST_SUBMIT_BATCH_JOB since the last reset.
sdiag_submit() {
    sdiag 2>/dev/null | awk '/^Remote Procedure Call statistics by message type/ { on = 1 }
        on && /REQUEST_SUBMIT_BATCH_JOB/ {
            for (i = 1; i <= NF; i++) { if ($i ~ /^count:/) c = substr($i, 7); if ($i ~ /^ave_time:/) a = substr($i, 10) }
            print a, c; exit }'
}

declare -A MEANS
measure() {  # measure LABEL
    local r c line out
    for ((r = 1; r <= rounds; r++)); do
        for c in $configs; do
            use "$c"
            # The previous round's cancellation (and sdiag's reset of its job
            # counters) is cleanup, not this round's work: let each controller
            # finish reacting to it (job_submit/grants: one full accounting pass)
            # before the round starts. Same wait for every configuration.
            scancel --name=round 2>/dev/null
            sdiag --reset >/dev/null
            sleep "${BENCH_SETTLE:-1.5}"
            out=$(submit "$per_round" round)
            line=$(sdiag_submit)
            case $out in submitted\ "$per_round"\ failed\ 0*) ;; *) echo "# $c round $r: $out" >&2 ;; esac
            echo "$1 round=$r config=$c mean_us=${line% *} count=${line#* } client: $out"
            MEANS[$1,$c]="${MEANS[$1,$c]:-} ${line% *}"
            scancel --name=round 2>/dev/null
        done
    done
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

start=$(date +%s)
echo "# item 3: slurmctld mean time per REQUEST_SUBMIT_BATCH_JOB (sdiag), $rounds rounds x $per_round submissions, interleaved"
echo "# policy: $awards awards, $users users; submissions: held, trn1, --award=$award, 10 min, 1 node"
measure queue=0

echo "# filling each queue with $queue held jobs (two parallel submitters per cluster)"
for c in $configs; do
    use "$c"
    t0=$(date +%s.%N)
    submit $((queue / 2)) queued >"$work/fill1.$c" &
    p1=$!
    submit $((queue - queue / 2)) queued >"$work/fill2.$c" &
    p2=$!
    wait "$p1" "$p2"
    n=$(squeue -h -t PD -o %i | wc -l)
    echo "# $c: $n pending jobs after $(echo "$(date +%s.%N) - $t0" | bc) s ($(cat "$work/fill1.$c" "$work/fill2.$c" | tr '\n' ' '))"
done
sleep 2
measure queue=$queue

echo
echo "# summary: median of the per-round means (us); ratios of medians"
printf '%-12s %10s %10s %10s %13s %11s\n' queue none grants lua grants/none grants/lua
for q in 0 "$queue"; do
    n=$(echo "${MEANS[queue=$q,none]}" | median)
    g=$(echo "${MEANS[queue=$q,grants]}" | median)
    l=$(echo "${MEANS[queue=$q,lua]}" | median)
    printf '%-12s %10s %10s %10s %13.3f %11.3f\n' "$q" "$n" "$g" "$l" "$(echo "$g / $n" | bc -l)" "$(echo "$g / $l" | bc -l)"
done
# Paired: the ratio within each round (the three configurations ran back to
# back), then the median over rounds; slow drifts of the machine cancel out.
ratios() {  # ratios "A-MEANS" "B-MEANS": a_r / b_r per round
    paste -d' ' <(echo "$1" | tr ' ' '\n' | grep -v '^$') <(echo "$2" | tr ' ' '\n' | grep -v '^$') |
        awk '{ printf "%.3f ", $1 / $2 }'
}
echo "# paired: median of the per-round ratios (rounds: ratios)"
printf '%-12s %13s %11s\n' queue grants/none grants/lua
for q in 0 "$queue"; do
    gn=$(ratios "${MEANS[queue=$q,grants]}" "${MEANS[queue=$q,none]}")
    gl=$(ratios "${MEANS[queue=$q,grants]}" "${MEANS[queue=$q,lua]}")
    printf '%-12s %13s %11s   (grants/none: %s)\n' "$q" "$(echo "$gn" | median)" "$(echo "$gl" | median)" "$gn"
done
echo "# per-round means (us):"
for q in 0 "$queue"; do
    for c in $configs; do echo "#   queue=$q $c:${MEANS[queue=$q,$c]}"; done
done
echo "# wall time: $(($(date +%s) - start)) s (plus cluster start/stop)"
