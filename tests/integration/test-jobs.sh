#!/bin/bash
# grantctl jobs from a login node, against a real cluster: alice sees her own
# jobs' holds and charges (equal to the ledger's and to balance's held) and
# nobody else's; carol (PI of J-NLP, no member) and dave (its manager) see
# its members' jobs and nothing of other awards; root (an operator) sees
# anyone's; sacct's conventions (-S/-E, -j, -o, --parsable2, -n) and bad
# input (one sentence, exit 2 or 1).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"

start_after_midnight "jobs lists today's runs by default"

POLICY_FILE=$(mktemp)
cat >"$POLICY_FILE" <<EOF
version: 1
enforce: { partitions: [trn1], on_error: closed }
partitions:
  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.34 }
awards:
  J-NLP:
    pi: carol
    managers: [dave]
    members: { users: [alice, bob] }
    budget: { chip_hours: 100 }
  J-OTHER:
    pi: dave
    members: { users: [bob] }
    budget: { usd: 500 }
EOF
chmod 0644 "$POLICY_FILE"
grants_suite_start "$POLICY_FILE"
rm -f "$POLICY_FILE"
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
GC=$CLUSTER_DIR/grantctl
install -m 0755 "$GRANTCTL" "$GC"

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
charged() { [ -n "$(sql "SELECT 1 FROM charges WHERE job_id=$1")" ]; }
# run_short USER AWARD: a job of a few seconds, completed and charged; JOB is its id.
run_short() {
    try_submit "$1" -o /dev/null -p trn1 --award="$2" -t 5 --wrap 'sleep 2'
    [ -n "$JOB" ] || { _t_fail "submit failed: $T_OUT"; return 1; }
    assert_eq COMPLETED "$(wait_job_done "$JOB" 60)" "job $JOB completed" || return 1
    eventually 30 "job $JOB is charged" charged "$JOB"
}
# ids_of JSON: the job ids of a jobs --json answer, sorted, space-separated.
ids_of() { json '" ".join(str(x) for x in sorted(r["jobid"] for r in j["jobs"]))'; }
# jobs_has USER ID ARGS...: USER's `grantctl jobs ARGS` lists job ID as charged.
jobs_charged() {
    local u=$1 id=$2
    shift 2
    [ "$(as_user "$u" "$GC" jobs -j "$id" --json "$@" | json '[r["charge"] for r in j["jobs"]]')" = "['charged']" ]
}

# Each case runs in a subshell (run_case): the job ids are kept in a file.
IDS=$CLUSTER_DIR/job-ids
keep() { echo "$1=$2" >>"$IDS"; }
load_ids() { [ -f "$IDS" ] && . "$IDS"; }
A1= A2= B1= B2= RUN=
case_own_jobs_and_charges() {
    run_short alice J-NLP || return 1
    A1=$JOB
    run_short alice J-NLP || return 1
    A2=$JOB
    run_short bob J-NLP || return 1
    B1=$JOB
    run_short bob J-OTHER || return 1
    B2=$JOB
    keep A1 "$A1"; keep A2 "$A2"; keep B1 "$B1"; keep B2 "$B2"
    eventually 30 "slurmctld's book has bob's J-OTHER run" jobs_charged bob "$B2" || return 1
    assert_status 0 as_user alice "$GC" jobs --json
    local out=$T_OUT
    assert_eq "$A1 $A2" "$(ids_of <<<"$out")" "alice sees exactly her two runs"
    assert_not_contains "$out" "\"bob\"" "nothing of bob's"
    local id
    for id in $A1 $A2; do
        assert_eq "$(ticks_to_units "$(sql "SELECT chip_hours_ticks FROM charges WHERE job_id=$id")")" \
            "$(json "[r['amount'] for r in j['jobs'] if r['jobid'] == $id][0]" <<<"$out")" \
            "job $id's amount is the ledger's charge" || return 1
        assert_eq "$(sql "SELECT 'J-NLP trn1 charged finished ' || chips || ' ' || seconds FROM charges WHERE job_id=$id")" \
            "$(json "' '.join(str(r[k]) for r in j['jobs'] if r['jobid'] == $id for k in ('award', 'partition', 'charge', 'state', 'chips', 'seconds'))" <<<"$out")" \
            "job $id's award, partition, state, chips and seconds are the ledger's" || return 1
    done
    # bob's dollar award: the amount in dollars, as the ledger has them.
    assert_status 0 as_user bob "$GC" jobs -j "$B2" --json
    assert_eq "$(ticks_to_units "$(sql "SELECT usd_ticks FROM charges WHERE job_id=$B2")") usd" \
        "$(json '"%s %s" % (j["jobs"][0]["amount"], j["jobs"][0]["unit"])' <<<"$T_OUT")" "J-OTHER's charge in dollars"
    # Another user's jobs: refused, one sentence, exit 1; -j of bob's job shows nothing.
    assert_status 1 as_user alice "$GC" jobs -u bob
    assert_eq "grantctl: only PIs and managers (for their awards' members) and Slurm operators may see bob's jobs, and alice is neither." \
        "$T_OUT" "alice may not see bob's jobs"
    assert_status 0 as_user alice "$GC" jobs -j "$B1" --json
    assert_eq "" "$(ids_of <<<"$T_OUT")" "-j of bob's job: nothing for alice"
    assert_status 1 as_user alice "$GC" jobs --award J-OTHER -u bob
    assert_contains "$T_OUT" "only the PI and managers of award J-OTHER (and Slurm operators) may see other users' jobs on it"
}

case_running_hold_equals_balance() {
    load_ids
    try_submit alice -o /dev/null -p trn1 --award=J-NLP -t 7 --wrap 'sleep 300'
    [ -n "$JOB" ] || { _t_fail "submit failed: $T_OUT"; return 1; }
    RUN=$JOB
    keep RUN "$RUN"
    wait_job_state "$RUN" RUNNING 30 || { _t_fail "job $RUN never ran"; return 1; }
    running_listed() { [ "$(as_user alice "$GC" jobs -j "$RUN" --json | json 'j["jobs"][0]["state"]')" = running ]; }
    eventually 30 "the running job is listed as running" running_listed || return 1
    assert_status 0 as_user alice "$GC" jobs -j "$RUN" --json
    local row=$T_OUT
    assert_eq "held 16 trn1" "$(json '"%s %s %s" % (j["jobs"][0]["charge"], j["jobs"][0]["chips"], j["jobs"][0]["partition"])' <<<"$row")" \
        "a running job is held for its 16 chips on trn1"
    # Its hold is the whole award's held (the only live job): 16 chips x 7 min.
    assert_eq "1.866667" "$(json 'j["jobs"][0]["amount"]' <<<"$row")" "the hold is 16 chips x 7 minutes"
    assert_status 0 as_user alice "$GC" balance --award J-NLP --json
    assert_eq "$(json 'j["awards"][0]["held"]' <<<"$T_OUT")" "$(json 'j["jobs"][0]["amount"]' <<<"$row")" \
        "the running job's hold equals balance's held"
    # balance in sacct's style: the awards' rows only, exact amounts.
    assert_status 0 as_user alice "$GC" balance --award J-NLP --parsable2 -n -o award,held,running,pending
    assert_eq "J-NLP|1.866667|1|0" "$T_OUT" "balance --parsable2 -n -o: the award's row, field by field"
    assert_eq "$(job_field "$RUN" StartTime)" \
        "$(json 'j["jobs"][0]["start"]' <<<"$row")" "its start is Slurm's StartTime"
}

case_pi_manager_operator() {
    load_ids
    local want_nlp
    want_nlp=$(printf '%s\n' "$A1" "$A2" "$B1" "$RUN" | sort -n | xargs)
    local who
    for who in carol dave; do
        assert_status 0 as_user "$who" "$GC" jobs --award J-NLP --json
        assert_eq "$want_nlp" "$(ids_of <<<"$T_OUT")" "$who sees every J-NLP member's jobs" || return 1
    done
    assert_status 0 as_user carol "$GC" jobs -u bob --json
    assert_eq "$B1" "$(ids_of <<<"$T_OUT")" "carol sees bob's J-NLP job, not his J-OTHER one"
    assert_status 0 as_user carol "$GC" jobs --json
    assert_eq "" "$(ids_of <<<"$T_OUT")" "carol has no jobs of her own"
    # --award of an award she does not oversee: only her own jobs on it (none).
    assert_status 0 as_user carol "$GC" jobs --award J-OTHER --json
    assert_eq "" "$(ids_of <<<"$T_OUT")" "carol sees nothing of J-OTHER"
    # dave is PI of J-OTHER too: -u bob shows both of bob's jobs.
    assert_status 0 as_user dave "$GC" jobs -u bob --json
    assert_eq "$(printf '%s\n' "$B1" "$B2" | sort -n | xargs)" "$(ids_of <<<"$T_OUT")" "dave sees bob's jobs on both awards"
    # root is an operator: anyone's, everyone's.
    assert_status 0 "$GC" jobs -u bob --json
    assert_eq "$(printf '%s\n' "$B1" "$B2" | sort -n | xargs)" "$(ids_of <<<"$T_OUT")" "root sees bob's jobs"
    assert_status 0 "$GC" jobs --json
    assert_eq "$(printf '%s\n' "$A1" "$A2" "$B1" "$B2" "$RUN" | sort -n | xargs)" "$(ids_of <<<"$T_OUT")" \
        "root sees every job"
}

case_slurm_conventions() {
    load_ids
    assert_status 0 as_user alice "$GC" jobs --parsable2 -n -o JobID,award,State,charge,amount,unit,Chips,seconds,partition,user
    local lines
    lines=$(printf '%s\n' "$T_OUT" | wc -l)
    assert_eq 3 "$lines" "three rows, no header"
    local id
    for id in $A1 $A2; do
        assert_eq "$(sql "SELECT job_id || '|J-NLP|finished|charged|' FROM charges WHERE job_id=$id")$(ticks_to_units "$(sql "SELECT chip_hours_ticks FROM charges WHERE job_id=$id")")$(sql "SELECT '|chip_hours|' || chips || '|' || seconds || '|trn1|alice' FROM charges WHERE job_id=$id")" \
            "$(grep "^$id|" <<<"$T_OUT")" "job $id field by field" || return 1
    done
    assert_contains "$T_OUT" "$RUN|J-NLP|running|held|1.866667|chip_hours|16|" "the running job field by field"
    assert_status 0 as_user alice "$GC" jobs --parsable2 -o jobid
    assert_eq "jobid" "$(head -1 <<<"$T_OUT")" "--parsable2 prints the header unless -n"
    assert_status 0 as_user alice "$GC" jobs
    assert_contains "$T_OUT" "JOBID" "the table's header"
    assert_contains "$T_OUT" "chip-h" "the table prints amounts with their unit"
    # The same conventions on alerts and report --instances (root, the ledger's host).
    assert_status 0 "$GC" alerts --dry-run --parsable2 -o Award,kind,threshold
    assert_eq "award|kind|threshold" "$(head -1 <<<"$T_OUT")" "alerts --parsable2 -o: the header of the fields asked"
    assert_status 0 "$GC" alerts --dry-run --parsable2 -n -o award
    assert_eq "" "$T_OUT" "alerts: nothing due, no header"
    assert_status 2 "$GC" alerts --dry-run -o award,bogus
    assert_status 0 "$GC" report --instances --parsable2 -o record,partition,chip_hours
    assert_eq "record|partition|chip_hours" "$(head -1 <<<"$T_OUT")" "report --instances --parsable2 -o"
    assert_eq "$(ticks_to_units "$(sql "SELECT sum(chip_hours_ticks) FROM charges WHERE partition='trn1'")")" \
        "$("$GC" report --instances --parsable2 -n -o record,partition,chip_hours | sed -n 's/^charged|trn1|//p')" \
        "report --instances: trn1's charged chip-hours field by field"
    # -S/-E in Slurm's time syntax; -j lifts the default start (as sacct).
    assert_status 0 as_user alice "$GC" jobs -S now+1hours --json
    assert_eq "" "$(ids_of <<<"$T_OUT")" "nothing ends after an hour from now"
    assert_status 0 as_user alice "$GC" jobs -S now-3days -E now-2days --json
    assert_eq "" "$(ids_of <<<"$T_OUT")" "nothing began before two days ago"
    assert_status 0 as_user alice "$GC" jobs -S now+1hours -j "$A1" --json
    assert_eq "" "$(ids_of <<<"$T_OUT")" "-S still applies with -j"
    assert_status 0 as_user alice "$GC" jobs -j "$A1,$A2" -o jobid --parsable2 -n
    assert_eq "$A1 $A2" "$(xargs <<<"$T_OUT")" "-j takes a list"
}

case_bad_input() {
    load_ids
    assert_status 2 as_user alice "$GC" jobs -S yesterdayish
    assert_contains "$T_OUT" "--starttime:"
    assert_contains "$T_OUT" "See 'grantctl jobs --help'."
    assert_status 2 as_user alice "$GC" jobs -j 12x
    assert_eq "grantctl: --jobs wants job ids separated by commas (e.g. 12,15), not '12x'. See 'grantctl jobs --help'." "$T_OUT"
    assert_status 2 as_user alice "$GC" jobs --award 'bad id!'
    assert_status 2 as_user alice "$GC" jobs -o jobid,nosuch
    assert_contains "$T_OUT" "nosuch"
    assert_status 2 as_user alice "$GC" jobs --json -o jobid
    assert_status 2 as_user alice "$GC" jobs -E 2000-01-01
    assert_contains "$T_OUT" "--endtime must be later than --starttime."
    assert_status 2 as_user alice "$GC" jobs --bogus
    # slurmctld still answers.
    assert_status 0 as_user alice "$GC" jobs -j "$A1" --json
    assert_eq "$A1" "$(ids_of <<<"$T_OUT")" "slurmctld still answers"
    scancel "$RUN"
}

run_case "alice sees her jobs' charges, equal to the ledger's, and nobody else's" case_own_jobs_and_charges
run_case "a running job's hold equals balance's held" case_running_hold_equals_balance
run_case "the PI and a manager see their award's members' jobs; root anyone's" case_pi_manager_operator
run_case "sacct's conventions: --parsable2 -n -o field by field, -S/-E" case_slurm_conventions
run_case "bad input: one sentence, exit 2; refusals exit 1" case_bad_input
finish
