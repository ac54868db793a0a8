#!/bin/bash
# The README demo: a private loopback cluster with etc/grants.yaml.example,
# showing an accepted and tagged job, rejected ones with their messages, a
# job outside the Trainium partitions, and the policy summary. Run as root
# (build-aux/quickstart demo, or `make demo` in a configured tree).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/cluster.sh"

if [ "$(id -u)" != 0 ]; then
    echo "${0##*/}: must run as root (it starts Slurm daemons and creates demo users)" >&2
    exit 1
fi
: "${GRANTS_PLUGIN_DIR:?set GRANTS_PLUGIN_DIR to the built plugins (make demo does)}"
GRANTCTL=${GRANTCTL:-$top/grantctl}
export GRANTS_PLUGIN_DIR
export GRANTS_POLICY=$top/etc/grants.yaml.example

say() { if [ -t 1 ]; then printf '\n\033[1m# %s\033[0m\n' "$*"; else printf '\n# %s\n' "$*"; fi; }
show() {  # show USER CMD...: print the command as the user would type it, then run it
    local u=$1
    shift
    printf '%s$ %s\n' "$u" "$*"
    as_user "$u" "$@" 2>&1 </dev/null | sed 's/^/  /'
}

ensure_test_users || exit 1
cluster_install_traps
cluster_start || exit 1
# Users run a copy they can reach (the build tree may be under a private home).
install -m 0755 "$GRANTCTL" "$CLUSTER_DIR/grantctl"
GC=$CLUSTER_DIR/grantctl

say "The policy (grantctl check $GRANTS_POLICY)"
# The demo cluster's default partition cpu has the same node as trn1 and
# trn2: check warns that its jobs would run there unbudgeted.
"$GRANTCTL" check "$CLUSTER_DIR/etc/grants.yaml" 2>&1 | sed 's/^/  /'

say "alice (member of BOT-2025-0117) submits to the Trainium partition trn1"
show alice sbatch -p trn1 --award=BOT-2025-0117 -t 30 -o demo-%j.out --wrap 'echo "running under award $SLURM_AWARD_ID"; sleep 2'
job=$(squeue -h -u alice -o %i | tail -1)
wait_job_done "$job" 60 >/dev/null
printf 'root$ scontrol show job %s | grep AdminComment\n' "$job"
scontrol show job "$job" | grep AdminComment | sed 's/^/  /'
printf 'alice$ cat demo-%s.out\n' "$job"
sed 's/^/  /' "$(cluster_home alice)/demo-$job.out"

say "alice omits --award: her default award is used (and max_walltime as the time limit)"
show alice srun -p trn1 sh -c 'echo "task sees SLURM_AWARD_ID=$SLURM_AWARD_ID"'

say "The ledger charged what the jobs used, not what they held"
sleep 2.5
printf 'root$ sqlite3 %s "SELECT job_id, award, user, chips, seconds, ..."\n' "$CLUSTER_DIR/state/grants/ledger.db"
sqlite3 -header -column "$CLUSTER_DIR/state/grants/ledger.db" \
    "SELECT job_id, award, user, partition, chips, seconds, printf('%.4f', chip_hours_ticks / 3600e6) AS chip_hours FROM charges" |
    sed 's/^/  /'

say "alice asks for more than the award allows per job (256 chips = 16 nodes)"
show alice sbatch -p trn1 --award=BOT-2025-0117 -N 17 -t 60 --wrap true

say "carol tries an award she is not a member of"
show carol sbatch -p trn1 --award=BOT-2025-0117 -t 60 --wrap true

say "carol's dollar award on trn2: the hold is priced at the partition's rate"
show carol sbatch -p trn2 --award=BOT-2025-0342 -t 2:00:00 --hold --wrap true

say "bob mistypes the award ID (caught by sbatch itself)"
show bob sbatch -p trn1 '--award=BOT 2025' --wrap true

say "dave (no award) submits to trn1, then to the ordinary cpu partition"
show dave sbatch -p trn1 --wrap true
show dave sbatch -p cpu -o demo-%j.out --wrap 'echo "cpu jobs are never touched"'

say "The balance: each accepted job's message says what it holds and what is left"
show alice sbatch -p trn1 -t 1:00:00 --hold --wrap true
sleep 1.2

say "grantctl balance, from any node, through slurmctld (users see only their awards; carol manages BOT-2025-0117, so she also sees its members)"
show alice "$GC" balance
show carol "$GC" balance

say "The award's report for its manager, from a login node (slurmctld answers from memory)"
show carol "$GC" report --award BOT-2025-0117 --by user

say "grantctl quote: the decision sbatch would get, without submitting"
show alice "$GC" quote -p trn1 -N 4 -t 12:00:00 --award=BOT-2025-0117
show alice "$GC" quote -p trn1 -N 16 -t 2-00:00:00 --award=BOT-2025-0117

say "grantctl report (admins and PIs, from the ledger) and metrics (Prometheus)"
printf 'root$ grantctl report --by user\n'
"$GC" report --by user 2>&1 | sed 's/^/  /'
printf 'root$ grantctl metrics | grep BOT-2025-0117\n'
"$GC" metrics 2>&1 | grep 'BOT-2025-0117' | sed 's/^/  /'
scancel -u alice -u carol 2>/dev/null
say "Stopping the demo cluster"
