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
# The Slurm measured is CLUSTER_SLURM_PREFIX's (tests/integration/cluster.sh;
# `make bench` passes the one the build was configured with), else the
# system's; lua uses that Slurm's job_submit/lua. A Slurm built without Lua
# has no job_submit_lua.so: then only none and grants run and the lua columns
# say n/a.
#
# BENCH_PLUGIN_DIR_old: the plugins of another build (e.g. the last release,
# built with the same Slurm) as a fourth configuration, old: job_submit/grants
# as it was; the summary then also prints grants/old (does a change cost
# anything on the submit path?).
#
# Environment: GRANTS_PLUGIN_DIR (built plugins), BENCH_BIN (bench programs),
# GRANTS_SRCDIR, CLUSTER_SLURM_PREFIX; BENCH_ROUNDS (7), BENCH_PER_ROUND (200 submissions),
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

# lua: job_submit/lua with bench/job_submit.lua and the policy as Lua tables.
configure_cluster() {
    [ "$1" = lua ] || return 0
    sed -i 's/^JobSubmitPlugins=.*/JobSubmitPlugins=lua/' "$SLURM_CONF"
    install -m 0644 "$here/job_submit.lua" "$CLUSTER_DIR/etc/job_submit.lua"
    [ -f "$work/grants_policy.lua" ] || "$bin/bench_core" gen-lua "$work/grants.yaml" "$work/grants_policy.lua" || return 1
    install -m 0644 "$work/grants_policy.lua" "$CLUSTER_DIR/etc/grants_policy.lua"
}
# shellcheck source=clusters.sh
. "$here/clusters.sh"
configs="none grants lua"
lua_note=
if ! bench_have_job_submit_lua; then
    configs="none grants"
    lua_note="job_submit/lua unavailable: no job_submit_lua.so in $(cluster_system_plugin_dir) (that Slurm was built without Lua)"
    echo "$0: $lua_note; measuring none and grants only" >&2
fi
[ -z "${BENCH_PLUGIN_DIR_old:-}" ] || configs="$configs old"
bench_clusters_start slurm-grants-bench

# One check that each controller answers as configured.
for c in $configs; do
    use "$c"
    out=$(cd "$(cluster_home alice)" && as_user alice sbatch --hold -p trn1 --award="$award" -t 10 -J check --wrap true 2>&1)
    echo "# $c: sbatch: $(printf '%s' "$out" | tr '\n' ' ')"
    scancel --name=check 2>/dev/null
done

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
echo "# $(bench_slurm_describe)"
[ -z "$lua_note" ] || echo "# $lua_note: the lua columns are n/a"
measure queue=0

echo "# filling each queue with $queue held jobs (two parallel submitters per cluster)"
fill_queues "$queue"
sleep 2
measure "queue=$queue"

echo
echo "# summary: median of the per-round means (us); ratios of medians"
printf '%-12s %10s %10s %10s %13s %11s\n' queue none grants lua grants/none grants/lua
for q in 0 "$queue"; do
    n=$(echo "${MEANS[queue=$q,none]}" | median)
    g=$(echo "${MEANS[queue=$q,grants]}" | median)
    l=n/a gl=n/a
    if [ -z "$lua_note" ]; then
        l=$(echo "${MEANS[queue=$q,lua]}" | median)
        gl=$(printf '%.3f' "$(echo "$g / $l" | bc -l)")
    fi
    printf '%-12s %10s %10s %10s %13.3f %11s\n' "$q" "$n" "$g" "$l" "$(echo "$g / $n" | bc -l)" "$gl"
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
    gl=n/a
    [ -n "$lua_note" ] || gl=$(ratios "${MEANS[queue=$q,grants]}" "${MEANS[queue=$q,lua]}" | median)
    printf '%-12s %13s %11s   (grants/none: %s)\n' "$q" "$(echo "$gn" | median)" "$gl" "$gn"
done
if [ -n "${BENCH_PLUGIN_DIR_old:-}" ]; then
    echo "# this build against the other one (old: $BENCH_PLUGIN_DIR_old): medians and paired ratios"
    printf '%-12s %10s %10s %10s %15s\n' queue grants old grants/old 'paired grants/old'
    for q in 0 "$queue"; do
        g=$(echo "${MEANS[queue=$q,grants]}" | median)
        o=$(echo "${MEANS[queue=$q,old]}" | median)
        go=$(ratios "${MEANS[queue=$q,grants]}" "${MEANS[queue=$q,old]}")
        printf '%-12s %10s %10s %10.3f %15s   (%s)\n' "$q" "$g" "$o" "$(echo "$g / $o" | bc -l)" "$(echo "$go" | median)" "$go"
    done
fi
echo "# per-round means (us):"
for q in 0 "$queue"; do
    for c in $configs; do echo "#   queue=$q $c:${MEANS[queue=$q,$c]}"; done
done
echo "# wall time: $(($(date +%s) - start)) s (plus cluster start/stop)"
