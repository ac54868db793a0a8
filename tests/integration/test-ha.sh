#!/bin/bash
# A primary and a backup slurmctld sharing StateSaveLocation, as HA pairs run
# (issue: standby controllers and takeover). Slurm initialises job_submit
# plugins in a backup before it waits in standby, so the standby must leave
# the ledger and the spool alone (SQLite's WAL is not safe across hosts);
# after `scontrol takeover` the backup keeps the ledger, knows every hold of
# the jobs it recovered before it decides anything, and charges each run once.
#
# Both controllers run on this host: the backup in its own UTS and mount
# namespaces (hostname ctl2, an /etc/hosts where ctl2 is 127.0.0.2), and
# CommunicationParameters=NoCtldInAddrAny makes each bind its own address.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"

. "$here/suite.sh"
export CLUSTER_EXTRA_CONF="SlurmctldHost=ctl2(127.0.0.2)
CommunicationParameters=NoCtldInAddrAny"
grants_suite_start "$here/policies/ha.yaml"
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
LOG=$CLUSTER_DIR/log/slurmctld.log
BLOG=$CLUSTER_DIR/log/slurmctld-backup.log
sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }

# The backup: its own copy of slurm.conf for its log and pid files (the
# rest is identical), in namespaces where its host name is ctl2.
start_backup() {
    local conf=$CLUSTER_DIR/etc/slurm-backup.conf hosts=$CLUSTER_DIR/etc/hosts.ctl2
    sed -e "s|^SlurmctldLogFile=.*|SlurmctldLogFile=$BLOG|" \
        -e "s|^SlurmctldPidFile=.*|SlurmctldPidFile=$CLUSTER_DIR/run/slurmctld-backup.pid|" \
        "$SLURM_CONF" >"$conf" || return 1
    { cat /etc/hosts; echo "127.0.0.2 ctl2"; } >"$hosts" || return 1
    # shellcheck disable=SC2016  # expanded by the inner shell
    _cluster_spawn slurmctld-backup unshare --uts --mount sh -c \
        'mount --bind "$0" /etc/hosts && hostname ctl2 && exec slurmctld -D -i -f "$1"' "$hosts" "$conf"
    local i
    for ((i = 0; i < 100; i++)); do
        scontrol ping 2>/dev/null | grep -q 'backup.*ctl2 is UP' && return 0
        sleep 0.2
    done
    _t_fail "the backup slurmctld did not come up: $(scontrol ping 2>&1 | tr '\n' ' ') $(tail -5 "$BLOG" 2>/dev/null)"
    return 1
}
# Files of the ledger directory a process has open.
ledger_fds() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c "state/grants/ledger.db"; }

case_standby_leaves_the_ledger_alone() {
    start_backup || return 1
    local backup
    backup=$(cat "$CLUSTER_DIR/pids/slurmctld-backup")
    # The primary charges a run meanwhile; the standby never opens the ledger.
    try_submit bob -p trn1 --award=H-RUN -t 5 -o /dev/null --wrap 'sleep 1'
    local job=$JOB
    [ -n "$job" ] || return 1
    wait_job_done "$job" 60 >/dev/null
    settle
    assert_eq 1 "$(sql "SELECT count(*) FROM charges WHERE job_id=$job")" "the primary charged the run"
    assert_status 1 test "$(ledger_fds "$(cat "$CLUSTER_DIR/pids/slurmctld")")" = 0
    assert_eq 0 "$(ledger_fds "$backup")" "the standby has no ledger file open"
    assert_eq 0 "$(grep -c 'keeps the ledger' "$BLOG")" "the standby did not take the ledger"
}

case_takeover_knows_holds_and_charges_once() {
    local backup job held
    backup=$(cat "$CLUSTER_DIR/pids/slurmctld-backup")
    # H-ONE fits one job: it is held by a pending job before the takeover.
    try_submit alice -p trn1 --award=H-ONE -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award H-ONE: this job holds 2.7 chip-h" || return 1
    held=$JOB
    assert_status 0 scontrol takeover
    local i
    for ((i = 0; i < 150; i++)); do
        grep -q 'usage known' "$BLOG" && break
        sleep 0.2
    done
    assert_status 0 grep -q 'this controller keeps the ledger' "$BLOG"
    # The backup is the controller now: the harness stops it as such.
    cp "$CLUSTER_DIR/pids/slurmctld-backup" "$CLUSTER_DIR/pids/slurmctld"
    rm -f "$CLUSTER_DIR/pids/slurmctld-backup"
    assert_status 1 test "$(ledger_fds "$backup")" = 0
    # It knows the hold it recovered: a second job does not fit.
    try_submit alice -p trn1 --award=H-ONE -t 10 --hold --wrap true
    assert_eq "" "$JOB" "the award's hold is known after the takeover"
    assert_contains "$T_OUT" "award H-ONE has"
    scancel "$held"
    # And it charges runs, once.
    try_submit bob -p trn1 --award=H-RUN -t 5 -o /dev/null --wrap 'sleep 1'
    job=$JOB
    [ -n "$job" ] || return 1
    wait_job_done "$job" 60 >/dev/null
    settle
    assert_eq 1 "$(sql "SELECT count(*) FROM charges WHERE job_id=$job")" "the backup charged the run once"
}

# The primary comes back: the backup hands control back and, in standby
# with its recovered jobs still in memory, lets go of the ledger (the
# heartbeat file names the controller in control); the primary charges runs.
case_primary_resumes_backup_lets_go() {
    local backup job i
    backup=$(cat "$CLUSTER_DIR/pids/slurmctld")
    mv "$CLUSTER_DIR/pids/slurmctld" "$CLUSTER_DIR/pids/slurmctld-backup"
    cluster_start_ctld || return 1
    for ((i = 0; i < 150; i++)); do
        grep -q 'is no longer in control' "$BLOG" && break
        sleep 0.2
    done
    assert_status 0 grep -q 'is no longer in control' "$BLOG"
    assert_eq 0 "$(ledger_fds "$backup")" "the backup in standby again has no ledger file open"
    assert_status 0 kill -0 "$backup"
    try_submit bob -p trn1 --award=H-RUN -t 5 -o /dev/null --wrap 'sleep 1'
    job=$JOB
    [ -n "$job" ] || return 1
    wait_job_done "$job" 60 >/dev/null
    settle
    assert_eq 1 "$(sql "SELECT count(*) FROM charges WHERE job_id=$job")" "the primary charged the run once"
    assert_eq 0 "$(ledger_fds "$backup")" "the standby still has no ledger file open"
}

run_case "a standby controller leaves the ledger alone" case_standby_leaves_the_ledger_alone
run_case "after a takeover the backup knows every hold and charges runs once" case_takeover_knows_holds_and_charges_once
run_case "when the primary resumes, the backup lets go of the ledger" case_primary_resumes_backup_lets_go
finish
