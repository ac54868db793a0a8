#!/bin/bash
# What an award's PI and managers see from a login node, without admin
# rights, against a real cluster: every member's charges and holds, the
# award's report in each grouping (from slurmctld's memory, equal to the
# ledger's sums), the burn rate and run-out day of real jobs, and nothing of
# other awards; a student sees neither. carol is PI of PI-NLP and no member
# of it; dave manages PI-NLP and is a member of PI-OTHER only.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"

start_after_midnight "the burn rate is per local day"
TODAY=$(date +%F)
FROM=$(date -d '3 days ago' +%F)
UNTIL=$(date -d '1000 days' +%F)

POLICY_FILE=$(mktemp)
cat >"$POLICY_FILE" <<EOF
version: 1
enforce: { partitions: [trn1], on_error: closed }
partitions:
  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.34 }
awards:
  PI-NLP:
    title: Language models
    pi: carol
    managers: [dave]
    members: { users: [alice, bob] }
    valid: { from: $FROM, until: $UNTIL }
    budget: { chip_hours: 3 }
  PI-OTHER:
    pi: dave
    members: { users: [dave] }
    budget: { chip_hours: 10 }
EOF
chmod 0644 "$POLICY_FILE"
grants_suite_start "$POLICY_FILE"
rm -f "$POLICY_FILE"
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
GC=$CLUSTER_DIR/grantctl
install -m 0755 "$GRANTCTL" "$GC"

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
charged() { [ -n "$(sql "SELECT 1 FROM charges WHERE job_id=$1")" ]; }
# run_short USER: a one-node job of a few seconds on PI-NLP, completed and charged.
run_short() {
    try_submit "$1" -o /dev/null -p trn1 --award=PI-NLP -t 5 --wrap 'sleep 2'
    [ -n "$JOB" ] || { _t_fail "submit failed: $T_OUT"; return 1; }
    assert_eq COMPLETED "$(wait_job_done "$JOB" 60)" "job $JOB completed" || return 1
    eventually 30 "job $JOB is charged" charged "$JOB"
}
# ledger_units SQL: the ledger's ticks of SQL as grantctl prints them.
ledger_units() { ticks_to_units "$(sql "$1")"; }
# member_json USER EXPR: EXPR over carol's member entry for USER (bound to m).
member_json() {
    as_user carol "$GC" balance --award PI-NLP --json |
        json "(lambda m: $2)([m for m in j['awards'][0]['members'] if m['user'] == '$1'][0])"
}
held_is() { [ "$(member_json "$1" 'm["held"]')" = "$2" ]; }
book_has() { [ "$(member_json "$1" 'm["runs"]')" = "$2" ]; }

case_pi_sees_every_member() {
    run_short alice || return 1
    run_short alice || return 1
    run_short bob || return 1
    eventually 30 "slurmctld's book has bob's run" book_has bob 1 || return 1
    local who
    for who in alice bob; do
        assert_eq "$(ledger_units "SELECT sum(chip_hours_ticks) FROM charges WHERE award='PI-NLP' AND user='$who'")" \
            "$(member_json "$who" 'm["charged"]')" "carol sees $who's charges, equal to the ledger's sum"
    done
    assert_eq 2 "$(member_json alice 'm["runs"]')" "alice's runs"
    # A held job shows as the member's hold (16 chips x 1 min = 0.266667 chip-h).
    try_submit bob -o /dev/null -p trn1 --award=PI-NLP -t 1 --hold --wrap true
    [ -n "$JOB" ] || { _t_fail "bob's held job was refused: $T_OUT"; return 1; }
    local held_job=$JOB
    eventually 30 "bob's hold reaches the member table" held_is bob 0.266667
    assert_eq 1 "$(member_json bob 'm["jobs"]')" "bob has one live job"
    assert_status 0 as_user carol "$GC" balance
    assert_contains "$T_OUT" "PI-NLP" "carol's balance lists the award she is PI of (no member)"
    assert_contains "$T_OUT" "Members"
    assert_not_contains "$T_OUT" "PI-OTHER" "nothing of an award she does not oversee"
    # The manager sees the same; the student sees only the award's totals.
    assert_eq 2 "$(as_user dave "$GC" balance --award PI-NLP --json | json 'len(j["awards"][0]["members"])')" \
        "dave manages PI-NLP: he sees its members"
    assert_eq "false" "$(as_user bob "$GC" balance --award PI-NLP --json | json '"members" in j["awards"][0]')" \
        "bob is a member: no per-member figures"
    assert_status 0 as_user bob "$GC" balance
    assert_not_contains "$T_OUT" "Members"
    assert_not_contains "$T_OUT" "alice" "bob never sees alice's figures"
    scancel "$held_job"
}

case_pi_report_equals_the_ledger() {
    assert_status 0 as_user carol "$GC" report --award PI-NLP --json
    local out=$T_OUT
    assert_eq "$(ledger_units "SELECT sum(chip_hours_ticks) FROM charges WHERE award='PI-NLP'")" \
        "$(json 'j["awards"][0]["total"]["charged"]' <<<"$out")" "the report's total is the ledger's sum"
    assert_eq "$(sql "SELECT group_concat(user || '=' || n, ' ') FROM (SELECT user, count(*) n FROM charges WHERE award='PI-NLP' GROUP BY user ORDER BY user)")" \
        "$(json '" ".join("%s=%s" % (r["user"], r["runs"]) for r in j["awards"][0]["rows"])' <<<"$out")" "by user"
    assert_status 0 as_user carol "$GC" report --award PI-NLP --by job --json
    assert_eq "$(sql "SELECT group_concat(job_id, ' ') FROM (SELECT job_id FROM charges WHERE award='PI-NLP' ORDER BY job_id)")" \
        "$(json '" ".join(r["job"] for r in j["awards"][0]["rows"])' <<<"$T_OUT")" "by job: every run"
    assert_status 0 as_user carol "$GC" report --award PI-NLP --by month
    assert_contains "$T_OUT" "$(date +%Y-%m)" "by month"
    assert_contains "$T_OUT" "TOTAL"
    assert_status 0 as_user carol "$GC" report --award PI-NLP --by day --format csv
    assert_contains "$T_OUT" "charge,PI-NLP,$TODAY,3,"
    assert_status 0 as_user carol "$GC" report --award PI-NLP --user alice --json
    assert_eq "alice 2" "$(json '"%s %s" % (j["awards"][0]["rows"][0]["user"], j["awards"][0]["rows"][0]["runs"])' <<<"$T_OUT")" \
        "--user narrows the report"
    # Root on the controller reads the ledger: the same figures.
    assert_status 0 "$GC" report --award PI-NLP --json
    assert_eq "$(json 'j["awards"][0]["total"]' <<<"$out")" "$(json 'j["awards"][0]["total"]' <<<"$T_OUT")" \
        "the controller's report equals the ledger's"
    # By cluster too: slurmctld's memory keeps each charge's cluster.
    assert_status 0 "$GC" report --award PI-NLP --by cluster --format csv
    local by_cluster=$T_OUT
    assert_contains "$by_cluster" "$(sql "SELECT DISTINCT cluster FROM charges WHERE award='PI-NLP'")" "the ledger's cluster"
    assert_status 0 as_user carol "$GC" report --award PI-NLP --by cluster --format csv
    assert_eq "$by_cluster" "$T_OUT" "carol's report by cluster from slurmctld = root's from the ledger"

    # Others: refused with one sentence, exit 1, whether the award exists or not.
    assert_status 1 as_user carol "$GC" report --award PI-OTHER
    assert_contains "$T_OUT" "only the PI and managers of award \"PI-OTHER\" (and Slurm operators) may see its report, and carol is neither"
    assert_status 1 as_user carol "$GC" report --award NO-SUCH
    assert_contains "$T_OUT" "and carol is neither"
    assert_status 1 as_user bob "$GC" report --award PI-NLP
    assert_contains "$T_OUT" "and bob is neither" "a student sees no report"
    assert_status 1 as_user carol "$GC" report
    assert_contains "$T_OUT" "give --award ID to ask slurmctld"
    assert_status 1 as_user carol "$GC" balance --award PI-OTHER
    assert_contains "$T_OUT" "not a member, PI or manager of award PI-OTHER"
    # Bad options: a usage error before anything is asked.
    assert_status 2 as_user carol "$GC" report --award PI-NLP --by week
    assert_contains "$T_OUT" "--by wants user, job, day, month or cluster, not 'week'"
    assert_status 2 as_user carol "$GC" balance --window 0
    assert_contains "$T_OUT" "--window wants a number of days from 1 to 3660, not '0'"
    assert_status 2 as_user carol "$GC" report --award PI-NLP --window lots
}

case_forecast_of_real_jobs() {
    # The award started 3 days ago: today's charges over the 4 days it has
    # been valid (window 14), and over 1 day with --window 1.
    local burned per_day4 per_day1 want
    burned=$(sql "SELECT sum(chip_hours_ticks) FROM charges WHERE award='PI-NLP'")
    # bob's cancelled job no longer holds anything: left = 3 chip-h - charges.
    eventually 30 "the cancelled job's hold is gone" held_is bob 0 || return 1
    assert_status 0 as_user carol "$GC" balance --award PI-NLP --json
    assert_eq 4 "$(json 'j["awards"][0]["forecast"]["days"]' <<<"$T_OUT")" "the rate's days: those the award was valid"
    per_day4=$(ticks_to_units $((burned / 4)))
    assert_eq "$per_day4" "$(json 'j["awards"][0]["forecast"]["per_day"]' <<<"$T_OUT")" "burn rate over 4 days"
    want=$(/usr/bin/python3 -c 'import sys, datetime
burned = int(sys.argv[1])
left, per_day = 3 * 3600 * 10**6 - burned, burned // 4
print(datetime.date.today() + datetime.timedelta(days=left // per_day))' "$burned")
    assert_eq "$want" "$(json 'j["awards"][0]["forecast"]["runs_out"]' <<<"$T_OUT")" "run-out day: left / rate from today"
    assert_status 0 as_user carol "$GC" balance --award PI-NLP --window 1 --json
    per_day1=$(ticks_to_units "$burned")
    assert_eq "$per_day1" "$(json 'j["awards"][0]["forecast"]["per_day"]' <<<"$T_OUT")" "--window 1: today's charges"
    assert_status 0 as_user alice "$GC" balance --award PI-NLP
    assert_contains "$T_OUT" "PI-NLP: at " "every member reads the forecast"
    assert_contains "$T_OUT" "/day over the last 4 days, runs out on $want"
    assert_contains "$T_OUT" "before the award ends ($UNTIL)"
    assert_status 0 as_user carol "$GC" report --award PI-NLP
    assert_contains "$T_OUT" "runs out on $want" "report says it too"
    assert_status 0 "$GC" metrics
    assert_contains "$T_OUT" "slurm_grants_burn_rate{award=\"PI-NLP\",unit=\"chip_hours\"} $per_day4"
    assert_contains "$T_OUT" "slurm_grants_runout_timestamp_seconds{award=\"PI-NLP\"} $(date -d "$want 00:00" +%s)"
    assert_contains "$T_OUT" "slurm_grants_end_timestamp_seconds{award=\"PI-NLP\"} $(date -d "$UNTIL + 1 day 00:00" +%s)"
    assert_not_contains "$T_OUT" "slurm_grants_runout_timestamp_seconds{award=\"PI-OTHER\"}" "no burn, no run-out"
}

case_burn_down_chart() {
    local dir svg
    dir=$(mktemp -d)
    chmod 0777 "$dir"
    svg=$dir/pi-nlp.svg
    # A held job, so the chart has holds on top of the spend.
    try_submit alice -o /dev/null -p trn1 --award=PI-NLP -t 1 --hold --wrap true
    local held_job=$JOB
    eventually 30 "alice's hold is known" held_is alice 0.266667 || return 1
    assert_status 0 as_user carol "$GC" report --award PI-NLP --by user --plot "$svg"
    assert_contains "$T_OUT" "burn-down chart of award PI-NLP written to $svg"
    # Valid XML and SVG, and its totals are the ledger's.
    local totals
    totals=$(/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
assert r.tag == "{http://www.w3.org/2000/svg}svg", r.tag
ids = {e.get("id"): e for e in r.iter() if e.get("id")}
print(ids["spent"].get("data-total"), ids["budget"].get("data-total"), ids["held"].get("data-total"),
      "forecast" in ids, "award-end" in ids)' "$svg")
    assert_eq "$(ledger_units "SELECT sum(chip_hours_ticks) FROM charges WHERE award='PI-NLP'") 3 0.266667 True True" \
        "$totals" "the chart's spent line ends at the ledger's sum; budget, holds, forecast and end are drawn"
    # Root on the controller host draws from the ledger: the same totals.
    assert_status 0 "$GC" report --award PI-NLP --plot "$dir/root.svg"
    assert_eq "$(grep -o 'id="spent" data-total="[^"]*"' "$svg")" "$(grep -o 'id="spent" data-total="[^"]*"' "$dir/root.svg")" \
        "the ledger's chart and slurmctld's agree"
    # A report by day is the chart's own data: the same chart from one question.
    assert_status 0 as_user carol "$GC" report --award PI-NLP --by day --plot "$dir/day.svg"
    assert_eq "$(grep -o 'id="spent" data-total="[^"]*"' "$svg")" "$(grep -o 'id="spent" data-total="[^"]*"' "$dir/day.svg")" \
        "--by day draws the same totals"
    # Bad input: one sentence, exit 2, no file.
    assert_status 2 as_user carol "$GC" report --plot "$dir/x.svg"
    assert_contains "$T_OUT" "--plot draws one award: give --award ID."
    assert_status 1 as_user carol "$GC" report --award PI-NLP --plot "/proc/nowhere/x.svg"
    assert_contains "$T_OUT" "cannot write the chart to /proc/nowhere/x.svg"
    scancel "$held_job"
    rm -rf "$dir"
}

# A fresh headless Chromium (Debian's package: build-aux/install-deps installs
# it; a missing browser fails the case, it is never skipped). The flags are
# those that work on a closed network, as root.
browser() {
    local profile rc
    command -v chromium >/dev/null || { _t_fail "chromium is not installed (build-aux/install-deps installs it)"; return 1; }
    profile=$(mktemp -d)
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" "$@" 2>/dev/null
    rc=$?
    rm -rf "$profile"
    return $rc
}

spent_of() { grep -o 'id="spent" data-total="[^"]*"' "$1"; }

adjustment_known() {
    [ "$(as_user carol "$GC" report --award PI-NLP --json | json 'len(j["awards"][0]["adjustments"])')" = 1 ]
}

case_pi_page_in_a_browser() {
    local dir page hostile
    dir=$(mktemp -d)
    chmod 0777 "$dir"
    page=$dir/pi-nlp.html
    # An adjustment whose reason is markup: the page must show it as text.
    hostile='</td></tr></table><script>document.title="pwned"</script><img src=x onerror="document.title=1">&amp; "quoted" '"'"'x'"'"
    assert_status 0 "$GC" adjust PI-NLP +0.5 --reason "$hostile" || return 1
    eventually 15 "slurmctld applied the adjustment" adjustment_known || return 1
    assert_status 0 as_user carol "$GC" report --award PI-NLP --html "$page"
    assert_contains "$T_OUT" "page of award PI-NLP written to $page"
    as_user carol "$GC" report --award PI-NLP --json >"$dir/report.json" || { _t_fail "report --json failed"; return 1; }
    # Rendered by a real browser from file://, offline: the DOM it built.
    browser --dump-dom "file://$page" >"$dir/dom.html" || { _t_fail "chromium --dump-dom failed"; return 1; }
    assert_contains "$(cat "$dir/dom.html")" "<title>Award PI-NLP — Language models</title>" "the browser kept the page's title (no script renamed it)"
    assert_status 0 /usr/bin/python3 "$here/award_page_check.py" "$dir/dom.html" "$dir/report.json" "$hostile"
    printf '%s\n' "$T_OUT"
    # And it paints: a screenshot of the page, a real PNG of the window's size.
    (cd "$dir" && browser --window-size=1000,2400 --screenshot="$dir/page.png" "file://$page") ||
        { _t_fail "chromium --screenshot failed"; return 1; }
    assert_eq "1000x2400" "$(/usr/bin/python3 -c 'import struct, sys
d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
print("%dx%d" % struct.unpack(">II", d[16:24]))' "$dir/page.png")" "the screenshot is a PNG of the page"
    # Root on the controller host writes it from the ledger: the same figures.
    assert_status 0 "$GC" report --award PI-NLP --html "$dir/root.html"
    local charged
    charged=$(json 'j["awards"][0]["total"]["charged"]' <"$dir/report.json")
    assert_eq "id=\"report-charged\">$charged" "$(grep -o 'id="report-charged">[^<]*' "$dir/root.html")" \
        "the ledger's page and slurmctld's agree"
    assert_eq "id=\"spent\" data-total=\"$charged\"" "$(spent_of "$page")" \
        "the page's chart spends what report --json charged (charges and the adjustment)"
    assert_eq "$(spent_of "$page")" "$(spent_of "$dir/root.html")" "the same chart from the ledger"
    # Bad input: one sentence each, and no file.
    assert_status 2 as_user carol "$GC" report --html "$dir/x.html"
    assert_contains "$T_OUT" "--html writes the page of one award: give --award ID."
    assert_status 2 as_user carol "$GC" report --award PI-NLP --html ""
    assert_contains "$T_OUT" "--html needs a file name."
    assert_status 1 as_user carol "$GC" report --award PI-NLP --html /proc/nowhere/x.html
    assert_contains "$T_OUT" "cannot write the page to /proc/nowhere/x.html"
    assert_status 1 as_user bob "$GC" report --award PI-NLP --html "$dir/bob.html"
    assert_contains "$T_OUT" "and bob is neither" "a student gets no page"
    assert_eq "" "$(ls "$dir" | grep -E '^(x|bob)\.html' )" "no page was written on refusal"
    rm -rf "$dir"
}

nlp_unheld() { [ "$("$GC" metrics --json | json '[a for a in j["awards"] if a["award"] == "PI-NLP"][0]["held"]')" = 0 ]; }

case_ood_balance_file() {
    local dir out
    eventually 30 "the earlier cases' held jobs are gone" nlp_unheld || return 1
    dir=$(mktemp -d)
    out=$dir/chip_hours.json
    assert_status 0 "$GC" ood-balance --output "$out" || return 1
    assert_contains "$T_OUT" "5 balances of 2 awards in chip-hours written to $out"
    # The format the dashboard parses, and what it shows alice and dave.
    assert_status 0 /usr/bin/python3 "$here/ood_balance_check.py" "$out" || return 1
    assert_eq "ok 5" "$T_OUT" "PI-NLP: alice, bob, carol (PI), dave (manager); PI-OTHER: dave"
    local left_nlp left_other
    left_nlp=$("$GC" metrics --json | json 'int(__import__("math").floor(float([a for a in j["awards"] if a["award"] == "PI-NLP"][0]["left"])))')
    left_other=$("$GC" metrics --json | json 'int(__import__("math").floor(float([a for a in j["awards"] if a["award"] == "PI-OTHER"][0]["left"])))')
    assert_eq "PI-NLP $left_nlp" "$(json '[str(b["project"]) + " " + str(b["value"]) for b in j["balances"] if b["user"] == "alice"][0]' <"$out")" \
        "alice's value is what slurmctld says is left, rounded down to a chip-hour"
    # The dashboard's threshold: warn at value <= OOD_BALANCE_THRESHOLD.
    assert_status 0 /usr/bin/python3 "$here/ood_balance_check.py" "$out" dave 5
    assert_contains "$T_OUT" "PI-NLP $left_nlp warn" "dave is warned of PI-NLP (at most 5 left)"
    assert_contains "$T_OUT" "PI-OTHER $left_other ok" "and not of PI-OTHER (10 chip-hours)"
    # A unit with no award: a valid, empty file.
    assert_status 0 "$GC" ood-balance --unit usd --output "$dir/usd.json"
    assert_status 0 /usr/bin/python3 "$here/ood_balance_check.py" "$dir/usd.json"
    assert_eq "ok 0" "$T_OUT"
    assert_eq dollar "$(json 'j["config"]["unit"]' <"$dir/usd.json")"
    # Bad arguments: exit 2, one sentence.
    assert_status 2 "$GC" ood-balance
    assert_contains "$T_OUT" "--output FILE is required"
    assert_status 2 "$GC" ood-balance --output "$dir/x.json" --unit hours
    assert_contains "$T_OUT" "--unit wants chip_hours or usd, not 'hours'."
    # Not an operator: refused by slurmctld, nothing written.
    chmod 0777 "$dir"
    assert_status 1 as_user carol "$GC" ood-balance --output "$dir/carol.json"
    assert_eq "" "$(ls "$dir" | grep carol)" "no file when refused"
    # Unwritable output: exit 1, one sentence, the old file untouched, no
    # temporary file left behind.
    assert_status 1 "$GC" ood-balance --output /proc/nowhere/x.json
    assert_contains "$T_OUT" "cannot write the balance file to /proc/nowhere/x.json"
    mkdir "$dir/adir"
    local before
    before=$(md5sum <"$out")
    assert_status 1 "$GC" ood-balance --output "$dir/adir"
    assert_contains "$T_OUT" "cannot rename"
    assert_eq "" "$(ls -A "$dir/adir"; ls "$dir" | grep '\.tmp\.')" "no partial or temporary file on failure"
    assert_eq "$before" "$(md5sum <"$out")" "the file the dashboard reads is untouched"
    rm -rf "$dir"
}

run_case "the PI and a manager see every member's charges and holds; a student does not" case_pi_sees_every_member
run_case "the PI's report from slurmctld equals the ledger's; others are refused" case_pi_report_equals_the_ledger
run_case "burn rate and run-out day of real jobs in balance, report and metrics" case_forecast_of_real_jobs
run_case "report --plot draws a valid SVG whose totals are the ledger's" case_burn_down_chart
run_case "Open OnDemand's balance file: the dashboard's format, slurmctld's figures, atomic" case_ood_balance_file
run_case "report --html: a page a browser renders, equal to report --json, hostile text inert" case_pi_page_in_a_browser
finish
