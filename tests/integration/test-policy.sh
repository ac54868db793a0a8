#!/bin/bash
# Policy lifecycle against a real slurmctld: edits take effect without a
# restart, a broken or unsafe file is refused whole while the last good policy
# stays in force, `scontrol reconfigure` reloads, and a missing or broken
# policy at start follows enforce.on_error for in-scope jobs only.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"

. "$here/suite.sh"
grants_suite_start "$here/policies/skeleton.yaml"
POLICY=$CLUSTER_DIR/etc/grants.yaml
LOG=$CLUSTER_DIR/log/slurmctld.log


# install_policy TEXT: replace grants.yaml the way editors and config
# management do (write a temp file, then rename over the old one).
install_policy() {
    printf '%s\n' "$1" >"$POLICY.new" && chmod 0644 "$POLICY.new" && mv -f "$POLICY.new" "$POLICY"
}

# wait_for_log TEXT [SECONDS=10]: slurmctld.log gains a line containing TEXT
# after the mark set by mark_log.
mark_log() { LOG_MARK=$(wc -l <"$LOG"); }
wait_for_log() {
    local text=$1 timeout=${2:-10} i
    for ((i = 0; i < timeout * 10; i++)); do
        tail -n +"$((LOG_MARK + 1))" "$LOG" | grep -qF -- "$text" && return 0
        sleep 0.1
    done
    _t_fail "slurmctld.log has no line with '$text' after ${timeout}s; new lines:"$'\n'"$(tail -n +"$((LOG_MARK + 1))" "$LOG" | tail -20 | sed 's/^/  | /')"
}

# wait_for_field JOB FIELD VALUE SECONDS MESSAGE: scontrol shows VALUE in time.
wait_for_field() {
    local i got
    for ((i = 0; i < $4 * 10; i++)); do
        got=$(job_field "$1" "$2")
        [ "$got" = "$3" ] && { assert_eq "$3" "$got" "$5"; return; }
        sleep 0.1
    done
    assert_eq "$3" "$got" "$5"
}

BASE=$(cat "$GRANTS_POLICY")
WITH_DAVE=${BASE/members: \{ users: \[carol\] \}/members: \{ users: [carol, dave] \}}

case_edit_takes_effect_without_restart() {
    try_submit dave -p trn1 --award=BOT-GAMMA --wrap true
    assert_contains "$T_OUT" "user dave is not a member of award BOT-GAMMA" "before the edit" || return 1
    local ctld_pid start now
    ctld_pid=$(cat "$CLUSTER_DIR/pids/slurmctld")
    install_policy "$WITH_DAVE"
    start=$(date +%s%N)
    while :; do
        try_submit dave -p trn1 --award=BOT-GAMMA --wrap true
        [ -n "$JOB" ] && break
        now=$(date +%s%N)
        [ $(((now - start) / 1000000)) -gt 2000 ] && break
        sleep 0.1
    done
    now=$(date +%s%N)
    assert_contains "$T_OUT" "award BOT-GAMMA: this job holds" "dave accepted after the edit" || return 1
    assert_eq "award=BOT-GAMMA" "$(job_field "$JOB" AdminComment)" "new job tagged"
    [ $(((now - start) / 1000000)) -le 2000 ] || _t_fail "took $(((now - start) / 1000000)) ms (limit 2000)"
    assert_eq "$ctld_pid" "$(cat "$CLUSTER_DIR/pids/slurmctld")" "slurmctld was not restarted"
    assert_status 0 kill -0 "$ctld_pid"
}

case_broken_policy_keeps_last_good() {
    mark_log
    # Line 3 is "  partitions: [trn1, trn2]"; add an unknown key on line 4.
    install_policy "$(printf '%s\n' "$WITH_DAVE" | sed '3a\  colour: red')"
    wait_for_log "policy refused: $POLICY:4:3: unknown key \"colour\" in enforce" || return 1
    wait_for_log "the last good policy stays in force"
    try_submit dave -p trn1 --award=BOT-GAMMA --wrap true
    assert_contains "$T_OUT" "award BOT-GAMMA: this job holds" "last good policy (with dave) still enforced"
    try_submit carol -p trn1 --award=BOT-ALPHA --wrap true
    assert_contains "$T_OUT" "user carol is not a member of award BOT-ALPHA" "and still refuses non-members"
}

case_unsafe_permissions_refused() {
    mark_log                 # before the edit: the reload may log within milliseconds of it
    install_policy "$BASE"   # valid again, without dave
    wait_for_log "loaded (file changed)" || return 1
    try_submit dave -p trn1 --award=BOT-GAMMA --wrap true
    assert_contains "$T_OUT" "user dave is not a member" "valid base policy back in force" || return 1
    mark_log
    printf '%s\n' "$WITH_DAVE" >"$POLICY"   # an edit that would admit dave...
    chmod 0666 "$POLICY"                    # ...in a file anyone could have written
    wait_for_log "writable by its group or by others (mode 0666)" || return 1
    try_submit dave -p trn1 --award=BOT-GAMMA --wrap true
    assert_contains "$T_OUT" "user dave is not a member" "unsafe file not used"
    mark_log
    chown nobody "$POLICY"
    chmod 0644 "$POLICY"
    wait_for_log "only root or SlurmUser may own it" || return 1
    try_submit dave -p trn1 --award=BOT-GAMMA --wrap true
    assert_contains "$T_OUT" "user dave is not a member" "file owned by another user not used"
    mark_log
    chown root "$POLICY"
    wait_for_log "loaded (file changed)" || return 1
    try_submit dave -p trn1 --award=BOT-GAMMA --wrap true
    assert_contains "$T_OUT" "award BOT-GAMMA: this job holds" "safe again: the edit takes effect"
}

case_reconfigure_reloads() {
    mark_log
    assert_status 0 scontrol reconfigure || return 1
    sleep 1
    try_submit alice -p cpu --wrap true   # the controller notices the reconfigure here
    if [ "$(slurm_series)" -ge $((23 * 256 + 11)) ]; then
        # From 23.11 slurmctld re-executes itself on reconfigure: the plugin
        # starts afresh and loads the policy as at start.
        wait_for_log "loaded (start)"
    else
        wait_for_log "loaded (reconfigure)"
    fi
}

case_missing_policy_at_start_closed() {
    cluster_stop_ctld || return 1
    rm -f "$POLICY"
    mark_log
    cluster_start_ctld || return 1
    wait_for_log "cannot open the policy file" || return 1
    wait_for_log "grants/enforce.state (saved at the last good load)) are handled as on_error=closed"
    try_submit alice -p trn1 --award=BOT-ALPHA --wrap true
    assert_eq "" "$JOB" "in-scope job refused"
    assert_contains "$T_OUT" "sbatch: error: the grant policy is unavailable, so jobs on partition trn1 cannot be checked"
    try_submit dave -p cpu --wrap true
    assert_eq 0 "$T_STATUS" "cpu job accepted"
    assert_not_contains "$T_OUT" "grant policy" "cpu job gets no grants message"
    # Nor can a job be moved into an enforced partition meanwhile (the update
    # rule follows on_error as submissions do); harmless updates go through.
    try_submit dave -p cpu --hold --wrap true
    local cpu_job=$JOB
    assert_status nonzero as_user dave scontrol update "JobId=$cpu_job" Partition=trn1
    assert_eq cpu "$(job_field "$cpu_job" Partition)" "the job stayed on cpu"
    if [ "$(slurm_series)" -ge $((23 * 256 + 2)) ]; then
        assert_contains "$T_OUT" "update of job $cpu_job refused: the grant policy is unavailable, so jobs on partition trn1" \
            "scontrol says why"
    fi
    wait_for_log "job $cpu_job: update by uid $(id -u dave) refused: no usable grant policy"
    assert_status 0 as_user dave scontrol update "JobId=$cpu_job" Comment=note
    scancel "$cpu_job"
    # Restoring the file restores enforcement without a restart.
    install_policy "$BASE"
    wait_for_log "loaded (file changed)" || return 1
    # Holds are known from the next pass over the jobs; until then in-scope
    # jobs are told to try again in a moment.
    wait_for_log "usage known" || return 1
    try_submit alice -p trn1 --award=BOT-ALPHA --wrap true
    assert_contains "$T_OUT" "award BOT-ALPHA: this job holds"
}

case_broken_policy_at_start_open() {
    cluster_stop_ctld || return 1
    # on_error: open, and an undefined default award elsewhere in the file.
    install_policy "$(printf '%s\n' "$BASE" | sed 's/on_error: closed/on_error: open/; s/default_award: BOT-ALPHA/default_award: BOT-NONE/')"
    mark_log
    cluster_start_ctld || return 1
    wait_for_log "default_award 'BOT-NONE' is not defined under awards" || return 1
    wait_for_log "are handled as on_error=open"
    try_submit dave -p trn1 --wrap true
    assert_eq 0 "$T_STATUS" "in-scope job accepted (on_error=open)" || return 1
    assert_contains "$T_OUT" "sbatch: the grant policy is unavailable; this job on partition trn1 was accepted without an award check."
    assert_eq "grants=unchecked" "$(job_field "$JOB" AdminComment)" "marked unchecked, no award tag"
    wait_for_log "accepted WITHOUT an award check"
    try_submit dave -p cpu --wrap true
    assert_not_contains "$T_OUT" "grant policy" "cpu job untouched"
    install_policy "$BASE"
}

case_open_ledger_fault_jobs_run() {
    # A valid policy with on_error: open, and a ledger slurmctld cannot open
    # at start: an in-scope job of a member is accepted on its award (tagged
    # and marked grants=unchecked), the nodes let it run, and its run is
    # charged once the ledger is back (kept in the spool across the
    # restart); a non-member is refused as always.
    local ledger=$CLUSTER_DIR/state/grants/ledger.db job
    cluster_stop_ctld || return 1
    install_policy "$(printf '%s\n' "$BASE" | sed 's/on_error: closed/on_error: open/')"
    mv "$ledger" "$ledger.saved" && rm -f "$ledger-wal" "$ledger-shm" && mkdir "$ledger"
    mark_log
    cluster_start_ctld || return 1
    wait_for_log "unusable" || return 1
    wait_for_log "usage known" || return 1
    try_submit alice -p trn1 -t 5 --wrap 'echo ran'
    assert_contains "$T_OUT" "award BOT-ALPHA: the grant ledger is unavailable; this job was accepted without a budget check."
    job=$JOB
    assert_eq "award=BOT-ALPHA grants=unchecked" "$(job_field "$job" AdminComment)" "tagged with the default award, and marked"
    assert_eq COMPLETED "$(wait_job_done "$job" 60)" "the job ran (slurmstepd sees its award)"
    assert_contains "$(cat "$(cluster_home alice)/slurm-$job.out")" "ran"
    try_submit dave -p trn1 -t 5 --wrap 'echo ran'
    assert_eq "" "$JOB" "a user with no award is refused during the outage too"
    cluster_stop_ctld || return 1
    rmdir "$ledger" && mv "$ledger.saved" "$ledger"
    install_policy "$BASE"
    mark_log
    cluster_start_ctld || return 1
    wait_for_log "charged job $job (run started" 10
    assert_eq 1 "$(sqlite3 -cmd '.timeout 5000' "$ledger" "SELECT count(*) FROM charges WHERE job_id=$job")" \
        "charged once the ledger is back"
}

case_reconfigure_plugin_list_change() {
    # `scontrol reconfigure` after JobSubmitPlugins changed unloads and loads
    # job_submit/grants while slurmctld holds its locks (fini, then init). A
    # burst of queued jobs keeps the accounting pass busy under those locks.
    local conf=$CLUSTER_DIR/etc/slurm.conf i ok=0
    for i in $(seq 1 20); do try_submit alice -p trn1 --award=BOT-ALPHA -t 1 --hold --wrap true; done
    mark_log
    for i in 1 2 3; do
        sed -i 's/^JobSubmitPlugins=.*/JobSubmitPlugins=logging,grants/' "$conf"
        assert_status 0 timeout 30 scontrol reconfigure || return 1
        sed -i 's/^JobSubmitPlugins=.*/JobSubmitPlugins=grants/' "$conf"
        assert_status 0 timeout 30 scontrol reconfigure || return 1
    done
    assert_status 0 timeout 10 scontrol ping
    local inits
    inits=$(tail -n "+$((LOG_MARK + 1))" "$LOG" | grep -c "loaded (start)")
    [ "$inits" -ge 6 ] || _t_fail "the plugin was not re-initialised at each reconfigure ($inits inits)"
    # Still enforcing after the reloads.
    try_submit dave -p trn1 -t 5 --wrap true
    assert_contains "$T_OUT" "need an award" "in-scope job without an award refused after the reloads"
    try_submit alice -p trn1 --award=BOT-ALPHA -t 1 --hold --wrap true
    assert_contains "$T_OUT" "award BOT-ALPHA: this job holds"
    scancel -u alice
}

# A queued job whose award is removed from the policy must not start (it would
# run on, and be charged to, an award that is gone): it is held, squeue says
# why, and releasing it is refused while the award is missing.
case_queued_job_of_removed_award_held() {
    install_policy "$BASE"
    sleep 1.5
    try_submit carol -p trn1 --award=BOT-GAMMA -t 10 --begin=now+1hour --wrap true
    assert_contains "$T_OUT" "award BOT-GAMMA: this job holds" || return 1
    local job=$JOB reason
    mark_log
    install_policy "$(printf '%s\n' "$BASE" | sed '/^  BOT-GAMMA:/,/^    limits/d')"
    wait_for_log "job $job held: award BOT-GAMMA is no longer in the grant policy" 5
    reason=$(squeue -h -j "$job" -o %r)
    assert_contains "$reason" "award BOT-GAMMA is no longer in the grant policy, so this job cannot start" \
        "squeue shows the reason"
    assert_eq 0 "$(job_field "$job" Priority)" "held (priority 0)"
    assert_status nonzero scontrol release "$job"
    assert_eq 0 "$(job_field "$job" Priority)" "the release was refused"
    assert_contains "$(tail -n +"$((LOG_MARK + 1))" "$LOG")" "job $job: update by uid 0 refused: award BOT-GAMMA does not exist"
    install_policy "$BASE"
    scancel "$job"
}

# An award ends with its valid.until: a job that cannot finish by then is
# refused at submission, and a queued one that no longer can is removed by
# Slurm (its deadline is the award's end) before it starts.
case_job_never_runs_past_award_end() {
    local until end r t job blocker nodes=${CLUSTER_NODES:-1}
    until=$(date +%F)
    if (($(date -d 'tomorrow 00:00' +%s) - $(date +%s) < 300)); then until=$(date -d tomorrow +%F); fi
    end=$(date -d "$(date -d "$until + 1 day" +%F) 00:00" +%s)
    ends_policy() {
        printf '%s\n' "$BASE" | awk -v u="$1" '/^users:/ {
            print "  ENDS:"; print "    members: { users: [carol] }"; print "    valid: { until: " u " }"
            print "    budget: { chip_hours: 1000000 }" } { print }'
    }
    install_policy "$(ends_policy "$until")"
    sleep 1.5
    r=$((end - $(date +%s)))
    try_submit carol -p trn1 --award=ENDS -t $((r / 60 + 2)) --wrap true
    assert_eq "" "$JOB" "a job that cannot finish before the award's end is refused"
    assert_contains "$T_OUT" "award ENDS ends with $until (" "the sentence names the date"
    assert_contains "$T_OUT" "lower --time to at most" "and what fits"

    # Every node busy, so the next job waits in the queue.
    try_submit carol -p trn1 --award=BOT-GAMMA -N "$nodes" --exclusive -t 10 --wrap 'sleep 600'
    blocker=$JOB
    wait_job_state "$blocker" RUNNING 30 || { scancel "$blocker"; return 1; }
    # The award's end moves (a no-cost extension, then back): so do the
    # deadlines of its queued jobs.
    local queued later fmt=+%Y-%m-%dT%H:%M:%S
    try_submit carol -p trn1 --award=ENDS -t 10 --wrap true
    queued=$JOB
    assert_eq "$(date -d "@$end" $fmt)" "$(job_field "$queued" Deadline)" "a queued job's deadline is the award's end"
    # An operator's note in AdminComment keeps the plugin's tokens with it.
    assert_status 0 scontrol update JobId="$queued" AdminComment="ticket-42"
    assert_eq "ticket-42 award=ENDS grants_deadline=$end" "$(job_field "$queued" AdminComment)" \
        "an operator's AdminComment keeps award= and grants_deadline="
    later=$(date -d "$until + 1 day" +%F)
    install_policy "$(ends_policy "$later")"
    wait_for_field "$queued" Deadline "$(date -d "@$((end + 86400))" $fmt)" 5 "the extension moves it a day later"
    install_policy "$(ends_policy "$until")"
    wait_for_field "$queued" Deadline "$(date -d "@$end" $fmt)" 5 "and back"
    scancel "$queued"
    # Submit when its time limit fits with 20-40 s to spare.
    while r=$((end - $(date +%s))); ((r % 60 < 22 || r % 60 > 40)); do sleep 1; done
    t=$((r / 60))
    try_submit carol -p trn1 --award=ENDS -t "$t" --wrap true
    job=$JOB
    assert_contains "$T_OUT" "award ENDS: this job holds" "a job that fits is accepted" || { scancel "$blocker"; return 1; }
    assert_eq "$(date -d "@$end" +%Y-%m-%dT%H:%M:%S)" "$(job_field "$job" Deadline)" \
        "its deadline is the award's end"
    # An operator's longer time limit would take it past the end: refused.
    local limit
    limit=$(job_field "$job" TimeLimit)
    assert_status nonzero scontrol update JobId="$job" TimeLimit=$((t + 5))
    assert_eq "$limit" "$(job_field "$job" TimeLimit)" "the time limit stayed"
    # Once it can no longer finish in time Slurm removes it; it never starts.
    assert_eq DEADLINE "$(wait_job_done "$job" 200)" "the queued job is removed at its deadline" || { scancel "$blocker"; return 1; }
    assert_eq DeadLine "$(job_field "$job" Reason)" "the user reads why in scontrol/squeue"
    assert_eq DEADLINE "$(as_user carol squeue -h -t all -j "$job" -o %T)" "squeue shows the state"
    assert_eq 00:00:00 "$(job_field "$job" RunTime)" "it never ran"
    scancel "$blocker"
    wait_job_done "$blocker" 30 >/dev/null
    install_policy "$BASE"
}

# awards_dir: a portal adds, changes and retires awards by writing one file
# per award (atomically: a temporary name, then a rename); slurmctld follows
# within seconds, and a bad file refuses the whole set, the last good kept.
case_award_files_in_a_directory() {
    local dir=$CLUSTER_DIR/etc/awards.d
    install -d -o root -g root -m 0755 "$dir"
    put_award() {  # put_award NAME TEXT: written as a portal would
        printf '%s\n' "$2" >"$dir/.$1.tmp" && chmod 0644 "$dir/.$1.tmp" && mv -f "$dir/.$1.tmp" "$dir/$1.yaml"
    }
    # dave_until TEXT SECONDS: dave's job on DROP-1 gets an answer containing TEXT in time.
    dave_until() {
        local rc=0
        submit_until dave "$1" "$2" -p trn1 --award=DROP-1 -t 10 --hold --wrap true || rc=1
        [ -n "$JOB" ] && scancel "$JOB"
        return "$rc"
    }
    install_policy "$BASE"$'\n'"awards_dir: awards.d"
    mark_log
    put_award drop-1 "DROP-1: { title: From the portal, members: { users: [dave] }, budget: { chip_hours: 50 } }"
    wait_for_log "4 awards (with $dir)" 5 || return 1
    dave_until "award DROP-1: this job holds" 5 || return 1
    assert_contains "$T_OUT" "of 50 chip-h left" "added: dave's job is accepted on the new award"
    put_award drop-1 "DROP-1: { members: { users: [dave] }, budget: { chip_hours: 1 } }"
    dave_until "award DROP-1 has 1.0 of 1 chip-h left" 5 || return 1
    # A bad file: refused whole, with its file:line:column; DROP-1 keeps its last good form.
    mark_log
    put_award drop-2 "DROP-2:"$'\n'"  members: { users: [dave] }"$'\n'"  budget: { chip_hours: lots }"
    wait_for_log "policy refused: $dir/drop-2.yaml:3:25: award 'DROP-2'.budget.chip_hours must be a non-negative number" 5
    wait_for_log "the last good policy stays in force" 5
    dave_until "award DROP-1 has 1.0 of 1 chip-h left" 2
    assert_status 1 "$GRANTCTL" check "$POLICY"
    assert_contains "$T_OUT" "$dir/drop-2.yaml:3:25:" "grantctl check validates the whole set"
    rm -f "$dir/drop-2.yaml"
    # Retired: the file is removed, and so is the award.
    rm -f "$dir/drop-1.yaml"
    dave_until "user dave is not a member of award DROP-1, or it does not exist" 5
    install_policy "$BASE"
    rm -rf "$dir"
}

# A partition that is not enforced but has enforced nodes (a debug
# partition over the Trainium nodes) runs jobs there untagged and unbudgeted:
# slurmctld.log says so when the partitions change and when the policy
# loads, once (not every pass), and grantctl check warns from slurm.conf
# (an included file, as ParallelCluster writes them), failing with --strict.
case_partition_over_enforced_nodes() {
    local nodes debug_line conf=$CLUSTER_DIR/etc/slurm.conf nl=$'\n'
    nodes=$(sinfo -h -p trn1 -o %N)
    [ -n "$nodes" ] || { _t_fail "no nodes in trn1"; return 1; }
    # The test cluster's own default partition cpu has the same nodes.
    mark_log
    install_policy "$BASE"$'\n'"# reloaded"
    wait_for_log "partition cpu is not in enforce.partitions but shares" 5
    debug_line="partition debug is not in enforce.partitions but shares"
    mark_log
    assert_status 0 scontrol create PartitionName=debug Nodes="$nodes" State=UP || return 1
    wait_for_log "$debug_line" 5 || return 1
    local line
    line=$(tail -n +"$((LOG_MARK + 1))" "$LOG" | grep -F "$debug_line")
    assert_contains "$line" "error: job_submit/grants: $debug_line" "logged as an error"
    assert_contains "$line" "with enforced partitions trn1, trn2 (" "names the enforced partitions it overlaps"
    assert_contains "$line" "Add debug to enforce.partitions, or remove those nodes from it" "says what to do"
    assert_contains "$line" "list it in enforce.exempt" "and how to declare it intended"
    sleep 3
    assert_eq 1 "$(tail -n +"$((LOG_MARK + 1))" "$LOG" | grep -cF "$debug_line")" "told once, not every pass"
    # Declared intended: no warning at the next load, one line saying it is exempt.
    mark_log
    install_policy "${BASE/partitions: \[trn1, trn2\]/partitions: [trn1, trn2]${nl}  exempt: [debug]}"
    wait_for_log "partition debug is no longer an unenforced partition on enforced nodes (it is in enforce.exempt now)" 5
    wait_for_log "partition debug shares" 2
    assert_not_contains "$(tail -n +"$((LOG_MARK + 1))" "$LOG")" "$debug_line" "an exempt partition is not warned about"
    install_policy "$BASE"
    assert_status 0 scontrol delete PartitionName=debug

    # grantctl check reads the partitions from slurm.conf and what it includes.
    local copy=$CLUSTER_DIR/check
    mkdir -p "$copy/pcluster"
    { cat "$conf"; echo "include pcluster/debug.conf"; } >"$copy/slurm.conf"
    echo "PartitionName=debug Nodes=$nodes" >"$copy/pcluster/debug.conf"
    install -m 0644 "$POLICY" "$copy/grants.yaml"
    assert_status 0 env SLURM_CONF="$copy/slurm.conf" "$GRANTCTL" check
    assert_contains "$T_OUT" "grantctl: warning: $debug_line" "grantctl check warns about debug"
    assert_contains "$T_OUT" "grantctl: warning: partition cpu is not in enforce.partitions" "and about cpu"
    assert_status 1 env SLURM_CONF="$copy/slurm.conf" "$GRANTCTL" check --strict
    assert_contains "$T_OUT" "2 warnings and --strict: check fails."
    T_OUT=$(SLURM_CONF="$copy/slurm.conf" "$GRANTCTL" check --json 2>/dev/null)
    assert_eq "debug trn1,trn2" "$(json '" ".join([[w["partition"], ",".join(w["enforced"])] for w in j["warnings"] if w["partition"] == "debug"][0])' <<<"$T_OUT")" \
        "--json lists the overlap"
    printf '%s\n' "${BASE/partitions: \[trn1, trn2\]/partitions: [trn1, trn2]${nl}  exempt: [cpu, debug]}" >"$copy/grants.yaml"
    assert_status 0 env SLURM_CONF="$copy/slurm.conf" "$GRANTCTL" check --strict
    assert_not_contains "$T_OUT" "warning" "exempt partitions pass --strict"
    rm -rf "$copy"
}

run_case "a policy edit takes effect within 2 s, no restart" case_edit_takes_effect_without_restart
run_case "a broken edit is refused; the last good policy stays" case_broken_policy_keeps_last_good
run_case "a policy file others can write is refused" case_unsafe_permissions_refused
run_case "scontrol reconfigure reloads the policy" case_reconfigure_reloads
run_case "a queued job whose award was removed is held, with a reason" case_queued_job_of_removed_award_held
run_case "no job runs past its award's end (refused, or removed at its deadline)" case_job_never_runs_past_award_end
run_case "awards added, changed and removed by writing files in awards_dir" case_award_files_in_a_directory
run_case "a partition over enforced nodes: slurmctld.log and grantctl check warn" case_partition_over_enforced_nodes
run_case "no policy at start: in-scope jobs refused (closed), cpu fine" case_missing_policy_at_start_closed
run_case "broken policy at start with on_error=open: accepted untagged" case_broken_policy_at_start_open
run_case "ledger unusable with on_error=open: accepted on its award, run, charged later" case_open_ledger_fault_jobs_run
run_case "JobSubmitPlugins changed by reconfigure: no hang, still enforcing" case_reconfigure_plugin_list_change
finish
