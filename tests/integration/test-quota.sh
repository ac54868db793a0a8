#!/bin/bash
# The quota engine against a real slurmctld: exact exhaustion, holds of
# pending/running jobs, arrays per task, releases on cancel, charges of
# actual elapsed time in the ledger (per run for requeued jobs, exactly once
# across kill -9), limits, validity, re-validation of updates, parallel
# submitters who can never overspend an award, a run that lowers its own
# time limit (charged what it ran), and requeued jobs whose new run must fit.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"

. "$here/suite.sh"
# Three minutes of grace past a time limit (Slurm's OverTimeLimit): the job
# that lowers its own limit to one minute after 65 s is not killed at once, so
# the suite can restart slurmctld while it still runs, on a loaded machine
# too (Slurm ends it after 240-270 s, still below its 300 s cap).
CLUSTER_EXTRA_CONF="${CLUSTER_EXTRA_CONF:+$CLUSTER_EXTRA_CONF
}OverTimeLimit=3"
grants_suite_start "$here/policies/quota.yaml"
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
LOWERED_JOB=$CLUSTER_DIR/lowered.job   # case_lowered_limit_start -> case_lowered_limit_charged_what_it_ran

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
epoch() { date -d "$1" +%s; }

# A run pays for the time it ran, whatever happens to its limit afterwards.
# This job lowers its own limit to one minute after 65 s (from inside, as any
# member could) and then waits for the suite; it takes over a minute, so it
# starts first and the other cases run meanwhile.
case_lowered_limit_start() {
    try_submit alice -p trn1 --award=Q-LOWER -t 5 -o /dev/null --wrap '
        sleep 65
        until scontrol update JobId=$SLURM_JOB_ID TimeLimit=1; do sleep 1; done
        while [ ! -e go.$SLURM_JOB_ID ]; do sleep 0.5; done'
    assert_contains "$T_OUT" "award Q-LOWER: this job holds 1.4 chip-h" || return 1
    echo "$JOB" >"$LOWERED_JOB"
    wait_job_state "$JOB" RUNNING 30
}

# ...and it is charged what it ran (over 60 s), not its new limit, also
# after slurmctld is killed (-9) and restarted in between: the run's largest
# limit is kept in the spool next to the ledger (a %cap line).
case_lowered_limit_charged_what_it_ran() {
    local job spool=$LEDGER.uncommitted tab=$'\t'
    job=$(cat "$LOWERED_JOB") || return 1
    eventually 90 "job $job lowered its time limit" sh -c "scontrol show job $job | grep -q 'TimeLimit=00:01:00'" ||
        return 1
    eventually 30 "the spool keeps job $job's largest limit" grep -q "^%cap${tab}$job${tab}" "$spool" || return 1
    assert_contains "$(grep "^%cap${tab}$job${tab}" "$spool")" "${tab}300" "its largest limit: 5 minutes"
    # slurmctld crashes once it has saved the job's new limit.
    save_jobs_now || return 1
    cluster_kill9_ctld || return 1
    cluster_start_ctld || return 1
    assert_eq "00:01:00" "$(job_field "$job" TimeLimit)" "slurmctld recovered the lowered limit" || return 1
    assert_eq RUNNING "$(job_field "$job" JobState)" "the job still runs (OverTimeLimit)"
    scancel "$SAVER"
    touch "$(cluster_home alice)/go.$job"
    wait_job_done "$job" 60 >/dev/null || return 1
    settle
    local start end
    start=$(epoch "$(job_field "$job" StartTime)")
    end=$(epoch "$(job_field "$job" EndTime)")
    assert_eq 1 "$((end - start > 60))" "it ran more than its new limit ($((end - start)) s)"
    assert_eq "$((end - start))" "$(sql "SELECT seconds FROM charges WHERE job_id=$job")" \
        "charged the $((end - start)) s it ran, not the 60 s of its new limit"
    assert_eq "" "$(grep -s "^%cap${tab}$job${tab}" "$spool")" "the spool forgot it once charged"
}

case_exhaustion_is_exact() {
    local jobs=() i
    for i in 1 2 3; do
        try_submit alice -p trn1 --award=Q-EXACT -t 10 --hold --wrap 'sleep 1'
        assert_contains "$T_OUT" "award Q-EXACT: this job holds 2.7 chip-h" "job $i accepted" || return 1
        jobs+=("$JOB")
    done
    assert_contains "$T_OUT" "2.0 of 10 chip-h left" "three holds of 2.67 leave 2.0"
    try_submit alice -p trn1 --award=Q-EXACT -t 10 --hold --wrap 'sleep 1'
    assert_eq "" "$JOB" "the fourth job is refused" || return 1
    assert_contains "$T_OUT" "award Q-EXACT has 2.0 of 10 chip-h left and this job needs up to 2.7 chip-h (16 chips x 00:10:00)"
    # Release them: they run about a second each and are charged what they used.
    scontrol release "${jobs[@]}"
    for i in "${jobs[@]}"; do assert_eq COMPLETED "$(wait_job_done "$i" 60)" "job $i ran"; done
    settle
    local expected=0 start end
    for i in "${jobs[@]}"; do
        start=$(epoch "$(job_field "$i" StartTime)")
        end=$(epoch "$(job_field "$i" EndTime)")
        expected=$((expected + 16 * (end - start)))
        assert_eq "1" "$(sql "SELECT count(*) FROM charges WHERE job_id=$i")" "job $i charged once"
        assert_eq "$((end - start))" "$(sql "SELECT seconds FROM charges WHERE job_id=$i")" "job $i charged its elapsed time"
    done
    assert_eq "$expected" "$(sql "SELECT sum(chips*seconds) FROM charges WHERE award='Q-EXACT'")" "chip-seconds in the ledger"
    # The balance follows actual use, not the holds: a new job fits again.
    try_submit alice -p trn1 --award=Q-EXACT -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award Q-EXACT: this job holds 2.7 chip-h" "a new job fits after the others finished"
    local used_ticks left
    used_ticks=$(sql "SELECT sum(chip_hours_ticks) FROM charges WHERE award='Q-EXACT'")
    assert_eq "$((expected * 1000000))" "$used_ticks" "exact ticks: chip-seconds x 10^6"
    # left = 10 chip-h - charges - 16 chips x 600 s, in chip-seconds, shown rounded down to 0.1.
    left=$(awk -v cs="$expected" 'BEGIN { l = 36000 - cs - 9600; printf "%.1f", int(l / 360) / 10 }')
    assert_contains "$T_OUT" "; $left of 10 chip-h left" "left = budget - actual charges - this hold"
    scancel "$JOB"
}

case_array_held_per_task() {
    try_submit alice -p trn1 --award=Q-ARRAY -t 10 --hold --array=0-2 --wrap true
    assert_contains "$T_OUT" "award Q-ARRAY: this job holds 8.0 chip-h; 2.0 of 10 chip-h left" "three tasks held" || return 1
    local array=$JOB
    try_submit alice -p trn1 --award=Q-ARRAY -t 10 --hold --wrap true
    assert_eq "" "$JOB" "a single job no longer fits"
    scancel "$array"
    settle
    try_submit alice -p trn1 --award=Q-ARRAY -t 10 --hold --array=0-3 --wrap true
    assert_eq "" "$JOB" "four tasks do not fit in 10 chip-h"
    assert_contains "$T_OUT" "(16 chips x 00:10:00 x 4 tasks)"
}

# `scontrol update JobId=<array>` applies to every pending task: the update
# is priced for all of them, not as one job.
case_array_update_priced_per_task() {
    try_submit alice -p trn1 --award=Q-ARRAY -t 5 --hold --array=0-2 --wrap true
    assert_contains "$T_OUT" "award Q-ARRAY: this job holds 4.0 chip-h; 6.0 of 10 chip-h left" || return 1
    local array=$JOB
    assert_status 0 scontrol update "JobId=$array" TimeLimit=10
    assert_contains "$(job_field "$array" TimeLimit)" "00:10:00" "three tasks at 10 minutes fit (8.0 chip-h)"
    # 3 x 16 chips x 15 min = 12 chip-h > 10 (one task alone would be 4).
    assert_status nonzero scontrol update "JobId=$array" TimeLimit=15
    assert_contains "$(job_field "$array" TimeLimit)" "00:10:00" "the raise past the budget was refused"
    assert_contains "$(cat "$CLUSTER_DIR/log/slurmctld.log")" "job $array: update by uid 0 refused: award Q-ARRAY has"
    scancel "$array"
    settle
}

case_cancelled_pending_costs_nothing() {
    try_submit bob -p trn1 --award=Q-CANCEL -t 10 --hold --wrap true
    local first=$JOB
    try_submit bob -p trn1 --award=Q-CANCEL -t 10 --hold --wrap true
    local second=$JOB
    try_submit bob -p trn1 --award=Q-CANCEL -t 10 --hold --wrap true
    assert_eq "" "$JOB" "6 chip-h hold two jobs of 2.67, not three" || return 1
    scancel "$first"
    settle
    try_submit bob -p trn1 --award=Q-CANCEL -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award Q-CANCEL: this job holds 2.7 chip-h" "the cancelled job's hold was released"
    assert_eq "0" "$(sql "SELECT count(*) FROM charges WHERE award='Q-CANCEL'")" "nothing charged"
    scancel "$second" "$JOB"
}

case_requeue_charged_per_run() {
    local flag
    flag=$(cluster_home bob)/requeue.done
    rm -f "$flag"
    # The first run lasts until the requeue (a flag file, not a sleep); the second ends at once.
    try_submit bob -p trn1 --award=Q-REQUEUE -t 10 --requeue -o /dev/null --wrap "while [ ! -e '$flag' ]; do sleep 0.2; done"
    local job=$JOB
    wait_job_state "$job" RUNNING 30 || { touch "$flag"; return 1; }
    sleep 1.5
    # The owner requeues it. Slurm counts the ended batch script as a
    # completed job, so the next pass (within a second) is a full one that
    # charges the run: no 5 s window in which it is not held.
    assert_status 0 as_user bob scontrol requeue "$job" || { touch "$flag"; return 1; }
    touch "$flag"
    wait_job_state "$job" PENDING 30 || return 1
    settle
    assert_eq "1" "$(sql "SELECT count(*) FROM charges WHERE job_id=$job")" "first run charged by the passes after the requeue"
    # Slurm delays a requeued job; start it again now.
    scontrol update "JobId=$job" StartTime=now
    assert_eq COMPLETED "$(wait_job_done "$job" 60)" "second run completed" || return 1
    settle
    assert_eq "2" "$(sql "SELECT count(*) FROM charges WHERE job_id=$job")" "each run charged once"
    assert_eq "2" "$(sql "SELECT count(DISTINCT run_start) FROM charges WHERE job_id=$job")" "two distinct runs"
    local second_run
    second_run=$(sql "SELECT seconds FROM charges WHERE job_id=$job ORDER BY run_start DESC LIMIT 1")
    assert_eq "$(( $(epoch "$(job_field "$job" EndTime)") - $(epoch "$(job_field "$job" StartTime)") ))" "$second_run" "second run's elapsed time"
}

# Any route that makes Slurm run a job again is a new run that must fit the
# budget before it starts. The owner requeues a finished job (Slurm keeps it
# MinJobAge, 300 s here) while another job holds most of the award: the
# requeued job is held, with a reason squeue shows, is not charged again,
# and its owner cannot release it while it does not fit. Once the other job
# is gone, the release and an earlier start are accepted and it runs again:
# two runs, two charges.
case_requeued_finished_job_must_fit() {
    try_submit bob -p trn1 --award=Q-RERUN -t 10 --requeue -o /dev/null --wrap 'sleep 1'
    assert_contains "$T_OUT" "award Q-RERUN: this job holds 2.7 chip-h" || return 1
    local job=$JOB other
    assert_eq COMPLETED "$(wait_job_done "$job" 60)" "first run" || return 1
    settle
    try_submit bob -p trn1 --award=Q-RERUN -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award Q-RERUN: this job holds 2.7 chip-h" || return 1
    other=$JOB
    settle
    assert_eq 1 "$(sql "SELECT count(*) FROM charges WHERE job_id=$job")" "first run charged" || return 1
    assert_status 0 as_user bob scontrol requeue "$job" || return 1
    eventually 30 "the requeued job is held for its award" \
        sh -c "squeue -h -j $job -o %r | grep -q '^requeued, and award Q-RERUN has 0.3 of 3 chip-h left while this run needs up to 2.7 chip-h'" ||
        return 1
    assert_contains "$(scontrol show job "$job")" "Reason=requeued,_and_award_Q-RERUN_has_0.3_of_3_chip-h_left" "scontrol show job says why (spaces as _)"
    assert_contains "$(squeue -h -j "$job" -o %r)" "release it (scontrol release $job) once the award has room"
    assert_eq 0 "$(job_field "$job" Priority)" "held"
    # Its owner's release is checked like a submission, and refused.
    assert_status nonzero as_user bob scontrol release "$job"
    if [ "$(slurm_series)" -ge $((23 * 256 + 2)) ]; then assert_contains "$T_OUT" "award Q-RERUN has"; fi
    assert_contains "$(cat "$CLUSTER_DIR/log/slurmctld.log")" "job $job: update by uid $(id -u bob) refused: award Q-RERUN has"
    assert_eq PENDING "$(job_field "$job" JobState)" "still pending"
    assert_eq 0 "$(job_field "$job" Priority)" "still held"
    sleep 1.5
    assert_eq 1 "$(sql "SELECT count(*) FROM charges WHERE job_id=$job")" "not charged again"
    # Room again: released and started at once by its owner, both checked.
    scancel "$other"
    settle
    assert_status 0 as_user bob scontrol release "$job" || return 1
    assert_status 0 as_user bob scontrol update "JobId=$job" StartTime=now || return 1
    assert_eq COMPLETED "$(wait_job_done "$job" 60)" "the new run ran" || return 1
    settle
    assert_eq 2 "$(sql "SELECT count(DISTINCT run_start) FROM charges WHERE job_id=$job")" "two runs, two charges"
}

case_parallel_submitters_never_overspend() {
    local u i pids=() out=$CLUSTER_DIR/race
    mkdir -p "$out"
    for u in alice bob carol dave; do
        for i in 1 2 3; do
            as_user "$u" sbatch -p trn1 --award=Q-RACE -t 10 --hold --wrap true >"$out/$u.$i" 2>&1 &
            pids+=($!)
        done
    done
    wait "${pids[@]}"
    local accepted
    accepted=$(cat "$out"/* | grep -c '^Submitted batch job')
    assert_eq 3 "$accepted" "exactly three of twelve parallel submissions fit in 10 chip-h"
    assert_eq 9 "$(cat "$out"/* | grep -c 'award Q-RACE has')" "nine refused with the budget message"
    local tagged
    tagged=$(scontrol -o show job | grep -c 'AdminComment=award=Q-RACE')
    assert_eq 3 "$tagged" "the job list holds three Q-RACE jobs"
    settle
    try_submit dave -p trn1 --award=Q-RACE -t 10 --hold --wrap true
    assert_eq "" "$JOB" "still full after the accounting pass took over from the approvals"
    scancel -u alice -u bob -u carol -u dave --state=PENDING 2>/dev/null
    scontrol -o show job | awk '/AdminComment=award=Q-RACE/ {print $1}' | sed 's/JobId=//' | xargs -r scancel
}

case_kill9_charges_exactly_once() {
    local jobs=() i fifo=$CLUSTER_DIR/ledger-lock
    # Hold the ledger's write lock from another process so the finished jobs
    # cannot be charged before the crash (a "kill -9 before charging" moment).
    mkfifo "$fifo"
    sqlite3 "$LEDGER" <"$fifo" >/dev/null 2>&1 &
    local locker=$!
    exec 9>"$fifo"
    echo 'BEGIN EXCLUSIVE;' >&9
    for i in 1 2 3; do
        try_submit carol -p trn1 --award=Q-CRASH -t 10 -o /dev/null --wrap 'sleep 1'
        jobs+=("$JOB")
    done
    for i in "${jobs[@]}"; do assert_eq COMPLETED "$(wait_job_done "$i" 60)" "job $i completed"; done
    sleep 6   # slurmctld saves the completed state; the charges wait for the lock
    assert_eq 0 "$(sqlite3 -readonly "$LEDGER" "SELECT count(*) FROM charges WHERE award='Q-CRASH'" 2>/dev/null || echo 0)" "not charged yet"
    cluster_kill9_ctld || return 1
    echo 'COMMIT;' >&9
    exec 9>&-
    wait "$locker"
    cluster_start_ctld || return 1
    settle
    for i in "${jobs[@]}"; do
        assert_eq 1 "$(sql "SELECT count(*) FROM charges WHERE job_id=$i")" "job $i charged once after the crash"
    done
    # Crash again, right after charging: nothing is charged twice.
    cluster_kill9_ctld || return 1
    cluster_start_ctld || return 1
    settle
    assert_eq 3 "$(sql "SELECT count(*) FROM charges WHERE award='Q-CRASH'")" "still one charge per job"
    local expected=0
    for i in "${jobs[@]}"; do
        expected=$((expected + 16 * ($(epoch "$(job_field "$i" EndTime)") - $(epoch "$(job_field "$i" StartTime)"))))
    done
    assert_eq "$expected" "$(sql "SELECT sum(chips*seconds) FROM charges WHERE award='Q-CRASH'")" "charged their elapsed time"
}

case_limits_and_time_rules() {
    try_submit carol -p trn2 --award=Q-LIMITS --gres=neuron:16 -t 10 --hold --wrap true
    assert_contains "$T_OUT" "this job would use 16 chips; award Q-LIMITS allows at most 8 per job" "max_chips_per_job"
    try_submit carol -p trn2 --award=Q-LIMITS --gres=neuron:4 -t 3:00:00 --hold --wrap true
    assert_contains "$T_OUT" "the time limit 03:00:00 is over award Q-LIMITS's maximum of 02:00:00" "max_walltime"
    try_submit carol -p trn2 --award=Q-LIMITS --gres=neuron:4 -t UNLIMITED --hold --wrap true
    assert_contains "$T_OUT" "need a finite time limit: set --time" "unlimited time refused"
    try_submit carol -p trn2 --award=Q-LIMITS --gres=neuron:4 --hold --wrap true
    assert_contains "$T_OUT" "award Q-LIMITS: this job holds 8.0 chip-h" "no --time: max_walltime used (4 chips x 2 h)" || return 1
    assert_eq "02:00:00" "$(job_field "$JOB" TimeLimit)" "the job's time limit is set to what was held"
    local a=$JOB
    try_submit carol -p trn2 --award=Q-LIMITS --gres=neuron:4 -t 10 --hold --wrap true
    local b=$JOB
    try_submit carol -p trn2 --award=Q-LIMITS --gres=neuron:4 -t 10 --hold --wrap true
    assert_contains "$T_OUT" "you have 2 pending or running jobs on award Q-LIMITS, which allows 2 per user" "per_user.max_jobs"
    try_submit dave -p trn2 --award=Q-LIMITS --gres=neuron:4 -t 10 --hold --wrap true
    assert_contains "$T_OUT" "this job holds" "dave's first job fits the award's max_jobs of 3"
    local c=$JOB
    # Raising the GRES of a pending job is re-validated like a submission (16 chips > 8).
    assert_status nonzero as_user dave scontrol update "JobId=$c" TresPerNode=gres:neuron:16
    assert_contains "$(job_field "$c" TresPerNode)" "neuron:4" "the job's GRES stayed at 4"
    assert_contains "$(cat "$CLUSTER_DIR/log/slurmctld.log")" "job $c: update by uid $(id -u dave) refused: this job would use 16 chips"
    try_submit dave -p trn2 --award=Q-LIMITS --gres=neuron:4 -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award Q-LIMITS has 3 pending or running jobs and allows 3" "max_jobs"
    try_submit dave -p trn1 --award=Q-LIMITS -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award Q-LIMITS cannot be used on partition trn1 (it allows trn2)" "partition subset"
    try_submit dave -p trn1 --award=Q-OLD -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award Q-OLD expired on 2020-12-31" "validity window"
    scancel "$a" "$b" "$c" 2>/dev/null
}

case_usd_budget_and_partition_price() {
    try_submit dave -p trn1 --award=Q-USD -t 30 --hold --wrap true
    assert_contains "$T_OUT" "award Q-USD: this job holds \$8.00; \$2.00 of \$10 left" "16 chips x 0.5 h x \$1.00" || return 1
    local job=$JOB
    try_submit dave -p trn2 --award=Q-USD -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award Q-USD has \$2.00 of \$10 left and this job needs up to \$8.00" "trn2 costs \$3.00 per chip-hour"
    # Moving the pending job to the pricier partition would overspend: refused.
    assert_status nonzero as_user dave scontrol update "JobId=$job" Partition=trn2
    assert_eq trn1 "$(job_field "$job" Partition)" "job stays on trn1"
    assert_contains "$(cat "$CLUSTER_DIR/log/slurmctld.log")" "job $job: update by uid $(id -u dave) refused: award Q-USD has"
    scancel "$job"
}

case_admin_updates_are_revalidated() {
    try_submit alice -p trn1 --award=Q-EXACT -t 1 --hold --wrap true
    assert_contains "$T_OUT" "this job holds" || return 1
    local job=$JOB
    # The owner cannot raise it (Slurm refuses users longer limits; the plugin would too)...
    assert_status nonzero as_user alice scontrol update "JobId=$job" TimeLimit=10:00:00
    assert_eq "00:01:00" "$(job_field "$job" TimeLimit)" "user could not raise the time limit"
    # ...and raising it beyond the budget is refused even for root.
    assert_status nonzero scontrol update "JobId=$job" TimeLimit=10:00:00
    assert_eq "00:01:00" "$(job_field "$job" TimeLimit)" "time limit unchanged"
    assert_contains "$(cat "$CLUSTER_DIR/log/slurmctld.log")" "job $job: update by uid 0 refused: award Q-EXACT has"
    # Moving it to an award too small for it is refused; to one that fits, accepted.
    assert_status 0 scontrol update "JobId=$job" TimeLimit=30
    assert_status nonzero scontrol update "JobId=$job" AdminComment=award=Q-ADMIN-SMALL
    assert_eq "award=Q-EXACT" "$(job_field "$job" AdminComment)" "award unchanged"
    assert_status 0 scontrol update "JobId=$job" TimeLimit=2
    assert_status 0 scontrol update "JobId=$job" AdminComment=award=Q-ADMIN-SMALL
    assert_eq "award=Q-ADMIN-SMALL" "$(job_field "$job" AdminComment)" "admin moved the job"
    scancel "$job"
}

# While only submissions happen, the accounting thread copies the queue at
# most every 5 s (docs/PERFORMANCE.md, item 3); an accepted update must not
# wait for that: it requests a full pass, so its new hold counts at once.
case_accepted_update_held_at_once() {
    # Users run a copy they can reach (the build tree may be under a private home).
    local gc=$CLUSTER_DIR/grantctl
    install -m 0755 "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}" "$gc" || return 1
    try_submit alice -p trn1 --award=Q-UPDATE -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award Q-UPDATE: this job holds 2.7 chip-h; 17.3 of 20 chip-h left" || return 1
    local job=$JOB
    try_submit alice -p trn1 --award=Q-UPDATE -t 1 --hold --wrap true
    local other=$JOB
    settle
    # A cancellation makes the next pass a full one; after it, passes while
    # nothing but submissions happen would skip the copy for 5 s.
    scancel "$other"
    settle
    assert_status 0 scontrol update "JobId=$job" TimeLimit=60
    local out
    out=$(as_user alice "$gc" quote -p trn1 -t 10 --award=Q-UPDATE 2>&1)
    assert_contains "$out" "award Q-UPDATE: this job holds 2.7 chip-h; 1.3 of 20 chip-h left" \
        "the update's hold (16 chip-h) counts at once" || return 1
    scancel "$job"
}

# An operator's `scontrol update EndTime=` of a running job moves its time
# limit: it is re-validated like a TimeLimit= raise.
case_end_time_extension_revalidated() {
    settle  # the last case's cancelled job releases its hold
    try_submit alice -p trn1 --award=Q-UPDATE -t 10 -o /dev/null --wrap 'sleep 300'
    assert_contains "$T_OUT" "this job holds 2.7 chip-h" || return 1
    local job=$JOB
    wait_job_state "$job" RUNNING 30 || { scancel "$job"; return 1; }
    # 16 chips for about 2 hours (32 chip-h) do not fit in 20.
    assert_status nonzero scontrol update "JobId=$job" EndTime=now+2hours
    assert_eq "00:10:00" "$(job_field "$job" TimeLimit)" "the extension past the budget was refused"
    assert_contains "$(cat "$CLUSTER_DIR/log/slurmctld.log")" "job $job: update by uid 0 refused: award Q-UPDATE has"
    # A small one fits.
    assert_status 0 scontrol update "JobId=$job" EndTime=now+20minutes
    assert_status 1 test "$(job_field "$job" TimeLimit)" = "00:10:00"
    scancel "$job"
    settle
}

# Allocated, not requested (trn2 counts the neuron GRES): an --exclusive job
# has the whole node, so it holds and pays 16 chips whatever GRES it named;
# a shared one pays for the GRES Slurm allocated.
case_exclusive_pays_whole_nodes() {
    try_submit alice -p trn2 --award=Q-EXCL --gres=neuron:2 -t 60 --hold --wrap true
    assert_contains "$T_OUT" "award Q-EXCL: this job holds 2.0 chip-h" "a shared job holds its 2 chips" || return 1
    scancel "$JOB"
    try_submit alice -p trn2 --award=Q-EXCL --gres=neuron:2 --exclusive -t 60 --hold --wrap true
    assert_contains "$T_OUT" "award Q-EXCL: this job holds 16.0 chip-h" "an exclusive job holds the whole node" || return 1
    scancel "$JOB"
    local shared exclusive
    try_submit alice -p trn2 --award=Q-EXCL --gres=neuron:2 -t 5 -o /dev/null --wrap 'sleep 1'
    shared=$JOB
    try_submit alice -p trn2 --award=Q-EXCL --gres=neuron:2 --exclusive -t 5 -o /dev/null --wrap 'sleep 1'
    exclusive=$JOB
    [ -n "$shared" ] && [ -n "$exclusive" ] || return 1
    wait_job_done "$shared" 60 >/dev/null
    wait_job_done "$exclusive" 60 >/dev/null
    settle
    assert_eq 2 "$(sql "SELECT chips FROM charges WHERE job_id=$shared")" "the shared job paid for its 2 chips"
    assert_eq 16 "$(sql "SELECT chips FROM charges WHERE job_id=$exclusive")" "the exclusive job paid for the whole node"
}

run_case "a job lowering its own time limit starts (checked later)" case_lowered_limit_start
run_case "exhaustion is exact; charges follow elapsed time" case_exhaustion_is_exact
run_case "arrays are held per task" case_array_held_per_task
run_case "an update of a pending array is priced for every task" case_array_update_priced_per_task
run_case "a pending job cancelled costs nothing and frees its hold" case_cancelled_pending_costs_nothing
run_case "a requeued job is charged for every run" case_requeue_charged_per_run
run_case "a finished job requeued by its owner must fit again; held, charged once" case_requeued_finished_job_must_fit
run_case "parallel submitters never overspend" case_parallel_submitters_never_overspend
run_case "kill -9 of slurmctld: each finished job charged exactly once" case_kill9_charges_exactly_once
run_case "limits, time rules, partitions and validity" case_limits_and_time_rules
run_case "dollar budgets follow the partition's price; moves re-validated" case_usd_budget_and_partition_price
run_case "admin updates are re-validated against the budget" case_admin_updates_are_revalidated
run_case "an accepted update is held at once, also while passes are spaced out" case_accepted_update_held_at_once
run_case "an operator's EndTime extension of a running job is re-validated" case_end_time_extension_revalidated
run_case "a run that lowered its limit is charged what it ran, across kill -9" case_lowered_limit_charged_what_it_ran
run_case "an exclusive job holds and pays for whole nodes" case_exclusive_pays_whole_nodes
finish
