#!/bin/bash
# A month of one award against a real cluster, as a grant office sees it:
# charges from real jobs, an adjustment, a deposit and transfers made with
# `grantctl transfer` (one in the award's unit, one into a dollar award at a
# rate). The statement ties out to the ledger to the tick (sqlite3 on the
# ledger file), to report and to balance, and a PI who cannot read the
# ledger gets the same statement from slurmctld's memory; slurmctld applies the transfer to
# both awards within seconds; bad transfers get one sentence, a non-zero exit
# and write nothing. The audit: the first policy recorded as added once, a
# policy edit (budget and a member) followed by scontrol reconfigure listed
# by grantctl audit with old and new values beside the transfers, nothing
# more after a restart with the same policy, and an edit made while
# slurmctld was down recorded at its next start.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"

# The statement is of this month: do not start in its last minutes.
left=$(($(date -d "$(date -d 'next month' +%Y-%m-01) 00:00" +%s) - $(date +%s)))
if ((left < 900)); then echo "waiting ${left}s for the next month (the statement is of this month)"; sleep $((left + 5)); fi
MONTH=$(date +%Y-%m)
FIRST=$MONTH-01

START_POLICY=$(mktemp)
cat >"$START_POLICY" <<EOF
version: 1
enforce: { partitions: [trn1], on_error: closed }
partitions:
  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.34 }
awards:
  S-MAIN:
    pi: carol
    members: { users: [alice] }
    valid: { from: $FIRST, until: 2099-12-31 }
    budget: { chip_hours: 100 }
  S-OTHER:
    members: { users: [bob] }
    valid: { from: $FIRST, until: 2099-12-31 }
    budget: { chip_hours: 50 }
  S-USD:
    members: { users: [dave] }
    valid: { from: $FIRST, until: 2099-12-31 }
    budget: { usd: 1000 }
  S-ENDED:
    members: { users: [dave] }
    valid: { from: 2020-01-01, until: 2020-12-31 }
    budget: { chip_hours: 5 }
EOF
chmod 0644 "$START_POLICY"
grants_suite_start "$START_POLICY"
rm -f "$START_POLICY"
POLICY=$CLUSTER_DIR/etc/grants.yaml
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
GC=$CLUSTER_DIR/grantctl
install -m 0755 "$GRANTCTL" "$GC"

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
units() { ticks_to_units "$(sql "$1")"; }
# Micros (adjustments) as units.
micros_to_units() { /usr/bin/python3 -c 'import sys; from decimal import Decimal; print("{:f}".format((Decimal(sys.argv[1] or 0) / 10**6).normalize()))' "$1"; }
left_is() { [ "$(as_user "$1" "$GC" balance --award "$2" --json | json 'j["awards"][0]["left"]')" = "$3" ]; }
charged() { [ -n "$(sql "SELECT 1 FROM charges WHERE job_id=$1")" ]; }
run_short() {
    try_submit "$1" -o /dev/null -p trn1 --award="$2" -t 5 --wrap 'sleep 2'
    [ -n "$JOB" ] || { _t_fail "submit failed: $T_OUT"; return 1; }
    assert_eq COMPLETED "$(wait_job_done "$JOB" 60)" "job $JOB on $2 completed" || return 1
    eventually 30 "job $JOB is charged" charged "$JOB"
}
# The ledger's rows, to check that a refused command wrote nothing.
rows() { sql "SELECT (SELECT count(*) FROM adjustments) || ' ' || (SELECT count(*) FROM transfers) || ' ' || (SELECT count(*) FROM deposits)"; }

case_statement_ties_out_with_a_transfer() {
    run_short alice S-MAIN || return 1
    run_short alice S-MAIN || return 1
    assert_status 0 "$GC" adjust S-MAIN -1.5 --reason "usage outside Slurm"
    assert_status 0 "$GC" deposit S-MAIN 10 --reason "supplement"
    assert_status 0 "$GC" transfer S-MAIN S-OTHER 7.25 --reason "move to the sister project"
    assert_contains "$T_OUT" "transferred 7.25 chip-h from award S-MAIN to award S-OTHER as transfer 1"
    assert_status 0 "$GC" transfer S-MAIN S-USD 2 --rate 1.34 --reason "buy dollars" --json
    assert_eq "2 S-MAIN S-USD 2 2.68 usd 1.34" \
        "$(json '"%s %s %s %s %s %s %s" % (j["transfer"], j["from"], j["to"], j["amount"], j["credited"], j["to_unit"], j["rate"])' <<<"$T_OUT")" \
        "the transfer at a rate, as JSON"
    # The ledger: each transfer two linked adjustments, debit and credit.
    assert_eq "1|S-MAIN|7250000|S-OTHER|-7250000 2|S-MAIN|2000000|S-USD|-2680000" \
        "$(sql "SELECT group_concat(x, ' ') FROM (SELECT t.id || '|' || f.award || '|' || f.amount_micros || '|' || o.award || '|' || o.amount_micros AS x
                FROM transfers t JOIN adjustments f ON f.id = t.from_adjustment JOIN adjustments o ON o.id = t.to_adjustment ORDER BY t.id)")" \
        "two transfers, each a debit of FROM and a credit of TO"
    assert_eq "1340000" "$(sql "SELECT rate_micros FROM transfers WHERE id = 2")" "the rate is kept"

    # slurmctld applies both legs within seconds (like an adjustment).
    eventually 30 "S-OTHER's balance has the 7.25 moved in" left_is bob S-OTHER 57.25 || return 1
    eventually 30 "S-USD's balance has the 2.68 moved in" left_is dave S-USD 1002.68 || return 1

    # The statement, to the tick against the ledger.
    assert_status 0 "$GC" statement --award S-MAIN --month "$MONTH" --json
    local st=$T_OUT
    local charges adjusted out_ deposits closing
    charges=$(units "SELECT sum(chip_hours_ticks) FROM charges WHERE award='S-MAIN'")
    adjusted=$(micros_to_units "$(sql "SELECT sum(amount_micros) FROM adjustments a WHERE award='S-MAIN' AND NOT EXISTS (SELECT 1 FROM transfers t WHERE a.id IN (t.from_adjustment, t.to_adjustment))")")
    out_=$(micros_to_units "$(sql "SELECT sum(a.amount_micros) FROM adjustments a JOIN transfers t ON t.from_adjustment = a.id WHERE a.award='S-MAIN'")")
    deposits=$(micros_to_units "$(sql "SELECT sum(amount_micros) FROM deposits WHERE award='S-MAIN'")")
    closing=$(ticks_to_units "$(sql "SELECT 100*3600000000 + (SELECT sum(amount_micros)*3600 FROM deposits WHERE award='S-MAIN')
                                        - (SELECT sum(amount_micros)*3600 FROM adjustments WHERE award='S-MAIN')
                                        - (SELECT sum(chip_hours_ticks) FROM charges WHERE award='S-MAIN')")")
    assert_eq "100 $charges $adjusted $deposits 0 $out_ $closing" \
        "$(json '" ".join(str(j[k]) for k in ["opening","charges","adjustments","deposits","transfers_in","transfers_out","closing"])' <<<"$st")" \
        "opening, charges, adjustments, deposits, transfers and closing are the ledger's"
    assert_eq "1.5 9.25" "$adjusted $out_" "the amounts made here"
    assert_eq "$closing" "$(json 'j["opening"] + j["deposits"] + j["transfers_in"] - j["transfers_out"] - j["charges"] - j["adjustments"]' <<<"$st" |
        /usr/bin/python3 -c 'import sys; from decimal import Decimal; print("{:f}".format(Decimal(sys.stdin.read().strip()).quantize(Decimal("0.000001")).normalize()))')" \
        "closing = opening + deposits + transfers - charges - adjustments"
    assert_eq "charge charge adjustment deposit transfer transfer" \
        "$(json '" ".join(l["kind"] for l in j["lines"])' <<<"$st")" "transfers are lines of their own"
    assert_eq "-7.25 -2" "$(json '" ".join(str(l["amount"]) for l in j["lines"] if l["kind"] == "transfer")' <<<"$st")" \
        "transfers out take from the balance"
    assert_eq "$closing" "$(json 'j["lines"][-1]["balance"]' <<<"$st")" "the last line's balance is the closing"
    # The table and the CSV name the other award.
    assert_status 0 "$GC" statement --award S-MAIN --month "$MONTH"
    assert_contains "$T_OUT" "move to the sister project (to S-OTHER)"
    assert_contains "$T_OUT" "+ transfers in 0.0 chip-h - transfers out 9.2 chip-h" "the table rounds down to 0.1 as balance does"
    assert_status 0 "$GC" statement --award S-MAIN --month "$MONTH" -o kind,job,amount,reason --parsable2 -n
    assert_contains "$T_OUT" "transfer|transfer 1|-7.25|move to the sister project (to S-OTHER)"
    # The receiving side: a transfer in.
    assert_status 0 "$GC" statement --award S-USD --month "$MONTH" --json
    assert_eq "2.68 0 1002.68" "$(json '"%s %s %s" % (j["transfers_in"], j["transfers_out"], j["closing"])' <<<"$T_OUT")" \
        "S-USD: 2.68 dollars in"
    assert_contains "$(json '" ".join(l.get("reason","") for l in j["lines"])' <<<"$T_OUT")" "buy dollars (from S-MAIN)"

    # balance (slurmctld's memory) and report (the ledger) agree with it.
    eventually 30 "S-MAIN's balance is the statement's closing" left_is alice S-MAIN "$closing" || return 1
    assert_status 0 "$GC" report --award S-MAIN --json
    assert_eq "$(/usr/bin/python3 -c 'import sys; from decimal import Decimal as D; print("{:f}".format((D(sys.argv[1]) + D(sys.argv[2]) + D(sys.argv[3])).normalize()))' "$charges" "$adjusted" "$out_")" \
        "$(json 'j["awards"][0]["total"]["charged"]' <<<"$T_OUT")" \
        "report's total (charges and adjustments, transfer legs among them) = the statement's charges + adjustments + transfers out"
}

# carol, S-MAIN's PI, cannot read the ledger: slurmctld answers from its
# charge book, and her statement is root's, read from the ledger, to the byte
# in every format (the CSV with each charge's account, partition and cluster).
case_pi_statement_from_the_controller() {
    local format want
    for format in "" "--json" "--format csv" "-o kind,job,user,account,partition,cluster,amount,balance --parsable2 -n"; do
        # shellcheck disable=SC2086 # the format's words
        assert_status 0 "$GC" statement --award S-MAIN --month "$MONTH" $format
        want=$T_OUT
        # shellcheck disable=SC2086
        assert_status 0 as_user carol "$GC" statement --award S-MAIN --month "$MONTH" $format
        assert_eq "$want" "$T_OUT" "carol's statement (${format:-table}) from slurmctld = root's from the ledger"
    done
    assert_status 1 as_user carol test -r "$LEDGER"
    # The charges' rows carry where they ran and whom they were billed to.
    assert_status 0 as_user carol "$GC" statement --award S-MAIN --month "$MONTH" -o kind,job,account,partition,cluster --parsable2 -n
    local job
    job=$(sql "SELECT job_id || '|' || account || '|' || partition || '|' || cluster FROM charges WHERE award='S-MAIN' ORDER BY run_start LIMIT 1")
    assert_contains "$T_OUT" "charge|$job" "the first charge's account, partition and cluster are the ledger's"
    assert_eq "2" "$(printf '%s\n' "$T_OUT" | grep -c '^charge|')" "both charges"
    # A member who is not the PI, and an award that is not there: the same sentence.
    assert_status 1 as_user alice "$GC" statement --award S-MAIN --month "$MONTH"
    assert_contains "$T_OUT" 'only the PI and managers of award "S-MAIN" (and Slurm operators) may see its statement, and alice is neither.'
    assert_eq 1 "$(printf '%s\n' "$T_OUT" | grep -c .)" "one sentence: $T_OUT"
    assert_status 1 as_user carol "$GC" statement --award S-NOPE --month "$MONTH"
    assert_contains "$T_OUT" 'only the PI and managers of award "S-NOPE" (and Slurm operators) may see its statement, and carol is neither.'
    assert_status 2 as_user carol "$GC" statement --award S-MAIN --month 2026-13
    assert_contains "$T_OUT" "--month wants YYYY-MM"
}

case_bad_transfers_write_nothing() {
    local before
    before=$(rows)
    assert_status 1 "$GC" transfer S-MAIN S-NOPE 1 --reason x
    assert_contains "$T_OUT" "award S-NOPE is not in the policy"
    assert_status 1 "$GC" transfer S-NOPE S-MAIN 1 --reason x
    assert_contains "$T_OUT" "award S-NOPE is not in the policy"
    assert_status 2 "$GC" transfer S-MAIN S-MAIN 1 --reason x
    assert_contains "$T_OUT" "a transfer needs two different awards"
    assert_status 2 "$GC" transfer S-MAIN S-OTHER 0 --reason x
    assert_contains "$T_OUT" "AMOUNT wants a number more than zero"
    assert_status 2 "$GC" transfer S-MAIN S-OTHER -3 --reason x
    assert_contains "$T_OUT" "AMOUNT wants a number more than zero"
    assert_status 2 "$GC" transfer S-MAIN S-OTHER 1
    assert_contains "$T_OUT" "--reason is required"
    assert_status 1 "$GC" transfer S-MAIN S-USD 1 --reason x
    assert_contains "$T_OUT" "award S-MAIN is in chip_hours and S-USD in usd: give --rate"
    assert_status 1 "$GC" transfer S-MAIN S-OTHER 1 --rate 2 --reason x
    assert_contains "$T_OUT" "takes no --rate"
    assert_status 2 "$GC" transfer S-MAIN S-USD 1 --rate 0 --reason x
    assert_contains "$T_OUT" "--rate wants a number more than zero"
    assert_status 1 "$GC" transfer S-OTHER S-ENDED 1 --reason x
    assert_contains "$T_OUT" "award S-ENDED ended on 2020-12-31"
    assert_status 1 "$GC" transfer S-OTHER S-MAIN 1000 --reason x
    assert_contains "$T_OUT" "award S-OTHER has 57.25 chip-h left"
    # What a live job holds cannot be moved away.
    try_submit bob -p trn1 --award=S-OTHER -t 120 --hold --wrap true  # holds 32 chip-h
    [ -n "$JOB" ] || _t_fail "the held job was refused: $T_OUT"
    eventually 30 "slurmctld counts the hold" left_is bob S-OTHER 25.25
    assert_status 1 "$GC" transfer S-OTHER S-MAIN 30 --reason x
    assert_contains "$T_OUT" "award S-OTHER has 25.25 chip-h left"
    [ -n "$JOB" ] && scancel "$JOB"
    # Not an operator: alice cannot write the ledger.
    assert_status 1 as_user alice "$GC" transfer S-MAIN S-OTHER 1 --reason "self-service" --ledger "$LEDGER" --policy "$POLICY"
    assert_eq 1 "$(printf '%s\n' "$T_OUT" | grep -c .)" "one sentence: $T_OUT"
    assert_eq "$before" "$(rows)" "nothing was written by the refused transfers"
}

audit_rows() { sql "SELECT count(*) FROM policy_audit"; }
audit_has() { [ "$(sql "SELECT count(*) FROM policy_audit WHERE award='$1' AND field='$2' AND new_value='$3'")" = 1 ]; }

case_policy_changes_are_audited() {
    # The first policy of this fresh ledger: every award added, once.
    assert_eq "S-ENDED S-MAIN S-OTHER S-USD" \
        "$(sql "SELECT group_concat(award, ' ') FROM (SELECT award FROM policy_audit WHERE field='award' AND new_value='added' ORDER BY award)")" \
        "each award recorded as added once"
    assert_eq "{ chip_hours: 100 }" "$(sql "SELECT new_value FROM policy_audit WHERE award='S-MAIN' AND field='budget'")"
    assert_eq "$POLICY" "$(sql "SELECT DISTINCT file FROM policy_audit")" "with the policy file"
    local before
    before=$(audit_rows)
    # An edit: S-MAIN's budget 100 -> 120 and dave a member; reconfigure.
    sed -e '/^  S-MAIN:/,/^  S-OTHER:/ s/budget: { chip_hours: 100 }/budget: { chip_hours: 120 }/' \
        -e '/^  S-MAIN:/,/^  S-OTHER:/ s/users: \[alice\]/users: [alice, dave]/' "$POLICY" >"$POLICY.new"
    chmod 0644 "$POLICY.new" && mv -f "$POLICY.new" "$POLICY"
    assert_status 0 timeout 30 scontrol reconfigure
    eventually 15 "the budget change is recorded" audit_has S-MAIN budget "{ chip_hours: 120 }" || return 1
    eventually 30 "the member change is recorded" audit_has S-MAIN users "[alice, dave]" || return 1
    assert_eq "$((before + 2))" "$(audit_rows)" "exactly two rows for two changed fields"
    assert_status 0 "$GC" audit --award S-MAIN -o kind,field,old,new --parsable2 -n
    assert_contains "$T_OUT" "policy|budget|{ chip_hours: 100 }|{ chip_hours: 120 }"
    assert_contains "$T_OUT" "policy|users|[alice]|[alice, dave]"
    assert_contains "$T_OUT" "transfer|||" "the transfers are listed beside the policy changes"
    assert_status 0 "$GC" audit --award S-MAIN --json
    assert_eq "true" "$(json 'all(a["time"] <= b["time"] for a, b in zip(j["entries"], j["entries"][1:]))' <<<"$T_OUT")" \
        "entries in time order"
    assert_eq "policy" "$(json 'j["entries"][-1]["kind"]' <<<"$T_OUT")" "the edit is the latest entry"
    assert_eq "$(sql "SELECT count(*) FROM policy_audit WHERE award='S-MAIN'") $(sql "SELECT count(*) FROM adjustments WHERE award='S-MAIN'") $(sql "SELECT count(*) FROM deposits WHERE award='S-MAIN'")" \
        "$(json '"%d %d %d" % (sum(e["kind"]=="policy" for e in j["entries"]), sum(e["kind"] in ("adjustment","transfer") for e in j["entries"]), sum(e["kind"]=="deposit" for e in j["entries"]))' <<<"$T_OUT")" \
        "audit lists every recorded row of the award"
    assert_eq "1" "$(json 'sum(1 for e in j["entries"] if e["kind"]=="transfer" and e["amount"]=="-7.25" and "(to S-OTHER)" in e["reason"])' <<<"$T_OUT")" \
        "the transfer out, with the other award"

    # A restart with the same policy records nothing.
    before=$(audit_rows)
    cluster_restart_ctld || return 1
    sleep 3
    assert_eq "$before" "$(audit_rows)" "a restart with the same policy adds nothing"
    # An edit while slurmctld is down is recorded at its next start.
    cluster_stop_ctld || return 1
    sed -e '/^  S-OTHER:/,/^  S-USD:/ s/budget: { chip_hours: 50 }/budget: { chip_hours: 50 }\n    limits: { max_jobs: 9 }/' "$POLICY" >"$POLICY.new"
    chmod 0644 "$POLICY.new" && mv -f "$POLICY.new" "$POLICY"
    cluster_start_ctld || return 1
    eventually 30 "the edit made while down is recorded" audit_has S-OTHER limits.max_jobs 9 || return 1
    assert_eq "$((before + 1))" "$(audit_rows)" "one row for it"

    # Bad input.
    assert_status 2 "$GC" audit
    assert_contains "$T_OUT" "--award ID is required"
    assert_status 2 "$GC" audit --award 'bad id'
    assert_status 2 "$GC" audit --award S-MAIN -o nosuchfield
    assert_status 1 as_user alice "$GC" audit --award S-MAIN --ledger "$LEDGER"
    assert_contains "$T_OUT" "cannot read the ledger"
}

run_case "a month with charges, an adjustment, a deposit and transfers ties out to the ledger, report and balance" \
    case_statement_ties_out_with_a_transfer
run_case "a PI's statement from a login node (slurmctld's memory) is the ledger's, byte for byte" \
    case_pi_statement_from_the_controller
run_case "bad transfers get one sentence and a non-zero exit, and write nothing" case_bad_transfers_write_nothing
run_case "policy edits are in grantctl audit with old and new values, once" case_policy_changes_are_audited
finish
