#!/bin/sh
# grantctl check and its exit codes, run on the shipped examples and fixtures.
set -u
GRANTCTL=${GRANTCTL:?GRANTCTL must name the built grantctl}
SRC=${GRANTS_SRCDIR:-.}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() {  # expect NAME STATUS NEEDLE -- CMD...
    name=$1 want=$2 needle=$3; shift 4
    "$@" >"$tmp/out" 2>&1; got=$?
    if [ "$got" = "$want" ] && grep -qF -- "$needle" "$tmp/out"; then
        echo "ok - $name"; pass=$((pass + 1))
    else
        echo "not ok - $name (exit $got, wanted $want and '$needle'); output:"; sed 's/^/    /' "$tmp/out"
        fail=$((fail + 1))
    fi
}

expect "example policy is valid" 0 "awards: 3" -- "$GRANTCTL" check "$SRC/etc/grants.yaml.example"
expect "example policy lists an award" 0 "BOT-2025-0117" -- "$GRANTCTL" check "$SRC/etc/grants.yaml.example"
printf 'version: 1\nenforce: {partitions: [trn1]}\nawards:\n  A1: {members: {users: [x]}, colour: red}\n' >"$tmp/bad.yaml"
expect "unknown key reported with file:line:col" 1 "$tmp/bad.yaml:4:31: unknown key \"colour\"" -- "$GRANTCTL" check "$tmp/bad.yaml"
expect "json error output" 1 '"valid":false' -- "$GRANTCTL" check --json "$tmp/bad.yaml"
expect "missing file" 1 "cannot open the policy file" -- "$GRANTCTL" check "$tmp/none.yaml"
expect "default path follows SLURM_CONF" 1 "$tmp/grants.yaml" -- env SLURM_CONF="$tmp/slurm.conf" "$GRANTCTL" check
expect "summary shows budgets" 0 "budget:     50,000 chip-h" -- "$GRANTCTL" check "$SRC/etc/grants.yaml.example"
expect "summary shows validity" 0 "valid:      2025-01-01 to 2027-12-31" -- "$GRANTCTL" check "$SRC/etc/grants.yaml.example"
expect "summary shows dollar budgets" 0 'budget:     $250,000' -- "$GRANTCTL" check "$SRC/etc/grants.yaml.example"
cat >"$tmp/tranches.yaml" <<'YAML'
version: 1
enforce: {partitions: [trn1]}
partitions: {trn1: {chips_per_node: 16, usd_per_chip_hour: 1.34}}
awards:
  T1:
    members: {users: [x]}
    valid: {from: 2027-01-01, until: 2028-12-31}
    budget:
      - {usd: 250000, until: 2027-12-31}
      - {usd: 250000, from: 2028-01-01}
    rollover: true
YAML
chmod 0644 "$tmp/tranches.yaml"
expect "tranches: the budget is their sum" 0 'budget:     $500,000' -- "$GRANTCTL" check "$tmp/tranches.yaml"
expect "tranches: each with its window" 0 'tranche 2: $250,000, 2028-01-01 to 2028-12-31' -- "$GRANTCTL" check "$tmp/tranches.yaml"
expect "tranches: the rollover rule" 0 'rollover:  yes' -- "$GRANTCTL" check "$tmp/tranches.yaml"
expect "tranches in json" 0 '"tranches":[{"amount":250000,"from":null,"until":"2027-12-31"},{"amount":250000,"from":"2028-01-01","until":null}],"rollover":true' -- "$GRANTCTL" check --json "$tmp/tranches.yaml"
sed 's/from: 2028-01-01}/from: 2028-01-01, until: 2029-06-30}/' "$tmp/tranches.yaml" >"$tmp/bad-tranche.yaml"
chmod 0644 "$tmp/bad-tranche.yaml"
expect "a tranche past the award's end: file:line:col" 1 "$tmp/bad-tranche.yaml:10:9: award 'T1'.budget[2] ends on 2029-06-30, after the award's valid.until (2028-12-31)" -- "$GRANTCTL" check "$tmp/bad-tranche.yaml"
expect "json has budgets" 0 '"budget":{"unit":"usd","amount":250000}' -- "$GRANTCTL" check --json "$SRC/etc/grants.yaml.example"
# Managers and alerts: the award's rules over the top-level ones over the defaults.
cat >"$tmp/alerts.yaml" <<'YAML'
version: 1
enforce: {partitions: [trn1]}
partitions: {trn1: {chips_per_node: 16}}
alerts: {days_before_end: [14]}
awards:
  A1:
    pi: carol
    managers: [dave, mia]
    members: {users: [alice]}
    budget: {chip_hours: 10}
    alerts: {used: [90, 75], notify_members: yes}
  A2:
    members: {users: [bob]}
    budget: {chip_hours: 10}
YAML
chmod 0644 "$tmp/alerts.yaml"
expect "managers listed" 0 "managers:   dave, mia" -- "$GRANTCTL" check "$tmp/alerts.yaml"
expect "alerts: own, top-level, recipients" 0 "alerts:     at 75, 90 % used and 14 days before the end, to alice, carol, dave, mia" -- "$GRANTCTL" check "$tmp/alerts.yaml"
expect "alerts: nobody to tell" 0 "alerts:     none (no PI or manager to tell)" -- "$GRANTCTL" check "$tmp/alerts.yaml"
expect "alerts in json" 0 '"managers":["dave","mia"],"alerts":{"used":[75,90],"days_before_end":[14],"notify_members":true,"recipients":["alice","carol","dave","mia"]}' -- "$GRANTCTL" check --json "$tmp/alerts.yaml"
sed 's/used: \[90, 75\]/used: [90, 190]/' "$tmp/alerts.yaml" >"$tmp/bad-alerts.yaml"
chmod 0644 "$tmp/bad-alerts.yaml"
expect "an alert threshold out of range: file:line:col" 1 "$tmp/bad-alerts.yaml:11:25: award 'A1'.alerts.used entry must be between 1 and 100, found 190" -- "$GRANTCTL" check "$tmp/bad-alerts.yaml"
# The Trainium examples: a ParallelCluster policy (instance types from node
# Features) and an on-premises one (Slurm's Neuron GRES, gres/gpu).
PC=$SRC/etc/grants-parallelcluster.yaml.example
NRT=$SRC/etc/grants-nrt.yaml.example
expect "ParallelCluster example is valid" 0 "awards: 2" -- "$GRANTCTL" check "$PC"
expect "ParallelCluster example: a queue priced by its nodes' Features" 0 \
    "trn1-mixed: each node priced by the instance type its Features name" -- "$GRANTCTL" check "$PC"
expect "ParallelCluster example: a queue of one instance type" 0 \
    "trn2: trn2.48xlarge nodes, 16 chips per node, \$40 per instance-hour" -- "$GRANTCTL" check "$PC"
expect "ParallelCluster example: built-in facts with the site's price" 0 \
    "trn1.2xlarge: 1 chip, 2 NeuronCores per chip, \$1 per instance-hour" -- "$GRANTCTL" check "$PC"
expect "ParallelCluster example: json names the partition's types" 0 \
    '"trn1-mixed":{"chips_per_node":0,"cores_per_chip":0,"usd_per_chip_hour":null,"usd_per_instance_hour":null,"gres":null,"instance_type":"features"}' \
    -- "$GRANTCTL" check --json "$PC"
expect "ParallelCluster example: json lists instance types" 0 \
    '"trn2.48xlarge":{"chips":16,"cores_per_chip":4,"usd_per_chip_hour":null,"usd_per_instance_hour":40}' \
    -- "$GRANTCTL" check --json "$PC"
expect "gpu/nrt example is valid" 0 "awards: 2" -- "$GRANTCTL" check "$NRT"
expect "gpu/nrt example counts gres/gpu of type trainium2" 0 \
    "trn2: trn2.48xlarge nodes, 16 chips per node, counted by gres gpu:trainium2, \$2.5 per chip-hour" \
    -- "$GRANTCTL" check "$NRT"
# A dollar award on a queue whose types have no price is refused with its reason.
sed 's/usd_per_instance_hour: [0-9.]*/chips: 1/' "$PC" >"$tmp/unpriced.yaml"
expect "ParallelCluster example without prices: dollar award refused" 1 \
    "award 'BOT-2026-0307' has a usd budget but partition 'trn1-mixed' has no usd_per_chip_hour" \
    -- "$GRANTCTL" check "$tmp/unpriced.yaml"
cp "$SRC/etc/grants.yaml.example" "$tmp/open.yaml"
chmod 0666 "$tmp/open.yaml"
expect "a file others can write is refused" 1 "writable by its group or by others (mode 0666)" -- "$GRANTCTL" check "$tmp/open.yaml"
printf 'version: 1\nenforce: {partitions: [trn1]}\nawards:\n  A1:\n    members: {users: [x]}\n    budget: {chip_hours: 5, usd: 3}\n    valid: {from: 2026-02-30}\n' >"$tmp/bad2.yaml"
expect "every error is reported: undefined partition" 1 "bad2.yaml:2:24: enforced partition 'trn1' is not defined" -- "$GRANTCTL" check "$tmp/bad2.yaml"
expect "every error is reported: both budget units" 1 "bad2.yaml:6:13: award 'A1'.budget needs exactly one of chip_hours or usd, found both" -- "$GRANTCTL" check "$tmp/bad2.yaml"
expect "every error is reported: bad date" 1 "bad2.yaml:7:19: award 'A1'.valid.from must be a date YYYY-MM-DD" -- "$GRANTCTL" check "$tmp/bad2.yaml"
expect "unknown command is a usage error" 2 "unknown command" -- "$GRANTCTL" frobnicate
expect "no command is a usage error" 2 "a command is required" -- "$GRANTCTL"
expect "unknown option is a usage error" 2 "unknown option '--bogus'" -- "$GRANTCTL" check --bogus
expect "two files is a usage error" 2 "at most one FILE" -- "$GRANTCTL" check a b
expect "--help" 0 "Usage: grantctl" -- "$GRANTCTL" --help
expect "check --help" 0 "Usage: grantctl check" -- "$GRANTCTL" check --help
# doctor needs a cluster (tests/integration/test-doctor.sh); without slurm.conf: one sentence, exit 1.
expect "doctor without slurm.conf" 1 "grantctl: cannot read $tmp/none.conf (No such file or directory): run grantctl doctor where slurm.conf is, or set SLURM_CONF." -- env SLURM_CONF="$tmp/none.conf" "$GRANTCTL" doctor
expect "doctor --help" 0 "Usage: grantctl doctor [--json] [--strict] [--policy FILE]" -- "$GRANTCTL" doctor --help
expect "doctor bad option" 2 "unknown option '--color'. See 'grantctl doctor --help'." -- "$GRANTCTL" doctor --color
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
