#!/bin/bash
# Injected faults against the real daemons (docs/SECURITY.md, threats F1-F4):
# the ledger on a full or read-only filesystem, corrupt, deleted or swapped
# for a symlink; the policy deleted or broken, and reconfigure storms, during
# submission bursts; kill -9 of slurmctld in the middle of charging.
# Throughout: slurmctld never crashes, new in-scope jobs follow
# enforce.on_error (closed here), jobs outside the enforced partitions are
# untouched, no charge is lost (each is retried until the ledger is usable)
# and none is recorded twice, and each fault gives one clear log line.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"

. "$here/suite.sh"
# The ledger's directory is a tmpfs of its own, so it can be filled and made read-only.
export CLUSTER_GRANTS_TMPFS=8m
grants_suite_start "$here/policies/faults.yaml"
LOG=$CLUSTER_DIR/log/slurmctld.log
GDIR=$CLUSTER_DIR/state/grants
LEDGER=$GDIR/ledger.db
POLICY=$CLUSTER_DIR/etc/grants.yaml

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
charges_of() { sql "SELECT count(*) FROM charges WHERE job_id=$1"; }
mark_log() { LOG_MARK=$(wc -l <"$LOG"); }
new_log() { tail -n +"$((LOG_MARK + 1))" "$LOG"; }
wait_for_log() {  # wait_for_log TEXT [SECONDS]
    local i
    for ((i = 0; i < ${2:-5} * 10; i++)); do
        new_log | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    _t_fail "slurmctld.log has no new line with '$1'"$'\n'"$(new_log | tail -n 15 | sed 's/^/  | /')"
}
# count_log TEXT: new lines containing TEXT.
count_log() { new_log | grep -cF -- "$1"; }
# The slurmctld we expect (cases that restart it on purpose record the new one).
EXPECTED_CTLD=$CLUSTER_DIR/expected-slurmctld-pid
ctld_alive() {
    local want
    want=$(cat "$EXPECTED_CTLD")
    assert_eq "$want" "$(cat "$CLUSTER_DIR/pids/slurmctld")" "slurmctld never restarted except on purpose"
    assert_status 0 kill -0 "$want"
}
# While the ledger is unusable: in-scope jobs refused (on_error closed), cpu jobs untouched.
follows_on_error() {
    try_submit alice -p trn1 --award=F-1 -t 5 --hold --wrap true
    assert_eq "" "$JOB" "$1: an in-scope job is refused"
    assert_contains "$T_OUT" "the grant ledger is unavailable" "$1: the user is told why"
    try_submit alice -p cpu -t 5 --hold --wrap true
    assert_contains "$T_OUT" "Submitted batch job" "$1: a cpu job is untouched"
    [ -n "$JOB" ] && scancel "$JOB"
}
# A job that runs ~1 s, waited for; prints its id.
finished_job() {
    try_submit bob -p trn1 --award=F-1 -t 5 -o /dev/null --wrap 'sleep 1'
    [ -n "$JOB" ] || { echo "submit failed: $T_OUT" >&2; return 1; }
    wait_job_done "$JOB" 60 >/dev/null || return 1
    echo "$JOB"
}

cp "$CLUSTER_DIR/pids/slurmctld" "$EXPECTED_CTLD"

# fault_then_recover NAME BREAK-FUNCTION REPAIR-FUNCTION LOG-TEXT
# A job runs while the ledger is broken: it must not be charged then, the
# ledger must follow on_error with one log line, and after the repair the job
# must be charged exactly once and new jobs accepted again.
fault_then_recover() {
    local name=$1 break_fn=$2 repair_fn=$3 text=$4 job before
    before=$(sql "SELECT count(*) FROM charges")
    try_submit bob -p trn1 --award=F-1 -t 5 -o /dev/null --wrap 'sleep 3'
    job=$JOB
    [ -n "$job" ] || { _t_fail "$name: setup job refused: $T_OUT"; return 1; }
    wait_job_state "$job" RUNNING 30 || return 1
    mark_log
    "$break_fn" || { _t_fail "$name: could not inject the fault"; return 1; }
    wait_for_log "$text" 30 || return 1
    follows_on_error "$name"
    assert_eq COMPLETED "$(wait_job_done "$job" 60)" "$name: the job ran to the end"
    settle
    settle
    assert_eq 1 "$(count_log "unusable: ")" "$name: one log line for the fault, not one per pass"
    "$repair_fn" || { _t_fail "$name: could not repair"; return 1; }
    wait_for_log "usable again" 30
    settle
    assert_eq 1 "$(charges_of "$job")" "$name: the job held during the fault is charged exactly once after it"
    assert_eq $((before + 1)) "$(sql "SELECT count(*) FROM charges")" "$name: no charge lost or duplicated"
    try_submit alice -p trn1 --award=F-1 -t 5 --hold --wrap true
    assert_contains "$T_OUT" "this job holds" "$name: in-scope jobs accepted again"
    [ -n "$JOB" ] && scancel "$JOB"
    ctld_alive
}

fill_fs() { dd if=/dev/zero of="$GDIR/filler" bs=64k status=none 2>/dev/null; [ -f "$GDIR/filler" ]; }
free_fs() { rm -f "$GDIR/filler"; }
case_full_filesystem() {
    fault_then_recover "full filesystem" fill_fs free_fs "unusable: its filesystem is full"
}

# Linux refuses to remount a filesystem read-only while slurmctld has the
# ledger open for writing (EBUSY), so the fault is a filesystem that is
# read-only when slurmctld (re)starts, with a job running meanwhile; it is
# repaired by remounting it read-write while slurmctld runs.
ro_fs() {
    cluster_stop_ctld && mount -o remount,ro "$GDIR" && cluster_start_ctld &&
        cp "$CLUSTER_DIR/pids/slurmctld" "$EXPECTED_CTLD"
}
rw_fs() { mount -o remount,rw "$GDIR"; }
case_read_only_filesystem() {
    fault_then_recover "read-only filesystem" ro_fs rw_fs "unusable: its filesystem is read-only"
}

delete_ledger() {
    sql ".backup '$CLUSTER_DIR/ledger.backup'" && rm -f "$LEDGER" "$LEDGER-wal" "$LEDGER-shm"
}
restore_ledger() { install -m 0600 "$CLUSTER_DIR/ledger.backup" "$LEDGER.new" && mv "$LEDGER.new" "$LEDGER"; }
case_ledger_deleted() {
    fault_then_recover "ledger deleted" delete_ledger restore_ledger "unusable: the file is missing (deleted?)"
    assert_status 0 test ! -L "$LEDGER"
}

swap_symlink() {
    sql ".backup '$CLUSTER_DIR/ledger.backup'" && : >"$CLUSTER_DIR/victim" && chmod 0644 "$CLUSTER_DIR/victim" &&
        mv "$LEDGER" "$CLUSTER_DIR/ledger.moved" && rm -f "$LEDGER-wal" "$LEDGER-shm" && ln -s "$CLUSTER_DIR/victim" "$LEDGER"
}
unswap_symlink() { rm -f "$LEDGER" && restore_ledger; }
case_symlink_swapped_in() {
    fault_then_recover "symlink swapped in" swap_symlink unswap_symlink "unusable: it is a symbolic link"
    assert_eq 0 "$(stat -c %s "$CLUSTER_DIR/victim")" "the symlink's target was never written"
}

corrupt_ledger() {
    sql ".backup '$CLUSTER_DIR/ledger.backup'" && cp "$LEDGER" "$CLUSTER_DIR/corrupt" &&
        dd if=/dev/urandom of="$CLUSTER_DIR/corrupt" bs=1024 count=4 conv=notrunc status=none &&
        chmod 0600 "$CLUSTER_DIR/corrupt" && mv "$CLUSTER_DIR/corrupt" "$LEDGER" && rm -f "$LEDGER-wal" "$LEDGER-shm"
}
case_corrupt_ledger() {
    fault_then_recover "corrupt ledger" corrupt_ledger restore_ledger "unusable: file is not a database"
}

# enforce.on_error=open: while the ledger is unusable an in-scope job whose
# award and membership are known is accepted without a budget check, tagged
# with its award plus grants=unchecked (AdminComment), logged, and its tasks
# run with SLURM_AWARD_ID; once the ledger is usable again its run is
# charged like any tagged job's (before: untagged, never charged). Award
# checks that need no usage still refuse: the outage opens no other door.
case_on_error_open_ledger_unusable() {
    local good out
    good=$(cat "$POLICY")
    mark_log
    printf '%s\n' "${good/on_error: closed/on_error: open}" >"$POLICY.new" && chmod 0644 "$POLICY.new" && mv -f "$POLICY.new" "$POLICY"
    wait_for_log "loaded (" 30
    fill_fs || return 1
    wait_for_log "unusable: its filesystem is full" 30
    out=$(cluster_home dave)/unchecked.out
    rm -f "$out"
    try_submit dave -p trn1 --award=F-1 -t 5 -o "$out" --wrap 'echo "AWARD=$SLURM_AWARD_ID"'
    assert_contains "$T_OUT" "award F-1: the grant ledger is unavailable; this job was accepted without a budget check. It holds 1.4 chip-h" "user told"
    local job=$JOB
    if [ -n "$job" ]; then
        assert_eq "award=F-1 grants=unchecked" "$(job_field "$job" AdminComment)" "tagged with its award, and marked"
        assert_eq COMPLETED "$(wait_job_done "$job" 60)" "its tasks ran"
        assert_contains "$(cat "$out")" "AWARD=F-1" "its tasks got SLURM_AWARD_ID"
        assert_contains "$(new_log)" "on_error=open: job of uid $(id -u dave) accepted on award F-1 WITHOUT a budget check (the ledger is unusable)" "logged"
        settle
        assert_eq 0 "$(charges_of "$job")" "not charged while the ledger is unusable"
    else
        _t_fail "on_error=open refused the job: $T_OUT"
    fi
    try_submit dave -p trn1 --award=F-NONE -t 5 --hold --wrap true
    assert_eq "" "$JOB" "an award that does not exist is refused during the outage too"
    assert_contains "$T_OUT" "user dave is not a member of award F-NONE, or it does not exist" "and the user told why (one sentence for a missing award and someone else's)"
    free_fs
    printf '%s\n' "$good" >"$POLICY.new" && chmod 0644 "$POLICY.new" && mv -f "$POLICY.new" "$POLICY"
    wait_for_log "usable again" 30
    settle
    if [ -n "$job" ]; then
        assert_eq 1 "$(charges_of "$job")" "charged once the ledger is usable again"
        assert_contains "$(new_log)" "charged job $job (run started" "the charge is logged"
        assert_contains "$(new_log | grep -F "charged job $job ")" "(admitted without a budget check)" "as admitted unchecked"
    fi
    ctld_alive
}

# N submissions, one every 0.2 s in the background, while FN runs; waits for
# them. Leaves the outputs in $CLUSTER_DIR/burst/.
burst() {
    local fn=$1 n=$2 out=$CLUSTER_DIR/burst sub
    rm -rf "$out"
    mkdir -p "$out"
    (
        for ((i = 0; i < n; i++)); do
            as_user "$(echo alice bob carol dave | cut -d' ' -f$((i % 4 + 1)))" \
                sbatch -p trn1 --award=F-BURST -t 10 --hold --wrap true >"$out/$i" 2>&1 </dev/null &
            sleep 0.2
        done
        wait
    ) &
    sub=$!
    "$fn"
    wait "$sub"
}
burst_verdicts() {  # every submission got an answer: accepted with the tag, or refused with a sentence
    local f out=$CLUSTER_DIR/burst accepted=0 job
    for f in "$out"/*; do
        if grep -q '^Submitted batch job' "$f"; then
            accepted=$((accepted + 1))
            job=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$f")
            assert_eq "award=F-BURST" "$(job_field "$job" AdminComment)" "$1: accepted job $job is tagged"
        else
            grep -q 'sbatch: error: ' "$f" || _t_fail "$1: submission without a verdict: $(cat "$f")"
        fi
    done
    # F-BURST is 10 chip-h; each job holds 2.67: never more than three at once,
    # and the policy stayed in force throughout, so three fit.
    assert_eq 3 "$accepted" "$1: jobs accepted (F-BURST fits exactly 3)"
}
# Cancel the burst's jobs and wait until their holds are released.
burst_cancel() {
    sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$CLUSTER_DIR"/burst/* | xargs -r scancel
    settle
}

# Each state lasts longer than the reloader's 1 s poll, so each is seen.
break_policy_repeatedly() {
    local i good
    good=$(cat "$POLICY")
    for i in 1 2; do
        rm -f "$POLICY"; sleep 0.6
        printf 'version: 1\nawards: [broken\n' >"$POLICY.new" && chmod 0644 "$POLICY.new" && mv "$POLICY.new" "$POLICY"; sleep 1.2
        printf '%s\n' "$good" >"$POLICY.new" && chmod 0644 "$POLICY.new" && mv "$POLICY.new" "$POLICY"; sleep 0.3
    done
}
case_policy_broken_during_burst() {
    mark_log
    burst break_policy_repeatedly 16
    burst_verdicts "policy deleted/broken"
    assert_contains "$(new_log)" "policy refused: $POLICY" "the broken file was noticed and refused"
    # The last good policy never lapsed: no job went through untagged.
    assert_eq "" "$(scontrol -o show job | grep -E 'Partition=trn[12] ' | grep -v 'AdminComment=award=' | cut -c1-60)" "no untagged in-scope job"
    burst_cancel
    ctld_alive
}

reconfigure_storm() {
    local i
    for i in 1 2 3 4 5 6 7 8; do scontrol reconfigure >/dev/null 2>&1; sleep 0.2; done
}
case_reconfigure_storm() {
    burst reconfigure_storm 16
    if [ "$(slurm_series)" -ge $((23 * 256 + 11)) ]; then
        # From 23.11 each reconfigure re-executes slurmctld: the plugin starts
        # afresh, and until its first pass over the recovered jobs it refuses
        # in-scope jobs ("try again in a moment") instead of seeing no holds.
        # Whatever the burst got, the award never holds more than three.
        local f accepted=0 more=0
        for f in "$CLUSTER_DIR"/burst/*; do
            if grep -q '^Submitted batch job' "$f"; then
                accepted=$((accepted + 1))
            else
                grep -qE 'award F-BURST has|please try again in a moment' "$f" ||
                    _t_fail "reconfigure storm: refused without a budget or try-again sentence: $(cat "$f")"
            fi
        done
        [ "$accepted" -le 3 ] || _t_fail "reconfigure storm: $accepted jobs accepted, F-BURST fits 3"
        sleep 1.5
        local waits=0
        while try_submit alice -p trn1 --award=F-BURST -t 10 --hold --wrap true; do
            # The last slurmctld's first pass may still be running (a loaded machine).
            case $T_OUT in *"please try again in a moment"*) ((waits++ < 120)) && { sleep 0.5; continue; } ;; esac
            [ -n "$JOB" ] || break
            more=$((more + 1))
            echo "$T_OUT" >"$CLUSTER_DIR/burst/more-$more"
            [ "$more" -le 3 ] || break
        done
        assert_contains "$T_OUT" "award F-BURST has" "then refused for the budget"
        assert_eq 3 "$((accepted + more))" "reconfigure storm: jobs accepted in all (F-BURST fits exactly 3)"
    else
        burst_verdicts "reconfigure storm"
    fi
    assert_eq "" "$(scontrol -o show job | grep -E 'Partition=trn[12] ' | grep -v 'AdminComment=award=' | cut -c1-60)" "no untagged in-scope job"
    burst_cancel
    ctld_alive
}

case_kill9_mid_charging() {
    # Eight runs end together; their charges are held back behind a lock, then
    # slurmctld is killed a moment after the lock is released, while it writes.
    local fifo=$CLUSTER_DIR/lock-fifo jobs=() i
    try_submit carol -p trn1 --award=F-1 -t 5 -o /dev/null --array=0-7 --wrap 'sleep 1'
    local array=$JOB
    [ -n "$array" ] || return 1
    mkfifo "$fifo"
    sqlite3 "$LEDGER" <"$fifo" >/dev/null 2>&1 &
    local locker=$!
    exec 9>"$fifo"
    echo 'BEGIN EXCLUSIVE;' >&9
    for ((i = 0; i < 60; i++)); do
        [ -z "$(squeue -h -j "$array" -t all -o %T 2>/dev/null | grep -v COMPLETED)" ] && break
        sleep 1
    done
    mapfile -t jobs < <(squeue -h -j "$array" -t all -o %A)
    assert_eq 8 "${#jobs[@]}" "eight array tasks" || return 1
    # slurmctld saves job state at most every 5 s (SAVE_MAX_WAIT); wait past
    # that so the crash loses our charges' commit, not Slurm's record of the
    # ends (a lost end leaves the tasks RUNNING on their nodes after the
    # restart until slurmd next registers, minutes later, and nothing else
    # can start there).
    sleep 7
    echo 'COMMIT;' >&9
    exec 9>&-
    wait "$locker"
    sleep 0.3
    cluster_kill9_ctld || return 1
    cluster_start_ctld || return 1
    cp "$CLUSTER_DIR/pids/slurmctld" "$EXPECTED_CTLD"
    settle
    for i in "${jobs[@]}"; do
        assert_eq 1 "$(charges_of "$i")" "task $i charged exactly once after kill -9 mid-charging"
    done
    assert_eq "" "$(squeue -h -j "$array" -t all -o %T | grep -v COMPLETED)" "the restarted slurmctld knows every task ended"
}

# lock_ledger / unlock_ledger: another process holds the ledger's write lock
# (BEGIN EXCLUSIVE) while the file itself stays healthy.
lock_ledger() {
    local fifo=$CLUSTER_DIR/lock-fifo
    rm -f "$fifo" && mkfifo "$fifo" || return 1
    sqlite3 "$LEDGER" <"$fifo" >/dev/null 2>&1 &
    LOCKER=$!
    exec 9>"$fifo"
    echo 'BEGIN EXCLUSIVE;' >&9
    sleep 0.3
}
unlock_ledger() {
    echo 'COMMIT;' >&9
    exec 9>&-
    wait "$LOCKER"
}

# A run ends while the ledger refuses writes (locked by another process):
# new in-scope jobs follow on_error the whole time (the file looking healthy
# between two failed writes does not let them through), the charge is kept
# in the spool next to the ledger, and it survives a kill -9 of slurmctld
# followed by a cold start that has forgotten the job (slurmctld -c: as if
# MinJobAge had purged it): once the lock goes, it is recorded exactly once.
case_uncommitted_charge_survives_purge_and_restart() {
    local job spool=$LEDGER.uncommitted i refused=0
    lock_ledger || return 1
    mark_log
    job=$(finished_job) || { unlock_ledger; return 1; }
    wait_for_log "cannot record 1 charge(s)" 15 || { unlock_ledger; return 1; }
    for ((i = 0; i < 4; i++)); do
        try_submit alice -p trn1 --award=F-1 -t 5 --hold --wrap true
        if [ -z "$JOB" ]; then refused=$((refused + 1)); else scancel "$JOB"; fi
        sleep 2
    done
    assert_eq 4 "$refused" "while the ledger refuses writes, every in-scope job follows on_error (no flapping)"
    assert_eq 1 "$(count_log "cannot record 1 charge(s)")" "one log line for the refused writes, not one per pass"
    assert_status 0 grep -qP "\\t$job\\t" "$spool"
    assert_eq 0 "$(charges_of "$job")" "not charged while the ledger is locked"
    cluster_kill9_ctld || { unlock_ledger; return 1; }
    mark_log
    CLUSTER_CTLD_ARGS=-c cluster_start_ctld || { unlock_ledger; return 1; }
    cp "$CLUSTER_DIR/pids/slurmctld" "$EXPECTED_CTLD"
    assert_contains "$(scontrol show job "$job" 2>&1)" "Invalid job id" "the cold start forgot the job"
    wait_for_log "1 uncommitted charge(s) and 0 shrunk run(s) restored" 30
    unlock_ledger
    for ((i = 0; i < 30; i++)); do
        [ "$(charges_of "$job")" = 1 ] && break
        sleep 0.5
    done
    assert_eq 1 "$(charges_of "$job")" "the purged job's run is charged exactly once after the restart"
    settle
    assert_status 1 test -e "$spool"
    try_submit alice -p trn1 --award=F-1 -t 5 --hold --wrap true
    assert_contains "$T_OUT" "this job holds" "in-scope jobs accepted again"
    [ -n "$JOB" ] && scancel "$JOB"
    ctld_alive
}

# The ledger deleted while slurmctld is down: the restart does not create an
# empty one (that would forget every charge) but follows on_error and says
# how to recover; restoring the file brings budgets back.
case_ledger_deleted_while_down() {
    local before
    before=$(sql "SELECT count(*) FROM charges")
    cluster_stop_ctld || return 1
    sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null && mv "$LEDGER" "$CLUSTER_DIR/ledger.away" &&
        rm -f "$LEDGER-wal" "$LEDGER-shm"
    mark_log
    cluster_start_ctld || return 1
    cp "$CLUSTER_DIR/pids/slurmctld" "$EXPECTED_CTLD"
    wait_for_log "create an empty file there to start a new ledger" 10
    assert_status 1 test -e "$LEDGER"
    follows_on_error "ledger deleted while down"
    mv "$CLUSTER_DIR/ledger.away" "$LEDGER"
    wait_for_log "usable again" 30
    assert_eq "$before" "$(sql "SELECT count(*) FROM charges")" "the restored ledger kept its charges"
    try_submit alice -p trn1 --award=F-1 -t 5 --hold --wrap true
    assert_contains "$T_OUT" "this job holds" "in-scope jobs accepted again"
    [ -n "$JOB" ] && scancel "$JOB"
    ctld_alive
}

run_case "ledger on a full filesystem" case_full_filesystem
run_case "ledger on a read-only filesystem" case_read_only_filesystem
run_case "ledger deleted while running" case_ledger_deleted
run_case "a symlink swapped in under the ledger path" case_symlink_swapped_in
run_case "a corrupt ledger file" case_corrupt_ledger
run_case "policy deleted and broken during a submission burst" case_policy_broken_during_burst
run_case "scontrol reconfigure storm during a submission burst" case_reconfigure_storm
run_case "on_error=open: accepted unchecked on its award while the ledger is unusable, runs, charged after" case_on_error_open_ledger_unusable
run_case "kill -9 of slurmctld in the middle of charging" case_kill9_mid_charging
run_case "an uncommitted charge survives the job's purge and a restart" case_uncommitted_charge_survives_purge_and_restart
run_case "the ledger deleted while slurmctld is down is not re-created empty" case_ledger_deleted_while_down
finish
