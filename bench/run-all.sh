#!/bin/bash
# Runs every benchmark of docs/PERFORMANCE.md and writes bench/results/*.txt
# (make bench). Needs root for the slurmctld benchmarks (items 3 and 4).
# BENCH_ONLY="decision policy accounting accounting-idle accounting-power ledger startup submit" picks a subset
# (charge-book, charge-book-big, book-reload and award-flood run only when named there).
# BENCH_WORK (default bench/work next to the programs) keeps the generated
# policy and the 1,000,000-charge ledger between runs.
# CLUSTER_SLURM_PREFIX: the Slurm whose daemons the cluster benchmarks run
# (tests/integration/cluster.sh); `make bench` sets it to the prefix the build
# was configured with (--with-slurm) unless it is set already; empty or unset
# here: the system's Slurm.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${BENCH_BIN:-$here}
results=${BENCH_RESULTS:-$here/results}
work=${BENCH_WORK:-$bin/work}
only=${BENCH_ONLY:-decision policy accounting accounting-idle accounting-power ledger startup submit}
mkdir -p "$results" "$work" || exit 1
export BENCH_BIN=$bin

slurm_version=$("${CLUSTER_SLURM_PREFIX:+$CLUSTER_SLURM_PREFIX/sbin/}slurmctld" -V 2>/dev/null | awk '{ print $NF }')
header() {
    echo "# $(date -u '+%Y-%m-%d %H:%M:%SZ')  commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')  $(nproc) cores  load $(cut -d' ' -f1-3 /proc/loadavg)  slurm ${slurm_version:-?}${CLUSTER_SLURM_PREFIX:+ ($CLUSTER_SLURM_PREFIX)}"
}
run() {  # run NAME CMD...: output to the terminal and results/NAME.txt
    local name=$1 t0 rc
    shift
    case " $only " in *" $name "*) ;; *) return 0 ;; esac
    echo "==> $name: $*"
    t0=$(date +%s)
    { header; "$@"; rc=$?; echo "# $name took $(($(date +%s) - t0)) s"; } 2>&1 | tee "$results/$name.txt"
    return "${rc:-0}"
}

total0=$(date +%s)
run decision "$bin/bench_core" decision 5 20000
[ -s "$work/policy-10k.yaml" ] || "$bin/bench_core" gen-policy 10000 100000 "$work/policy-10k.yaml"
run policy bash -c "ls -l '$work/policy-10k.yaml' | awk '{ print \"# file: \" \$5 \" bytes\" }'; '$bin/bench_core' policy-load '$work/policy-10k.yaml' 5"
run accounting "$bin/bench_accounting" 10
run accounting-idle "$bin/bench_accounting" idle 60
# Issue 25: the power-state observation of every pass at 0 / 1,000 / 10,000
# nodes, then the idle thread with 0 and 10,000 nodes (about 3 minutes).
run accounting-power "$bin/bench_accounting" power 10000 300 5 10
run ledger "$bin/bench_core" ledger "$work/ledger-1m.db" 1000000 5
run charge-book "$bin/bench_core" charge-book "$work/book-1m.db" 1000000 10000
# The same million charges over 10 awards: what one big award's questions cost.
run charge-book-big "$bin/bench_core" charge-book "$work/book-1m-10.db" 1000000 10
# Issue 30: the charge book after one adjustment, read whole vs only what was appended.
run book-reload "$bin/bench_core" book-reload "$work/book-1m.db" 1000000 10000 7
# docs/SECURITY.md D1: a forged job with up to 100,000 award options.
run award-flood "$bin/bench_core" award-flood 1000 10000 100000
run startup env BENCH_LEDGER="$work/ledger-1m.db" "$here/ctld-startup.sh"
run submit "$here/slurmctld-submit.sh"
echo "==> all benchmarks took $(($(date +%s) - total0)) s; results in $results"
