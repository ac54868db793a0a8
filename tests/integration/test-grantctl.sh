#!/bin/bash
# grantctl against a real cluster: balance and quote through slurmctld as
# ordinary users (no access to StateSaveLocation), report from the ledger,
# adjust with an audit trail, metrics in Prometheus text, and exit 2 on bad
# arguments.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"
grants_suite_start "$here/policies/grantctl.yaml"
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
# Users run a copy they can reach (the build tree may be under a private home).
GC=$CLUSTER_DIR/grantctl
install -m 0755 "$GRANTCTL" "$GC"

# Debian's python3 (python3-prometheus-client is installed for it), whatever else is on PATH.
python3() { /usr/bin/python3 "$@"; }
sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
run_one() {  # run_one USER SCRIPT-BODY: a short job, waited for; prints its id
    try_submit "$1" -p trn1 "${@:2}" --wrap 'sleep 1'
    [ -n "$JOB" ] || { echo "submit failed: $T_OUT" >&2; return 1; }
    wait_job_done "$JOB" 60 >/dev/null
    echo "$JOB"
}

case_balance_shows_only_own_awards() {
    assert_status 0 as_user alice "$GC" balance --json || return 1
    local out=$T_OUT
    assert_eq "alice" "$(json 'j["user"]' <<<"$out")" "answer is about the caller"
    assert_eq "G-MAIN,G-SMALL" "$(json '",".join(a["award"] for a in j["awards"])' <<<"$out")" "alice's awards"
    assert_not_contains "$out" "G-CAROL" "carol's award is not shown to alice"
    assert_eq "100" "$(json '[a for a in j["awards"] if a["award"]=="G-MAIN"][0]["budget"]' <<<"$out")"
    assert_eq "2099-12-31" "$(json '[a for a in j["awards"] if a["award"]=="G-MAIN"][0]["valid_until"]' <<<"$out")"
    assert_eq "Sparse MoE pretraining" "$(json '[a for a in j["awards"] if a["award"]=="G-MAIN"][0]["title"]' <<<"$out")"
    assert_status 0 as_user carol "$GC" balance
    assert_contains "$T_OUT" "G-CAROL"
    assert_contains "$T_OUT" "\$50.00"
    assert_not_contains "$T_OUT" "G-MAIN" "alice's award is not shown to carol"
    # An award one is not a member of looks exactly like one that does not exist.
    assert_status 1 as_user carol "$GC" balance --award G-MAIN
    assert_contains "$T_OUT" "not a member, PI or manager of award G-MAIN, or it does not exist"
    # Users cannot ask about others; root can.
    assert_status 1 as_user carol "$GC" balance --user alice
    assert_contains "$T_OUT" "only root and SlurmUser may ask about another user"
    assert_status 0 "$GC" balance --user carol --json
    assert_eq "G-CAROL" "$(json '",".join(a["award"] for a in j["awards"])' <<<"$T_OUT")"
    # The users cannot read the ledger: the answer came through slurmctld.
    assert_status nonzero as_user alice cat "$LEDGER"
}

case_balance_matches_ledger() {
    local j1 j2 ticks charged
    j1=$(run_one alice --award=G-MAIN -t 10) || return 1
    j2=$(run_one bob -t 10) || return 1
    run_one carol --award=G-CAROL -t 10 >/dev/null || return 1
    settle
    assert_eq 1 "$(sql "SELECT count(*) FROM charges WHERE job_id=$j1")" "job $j1 charged"
    assert_eq 1 "$(sql "SELECT count(*) FROM charges WHERE job_id=$j2")" "job $j2 charged"
    ticks=$(sql "SELECT sum(chip_hours_ticks) FROM charges WHERE award='G-MAIN'")
    assert_status 0 as_user bob "$GC" balance --award G-MAIN --json || return 1
    charged=$(json 'j["awards"][0]["charged"]' <<<"$T_OUT")
    assert_eq "$(ticks_to_units "$ticks")" "$charged" "balance's charged is the ledger's sum"
    assert_eq "0" "$(json 'j["awards"][0]["held"]' <<<"$T_OUT")" "nothing held once the jobs ended"
    # A pending job holds its maximum cost: 16 chips x 10 min = 2.666667 chip-h.
    try_submit alice -p trn1 --award=G-MAIN -t 10 --hold --wrap true
    local held=$JOB
    assert_status 0 as_user alice "$GC" balance --award G-MAIN --json
    assert_eq "2.666667" "$(json 'j["awards"][0]["held"]' <<<"$T_OUT")" "a pending job's hold"
    assert_eq "1" "$(json 'j["awards"][0]["pending_jobs"]' <<<"$T_OUT")" "one pending job"
    # Each amount is rounded to the millionth on its own: left may differ by one.
    python3 -c 'import sys; from decimal import Decimal as D; sys.exit(0 if abs(D(sys.argv[1]) - (100 - D(sys.argv[2]) - D("2.666667"))) <= D("0.000001") else 1)' \
        "$(json 'j["awards"][0]["left"]' <<<"$T_OUT")" "$charged" || _t_fail "left = budget - charged - held: $T_OUT"
    scancel "$held"
    settle  # the next accounting pass releases its hold before the next case quotes
}

# The sentence sbatch prints and the one quote prints are the same decision.
quote_vs_sbatch() {  # quote_vs_sbatch USER EXPECTED-STATUS SBATCH-ARGS...
    local u=$1 want=$2 q s
    shift 2
    local qargs=() a
    for a in "$@"; do
        case $a in
            --hold) ;;
            *) qargs+=("$a") ;;
        esac
    done
    assert_status "$want" as_user "$u" "$GC" quote "${qargs[@]}" || return 1
    q=$(sed -n 's/^would be \(accepted\|rejected\): //p' <<<"$T_OUT")
    try_submit "$u" --hold "$@" --wrap true
    if [ "$want" = 0 ]; then
        [ -n "$JOB" ] || _t_fail "quote said accepted, sbatch refused: $T_OUT"
        s=$(sed -n 's/^sbatch: //p' <<<"$T_OUT" | grep -v '^error' | head -1)
        # Its hold is released by the next accounting pass (every second).
        [ -n "$JOB" ] && scancel "$JOB" && settle
    else
        [ -z "$JOB" ] || { _t_fail "quote said rejected, sbatch accepted job $JOB"; scancel "$JOB"; }
        s=$(sed -n 's/^sbatch: error: //p' <<<"$T_OUT" | grep -v '^Batch job submission failed' | head -1)
    fi
    assert_eq "$s" "$q" "quote and sbatch print the same sentence"
}

# No award-ID oracle: an award the user is not a member of (G-CAROL) and one
# that does not exist (G-NOPE) get the same answer from sbatch and from
# quote, --json included, but for the ID.
case_foreign_and_missing_awards_alike() {
    local foreign
    quote_vs_sbatch alice 1 -p trn1 -t 10 --award=G-NOPE
    assert_status 1 as_user alice "$GC" quote -p trn1 -t 10 --award=G-CAROL --json
    foreign=${T_OUT//G-CAROL/G-NOPE}
    assert_status 1 as_user alice "$GC" quote -p trn1 -t 10 --award=G-NOPE --json
    assert_eq "$foreign" "$T_OUT" "quote --json answers alike"
    try_submit alice -p trn1 -t 10 --award=G-CAROL --hold --wrap true
    foreign=${T_OUT//G-CAROL/G-NOPE}
    try_submit alice -p trn1 -t 10 --award=G-NOPE --hold --wrap true
    assert_eq "$foreign" "$T_OUT" "sbatch answers alike"
    assert_contains "$T_OUT" "sbatch: error: user alice is not a member of award G-NOPE, or it does not exist (your awards: G-MAIN, G-SMALL)."
}

case_quote_agrees_with_sbatch() {
    quote_vs_sbatch alice 0 -p trn1 -N 1 -t 30 --award=G-MAIN
    quote_vs_sbatch alice 0 -p trn1 -N 2 -t 1:00:00 --award=G-MAIN
    quote_vs_sbatch bob 0 -p trn1 -t 15                       # default award
    quote_vs_sbatch alice 1 -p trn1 -N 1 -t 1:00:00 --award=G-SMALL   # over budget
    quote_vs_sbatch alice 1 -p trn1 -t 10 --award=G-CAROL      # not a member
    quote_vs_sbatch dave 1 -p trn1 -t 10 --award=G-OLD         # expired
    quote_vs_sbatch alice 1 -p trn1 -t 10                      # several awards, none named
    quote_vs_sbatch alice 1 -p trn1 -t 4:00:00 -a 0-99 --award=G-MAIN  # array per task
    quote_vs_sbatch carol 0 -p trn1 -t 10 --award=G-CAROL      # dollars
    quote_vs_sbatch carol 1 -p trn2 -t 10 --award=G-CAROL      # partition not allowed
    quote_vs_sbatch alice 0 -p trn2 -t 30 --gres=neuron:4 --award=G-MAIN  # GRES chips
    quote_vs_sbatch alice 0 -p trn1,trn2 -N 1 -t 30 --award=G-MAIN       # most expensive partition
    assert_status 0 as_user alice "$GC" quote -p trn2 -t 30 --gres=neuron:4 --award=G-MAIN --json
    assert_eq "2" "$(json 'j["cost"]' <<<"$T_OUT")" "4 chips x 30 min = 2 chip-h"
    # Cost and JSON.
    assert_status 0 as_user alice "$GC" quote -p trn1 -N 1 -t 30 --award=G-MAIN --json
    assert_eq "accept" "$(json 'j["verdict"]' <<<"$T_OUT")"
    assert_eq "8" "$(json 'j["cost"]' <<<"$T_OUT")" "16 chips x 30 min = 8 chip-h"
    assert_status 0 as_user alice "$GC" quote -p trn1 -N 1 -t 30 -a 0-3 --award=G-MAIN --json
    assert_eq "32" "$(json 'j["cost"]' <<<"$T_OUT")" "an array of 4 costs 4 jobs"
    assert_status 0 as_user carol "$GC" quote -p trn1 -t 60 --award=G-CAROL --json
    assert_eq "21.44" "$(json 'j["cost"]' <<<"$T_OUT")" "16 chips x 1 h x \$1.34"
    assert_eq "usd" "$(json 'j["unit"]' <<<"$T_OUT")"
    assert_status 1 as_user alice "$GC" quote -p trn1 -N 1 -t 1:00:00 --award=G-SMALL --json
    assert_eq "16" "$(json 'j["cost"]' <<<"$T_OUT")" "a refused quote still tells the cost"
    # Partitions outside enforcement need no award.
    assert_status 0 as_user alice "$GC" quote -p cpu -t 10
    assert_contains "$T_OUT" "not enforced"
    # The quote created nothing.
    assert_eq "" "$(squeue -h -u alice -o %i)" "no job left behind by quotes"
}

case_report_totals_equal_ledger() {
    local award ticks usd out by fmt
    for award in G-MAIN G-CAROL; do
        ticks=$(sql "SELECT coalesce(sum(chip_hours_ticks),0) FROM charges WHERE award='$award'")
        usd=$(sql "SELECT coalesce(sum(usd_ticks),0) FROM charges WHERE award='$award'")
        for by in user job day; do
            assert_status 0 "$GC" report --award "$award" --by "$by" --json || return 1
            out=$T_OUT
            assert_eq "$(ticks_to_units "$ticks")" "$(json 'j["awards"][0]["total"]["chip_hours"]' <<<"$out")" \
                "$award by $by: chip-hours = ledger"
            assert_eq "$(ticks_to_units "$usd")" "$(json 'j["awards"][0]["total"]["usd"]' <<<"$out")" \
                "$award by $by: dollars = ledger"
            assert_eq "$(sql "SELECT count(*) FROM charges WHERE award='$award'")" \
                "$(json 'sum(r["runs"] for r in j["awards"][0]["rows"])' <<<"$out")" "$award by $by: every run in a row"
            assert_status 0 "$GC" report --award "$award" --by "$by" --format csv
            assert_eq "$(ticks_to_units "$ticks")" "$(awk -F, '$1=="total"{print $6}' <<<"$T_OUT")" "$award csv chip-hours"
            assert_eq "$(ticks_to_units "$usd")" "$(awk -F, '$1=="total"{print $7}' <<<"$T_OUT")" "$award csv dollars"
        done
    done
    # The table's total line, and totals that reconcile with balance.
    assert_status 0 "$GC" report --award G-MAIN
    assert_contains "$T_OUT" "TOTAL"
    assert_status 0 as_user alice "$GC" balance --award G-MAIN --json
    local charged
    charged=$(json 'j["awards"][0]["charged"]' <<<"$T_OUT")
    assert_status 0 "$GC" report --award G-MAIN --json
    assert_eq "$charged" "$(json 'j["awards"][0]["total"]["charged"]' <<<"$T_OUT")" "report total = balance charged"
    # Per user and time filters select the same rows as SQL does.
    assert_status 0 "$GC" report --user bob --json
    assert_eq "$(ticks_to_units "$(sql "SELECT sum(chip_hours_ticks) FROM charges WHERE user='bob'")")" \
        "$(json 'sum(__import__("decimal").Decimal(str(a["total"]["chip_hours"])) for a in j["awards"])' <<<"$T_OUT")"
    assert_status 0 "$GC" report --since 2000-01-01 --until 2000-12-31 --json
    assert_eq "0" "$(json 'len(j["awards"])' <<<"$T_OUT")" "nothing charged in 2000"
    assert_status 0 "$GC" report --since "$(date +%F)" --json
    assert_eq "$(sql "SELECT count(DISTINCT award) FROM charges")" "$(json 'len(j["awards"])' <<<"$T_OUT")" "today"
    # Users cannot read the ledger.
    assert_status 1 as_user alice "$GC" report --ledger "$LEDGER"
    assert_contains "$T_OUT" "cannot read the ledger"
}

case_adjust_changes_next_decision() {
    # G-ADJ has 1 chip-h: a 10-minute job on one node (2.67 chip-h) does not fit.
    try_submit dave -p trn1 --award=G-ADJ -t 10 --hold --wrap true
    assert_eq "" "$JOB" "refused before the credit" || scancel "$JOB"
    assert_status 0 "$GC" adjust G-ADJ +5 --reason "hardware fault on trn1-004, ticket 4411"
    assert_contains "$T_OUT" "credited 5.0 chip-h to award G-ADJ"
    assert_eq "1" "$(sql "SELECT count(*) FROM adjustments WHERE award='G-ADJ' AND amount_micros=-5000000 AND who='root' AND reason LIKE 'hardware fault%'")" \
        "the ledger records amount, who and why"
    submit_until dave "award G-ADJ: this job holds" 10 -p trn1 --award=G-ADJ -t 10 --hold --wrap true || return 1
    assert_contains "$T_OUT" "award G-ADJ: this job holds 2.7 chip-h; 3.3 of 1 chip-h left" "the credit reached slurmctld"
    scancel "$JOB"
    settle
    assert_status 0 as_user dave "$GC" balance --award G-ADJ --json
    assert_eq "-5" "$(json 'j["awards"][0]["charged"]' <<<"$T_OUT")" "a credit lowers what is charged"
    # A debit takes budget away again, and report lists both with their reasons.
    assert_status 0 "$GC" adjust G-ADJ -4.5 --reason "usage outside Slurm"
    assert_contains "$T_OUT" "debited 4.5 chip-h from award G-ADJ"
    settle
    assert_status 0 as_user dave "$GC" balance --award G-ADJ --json
    assert_eq "-0.5" "$(json 'j["awards"][0]["charged"]' <<<"$T_OUT")"
    assert_status 0 "$GC" report --award G-ADJ --json
    assert_eq "2" "$(json 'len(j["awards"][0]["adjustments"])' <<<"$T_OUT")"
    assert_eq "usage outside Slurm" "$(json 'j["awards"][0]["adjustments"][1]["reason"]' <<<"$T_OUT")"
    assert_eq "-0.5" "$(json 'j["awards"][0]["total"]["charged"]' <<<"$T_OUT")" "report total = balance"
    # Refusals.
    assert_status 1 "$GC" adjust G-NOPE 5 --reason x
    assert_contains "$T_OUT" "award G-NOPE is not in the policy"
    assert_status 1 as_user dave "$GC" adjust G-ADJ 5 --reason "self-service" --ledger "$LEDGER"
    assert_eq "2" "$(sql "SELECT count(*) FROM adjustments")" "a user's adjust recorded nothing"
}

case_metrics_parse_as_prometheus() {
    local j
    try_submit alice -p trn1 --award=G-MAIN -t 10 --hold --wrap true
    j=$JOB
    sleep 1.2
    assert_status 0 "$GC" metrics || return 1
    printf '%s\n' "$T_OUT" >"$CLUSTER_DIR/metrics.prom"
    python3 - "$CLUSTER_DIR/metrics.prom" <<'EOF' || _t_fail "metrics do not parse as Prometheus text"
import sys
from prometheus_client.parser import text_string_to_metric_families
values = {}
counters = set()
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    # The accounting thread's pass counters and the instance time (read from
    # the ledger: grantctl runs as root here) are counters; every award
    # figure, and the nodes that are instances now, is a gauge.
    if fam.name in ("slurm_grants_accounting_passes", "slurm_grants_full_passes", "slurm_grants_update_pass_requests",
                    "slurm_grants_instance_seconds", "slurm_grants_instance_usd"):
        assert fam.type == "counter", fam
        counters.add(fam.name)
        for s in fam.samples:
            values[(s.name, s.labels.get("partition"), s.labels.get("kind"))] = s.value
        continue
    assert fam.type == "gauge", fam
    for s in fam.samples:
        values[(s.name, s.labels.get("award"), s.labels.get("state"))] = s.value
assert values[("slurm_grants_budget", "G-MAIN", None)] == 100, values
assert values[("slurm_grants_jobs", "G-MAIN", "pending")] == 1, values
assert abs(values[("slurm_grants_held", "G-MAIN", None)] - 2.666667) < 1e-9, values
assert values[("slurm_grants_budget", "G-CAROL", None)] == 50, values
assert values[("slurm_grants_active", "G-OLD", None)] == 0, values
assert counters == {"slurm_grants_accounting_passes", "slurm_grants_full_passes", "slurm_grants_update_pass_requests",
                    "slurm_grants_instance_seconds", "slurm_grants_instance_usd"}, counters
# The suite's always-on node has been an instance of trn1 since the cluster started.
assert values[("slurm_grants_instance_seconds_total", "trn1", "idle")] + \
       values[("slurm_grants_instance_seconds_total", "trn1", "busy")] > 0, values
print("parsed", len(values), "samples")
EOF
    # --output writes the textfile collector's file atomically.
    assert_status 0 "$GC" metrics --output "$CLUSTER_DIR/grants.prom"
    assert_contains "$(cat "$CLUSTER_DIR/grants.prom")" 'slurm_grants_budget{award="G-ADJ",unit="chip_hours"} 1'
    # Users are refused: metrics show every award.
    assert_status 1 as_user alice "$GC" metrics
    assert_contains "$T_OUT" "only root, SlurmUser and Slurm operators may run it"
    scancel "$j"
}

case_bad_arguments_exit_2() {
    local args
    while IFS= read -r args; do
        # shellcheck disable=SC2086
        assert_status 2 as_user alice "$GC" $args
        assert_contains "$T_OUT" "grantctl: " "one sentence for: $args"
        assert_eq 1 "$(printf '%s\n' "$T_OUT" | wc -l)" "one line for: $args"
    done <<'EOF'
balance --bogus
balance extra
balance --award bad/id
quote -N 0
quote -N 4-2
quote -t soon
quote --award
quote -n x
quote -C
quote --constraint=
report --by week
report --format xml
report --since 2026-13-01
report --since 2026-01-02 --until 2026-01-01
adjust G-MAIN
adjust G-MAIN 0 --reason x
adjust G-MAIN 12abc --reason x
adjust G-MAIN 5
metrics extra
nonsense
EOF
    for args in balance quote report adjust metrics; do
        assert_status 0 as_user alice "$GC" "$args" --help
        assert_contains "$T_OUT" "Usage: grantctl $args"
    done
}

run_case "balance: each user sees their own awards only" case_balance_shows_only_own_awards
run_case "balance matches the ledger after jobs run" case_balance_matches_ledger
run_case "quote agrees with sbatch, accepted and rejected" case_quote_agrees_with_sbatch
run_case "an award one is not a member of and one that does not exist answer alike" case_foreign_and_missing_awards_alike
run_case "report totals equal the ledger's sums in every format" case_report_totals_equal_ledger
run_case "adjust is recorded and changes the next decision" case_adjust_changes_next_decision
run_case "metrics parse as Prometheus text" case_metrics_parse_as_prometheus
run_case "bad arguments: exit 2 and one sentence" case_bad_arguments_exit_2
finish
