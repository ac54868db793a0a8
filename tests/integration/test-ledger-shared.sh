#!/bin/bash
# slurmctld on the shared ledger (grants.yaml ledger: { backend: mysql }),
# against the harness's private MariaDB (CLUSTER_ACCOUNTING): a finished job
# is charged into MariaDB exactly once, also across kill -9 of slurmctld; a
# frozen database server (SIGSTOP) makes the ledger unusable without
# crashing or hanging slurmctld, and the charge made meanwhile is written
# once when it answers again; grantctl report reads the same rows.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

W=$(mktemp -d /tmp/grants-ledger-shared.XXXXXX)
chmod 0755 "$W"
CREDS=$W/grants-ledger.conf
POLICY_FILE=$W/grants.yaml
cat >"$POLICY_FILE" <<YAML
version: 1
enforce: { partitions: [trn1], on_error: closed }
partitions:
  trn1: { chips_per_node: 16, cores_per_chip: 2, usd_per_chip_hour: 1.34 }
awards:
  SHARED-1:
    pi: alice
    members: { users: [alice] }
    budget: { chip_hours: 100000 }
ledger:
  backend: mysql
  credentials: $CREDS
YAML
chmod 0644 "$POLICY_FILE"
export CLUSTER_ACCOUNTING=1
# Runs once MariaDB is up, before slurmctld starts: the harness made the
# ledger's database and user (cluster.sh, etc/grants-db.conf); its
# credentials where the policy says, and the schema (grantctl ledger init).
export CLUSTER_ACCOUNTING_SETUP="set -e
install -m 0600 \"\$CLUSTER_DIR/etc/grants-db.conf\" $CREDS
$GRANTCTL ledger init --policy $POLICY_FILE"
grants_suite_start "$POLICY_FILE"
LOG=$CLUSTER_DIR/log/slurmctld.log
msql() { mariadb --no-defaults --socket="$CLUSTER_DIR/db/mysql.sock" -uroot -N -B slurm_grants -e "$*"; }
charges_of() { msql "SELECT count(*) FROM charges WHERE job_id = $1"; }
DBPID=$(cat "$CLUSTER_DIR/db/mariadbd.pid")

case_charged_once_in_mariadb() {
    try_submit alice -p trn1 --award=SHARED-1 -t 5 --wrap 'sleep 2'
    assert_contains "$T_OUT" "award SHARED-1: this job holds" "submitted on the shared ledger" || return 1
    wait_job_done "$JOB" 60 >/dev/null || return 1
    eventually 20 "job $JOB charged in MariaDB" sh -c "[ \"\$(mariadb --no-defaults --socket='$CLUSTER_DIR/db/mysql.sock' -uroot -N -B slurm_grants -e 'SELECT count(*) FROM charges WHERE job_id = $JOB')\" = 1 ]" ||
        return 1
    assert_eq grantstest "$(msql "SELECT cluster FROM charges WHERE job_id = $JOB")" "under ClusterName"
    cluster_kill9_ctld || return 1
    cluster_start_ctld || return 1
    sleep 4
    assert_eq 1 "$(charges_of "$JOB")" "still charged once after kill -9 and a restart"
    assert_status 0 "$GRANTCTL" report --policy "$POLICY_FILE" --by job
    assert_contains "$T_OUT" "$JOB" "grantctl report reads the charge from MariaDB"
}

case_frozen_database() {
    local job
    try_submit alice -p trn1 --award=SHARED-1 -t 5 --wrap 'sleep 3'
    job=$JOB
    [ -n "$job" ] || { _t_fail "no job: $T_OUT"; return 1; }
    kill -STOP "$DBPID"
    wait_job_done "$job" 60 >/dev/null
    sleep 25   # past the read timeout (10 s) of the pass that tries to charge it
    assert_status 0 scontrol ping
    assert_contains "$T_OUT" "UP" "slurmctld answers while the database is frozen"
    eventually 60 "a ledger error in slurmctld.log" grep -q "unusable\|cannot record" "$LOG"
    kill -CONT "$DBPID"
    eventually 40 "job $job charged after the database came back" sh -c "[ \"\$(mariadb --no-defaults --socket='$CLUSTER_DIR/db/mysql.sock' -uroot -N -B slurm_grants -e 'SELECT count(*) FROM charges WHERE job_id = $job')\" = 1 ]" ||
        return 1
    sleep 3
    assert_eq 1 "$(charges_of "$job")" "charged exactly once"
}

run_case "a finished job is charged once into MariaDB, across kill -9" case_charged_once_in_mariadb
run_case "a frozen database: slurmctld keeps answering; the charge is written once after" case_frozen_database
kill -CONT "$DBPID" 2>/dev/null
rm -rf "$W"
finish
