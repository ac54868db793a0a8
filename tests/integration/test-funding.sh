#!/bin/bash
# An award's money over time against a real cluster: tranches with their own
# windows (the one that ended, the one that is active, rollover on and off,
# charges drawing from the one that ends first), deposits made with
# `grantctl deposit` that slurmctld applies within seconds and report lists,
# and a tranche that does not fit the award refused with the last good
# policy kept. Tranche windows are days relative to today; the day boundary
# itself is unit-tested (tests/unit/test_funding.cpp).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"

start_after_midnight "the tranche windows are days relative to today"
TODAY=$(date +%F)
YESTERDAY=$(date -d yesterday +%F)
TEN_AGO=$(date -d '10 days ago' +%F)
IN5=$(date -d '5 days' +%F)
IN30=$(date -d '30 days' +%F)

# funding_policy ROLLOVER [EXTRA-TRANCHE-LINE]: the suite's policy.
funding_policy() {
    cat <<EOF
version: 1
enforce: { partitions: [trn1], on_error: closed }
partitions:
  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.34 }
awards:
  F-TWO:
    members: { users: [alice] }
    valid: { from: $TEN_AGO, until: $IN30 }
    budget:
      - { chip_hours: 5, until: $YESTERDAY }
      - { chip_hours: 3, from: $TODAY }${2:+
      $2}
    rollover: $1
  F-OVERLAP:
    members: { users: [alice] }
    valid: { until: $IN30 }
    budget:
      - { chip_hours: 100 }
      - { chip_hours: 10, until: $IN5 }
  F-DEP:
    members: { users: [dave] }
    valid: { until: $IN30 }
    budget: { chip_hours: 1 }
EOF
}
START_POLICY=$(mktemp)
funding_policy false >"$START_POLICY"
chmod 0644 "$START_POLICY"
grants_suite_start "$START_POLICY"
rm -f "$START_POLICY"
POLICY=$CLUSTER_DIR/etc/grants.yaml
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
GC=$CLUSTER_DIR/grantctl
install -m 0755 "$GRANTCTL" "$GC"

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
install_policy() {
    printf '%s\n' "$1" >"$POLICY.new" && chmod 0644 "$POLICY.new" && mv -f "$POLICY.new" "$POLICY"
}
# tranche_json USER AWARD SOURCE EXPR: EXPR over the tranche named SOURCE (bound to t).
tranche_json() {
    award_json "$1" "$2" "(lambda t: $4)([t for t in a['tranches'] if t['source'] == '$3'][0])"
}
# award_json USER AWARD EXPR: EXPR over the award's balance --json (bound to a).
award_json() {
    as_user "$1" "$GC" balance --award "$2" --json | json "(lambda a: $3)(j['awards'][0])"
}
# json_is USER AWARD EXPR VALUE: award_json prints VALUE (for eventually).
json_is() { [ "$(award_json "$1" "$2" "$3")" = "$4" ]; }
budget_is() { json_is "$1" "$2" 'a["budget"]' "$3"; }
# run_short USER AWARD: a one-node job of a few seconds, completed and charged; sets JOB.
run_short() {
    try_submit "$1" -o /dev/null -p trn1 --award="$2" -t 5 --wrap 'sleep 2'
    [ -n "$JOB" ] || { _t_fail "submit failed: $T_OUT"; return 1; }
    assert_eq COMPLETED "$(wait_job_done "$JOB" 60)" "job $JOB on $2 completed" || return 1
    eventually 30 "job $JOB is charged" charged "$JOB"
}
charged() { [ -n "$(sql "SELECT 1 FROM charges WHERE job_id=$1")" ]; }
charge_of() { ticks_to_units "$(sql "SELECT chip_hours_ticks FROM charges WHERE job_id=$1")"; }

case_tranches_end_start_and_roll_over() {
    # A run of yesterday (1 chip x 1 h), as the ledger keeps one.
    local noon
    noon=$(date -d "$YESTERDAY 12:00" +%s)
    sql "INSERT INTO charges (cluster, job_id, run_start, award, user, account, partition, chips, seconds,
         chip_hours_ticks, usd_ticks, recorded_at)
         VALUES ('earlier', 900001, $noon, 'F-TWO', 'alice', '', 'trn1', 1, 3600, 3600000000, 4824000000, $((noon + 3600)))"
    # Rollover off: the first tranche ended yesterday with 4 unspent, which lapse.
    eventually 30 "slurmctld reads the ledger's new run" json_is alice F-TWO 'a["tranches"][0]["spent"]' 1 || return 1
    assert_eq "3" "$(award_json alice F-TWO 'a["budget"]')" "only the active tranche counts"
    assert_eq "tranche 1 ended 4" "$(award_json alice F-TWO '" ".join([a["tranches"][0]["source"], a["tranches"][0]["phase"], str(a["tranches"][0]["lapsed"])])')" \
        "the first ended; its unspent part lapsed"
    assert_eq "tranche 2 active 3 0" "$(award_json alice F-TWO '" ".join([a["tranches"][1]["source"], a["tranches"][1]["phase"], str(a["tranches"][1]["amount"]), str(a["tranches"][1]["spent"])])')"
    assert_status 0 as_user alice "$GC" balance --award F-TWO
    assert_contains "$T_OUT" "Tranches" "balance shows the tranche table"
    assert_contains "$T_OUT" "4.0 chip-h lapsed"
    try_submit alice -p trn1 --award=F-TWO -t 20 --hold --wrap true
    assert_eq "" "$JOB" "a job needing 5.3 chip-h is refused with 3 active" || scancel "$JOB"
    assert_contains "$T_OUT" "award F-TWO has 3.0 of 3 chip-h left"
    assert_status 0 as_user alice "$GC" quote -p trn1 --award=F-TWO -t 10
    assert_contains "$T_OUT" "would be accepted: award F-TWO: this job holds 2.7 chip-h; 0.3 of 3 chip-h left"
    assert_contains "$T_OUT" "tranche 2" "quote shows the tranches"

    # Rollover on: the 4 move to the second tranche.
    install_policy "$(funding_policy true)"
    eventually 30 "rollover on reaches slurmctld" budget_is alice F-TWO 7 || return 1
    assert_eq "4 4" "$(award_json alice F-TWO '"%s %s" % (a["tranches"][0]["passed_on"], a["tranches"][1]["rolled_in"])')" \
        "passed on by the first, rolled into the second"
    try_submit alice -p trn1 --award=F-TWO -t 20 --hold --wrap true
    assert_contains "$T_OUT" "award F-TWO: this job holds 5.4 chip-h; 1.6 of 7 chip-h left" "now it fits"
    [ -n "$JOB" ] && scancel "$JOB"

    # Today's run lands on the second tranche; the first keeps yesterday's.
    run_short alice F-TWO || return 1
    # Each award's charge in its own variable: the two runs need not last
    # the same number of seconds (a check once compared F-TWO's tranche with
    # F-OVERLAP's charge and failed whenever they differed).
    local charged_two charged_overlap
    charged_two=$(charge_of "$JOB")
    eventually 30 "the charge reaches the tranche" json_is alice F-TWO 'a["tranches"][1]["spent"]' "$charged_two" || return 1
    assert_eq "1" "$(award_json alice F-TWO 'a["tranches"][0]["spent"]')" "the ended tranche is unchanged"
    assert_eq "$charged_two" "$(award_json alice F-TWO 'a["charged"]')" "charged: what the active tranches spent"

    # Two active tranches: the one that ends first pays.
    run_short alice F-OVERLAP || return 1
    charged_overlap=$(charge_of "$JOB")
    eventually 30 "the charge reaches the tranche" json_is alice F-OVERLAP 'a["tranches"][0]["spent"]' "$charged_overlap" ||
        return 1
    assert_eq "tranche 2 $IN5" "$(award_json alice F-OVERLAP '"%s %s" % (a["tranches"][0]["source"], a["tranches"][0]["until"])')" \
        "drawn from first: the tranche ending $IN5"
    assert_eq "0" "$(award_json alice F-OVERLAP 'a["tranches"][1]["spent"]')" "the open-ended one is untouched"
    assert_status 0 "$GC" metrics
    assert_contains "$T_OUT" "slurm_grants_tranche_spent{award=\"F-OVERLAP\",tranche=\"tranche 2\",state=\"active\"} $charged_overlap"
    assert_status 0 "$GC" report --award F-TWO --json
    assert_eq "1 $charged_two" "$(json '"%s %s" % (j["tranches"]["F-TWO"][0]["spent"], j["tranches"]["F-TWO"][1]["spent"])' <<<"$T_OUT")" \
        "report shows the same tranches from the ledger"
}

case_deposit_raises_what_is_usable() {
    try_submit dave -p trn1 --award=F-DEP -t 10 --hold --wrap true
    assert_eq "" "$JOB" "2.7 chip-h do not fit in 1" || scancel "$JOB"
    assert_status 0 "$GC" deposit F-DEP 5 --reason "supplement from the dean, grant office ticket 77"
    assert_contains "$T_OUT" "deposited 5.0 chip-h to award F-DEP as deposit 1, from $TODAY until $IN30"
    assert_eq "1" "$(sql "SELECT count(*) FROM deposits WHERE award='F-DEP' AND amount_micros=5000000 AND who='root' AND reason LIKE 'supplement from the dean%'")" \
        "the ledger records amount, who and why"
    submit_until dave "award F-DEP: this job holds" 10 -p trn1 --award=F-DEP -t 10 --hold --wrap true || return 1
    assert_contains "$T_OUT" "award F-DEP: this job holds 2.7 chip-h; 3.3 of 6 chip-h left" "usable within seconds"
    scancel "$JOB"
    assert_eq "active 5" "$(tranche_json dave F-DEP "deposit 1" '"%s %s" % (t["phase"], t["amount"])')" \
        "balance lists the deposit"
    assert_status 0 "$GC" report --award F-DEP
    assert_contains "$T_OUT" "Deposits:"
    assert_contains "$T_OUT" "supplement from the dean, grant office ticket 77"
    assert_status 0 "$GC" report --award F-DEP --json
    assert_eq "5 root $TODAY" "$(json '"%s %s %s" % (j["deposits"][0]["amount"], j["deposits"][0]["who"], j["deposits"][0]["from"])' <<<"$T_OUT")"
    assert_status 0 "$GC" report --award F-DEP --format csv
    assert_contains "$T_OUT" "deposit,F-DEP,,,,5,0,chip_hours,,root,"
    assert_eq "1" "$(grep -c 'chip_hours: 1 }' "$POLICY")" "the policy keeps the initial budget"

    # A correction takes it back.
    assert_status 0 "$GC" deposit F-DEP -5 --reason "entered twice"
    assert_contains "$T_OUT" "withdrew 5.0 chip-h from award F-DEP as deposit 2"
    eventually 30 "the correction reaches slurmctld" budget_is dave F-DEP 1 || return 1

    # Refusals: one sentence, nothing recorded.
    assert_status 2 "$GC" deposit F-DEP 5 --reason x --until "$YESTERDAY"
    assert_contains "$T_OUT" "is in the past"
    assert_status 1 "$GC" deposit F-DEP 5 --reason x --until "$(date -d '40 days' +%F)"
    assert_contains "$T_OUT" "a deposit cannot outlive its award"
    assert_status 1 "$GC" deposit F-NOPE 5 --reason x
    assert_contains "$T_OUT" "award F-NOPE is not in the policy"
    assert_status 2 "$GC" deposit F-DEP 5
    assert_contains "$T_OUT" "--reason is required"
    assert_status 1 as_user dave "$GC" deposit F-DEP 5 --reason "self-service" --ledger "$LEDGER"
    assert_eq "2" "$(sql "SELECT count(*) FROM deposits")" "a user's deposit recorded nothing"
}

case_bad_tranche_keeps_last_good() {
    install_policy "$(funding_policy false "- { chip_hours: 1, from: $TODAY, until: $(date -d '60 days' +%F) }")"
    assert_status 1 "$GC" check "$POLICY"
    assert_contains "$T_OUT" "$POLICY:12:9: award 'F-TWO'.budget[3] ends on $(date -d '60 days' +%F), after the award's valid.until ($IN30)"
    sleep 2
    assert_eq "7" "$(award_json alice F-TWO 'a["budget"]')" "the last good policy (rollover on) stays in force"
    install_policy "$(funding_policy false)"
    eventually 30 "the fixed policy loads" budget_is alice F-TWO 3
}

run_case "tranches: one ended, one active, rollover off and on, drawn from the first to end" \
    case_tranches_end_start_and_roll_over
run_case "a deposit raises what is usable within seconds and appears in report" case_deposit_raises_what_is_usable
run_case "a tranche outside the award is refused; the last good policy stays" case_bad_tranche_keeps_last_good
finish
