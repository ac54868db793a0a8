#!/bin/bash
# Walking-skeleton cases against a real loopback cluster: --award through
# sbatch, #SBATCH, srun and salloc tags the job and reaches the tasks as
# SLURM_AWARD_ID; bad, unknown, foreign and forged awards are refused with a
# message the user sees; jobs outside enforced partitions are untouched.
# Users (tests/integration/policies/skeleton.yaml):
#   alice  member of BOT-ALPHA (default award) and BOT-BETA (group nlp-lab)
#   bob    member of BOT-BETA only (group nlp-lab)
#   carol  member of BOT-GAMMA only
#   dave   member of nothing
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"

. "$here/suite.sh"
# A Prolog (slurmd runs it before the batch step starts) that stops
# slurmctld (SIGSTOP) for the one job named in $STOPPER.trigger, so that
# slurmstepd cannot read that job's record; a no-op for every other job.
STOPPER=$(mktemp /tmp/slurm-grants-prolog.XXXXXX)
cat >"$STOPPER" <<'PROLOG'
#!/bin/sh
[ -f "$0.trigger" ] || exit 0
read -r job pid <"$0.trigger"
[ "$SLURM_JOB_ID" = "$job" ] && kill -STOP "$pid"
exit 0
PROLOG
chmod 0755 "$STOPPER"
export CLUSTER_EXTRA_CONF="Prolog=$STOPPER"
grants_suite_start "$here/policies/skeleton.yaml"
trap 'cluster_exit_trap; rm -f "$STOPPER" "$STOPPER.trigger"' EXIT


# output_of USER JOB: the job's stdout file, once the job has ended.
output_of() {
    wait_job_done "$2" 60 >/dev/null || return 1
    cat "$(cluster_home "$1")/out-$2.txt"
}

case_sbatch_award_tags_job() {
    try_submit alice -p trn1 --award=BOT-BETA -o 'out-%j.txt' --wrap 'echo "award=[$SLURM_AWARD_ID]"'
    assert_eq 0 "$T_STATUS" "sbatch exit status" || return 1
    assert_contains "$T_OUT" "sbatch: award BOT-BETA: this job holds" "message shown on success"
    assert_eq "award=BOT-BETA" "$(job_field "$JOB" AdminComment)" "AdminComment tag"
    assert_contains "$(output_of alice "$JOB")" "award=[BOT-BETA]" "task sees SLURM_AWARD_ID"
}

case_sbatch_directive() {
    local script
    script=$(cluster_home bob)/job.sh
    printf '#!/bin/sh\n#SBATCH -p trn1\n#SBATCH --award=BOT-BETA\n#SBATCH -o out-%%j.txt\necho "award=[$SLURM_AWARD_ID]"\n' >"$script"
    chmod 0755 "$script"
    try_submit bob "$script"
    assert_eq 0 "$T_STATUS" "sbatch exit status" || return 1
    assert_eq "award=BOT-BETA" "$(job_field "$JOB" AdminComment)" "AdminComment tag"
    assert_contains "$(output_of bob "$JOB")" "award=[BOT-BETA]" "task sees SLURM_AWARD_ID"
}

case_srun_award() {
    assert_status 0 as_user carol srun -p trn1 --award=BOT-GAMMA sh -c 'echo "award=[$SLURM_AWARD_ID] job=$SLURM_JOB_ID"'
    assert_contains "$T_OUT" "srun: award BOT-GAMMA: this job holds" "message shown by srun"
    assert_contains "$T_OUT" "award=[BOT-GAMMA]" "srun task sees SLURM_AWARD_ID"
    local job
    job=$(printf '%s\n' "$T_OUT" | sed -n 's/.*job=\([0-9]*\).*/\1/p')
    assert_eq "award=BOT-GAMMA" "$(job_field "$job" AdminComment)" "AdminComment tag of the srun job"
}

case_salloc_award() {
    assert_status 0 as_user bob salloc -p trn1 --award=BOT-BETA srun sh -c 'echo "award=[$SLURM_AWARD_ID] job=$SLURM_JOB_ID"'
    assert_contains "$T_OUT" "salloc: award BOT-BETA: this job holds" "message shown by salloc"
    assert_contains "$T_OUT" "award=[BOT-BETA]" "step in salloc sees SLURM_AWARD_ID"
    local job
    job=$(printf '%s\n' "$T_OUT" | sed -n 's/.*job=\([0-9]*\).*/\1/p')
    assert_eq "award=BOT-BETA" "$(job_field "$job" AdminComment)" "AdminComment tag of the allocation"
}

case_unknown_award() {
    try_submit alice -p trn1 --award=BOT-NOPE --wrap true
    assert_eq 1 "$T_STATUS" "sbatch exit status"
    assert_eq "" "$JOB" "no job created"
    assert_contains "$T_OUT" "sbatch: error: user alice is not a member of award BOT-NOPE, or it does not exist (your awards: BOT-ALPHA, BOT-BETA)."
}

case_malformed_award_client_side() {
    local bad
    for bad in 'two words' ';award=BOT-ALPHA' '-leading' "$(printf 'x%.0s' $(seq 65))"; do
        try_submit alice -p trn1 "--award=$bad" --wrap true
        assert_eq "" "$JOB" "no job for --award=$bad"
        assert_contains "$T_OUT" "sbatch: error: grants: award ID" "client-side message for --award=$bad"
        assert_contains "$T_OUT" "is not valid" "reason for --award=$bad"
    done
    assert_status nonzero as_user alice srun -p trn1 --award='a b' true
    assert_contains "$T_OUT" "grants: award ID \"a b\" is not valid" "srun rejects early"
}

case_non_member() {
    try_submit carol -p trn1 --award=BOT-ALPHA --wrap true
    assert_eq 1 "$T_STATUS" "sbatch exit status"
    assert_eq "" "$JOB" "no job created"
    assert_contains "$T_OUT" "sbatch: error: user carol is not a member of award BOT-ALPHA, or it does not exist (your awards: BOT-GAMMA)."
}

case_cpu_job_untouched() {
    try_submit dave -p cpu -o 'out-%j.txt' --wrap 'echo "award=[${SLURM_AWARD_ID-unset}]"'
    assert_eq 0 "$T_STATUS" "sbatch exit status" || return 1
    assert_not_contains "$T_OUT" "award" "no grants message for a cpu job"
    assert_status nonzero job_field "$JOB" AdminComment
    assert_contains "$(output_of dave "$JOB")" "award=[unset]" "no SLURM_AWARD_ID in an untagged job"
    # The default partition (cpu) is out of scope too, even with a bogus --award.
    try_submit dave --award=BOT-ALPHA --wrap true
    assert_eq 0 "$T_STATUS" "default-partition job with an award it cannot use"
}

case_exported_award_is_overwritten() {
    try_submit carol -p trn1 --award=BOT-GAMMA -o 'out-%j.txt' --export=ALL,SLURM_AWARD_ID=BOT-ALPHA \
        --wrap 'echo "award=[$SLURM_AWARD_ID]"; srun sh -c "echo step=[\$SLURM_AWARD_ID]"'
    assert_eq 0 "$T_STATUS" "sbatch exit status" || return 1
    local out
    out=$(output_of carol "$JOB")
    assert_contains "$out" "award=[BOT-GAMMA]" "batch script sees the approved award"
    assert_contains "$out" "step=[BOT-GAMMA]" "step sees the approved award"
    assert_status 0 as_user carol env SLURM_AWARD_ID=BOT-ALPHA srun -p trn1 --award=BOT-GAMMA sh -c 'echo "award=[$SLURM_AWARD_ID]"'
    assert_contains "$T_OUT" "award=[BOT-GAMMA]" "srun task sees the approved award"
    # A cpu job never sees a value the user exported.
    assert_status 0 as_user carol env SLURM_AWARD_ID=BOT-ALPHA srun -p cpu sh -c 'echo "award=[${SLURM_AWARD_ID-unset}]"'
    assert_contains "$T_OUT" "award=[unset]" "untagged job: user value removed"
}

case_forged_spank_variable() {
    try_submit carol -p trn1 --export=ALL --wrap true
    local plain=$T_OUT
    T_OUT=$(as_user carol env SLURM_SPANK__SLURM_SPANK_OPTION_grants_award=BOT-ALPHA sbatch -p trn1 --wrap true 2>&1)
    assert_contains "$T_OUT" "user carol is not a member of award BOT-ALPHA" "forged variable is only a request"
    assert_not_contains "$T_OUT" "Submitted batch job" "no job created"
    # The same variable naming carol's own award works like --award.
    T_OUT=$(as_user carol env SLURM_SPANK__SLURM_SPANK_OPTION_grants_award=BOT-GAMMA sbatch -p trn1 --wrap true 2>&1)
    assert_contains "$T_OUT" "award BOT-GAMMA: this job holds" "own award through the variable"
    : "$plain"
}

case_default_and_only_award() {
    try_submit alice -p trn1 --wrap true
    assert_eq 0 "$T_STATUS" "alice without --award" || return 1
    assert_eq "award=BOT-ALPHA" "$(job_field "$JOB" AdminComment)" "users.alice.default_award used"
    try_submit bob -p trn2 --wrap true
    assert_eq 0 "$T_STATUS" "bob without --award" || return 1
    assert_eq "award=BOT-BETA" "$(job_field "$JOB" AdminComment)" "bob's only award used"
    try_submit dave -p trn1 --wrap true
    assert_eq "" "$JOB" "dave has no award"
    assert_contains "$T_OUT" "jobs on partition trn1 need an award: add --award=ID (you are not a member of any award"
}

case_user_cannot_move_job_into_scope() {
    try_submit dave -p cpu --hold --wrap true
    assert_eq 0 "$T_STATUS" "held cpu job" || return 1
    assert_status nonzero as_user dave scontrol update "JobId=$JOB" Partition=trn1
    assert_eq "cpu" "$(job_field "$JOB" Partition)" "job stays on cpu"
    assert_contains "$(cat "$CLUSTER_DIR/log/slurmctld.log")" "job $JOB: move to partition \"trn1\" by uid $(id -u dave) refused"
    scancel "$JOB"
}

case_user_cannot_set_admin_comment() {
    try_submit carol -p trn1 --award=BOT-GAMMA --hold --wrap true
    assert_eq 0 "$T_STATUS" "held trn1 job" || return 1
    assert_status nonzero as_user carol scontrol update "JobId=$JOB" AdminComment=award=BOT-ALPHA
    assert_eq "award=BOT-GAMMA" "$(job_field "$JOB" AdminComment)" "tag unchanged"
    assert_status nonzero as_user carol sbatch -p trn1 --admin-comment=award=BOT-ALPHA --wrap true
    scancel "$JOB"
}

case_admin_changes_award() {
    try_submit alice -p trn1 --award=BOT-ALPHA --hold --wrap true
    assert_eq 0 "$T_STATUS" "held trn1 job" || return 1
    assert_status 0 scontrol update "JobId=$JOB" AdminComment=award=BOT-BETA
    assert_eq "award=BOT-BETA" "$(job_field "$JOB" AdminComment)" "admin moved the job to another award of alice"
    assert_status nonzero scontrol update "JobId=$JOB" AdminComment=award=BOT-GAMMA
    assert_eq "award=BOT-BETA" "$(job_field "$JOB" AdminComment)" "award alice is not in is refused"
    assert_status 0 scontrol update "JobId=$JOB" "AdminComment=reviewed by ops"
    assert_eq "reviewed by ops award=BOT-BETA" "$(job_field "$JOB" AdminComment)" "admin note keeps the tag"
    scancel "$JOB"
}

# slurmctld does not answer when slurmstepd asks for the job's record (it is
# stopped by the Prolog): after the bounded retry (2 x MessageTimeout=10 s +
# 1 s) the tasks of a job on an enforced partition are refused, tag or not.
case_spank_fails_closed_without_job_record() {
    local pid i found=
    try_submit alice -p trn1 --award=BOT-BETA --hold -o 'out-%j.txt' --wrap 'echo SCRIPT-RAN'
    assert_eq 0 "$T_STATUS" "held trn1 job" || return 1
    assert_eq "award=BOT-BETA" "$(job_field "$JOB" AdminComment)" "the job is tagged"
    pid=$(cat "$CLUSTER_DIR/pids/slurmctld")
    echo "$JOB $pid" >"$STOPPER.trigger"
    scontrol release "$JOB"
    for ((i = 0; i < 300; i++)); do
        grep -q "job $JOB: slurmctld did not answer" "$CLUSTER_DIR"/log/slurmd*.log && { found=1; break; }
        sleep 0.2
    done
    kill -CONT "$pid"
    rm -f "$STOPPER.trigger"
    assert_eq 1 "${found:-0}" "slurmstepd gave up on the job record within 60 s (slurmd's log)"
    assert_eq "FAILED" "$(wait_job_done "$JOB" 60)" "job refused by slurmstepd"
    assert_not_contains "$(cat "$(cluster_home alice)/out-$JOB.txt" 2>/dev/null)" "SCRIPT-RAN" "the script did not run"
    assert_contains "$(cat "$CLUSTER_DIR"/log/slurmd*.log)" \
        "job $JOB: slurmctld did not answer for its job record (2 tries), so its award tag cannot be checked; it runs on partition trn1, which needs an approved award: refusing to start its tasks"
    # The controller answers again: the same kind of job runs.
    try_submit alice -p trn1 --award=BOT-BETA -o 'out-%j.txt' --wrap 'echo SCRIPT-RAN'
    assert_contains "$(output_of alice "$JOB")" "SCRIPT-RAN" "with the record, a tagged job runs"
}

# Last: slurmctld without job_submit/grants; the SPANK plugin still refuses
# to start tasks of an untagged job on an enforced partition.
case_spank_defence_in_depth() {
    sed -i '/^JobSubmitPlugins=grants$/d' "$SLURM_CONF"
    cluster_restart_ctld || return 1
    try_submit dave -p trn1 -o 'out-%j.txt' --wrap 'echo SCRIPT-RAN'
    assert_eq 0 "$T_STATUS" "controller without the plugin accepts the job" || return 1
    assert_eq "FAILED" "$(wait_job_done "$JOB" 60)" "job refused by slurmstepd"
    assert_not_contains "$(cat "$(cluster_home dave)/out-$JOB.txt" 2>/dev/null)" "SCRIPT-RAN" "the script did not run"
    assert_contains "$(cat "$CLUSTER_DIR"/log/slurmd*.log)" "job $JOB runs on partition trn1, which needs an approved award"
    try_submit dave -p cpu -o 'out-%j.txt' --wrap 'echo SCRIPT-RAN'
    assert_contains "$(output_of dave "$JOB")" "SCRIPT-RAN" "cpu jobs still run"
}

run_case "sbatch --award tags the job and sets SLURM_AWARD_ID" case_sbatch_award_tags_job
run_case "#SBATCH --award works like the option" case_sbatch_directive
run_case "srun --award creates a tagged job" case_srun_award
run_case "salloc --award creates a tagged allocation" case_salloc_award
run_case "unknown award is refused with the user's awards" case_unknown_award
run_case "malformed award IDs are refused client-side" case_malformed_award_client_side
run_case "non-member is refused" case_non_member
run_case "cpu jobs are untouched" case_cpu_job_untouched
run_case "exported SLURM_AWARD_ID is overwritten" case_exported_award_is_overwritten
run_case "forged SPANK option variable is only a request" case_forged_spank_variable
run_case "default award and only award" case_default_and_only_award
run_case "user cannot move an untagged job into scope" case_user_cannot_move_job_into_scope
run_case "user cannot set AdminComment" case_user_cannot_set_admin_comment
run_case "admin changes a job's award, re-validated" case_admin_changes_award
run_case "SPANK refuses a job whose record slurmctld does not give (fail closed)" case_spank_fails_closed_without_job_record
run_case "SPANK refuses untagged jobs without job_submit/grants" case_spank_defence_in_depth
finish
