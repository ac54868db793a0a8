#!/bin/sh
# grantctl statement and report on a ledger made here (no daemons): the
# dating rule (a run is dated by its start), statements that tie out with
# report to the tick, Slurm's output conventions (--parsable2, --noheader,
# -o fields, -S/-E time syntax) and their usage errors.
set -u
GRANTCTL=${GRANTCTL:?GRANTCTL must name the built grantctl}
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: sqlite3 (the command) is needed to write charges"; exit 77; }
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TZ=UTC

check() {  # check NAME WANT-STATUS NEEDLE -- CMD...
    name=$1 want=$2 needle=$3; shift 4
    "$@" >"$tmp/out" 2>&1; got=$?
    if [ "$got" = "$want" ] && grep -qF -- "$needle" "$tmp/out"; then
        echo "ok - $name"; pass=$((pass + 1))
    else
        echo "not ok - $name (exit $got, wanted $want and '$needle'); output:"; sed 's/^/    /' "$tmp/out"
        fail=$((fail + 1))
    fi
}
same() {  # same NAME A B
    if [ "$2" = "$3" ] && [ -n "$2" ]; then echo "ok - $1 ($2)"; pass=$((pass + 1))
    else echo "not ok - $1: '$2' != '$3'"; fail=$((fail + 1)); fi
}

cat >"$tmp/grants.yaml" <<'YAML'
version: 1
enforce: {partitions: [trn1]}
partitions: {trn1: {chips_per_node: 16, usd_per_chip_hour: 1.34}}
awards:
  G-MAIN:
    pi: carol
    members: {users: [alice, bob]}
    valid: {from: 2026-01-01, until: 2099-12-31}
    budget: {chip_hours: 1000}
  G-TR:
    members: {users: [alice]}
    valid: {from: 2026-01-01, until: 2026-12-31}
    budget:
      - {chip_hours: 100, until: 2026-06-30}
      - {chip_hours: 100, from: 2026-07-01}
YAML
chmod 0644 "$tmp/grants.yaml"
: >"$tmp/l.db"
O="--ledger $tmp/l.db --policy $tmp/grants.yaml"
"$GRANTCTL" adjust G-MAIN -3 --reason "outside usage" $O >/dev/null || { echo "not ok - adjust"; exit 1; }
"$GRANTCTL" deposit G-MAIN 50 --reason supplement $O >/dev/null || { echo "not ok - deposit"; exit 1; }
ts() { date -u -d "$1" +%s; }
ins() {  # ins JOB START AWARD USER SECONDS
    sqlite3 "$tmp/l.db" "INSERT INTO charges (cluster,job_id,run_start,award,user,account,partition,chips,seconds,chip_hours_ticks,usd_ticks,recorded_at) VALUES ('c1',$1,$2,'$3','$4','nlp','trn1',16,$5,16*$5*1000000,16*$5*1340000,$2+$5+5);"
}
ins 101 "$(ts '2026-06-30 23:00')" G-MAIN alice 7200   # 32 chip-h, ends on 1 July: June's
ins 102 "$(ts '2026-07-03 10:00')" G-MAIN bob 1800     # 8 chip-h
ins 103 "$(ts '2026-06-10 10:00')" G-MAIN alice 3600   # 16 chip-h
ins 104 "$(ts '2026-06-30 23:00')" G-TR alice 7200     # 32 chip-h on tranche 1
ins 105 "$(ts '2026-07-02 01:00')" G-TR alice 900      # 4 chip-h on tranche 2

# The dating rule: run 101 is June's everywhere.
check "report by month dates a run by its start" 0 "G-MAIN|2026-06|2|48" -- \
    "$GRANTCTL" report --award G-MAIN --by month --parsable2 -n -o award,month,runs,chip_hours $O
check "a June period holds the run that ended in July" 0 "G-MAIN|TOTAL|2|48" -- \
    "$GRANTCTL" report --award G-MAIN -S 2026-06-01 -E 2026-06-30 --parsable2 -o award,user,runs,charged $O
check "statement of June" 0 "opening|||1000" -- \
    "$GRANTCTL" statement --award G-MAIN --month 2026-06 --parsable2 -o kind,job,user,balance $O
check "statement of June closes at 952" 0 "closing|-48|952" -- \
    "$GRANTCTL" statement --award G-MAIN --month 2026-06 --parsable2 -n -o kind,amount,balance $O
check "tranche 1 pays the run that started on 30 June" 0 "tranche 1  2026-01-01  2026-06-30  100.0 chip-h     100.0 chip-h     32.0 chip-h" -- \
    "$GRANTCTL" statement --award G-TR --month 2026-06 $O

# Tie-out, to the tick: the statement's charges and adjustments of a month are
# report's total for that month, and the closing balance is the budget plus
# deposits less report's total over everything.
month=$(date -u +%Y-%m)
"$GRANTCTL" statement --award G-MAIN --month "$month" --json $O >"$tmp/st.json"
st_debits=$(sed 's/.*"charges":\([0-9.]*\),"adjustments":\([0-9.]*\),.*/\1 \2/' "$tmp/st.json" | awk '{printf "%.6f", $1 + $2}')
rep=$("$GRANTCTL" report --award G-MAIN -S "$month-01" -E now+1days --parsable2 -n -o kind,charged $O | sed -n 's/^total|//p')
same "this month's statement debits = report's total" "$st_debits" "$(printf '%.6f' "$rep")"
closing=$(sed 's/.*"closing":\([0-9.-]*\),.*/\1/' "$tmp/st.json")
all=$("$GRANTCTL" report --award G-MAIN --parsable2 -n -o kind,charged $O | sed -n 's/^total|//p')
same "closing = budget + deposits - everything charged" "$(printf '%.6f' "$closing")" "$(awk -v a="$all" 'BEGIN {printf "%.6f", 1000 + 50 - a}')"
june=$("$GRANTCTL" statement --award G-MAIN --month 2026-06 --json $O | sed 's/.*"closing":\([0-9.-]*\),.*/\1/')
july_open=$("$GRANTCTL" statement --award G-MAIN --month 2026-07 --json $O | sed 's/.*"opening":\([0-9.-]*\),.*/\1/')
same "June's closing is July's opening" "$june" "$july_open"

# The per-job CSV.
check "per-job CSV header" 0 "kind,date,job,user,account,partition,chips,start,end,seconds,rate,chip_hours,usd,cost,amount,balance,who,reason,cluster" -- \
    "$GRANTCTL" statement --award G-MAIN --month 2026-06 --format csv $O
check "per-job CSV row" 0 "charge,2026-06-30T23:00:00,101,alice,nlp,trn1,16,2026-06-30T23:00:00,2026-07-01T01:00:00,7200,1.34,32,42.88,32,-32,952,,,c1" -- \
    "$GRANTCTL" statement --award G-MAIN --month 2026-06 --format csv $O

# Conventions and their errors.
check "--noheader drops the header" 0 "no header" -- sh -c "'$GRANTCTL' statement --award G-MAIN --month 2026-06 -n $O >'$tmp/nh'; grep -q opening '$tmp/nh' && ! grep -q KIND '$tmp/nh' && echo 'no header'"
check "parsable2 has no trailing |" 0 "award|user" -- sh -c "'$GRANTCTL' report --award G-MAIN --parsable2 -o Award,USER $O | head -1 | grep -qx 'award|user' && echo 'award|user'"
check "unknown field: one sentence, exit 2" 2 "there is no field 'cost2'" -- "$GRANTCTL" statement --award G-MAIN --month 2026-06 -o kind,cost2 $O
check "unknown report field: exit 2" 2 "there is no field 'bogus'" -- "$GRANTCTL" report -o award,bogus $O
check "bad month: exit 2" 2 "--month wants YYYY-MM" -- "$GRANTCTL" statement --award G-MAIN --month 2026-13 $O
check "month required" 2 "--month YYYY-MM is required" -- "$GRANTCTL" statement --award G-MAIN $O
check "award not in the policy" 1 "is not in the policy" -- "$GRANTCTL" statement --award G-NONE --month 2026-06 $O
check "bad time: exit 2" 2 "is not a time Slurm takes" -- "$GRANTCTL" report -S yesterday $O
check "now-Ndays is taken" 0 "TOTAL" -- "$GRANTCTL" report -S now-36500days $O
check "--parsable2 with --json refused" 2 "does not go with json" -- "$GRANTCTL" statement --award G-MAIN --month 2026-06 --json --parsable2 $O
check "no readable ledger: refused" 1 "cannot read the ledger" -- "$GRANTCTL" statement --award G-MAIN --month 2026-06 --ledger "$tmp/none.db" --policy "$tmp/grants.yaml"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
