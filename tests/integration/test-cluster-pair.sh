#!/bin/bash
# Two clusters on one host (alpha, beta) sharing one munged, one private
# MariaDB and one slurmdbd (cluster.sh cluster_pair_start), with the grants
# plugins loaded on both: jobs run on the cluster they were sent to, sacct
# on the shared slurmdbd sees both, the database can die and come back,
# one controller can be killed while the other runs on, a federated job runs
# once, and nothing is left running at the end.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

case " ${GRANTS_SKIP_SUITES:-} " in *" ${0##*/} "*) echo "SKIP: ${0##*/} is in GRANTS_SKIP_SUITES"; exit 77 ;; esac
if [ "$(id -u)" != 0 ]; then
    echo "${0##*/}: must run as root (it starts Slurm daemons and creates test users)" >&2
    exit 77
fi
: "${GRANTS_PLUGIN_DIR:?set GRANTS_PLUGIN_DIR to the built plugins (make check does)}"
: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"
export GRANTS_PLUGIN_DIR
plugins=$(cluster_system_plugin_dir 2>/dev/null)
for need in "$plugins/accounting_storage_mysql.so" "$(command -v mariadbd)" "$(PATH=$CLUSTER_SYS_PATH command -v slurmdbd)"; do
    if [ -z "$need" ] || [ ! -e "$need" ]; then
        echo "SKIP: ${0##*/}: this Slurm has no slurmdbd with accounting_storage/mysql, or MariaDB is missing (${need:-slurmdbd or mariadbd})"
        exit 77
    fi
done

POLICY_FILE=$(mktemp)
cat >"$POLICY_FILE" <<'P'
version: 1
enforce: { partitions: [trn1], on_error: closed }
partitions:
  trn1: { chips_per_node: 16 }
awards:
  PAIR-1:
    title: two clusters
    members: { users: [alice, bob] }
    budget: { chip_hours: 1000 }
P
chmod 0644 "$POLICY_FILE"
export GRANTS_POLICY=$POLICY_FILE
ensure_test_users || exit 1
T_START=$(date +%s)
cluster_pair_install_traps
cluster_pair_start alpha beta || exit 1
rm -f "$POLICY_FILE"
ALPHA_DIR=$_CLUSTER_SAVED_alpha_CLUSTER_DIR
BETA_DIR=$_CLUSTER_SAVED_beta_CLUSTER_DIR
echo "# both clusters up in $(($(date +%s) - T_START))s"

# sacct_has JOBID CLUSTER STATE: the shared slurmdbd knows the job on CLUSTER in STATE.
sacct_has() {
    sacct -M alpha,beta -X -n -P -j "$1" -o JobID,Cluster,State 2>/dev/null | grep -qx "$1|$2|$3"
}

# submit_on CLUSTER USER ARGS...: sbatch on CLUSTER (cluster_use); JOB as try_submit sets it.
submit_on() {
    cluster_use "$1" || return 1
    shift
    try_submit "$@"
}

case_two_clusters_registered() {
    local c
    for c in alpha beta; do
        cluster_use $c
        assert_eq "$c" "$(scontrol show config | awk '$1 == "ClusterName" { print $3 }')" "slurmctld of $c"
        assert_eq "${c}1" "$(sinfo -h -N -o %N | sort -u | head -n1)" "$c's node"
    done
    assert_eq $'alpha\nbeta' "$(sacctmgr -n -P list cluster format=cluster | sort)" "both registered with the one slurmdbd"
    assert_eq "" "$(ls "$BETA_DIR/pids" | grep -vE '^slurm(ctld|d|d-.*)$')" \
        "beta runs only its slurmctld and slurmd (munged, slurmdbd, MariaDB are alpha's)"
    assert_eq "$(printf '%s\n' mariadbd munged slurmctld slurmdbd)" "$(ls "$ALPHA_DIR/pids" | grep -vE '^slurmd(-.*)?$')" \
        "alpha runs the shared daemons"
    assert_eq "600 root" "$(stat -c '%a %U' "$CLUSTER_GRANTS_DB_CONF")" "ledger credentials file is root-only"
}

ledger_sql() {
    local user pass port
    user=$(sed -n 's/^StorageUser=//p' "$CLUSTER_GRANTS_DB_CONF")
    pass=$(sed -n 's/^StoragePass=//p' "$CLUSTER_GRANTS_DB_CONF")
    port=$(sed -n 's/^StoragePort=//p' "$CLUSTER_GRANTS_DB_CONF")
    mariadb --no-defaults -h 127.0.0.1 -P "$port" -u "$user" -p"$pass" -N -B slurm_grants -e "$1"
}

case_jobs_run_on_their_cluster() {
    local ja jb jm
    submit_on alpha alice -p trn1 --award=PAIR-1 -t 5 -o out-%j --wrap 'echo "on $SLURM_CLUSTER_NAME"'
    ja=$JOB; assert_contains "$T_OUT" "award PAIR-1: this job holds" "alpha's plugin decided" || return 1
    submit_on beta bob -p trn1 --award=PAIR-1 -t 5 -o out-%j --wrap 'echo "on $SLURM_CLUSTER_NAME"'
    jb=$JOB; assert_contains "$T_OUT" "award PAIR-1: this job holds" "beta's plugin decided" || return 1
    # -M from alpha's configuration sends the job to beta (through slurmdbd).
    cluster_use alpha
    T_OUT=$(as_user alice sbatch -M beta -p cpu -o out-%j --wrap 'echo "on $SLURM_CLUSTER_NAME"' 2>&1)
    jm=$(sed -n 's/^Submitted batch job \([0-9]*\) on cluster beta$/\1/p' <<<"$T_OUT")
    assert_eq "1" "$([ -n "$jm" ] && echo 1)" "sbatch -M beta from alpha: $T_OUT" || return 1
    cluster_use alpha; assert_eq COMPLETED "$(wait_job_done "$ja" 60)" "alice's job on alpha"
    cluster_use beta; assert_eq COMPLETED "$(wait_job_done "$jb" 60)" "bob's job on beta"
    assert_eq COMPLETED "$(wait_job_done "$jm" 60)" "the -M beta job, on beta"
    assert_eq "on alpha" "$(cat "$ALPHA_DIR/home/alice/out-$ja")" "ran on alpha"
    assert_eq "on beta" "$(cat "$BETA_DIR/home/bob/out-$jb")" "ran on beta"
    assert_eq "on beta" "$(cat "$ALPHA_DIR/home/alice/out-$jm" 2>/dev/null)" "-M beta ran on beta (in alice's alpha directory, where sbatch ran)"
    cluster_use alpha
    eventually 30 "sacct (shared slurmdbd) has alpha's job" sacct_has "$ja" alpha COMPLETED
    eventually 30 "sacct has beta's job" sacct_has "$jb" beta COMPLETED
    eventually 30 "sacct has the -M job on beta" sacct_has "$jm" beta COMPLETED
}

case_database_outage() {
    local ja jb
    ledger_sql "CREATE TABLE probe (k INT PRIMARY KEY); INSERT INTO probe VALUES (42);" || return 1
    cluster_db_kill || return 1
    assert_status nonzero ledger_sql "SELECT 1"
    submit_on alpha alice -p trn1 --award=PAIR-1 -t 5 --wrap true; ja=$JOB
    assert_contains "$T_OUT" "Submitted batch job" "alpha accepts jobs while the database is down" || return 1
    submit_on beta bob -p trn1 --award=PAIR-1 -t 5 --wrap true; jb=$JOB
    assert_contains "$T_OUT" "Submitted batch job" "beta too" || return 1
    cluster_use alpha; assert_eq COMPLETED "$(wait_job_done "$ja" 60)" "alpha's job ran while the database was down"
    cluster_use beta; assert_eq COMPLETED "$(wait_job_done "$jb" 60)" "beta's job too"
    cluster_db_start || return 1
    assert_eq 42 "$(ledger_sql 'SELECT k FROM probe')" "same data after the restart"
    ledger_sql "DROP TABLE probe"
    # slurmdbd reconnects; the controllers send what they spooled.
    eventually 60 "sacct has alpha's job from the outage" sacct_has "$ja" alpha COMPLETED
    eventually 60 "sacct has beta's job from the outage" sacct_has "$jb" beta COMPLETED
}

case_one_controller_killed() {
    local jb ja
    cluster_use alpha
    cluster_kill9_ctld || return 1
    assert_status nonzero scontrol ping
    submit_on beta bob -p trn1 --award=PAIR-1 -t 5 --wrap true; jb=$JOB
    assert_contains "$T_OUT" "Submitted batch job" "beta runs on while alpha's controller is dead" || return 1
    assert_eq COMPLETED "$(wait_job_done "$jb" 60)" "beta's job"
    cluster_use alpha
    cluster_start_ctld || return 1
    eventually 30 "alpha's node back" _cluster_node_idle
    submit_on alpha alice -p trn1 --award=PAIR-1 -t 5 --wrap true; ja=$JOB
    assert_eq COMPLETED "$(wait_job_done "$ja" 60)" "alpha runs jobs again"
}

# balance_of CLUSTER COLUMN: alice's PAIR-1 "charged" or "held" (chip-h) as
# that cluster's controller says (grantctl balance).
balance_of() {
    cluster_use "$1" || return 1
    as_user alice "$CLUSTER_DB_DIR/grantctl" balance --award PAIR-1 2>/dev/null |
        awk -v col="$2" '$1 == "PAIR-1" { print (col == "charged" ? $4 : $6) }'
}
held_is() { [ "$(balance_of "$1" held)" = "$2" ]; }

case_federated_job_runs_once() {
    local j origin
    install -m 0755 "$GRANTCTL" "$CLUSTER_DB_DIR/grantctl" || return 1
    cluster_pair_federate || return 1
    # Pending a moment (--begin), so that both clusters have their copy.
    submit_on alpha alice -p trn1 --award=PAIR-1 -t 5 --begin=now+10 -o fed-%j --wrap 'echo "on $SLURM_CLUSTER_NAME"'
    j=$JOB
    local begin=$(($(date +%s) + 10))   # not before sbatch's now + 10
    assert_contains "$T_OUT" "award PAIR-1: this job holds" "origin's plugin decided" || return 1
    # A federated job id carries the origin's federation id in bits 26-31.
    origin=$(scontrol show federation | awk '$1 == "Self:" { sub(/ID:/, "", $3); print $3 }')
    assert_eq "$origin" "$((j >> 26))" "job id $j encodes origin alpha (federation id $origin)"
    eventually 10 "the sibling beta has its copy of $j" \
        eval "squeue -M beta -h -j $j -o %i 2>/dev/null | grep -qx $j"
    assert_eq "award=PAIR-1" "$(cluster_use beta; job_field "$j" AdminComment)" "beta's copy carries alpha's tag"
    assert_eq "alpha" "$(cluster_use beta; job_field "$j" FedOrigin)" "beta's copy: origin alpha"
    # The scheduler runs on events: another job wakes it once BeginTime passed.
    # Either cluster may start it first (the other's copy is then revoked).
    while (($(date +%s) <= begin)); do sleep 1; done
    cluster_use alpha
    as_user bob sbatch -p cpu -t 1 --wrap true >/dev/null 2>&1
    eventually 90 "the federated job completed on one cluster" \
        eval "sacct -M alpha,beta -X -n -P -j $j -o State | grep -qx COMPLETED"
    local runner other
    runner=$(sacct -M alpha,beta -X -n -P -j "$j" -o Cluster,State | sed -n 's/|COMPLETED$//p' | head -n1)
    assert_eq 1 "$(sacct -M alpha,beta -X -n -P -j "$j" -o JobID,Cluster,State | grep -c "^$j|")" \
        "one row in accounting, the run on ${runner:-?}"
    case $runner in alpha) other=beta ;; beta) other=alpha ;; *) _t_fail "no cluster ran $j"; return 1 ;; esac
    assert_eq "on $runner" "$(cat "$ALPHA_DIR/home/alice/fed-$j" 2>/dev/null)" "it ran once, on $runner"
    assert_eq "" "$(squeue -M alpha,beta -h -j "$j" -o %T 2>/dev/null | grep -vE '^$|^CLUSTER:')" "no copy left in any queue"
    # Charged once, by the cluster that ran it; nothing left held on either.
    # (each charge is logged; balance rounds to 0.1 chip-h, more than this run)
    local rdir odir
    rdir=$ALPHA_DIR odir=$BETA_DIR
    [ "$runner" = beta ] && rdir=$BETA_DIR odir=$ALPHA_DIR
    eventually 30 "$runner charged the run" grep -q "job_submit/grants: charged job $j " "$rdir/log/slurmctld.log"
    eventually 30 "alpha holds nothing after the run" held_is alpha 0.0
    eventually 30 "beta holds nothing after the run" held_is beta 0.0
    assert_eq "" "$(grep "charged job $j " "$odir/log/slurmctld.log")" "$other charged nothing for its copy"
}

case_stop_leaves_nothing() {
    local p left=
    cluster_pair_stop
    for p in /proc/[0-9]*; do
        tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qE -- "$ALPHA_DIR|$BETA_DIR" && left="$left ${p#/proc/}"
        grep -qzE -- "SLURM_GRANTS_CLUSTER=($ALPHA_DIR|$BETA_DIR)\$" "$p/environ" 2>/dev/null && left="$left ${p#/proc/}"
    done
    assert_eq "" "$left" "no process of either cluster after cluster_pair_stop$([ -n "$left" ] && ps -o pid,args -p ${left// /,})"
}

run_case "two clusters, one slurmdbd" case_two_clusters_registered
run_case "jobs run on the cluster they were sent to; sacct sees both" case_jobs_run_on_their_cluster
run_case "the shared database dies and comes back; jobs run meanwhile" case_database_outage
run_case "alpha's controller killed -9, beta runs on; alpha recovers" case_one_controller_killed
run_case "a federated job runs once, on one cluster" case_federated_job_runs_once
run_case "cluster_pair_stop leaves no daemon" case_stop_leaves_nothing
echo "# ${0##*/}: $(($(date +%s) - T_START))s"
finish
