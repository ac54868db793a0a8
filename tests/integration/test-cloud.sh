#!/bin/bash
# Trainium nodes as they really arrive: power-saving cloud nodes, named and
# featured as ParallelCluster's dynamic nodes, with slurm.conf in
# ParallelCluster's include layout. slurmctld resumes a node for a job
# (ResumeProgram starts its slurmd with -b after a boot delay), the job waits
# in CONFIGURING meanwhile, and Slurm resets its start time when the node is
# up; a launch that fails leaves the node down at ResumeTimeout and the job
# requeued. Charged exactly once, from the start Slurm settles on; boot time
# free or charged per partition, never a second row; a failed launch, or a
# boot cancelled before its run, costs nothing; a node lost mid-run ends the
# run there; a kill -9 of slurmctld during a boot changes none of it.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

export CLUSTER_CLOUD=1 CLUSTER_PCLUSTER_LAYOUT=1
export CLUSTER_NODE_PREFIX=trn1-dy-trn1-32xl-
# Every node (one on 22.05, four on 24.11) a trn1.32xlarge, as ParallelCluster features it.
CLUSTER_NODE_FEATURES=$(for ((i = 0; i < ${CLUSTER_NODES:-1}; i++)); do printf '%s ' dynamic,trn1.32xlarge,trn1-32xl,efa; done)
export CLUSTER_NODE_FEATURES=${CLUSTER_NODE_FEATURES% }
export CLUSTER_BOOT_DELAY=3 CLUSTER_RESUME_TIMEOUT=45 CLUSTER_SUSPEND_TIME=5
grants_suite_start "$here/policies/cloud.yaml"
NODE=$CLUSTER_NODE
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
GC=$CLUSTER_DIR/grantctl   # where the test users can run it
install -m 0755 "$GRANTCTL" "$GC"

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
epoch() { date -d "$1" +%s; }
job_state() { squeue -h -j "$1" -o %T 2>/dev/null; }
node_state() { sinfo -h -N -n "$NODE" -o %t 2>/dev/null | head -n1; }
powered_down() { [ "$(node_state)" = 'idle~' ]; }
# The node powered down, so that the next job boots it.
cold_node() {
    eventually 60 "node $NODE powers down after SuspendTime" powered_down
}
charges_of() { sql "SELECT count(*) FROM charges WHERE job_id=$1"; }

case_pcluster_layout() {
    assert_contains "$(cat "$SLURM_CONF")" "include $CLUSTER_DIR/etc/slurm_parallelcluster.conf" \
        "slurm.conf includes ParallelCluster's file" || return 1
    assert_contains "$(scontrol show node "$NODE")" "AvailableFeatures=dynamic,trn1.32xlarge,trn1-32xl,efa"
    assert_contains "$(scontrol show node "$NODE")" "CLOUD" "a cloud node"
    assert_eq 'idle~' "$(node_state)" "powered down until a job needs it"
}

case_boot_is_not_a_second_run() {
    cold_node || return 1
    try_submit alice -p trn1 --award=C-BOOT -w "$NODE" -t 10 -o /dev/null --wrap 'sleep 4'
    assert_contains "$T_OUT" "award C-BOOT: this job holds 2.7 chip-h" "held as on a trn1.32xlarge" || return 1
    local j=$JOB submit
    eventually 20 "job $j waits for its node to boot" eval '[ "$(job_state '"$j"')" = CONFIGURING ]' || return 1
    submit=$(epoch "$(job_field "$j" SubmitTime)")
    assert_eq COMPLETED "$(wait_job_done "$j" 120)" "job $j ran once its node was up" || return 1
    settle
    local start end
    start=$(epoch "$(job_field "$j" StartTime)")
    end=$(epoch "$(job_field "$j" EndTime)")
    assert_contains "$(cat "$CLUSTER_DIR/log/power.log")" "resume $NODE" "slurmctld resumed the node"
    ((start > submit)) || _t_fail "Slurm moved the start to the end of the boot (submit $submit, start $start)"
    assert_eq 1 "$(charges_of "$j")" "one run, one charge (the boot is not a run of its own)"
    assert_eq "$start" "$(sql "SELECT run_start FROM charges WHERE job_id=$j")" "from the start Slurm settled on"
    assert_eq "$((end - start))" "$(sql "SELECT seconds FROM charges WHERE job_id=$j")" \
        "boot time is free on trn1: only the run is charged"
}

case_charged_boot_belongs_to_the_run() {
    cold_node || return 1
    try_submit bob -p trn2 --award=C-CHARGED -w "$NODE" -t 10 -o /dev/null --wrap 'sleep 4'
    [ -n "$JOB" ] || { _t_fail "refused: $T_OUT"; return 1; }
    local j=$JOB
    eventually 20 "job $j waits for its node to boot" eval '[ "$(job_state '"$j"')" = CONFIGURING ]' || return 1
    local allocated
    allocated=$(epoch "$(job_field "$j" StartTime)")   # while it boots: the allocation
    assert_eq COMPLETED "$(wait_job_done "$j" 120)" "job $j ran" || return 1
    settle
    local start end
    start=$(epoch "$(job_field "$j" StartTime)")
    end=$(epoch "$(job_field "$j" EndTime)")
    ((start > allocated)) || _t_fail "the boot took no time (allocated $allocated, start $start)"
    assert_eq 1 "$(charges_of "$j")" "boot and run are one charge"
    assert_eq "$start" "$(sql "SELECT run_start FROM charges WHERE job_id=$j")" "keyed by the settled start"
    assert_eq "$((end - allocated))" "$(sql "SELECT seconds FROM charges WHERE job_id=$j")" \
        "boot_time: charged: the run pays from its allocation"
}

case_failed_launch_costs_nothing() {
    cold_node || return 1
    cluster_cloud_fail "$NODE"
    try_submit carol -p trn1 --award=C-FAIL -w "$NODE" -t 10 -o /dev/null --wrap 'sleep 2'
    assert_contains "$T_OUT" "award C-FAIL: this job holds 2.7 chip-h" || { cluster_cloud_heal "$NODE"; return 1; }
    local j=$JOB
    eventually 20 "job $j waits for its node" eval '[ "$(job_state '"$j"')" = CONFIGURING ]' || return 1
    # At ResumeTimeout Slurm marks the node down and requeues the job.
    eventually 90 "the launch fails and job $j is requeued" \
        eval '[ "$(job_state '"$j"')" = PENDING ] && [ "$(job_field '"$j"' Restarts)" -ge 1 ]' || return 1
    assert_contains "$(cat "$CLUSTER_DIR/log/power.log")" "resume $NODE: launch fails"
    settle
    assert_eq 0 "$(charges_of "$j")" "a failed launch is not charged"
    assert_status 0 as_user carol "$GC" balance --award C-FAIL --json
    assert_eq 0 "$(json 'j["awards"][0]["charged"]' <<<"$T_OUT")" "nothing charged"
    assert_eq 2.666667 "$(json 'j["awards"][0]["held"]' <<<"$T_OUT")" "one hold while the job waits to be retried"
    # Capacity is back: the retry boots the node and runs once.
    cluster_cloud_heal "$NODE"
    scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1
    scontrol update JobId="$j" StartTime=now
    assert_eq COMPLETED "$(wait_job_done "$j" 150)" "the retried job ran" || return 1
    settle
    local start end
    start=$(epoch "$(job_field "$j" StartTime)")
    end=$(epoch "$(job_field "$j" EndTime)")
    assert_eq 1 "$(charges_of "$j")" "its successful run is charged once"
    assert_eq "$((end - start))" "$(sql "SELECT seconds FROM charges WHERE job_id=$j")" "for the run only"
}

case_cancelled_while_booting_costs_nothing() {
    cold_node || return 1
    # Both jobs are seen booting and cancelled before the boot ends: the waits
    # below take ~5 s as a rule, 30 s leaves room for a loaded machine.
    echo 30 >"$CLUSTER_DIR/cloud/boot-delay"
    # One job on each partition (boot free, boot charged), each cancelled
    # while the node boots (whole-node jobs: the second waits for the first).
    local free charged spool=$LEDGER.uncommitted
    try_submit alice -p trn1 --award=C-BOOT -w "$NODE" -t 10 -o /dev/null --wrap 'sleep 2'
    free=$JOB
    [ -n "$free" ] || { _t_fail "refused: $T_OUT"; return 1; }
    eventually 20 "job $free boots" eval '[ "$(job_state '"$free"')" = CONFIGURING ]' || return 1
    # A pass sees it booting (and spools that; a tree that does not spool
    # boots goes on after 10 s, still booting, and fails below).
    eventually 10 "the boot of job $free is spooled" grep -q "^%boot	$free	" "$spool"
    scancel "$free"
    try_submit bob -p trn2 --award=C-CHARGED -w "$NODE" -t 10 -o /dev/null --wrap 'sleep 2'
    charged=$JOB
    [ -n "$charged" ] || { _t_fail "refused: $T_OUT"; return 1; }
    eventually 20 "job $charged boots" eval '[ "$(job_state '"$charged"')" = CONFIGURING ]' || return 1
    eventually 10 "the boot of job $charged is spooled" grep -q "^%boot	$charged	" "$spool"
    scancel "$charged"
    echo 3 >"$CLUSTER_DIR/cloud/boot-delay"
    eventually 20 "both cancelled" eval '[ -z "$(job_state '"$free"')$(job_state '"$charged"')" ]' || return 1
    assert_eq 0 "$(charges_of "$free")" "cancelled while booting (boot free): nothing"
    assert_eq 0 "$(charges_of "$charged")" "cancelled while booting (boot charged): a boot without a run is not charged"
    # slurmctld killed -9 and restarted while Slurm still keeps both
    # cancelled jobs (their records show the allocation's start, no longer
    # CONFIGURING): still nothing. Killed once Slurm has saved the cancels:
    # it saves its jobs at once after a submission (a held job, off the
    # enforced partitions), a cancel only later (seen: 40 s).
    save_jobs_now || return 1
    cluster_kill9_ctld
    cluster_start_ctld || return 1
    scancel "$SAVER"
    assert_eq CANCELLED "$(job_field "$free" JobState)" "Slurm still keeps job $free after the restart"
    assert_eq CANCELLED "$(job_field "$charged" JobState)" "Slurm still keeps job $charged after the restart"
    settle
    assert_eq 0 "$(charges_of "$free")" "cancelled while booting, then a restart (boot free): nothing"
    assert_eq 0 "$(charges_of "$charged")" "cancelled while booting, then a restart (boot charged): nothing"
}

case_kill9_while_booting() {
    cold_node || return 1
    echo 12 >"$CLUSTER_DIR/cloud/boot-delay"
    try_submit alice -p trn1 --award=C-BOOT -w "$NODE" -t 10 -o /dev/null --wrap 'sleep 3'
    local j=$JOB
    [ -n "$j" ] || { _t_fail "refused: $T_OUT"; return 1; }
    eventually 20 "job $j boots" eval '[ "$(job_state '"$j"')" = CONFIGURING ]' || return 1
    cluster_kill9_ctld
    sleep 2
    cluster_start_ctld || return 1
    echo 3 >"$CLUSTER_DIR/cloud/boot-delay"
    assert_eq COMPLETED "$(wait_job_done "$j" 150)" "job $j ran after the restart" || return 1
    settle
    local start end
    start=$(epoch "$(job_field "$j" StartTime)")
    end=$(epoch "$(job_field "$j" EndTime)")
    assert_eq 1 "$(charges_of "$j")" "charged once across the restart"
    assert_eq "$((end - start))" "$(sql "SELECT seconds FROM charges WHERE job_id=$j")" "for its run only"
}

case_node_lost_mid_run() {
    # The instance disappears under a running job (ParallelCluster replaces
    # an unhealthy node with POWER_DOWN_FORCE; EC2 reclaims it): the run ends
    # there and is charged what it ran; the job is not requeued (--no-requeue).
    try_submit dave -p trn1 --award=C-LOST -w "$NODE" -t 10 --no-requeue -o /dev/null --wrap 'sleep 60'
    local j=$JOB
    [ -n "$j" ] || { _t_fail "refused: $T_OUT"; return 1; }
    eventually 120 "job $j runs" eval '[ "$(job_state '"$j"')" = RUNNING ]' || return 1
    sleep 3
    scontrol update NodeName="$NODE" State=POWER_DOWN_FORCE Reason="instance lost" ||
        scontrol update NodeName="$NODE" State=DOWN Reason="instance lost"
    eventually 30 "job $j ends with its node" eval '[ -z "$(job_state '"$j"')" ]' || return 1
    # A node failure moves none of the counters that make the next pass a
    # full one at once: it comes within 5 s.
    eventually 30 "the lost run is charged" eval '[ "$(charges_of '"$j"')" = 1 ]'
    local start end
    start=$(epoch "$(job_field "$j" StartTime)")
    end=$(epoch "$(job_field "$j" EndTime)")
    assert_eq 1 "$(charges_of "$j")" "the lost run is charged once"
    assert_eq "$((end - start))" "$(sql "SELECT seconds FROM charges WHERE job_id=$j")" "up to the loss"
    local secs
    secs=$(sql "SELECT seconds FROM charges WHERE job_id=$j")
    ((secs < 60)) || _t_fail "charged $secs s, more than it ran"
}

case_instance_time_reconciled() {
    # A cold node boots (3 s) for one trn1 job (6 s), idles for SuspendTime
    # (5 s, checked every ~10 s) and powers down (SuspendTimeout 5 s): the ledger's instance rows
    # say so, report --instances sums exactly them, and instance time =
    # charged + boot + idle + failed + other, other within the passes' timing.
    cold_node || return 1
    sleep 1
    local t0 t1 j
    t0=$(date +%s)
    try_submit alice -p trn1 --award=C-BOOT -w "$NODE" -t 10 -o /dev/null --wrap 'sleep 6'
    j=$JOB
    [ -n "$j" ] || { _t_fail "refused: $T_OUT"; return 1; }
    assert_eq COMPLETED "$(wait_job_done "$j" 120)" "job $j ran" || return 1
    cold_node || return 1
    settle
    t1=$(date +%s)
    local since until
    since=$(date -d "@$t0" +%Y-%m-%dT%H:%M:%S)
    until=$(date -d "@$t1" +%Y-%m-%dT%H:%M:%S)
    assert_status 0 "$GRANTCTL" report --instances --since "$since" --until "$until" --json || return 1
    local r=$T_OUT
    local row='[p for p in j["partitions"] if p["partition"]=="trn1"][0]'
    local boot busy idle failed inst
    boot=$(json "$row[\"total\"][\"seconds\"][\"boot\"]" <<<"$r")
    busy=$(json "$row[\"total\"][\"seconds\"][\"busy\"]" <<<"$r")
    idle=$(json "$row[\"total\"][\"seconds\"][\"idle\"]" <<<"$r")
    failed=$(json "$row[\"total\"][\"seconds\"][\"failed\"]" <<<"$r")
    inst=$(json "$row[\"total\"][\"seconds\"][\"instance\"]" <<<"$r")
    # The ledger's rows of the node in the window, clipped as the report clips them.
    local rows
    rows=$(sql "SELECT coalesce(sum(min(start+seconds,$t1)-max(start,$t0)),0) FROM instance_time
                WHERE node='$NODE' AND partition='trn1' AND start<$t1 AND start+seconds>$t0")
    assert_eq "$rows" "$inst" "report --instances sums exactly the ledger's instance rows"
    assert_eq 0 "$(sql "SELECT count(*) FROM instance_open WHERE node='$NODE'")" "powered down: no open segment"
    local start end
    start=$(epoch "$(job_field "$j" StartTime)")
    end=$(epoch "$(job_field "$j" EndTime)")
    # Boot: from the resume until the run begins (slurmd's start, and on
    # 24.11 Slurm's periodic check that ends the job's configuration).
    local resumed
    resumed=$(awk -v t0="$t0" -v n="$NODE" '$1 >= t0 && $2 == "resume" && $3 == n":" { print $1; exit }' "$CLUSTER_DIR/log/power.log")
    [ -n "$resumed" ] || _t_fail "power.log has no resume of $NODE after $t0"
    ((boot >= 3 && boot >= start - resumed - 3 && boot <= start - resumed + 3)) ||
        _t_fail "boot $boot s, want the resume ($resumed) to the run's start ($start): $((start - resumed)) s"
    ((busy >= end - start - 2 && busy <= end - start + 3)) || _t_fail "busy $busy s, the run took $((end - start)) s"
    # Slurm's power-saving thread looks for idle nodes every 10 s or so:
    # SuspendTime (5 s) + up to that + SuspendTimeout (5 s) + a pass.
    ((idle >= 9 && idle <= 30)) || _t_fail "idle $idle s, want SuspendTime 5 s + SuspendTimeout 5 s (+ the power-saving thread's period)"
    assert_eq 0 "$failed" "no failed launch in this window"
    assert_eq "$((boot + busy + idle + failed))" "$inst" "the kinds add up to the instance time"
    # In chip-hours against the ledger's charge of the job.
    local charged identity
    charged=$(json "$row[\"charged\"][\"chip_hours\"]" <<<"$r")
    assert_eq "$(sql "SELECT printf('%.6f', chip_hours_ticks/3600e6) FROM charges WHERE job_id=$j")" "$charged" \
        "charged: the job's one charge"
    identity=$(json "abs(float($row[\"total\"][\"chip_hours\"][\"instance\"]) - (float($row[\"charged\"][\"chip_hours\"]) + sum(float($row[\"not_charged_chip_hours\"][k]) for k in (\"boot\",\"idle\",\"failed\",\"other\")))) < 1e-5" <<<"$r")
    assert_eq true "$identity" "instance = charged + boot + idle + failed + other (each printed to the millionth)"
    local other
    other=$(json "abs(float($row[\"not_charged_chip_hours\"][\"other\"])) <= 16*3/3600" <<<"$r")
    assert_eq true "$other" "other (busy time no award paid for) is within the passes' timing"
    assert_eq "$(json "round($inst*16.0/3600, 6)" <<<"$r")" "$(json "round(float($row[\"total\"][\"usd\"]), 6)" <<<"$r")" \
        "priced at the policy's trn1.32xlarge instance-hour (16.00)"
    # The failed launch of an earlier case, over the whole ledger: at least
    # ResumeTimeout (45 s) of failed launch, and at most that plus the period
    # of Slurm's power-saving thread (10 s), which finds the timeout, and the
    # passes that see it.
    assert_status 0 "$GRANTCTL" report --instances --format csv || return 1
    failed=$(awk -F, '$1=="partition" && $2=="trn1" { print $8 }' <<<"$T_OUT")
    ((failed >= 45 && failed <= 70)) || _t_fail "failed launches $failed s over the ledger, want ResumeTimeout (45 s)"
    assert_status 0 "$GRANTCTL" report --instances
    assert_contains "$T_OUT" "charged to awards"
    assert_status 0 "$GRANTCTL" metrics
    assert_contains "$T_OUT" "slurm_grants_instance_seconds_total{partition=\"trn1\",instance_type=\"trn1.32xlarge\",kind=\"failed\"} $failed" \
        "metrics: the same instance time"
    # Bad use: one sentence, exit 2; a user who cannot read the ledger: exit 1.
    assert_status 2 "$GRANTCTL" report --instances --award C-BOOT
    assert_contains "$T_OUT" "--instances reports partitions, not awards"
    assert_status 1 as_user alice "$GC" report --instances
    assert_contains "$T_OUT" "report --instances reads the ledger"
}

run_case "ParallelCluster's layout: dynamic cloud nodes, include files, Features" case_pcluster_layout
run_case "a boot is not a second run: one charge from the settled start" case_boot_is_not_a_second_run
run_case "boot_time: charged: the boot belongs to the run's one charge" case_charged_boot_belongs_to_the_run
run_case "a failed launch costs nothing, keeps one hold, and the retry is charged once" case_failed_launch_costs_nothing
run_case "a job cancelled while its node boots costs nothing, also across a kill -9 of slurmctld" case_cancelled_while_booting_costs_nothing
run_case "kill -9 of slurmctld while a node boots: charged once, for the run" case_kill9_while_booting
run_case "instance time: boot, busy, idle and failed launches in the ledger, reconciled with the charges" case_instance_time_reconciled
run_case "a node lost mid-run: the run is charged up to the loss" case_node_lost_mid_run
finish
