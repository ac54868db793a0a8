#!/bin/bash
# Issue 27, docs/PERFORMANCE.md "Several clusters": two controllers side by
# side (tests/integration/cluster.sh, cluster_pair_start: alpha and beta, one
# private MariaDB).
#  1. The submit path with the shared MySQL ledger costs what it costs with
#     SQLite: alpha on the SQLite ledger, beta on the MySQL one (leases);
#     slurmctld's own mean time per REQUEST_SUBMIT_BATCH_JOB (sdiag, reset
#     before each round), BENCH_PER_ROUND held jobs per round through
#     libslurm (bench/submit_many), rounds interleaved (alpha beta alpha
#     beta ...), medians and the ratio mysql/sqlite.
#  2. Lease top-up latency: both on MySQL, an award of 64 chip-h leased in
#     halves; alice asks alpha for a 40 chip-h job (more than alpha's half)
#     while bob sends a burst of BENCH_BURST jobs of another award to beta;
#     the time from alpha's first refusal ("try again") to its acceptance,
#     retrying every 0.1 s, BENCH_TRIALS times, median and maximum.
# Environment: GRANTS_PLUGIN_DIR, GRANTCTL, BENCH_BIN (submit_many),
# GRANTS_SRCDIR, CLUSTER_SLURM_PREFIX; BENCH_ROUNDS (9), BENCH_PER_ROUND
# (200), BENCH_TRIALS (5), BENCH_BURST (200).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${GRANTS_SRCDIR:-$here/..}
bin=${BENCH_BIN:-$here}
rounds=${BENCH_ROUNDS:-9}
per_round=${BENCH_PER_ROUND:-200}
trials=${BENCH_TRIALS:-5}
burst=${BENCH_BURST:-200}
: "${GRANTS_PLUGIN_DIR:?set GRANTS_PLUGIN_DIR to the built plugins}"
: "${GRANTCTL:?set GRANTCTL to grantctl}"
[ "$(id -u)" = 0 ] || { echo "$0: must run as root (starts Slurm daemons)" >&2; exit 77; }
[ -x "$bin/submit_many" ] || { echo "$0: no $bin/submit_many (make bench/submit_many)" >&2; exit 1; }
export GRANTS_PLUGIN_DIR
# shellcheck source=../tests/integration/cluster.sh disable=SC1091
. "$src/tests/integration/cluster.sh"
ensure_test_users || exit 1

work=$(mktemp -d /tmp/grants-bench-leases.XXXXXX)
chmod 0755 "$work"
creds=$work/grants-ledger.conf
policy() {  # policy LEDGER_LINE
    cat <<P
version: 1
enforce: { partitions: [trn1], on_error: closed }
$1
partitions:
  trn1: { chips_per_node: 16 }
awards:
  BENCH-1: { members: { users: [alice, bob] }, budget: { chip_hours: 100000000 } }
  LEASE-1: { members: { users: [alice, bob] }, budget: { chip_hours: 64 } }
P
}
policy "ledger: { backend: mysql, credentials: $creds, lease_timeout: 60 }" >"$work/mysql.yaml"
policy "" >"$work/sqlite.yaml"
chmod 0644 "$work"/*.yaml
export GRANTS_POLICY=$work/mysql.yaml
trap 'cluster_pair_stop; rm -rf "$work"' EXIT
cluster_pair_start alpha beta || exit 1
install -m 0600 "$CLUSTER_GRANTS_DB_CONF" "$creds"
"$GRANTCTL" ledger init --policy "$work/mysql.yaml" >/dev/null || exit 1

# use_ledger CLUSTER sqlite|mysql: that grants.yaml, and a controller restart
# (the ledger: mapping is read at start).
use_ledger() {
    cluster_use "$1"
    install -m 0644 "$work/$2.yaml" "$CLUSTER_DIR/etc/grants.yaml"
    # A controller that ran before refuses to start a new SQLite ledger
    # unless an admin creates the file (an empty one starts it).
    [ "$2" = sqlite ] && [ ! -e "$CLUSTER_DIR/state/grants/ledger.db" ] &&
        mkdir -p -m 0700 "$CLUSTER_DIR/state/grants" && install -m 0600 /dev/null "$CLUSTER_DIR/state/grants/ledger.db"
    cluster_restart_ctld >/dev/null || exit 1
    cluster_wait_usage_known >/dev/null 2>&1 || sleep 3
}
use_ledger alpha sqlite
# alpha left the shared ledger: its leases would be reclaimed after
# lease_timeout; an operator's shortcut for the benchmark.
mariadb --no-defaults --socket="$CLUSTER_DB_SOCKET" -uroot slurm_grants -e "DELETE FROM leases WHERE cluster = 'alpha'"
# beta decides within its lease: wait for its renewal of BENCH-1.
for ((i = 0; i < 60; i++)); do
    [ "$(mariadb --no-defaults --socket="$CLUSTER_DB_SOCKET" -uroot -N -B slurm_grants -e \
        "SELECT amount > 3600000000000000 FROM leases WHERE award = 'BENCH-1' AND cluster = 'beta'")" = 1 ] && break
    sleep 0.5
done
sdiag_submit() {
    sdiag 2>/dev/null | awk '/^Remote Procedure Call statistics by message type/ { on = 1 }
        on && /REQUEST_SUBMIT_BATCH_JOB/ {
            for (i = 1; i <= NF; i++) { if ($i ~ /^count:/) c = substr($i, 7); if ($i ~ /^ave_time:/) a = substr($i, 10) }
            print a, c; exit }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# $(slurmctld -V) | $(date -u +%FT%TZ) | $(nproc) cores"
echo "## 1. submit path: alpha sqlite ledger, beta mysql ledger (leases); $per_round held jobs per round, $rounds rounds interleaved"
: >"$work/sqlite.us"
: >"$work/mysql.us"
for ((r = 1; r <= rounds; r++)); do
    for c in alpha beta; do
        cluster_use $c
        sleep 1.5
        sdiag --reset >/dev/null
        out=$(cd "$(cluster_home alice)" && as_user alice "$bin/submit_many" "$per_round" trn1 BENCH-1 1 10 bench)
        read -r us n <<<"$(sdiag_submit)"
        [ $c = alpha ] && f=sqlite || f=mysql
        echo "$us" >>"$work/$f.us"
        echo "round $r $c ($f): mean ${us} us over $n submissions ($out)"
        scancel -u alice >/dev/null 2>&1
    done
done
ms=$(median <"$work/sqlite.us")
mm=$(median <"$work/mysql.us")
echo "median sqlite ${ms} us, mysql ${mm} us, ratio mysql/sqlite $(awk -v a="$mm" -v b="$ms" 'BEGIN { printf "%.3f", a / b }')"

echo "## 2. lease top-up: LEASE-1 (64 chip-h) in halves; alice asks alpha for 40 chip-h during a burst of $burst jobs to beta"
use_ledger alpha mysql
lease_of() {
    mariadb --no-defaults --socket="$CLUSTER_DB_SOCKET" -uroot -N -B slurm_grants -e \
        "SELECT amount DIV (3600 * 1000000), held FROM leases WHERE award = 'LEASE-1' AND cluster = '$1'"
}
settled() { [ "$(lease_of alpha)" = "32	0" ] && [ "$(lease_of beta)" = "32	0" ]; }
: >"$work/latency"
for ((t = 1; t <= trials; t++)); do
    for ((i = 0; i < 120; i++)); do settled && break; sleep 0.5; done
    settled || { echo "trial $t: leases did not settle in halves: alpha $(lease_of alpha), beta $(lease_of beta)"; continue; }
    cluster_use beta
    (cd "$(cluster_home bob)" && as_user bob "$bin/submit_many" "$burst" trn1 BENCH-1 1 10 burst >/dev/null) &
    burst_pid=$!
    cluster_use alpha
    first= accepted=
    for ((i = 0; i < 600; i++)); do
        out=$(as_user alice sbatch -p trn1 --award=LEASE-1 -t 150 --hold --wrap true 2>&1 </dev/null)
        now=$(date +%s.%N)
        case $out in
            *"Submitted batch job"*) accepted=$now; break ;;
            *"across all clusters"*) [ -n "$first" ] || first=$now ;;
            *) echo "trial $t: unexpected answer: $out"; break ;;
        esac
        sleep 0.1
    done
    wait "$burst_pid"
    if [ -n "$first" ] && [ -n "$accepted" ]; then
        l=$(awk -v a="$accepted" -v b="$first" 'BEGIN { printf "%.2f", a - b }')
        echo "$l" >>"$work/latency"
        echo "trial $t: refused for want of lease, accepted ${l} s later"
    else
        echo "trial $t: first refusal '${first}', acceptance '${accepted}'"
    fi
    scancel -u alice >/dev/null 2>&1
    cluster_use beta
    scancel -u bob >/dev/null 2>&1
done
if [ -s "$work/latency" ]; then
    echo "top-up latency: median $(median <"$work/latency") s, max $(sort -n "$work/latency" | tail -n1) s over $(wc -l <"$work/latency") trials"
fi
