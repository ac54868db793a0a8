#!/bin/bash
# The MySQL/MariaDB ledger (issue 27) against a private MariaDB, no Slurm
# daemons: the ledger contract on both backends (ledger_contract), a charge
# during an outage (clear error within the timeouts, written once after),
# grantctl ledger init/status/migrate end to end, grantctl adjust and report
# on the shared ledger, and the refusals (credentials readable by others, bad
# ledger: keys, a conflicting migration).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/mariadb.sh"
GRANTCTL=${GRANTCTL:-grantctl}
CONTRACT=${LEDGER_CONTRACT:-$(dirname "$GRANTCTL")/tests/integration/ledger_contract}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a private MariaDB)"; exit 77; }
command -v mariadbd >/dev/null || { echo "SKIP: no mariadbd"; exit 77; }
[ -x "$CONTRACT" ] || { echo "FAIL: no ledger_contract at $CONTRACT (make check builds it)"; exit 1; }

T=$(mktemp -d /tmp/grants-ledger-mysql.XXXXXX)
DB=$T/db
PORT=$((20000 + $$ % 10000))
fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
expect() {  # expect WHAT COMMAND...: the command succeeds
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}
cleanup() { mariadb_stop "$DB"; rm -rf "$T"; }
trap cleanup EXIT

mariadb_start "$DB" "$PORT" || { echo "FAIL: MariaDB did not start"; exit 1; }
mariadb_root "$DB" "CREATE DATABASE slurm_grants; CREATE DATABASE grants_two;
  CREATE USER 'grants'@'127.0.0.1' IDENTIFIED BY 'pw-grants';
  GRANT ALL ON slurm_grants.* TO 'grants'@'127.0.0.1'; GRANT ALL ON grants_two.* TO 'grants'@'127.0.0.1';" ||
    { echo "FAIL: cannot create the ledger's database user"; exit 1; }

export SLURM_CONF=$T/slurm.conf
printf 'ClusterName=test\nSlurmUser=root\nStateSaveLocation=%s/state\n' "$T" >"$SLURM_CONF"
creds() {  # creds FILE DATABASE
    printf '# grants ledger\nStorageHost=127.0.0.1\nStoragePort=%s\nStorageUser=grants\nStoragePass=pw-grants\nStorageLoc=%s\n' \
        "$PORT" "$2" >"$1"
    chmod 0600 "$1"
}
policy() {  # policy FILE CREDENTIALS
    cat >"$1" <<YAML
version: 1
enforce: { partitions: [trn1] }
partitions:
  trn1: { chips_per_node: 16, cores_per_chip: 2, usd_per_chip_hour: 1.34 }
awards:
  A: { pi: alice, members: { users: [alice] }, valid: { from: 2025-01-01, until: 2099-12-31 }, budget: { chip_hours: 100000 } }
  B: { pi: alice, members: { users: [alice] }, valid: { from: 2025-01-01, until: 2099-12-31 }, budget: { usd: 100000 } }
ledger:
  backend: mysql
  credentials: $2
YAML
    chmod 0644 "$1"
}
creds "$T/one.conf" slurm_grants
creds "$T/two.conf" grants_two
policy "$T/one.yaml" "$T/one.conf"
policy "$T/two.yaml" "$T/two.conf"

# Before init: refused, naming the command that creates the schema.
out=$("$GRANTCTL" ledger status --policy "$T/one.yaml" 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q 'grantctl ledger init' <<<"$out"; then ok "status before init refused: $out"; else not_ok "status before init: rc $rc: $out"; fi
out=$("$GRANTCTL" ledger init --policy "$T/one.yaml" 2>&1)
if [ $? = 0 ] && grep -q 'created the grants ledger schema (version 2)' <<<"$out"; then ok "init: $out"; else not_ok "init: $out"; fi
out=$("$GRANTCTL" ledger init --policy "$T/one.yaml" 2>&1)
if [ $? = 0 ] && grep -q 'nothing to do' <<<"$out"; then ok "init again: $out"; else not_ok "init again: $out"; fi
expect "init of the second database" "$GRANTCTL" ledger init --policy "$T/two.yaml"
# A version 1 schema (before transfers and the policy audit): refused until
# init upgrades it; the upgrade creates the new tables and is idempotent.
mariadb_root "$DB" "USE grants_two; DROP TABLE transfers; DROP TABLE policy_audit; DROP TABLE policy_fields;
                   UPDATE meta SET \`value\` = '1' WHERE \`key\` = 'schema_version'"
out=$("$GRANTCTL" ledger status --policy "$T/two.yaml" 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q 'has schema version 1, this slurm-grants needs 2: run `grantctl ledger init` to upgrade it' <<<"$out"; then
    ok "a version 1 ledger is refused with the command that upgrades it"; else not_ok "version 1: rc $rc: $out"; fi
out=$("$GRANTCTL" ledger init --policy "$T/two.yaml" 2>&1)
if [ $? = 0 ] && grep -q 'from schema version 1 to 2' <<<"$out" &&
    [ "$(mariadb_root "$DB" "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'grants_two' AND table_name IN ('transfers', 'policy_audit', 'policy_fields')")" = 3 ]; then
    ok "init upgrades version 1 to 2: $out"; else not_ok "upgrade: $out"; fi

# The contract, on SQLite and on MariaDB.
if "$CONTRACT" sqlite "$T/contract.db" >"$T/sqlite.tap"; then ok "ledger contract on sqlite ($(grep -c '^ok' "$T/sqlite.tap") checks)"; else not_ok "ledger contract on sqlite"; grep '^not ok' "$T/sqlite.tap"; fi
if "$CONTRACT" mysql "$T/one.conf" >"$T/mysql.tap"; then ok "ledger contract on mysql ($(grep -c '^ok' "$T/mysql.tap") checks)"; else not_ok "ledger contract on mysql"; grep '^not ok' "$T/mysql.tap"; fi

# An outage: the server stopped under an open ledger, then started again.
coproc OUTAGE { "$CONTRACT" outage "$T/one.conf" 2>&1; }
outage_pid=$OUTAGE_PID  # bash unsets OUTAGE_PID once the coprocess ends
while read -r -t 30 line <&"${OUTAGE[0]}"; do
    [ "$line" = READY ] && break
    echo "$line" >>"$T/outage.tap"
done
if [ "$line" = READY ]; then
    mariadb_stop "$DB"
    start=$(date +%s)
    echo down >&"${OUTAGE[1]}"
    while read -r -t 60 line <&"${OUTAGE[0]}"; do
        [ "$line" = DOWN-DONE ] && break
        echo "$line" >>"$T/outage.tap"
    done
    took=$(($(date +%s) - start))
    if [ "$took" -lt 40 ]; then ok "calls failed within ${took}s while the server was down"; else not_ok "calls took ${took}s while down"; fi
    mariadb_start "$DB" "$PORT" || not_ok "MariaDB restarts"
    echo up >&"${OUTAGE[1]}"
    while read -r -t 60 line <&"${OUTAGE[0]}"; do echo "$line" >>"$T/outage.tap"; done
    wait "$outage_pid"
    rc=$?
    sed 's/^/    /' "$T/outage.tap"
    if [ $rc = 0 ] && ! grep -q '^not ok' "$T/outage.tap" && grep -q 'down fails: .*127.0.0.1' "$T/outage.tap"; then
        ok "outage: clear error, reconnect, the charge written exactly once"
    else not_ok "outage (rc $rc)"; fi
else
    not_ok "outage driver did not start: $line"
fi

# status: backend, where, schema version, rows (the contract's and the outage's
# charges: 13, three of them the charge book's incremental read's).
out=$("$GRANTCTL" ledger status --policy "$T/one.yaml" --json 2>&1)
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["backend"]=="mysql" and d["schema_version"]==2 and d["rows"]["charges"]==13 and d["rows"]["leases"]==3, d' "$out"; then
    ok "status --json: $out"; else not_ok "status --json: $out"; fi

# adjust and report on the shared ledger.
expect "adjust against mysql" "$GRANTCTL" adjust A 5 --reason "test credit" --policy "$T/one.yaml"
n_adj=$(mariadb_root "$DB" "SELECT count(*) FROM slurm_grants.adjustments WHERE reason = 'test credit'")
if [ "$n_adj" = 1 ]; then ok "the adjustment is in MariaDB"; else not_ok "adjustments with the reason: $n_adj"; fi
out=$("$GRANTCTL" report --policy "$T/one.yaml" --by user 2>&1)
if [ $? = 0 ] && grep -q alice <<<"$out" && grep -q zoe <<<"$out"; then ok "report reads the shared ledger"; else not_ok "report: $out"; fi

# migrate: an SQLite ledger written by the SQLite code (the contract, plus
# grantctl adjust) into the second database, verified; a second run adds nothing.
"$CONTRACT" sqlite "$T/old.db" >/dev/null
"$GRANTCTL" adjust B -3 --reason "via grantctl" --ledger "$T/old.db" --policy "$T/one.yaml" >/dev/null ||
    not_ok "adjust on the SQLite ledger"
out=$("$GRANTCTL" ledger migrate --to mysql --from "$T/old.db" --policy "$T/two.yaml" 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
if [ $rc = 0 ] && grep -q '^verified' <<<"$out" && grep -Eq '^charges +8 +8 +8$' <<<"$out" &&
    grep -Eq '^adjustments +6 +6 +6$' <<<"$out"; then ok "migrate copies and verifies"; else not_ok "migrate: rc $rc"; fi
src=$(sqlite3 "$T/old.db" "SELECT award, sum(chip_hours_ticks), sum(coalesce(usd_ticks,0)) FROM charges GROUP BY award ORDER BY award" | tr '|' ' ')
dst=$(mariadb_root "$DB" "SELECT award, sum(chip_hours_ticks), sum(coalesce(usd_ticks,0)) FROM grants_two.charges GROUP BY award ORDER BY award" | tr '\t' ' ')
if [ -n "$src" ] && [ "$src" = "$dst" ]; then ok "per-award charge sums equal, read independently ($src)"; else not_ok "sums: sqlite '$src' mysql '$dst'"; fi
out=$("$GRANTCTL" ledger migrate --to mysql --from "$T/old.db" --policy "$T/two.yaml" --json 2>&1)
if [ $? = 0 ] && python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["verified"] and all(t["added"]==0 for t in d["tables"].values()), d' "$out"; then
    ok "a second migrate adds nothing"; else not_ok "second migrate: $out"; fi
sqlite3 "$T/old.db" "UPDATE charges SET chip_hours_ticks = chip_hours_ticks + 1 WHERE job_id = 11;
  INSERT INTO adjustments (award, unit, amount_micros, reason, who, at) VALUES ('A','chip_hours',1,'late','root',1);"
before=$(mariadb_root "$DB" "SELECT (SELECT count(*) FROM grants_two.charges), (SELECT count(*) FROM grants_two.adjustments)")
out=$("$GRANTCTL" ledger migrate --to mysql --from "$T/old.db" --policy "$T/two.yaml" 2>&1)
rc=$?
after=$(mariadb_root "$DB" "SELECT (SELECT count(*) FROM grants_two.charges), (SELECT count(*) FROM grants_two.adjustments)")
if [ $rc = 1 ] && grep -q 'different charge for cluster c1, job 11' <<<"$out" && [ "$before" = "$after" ]; then
    ok "a conflicting target is refused, nothing written: $out"; else not_ok "conflict: rc $rc, $before -> $after: $out"; fi
out=$("$GRANTCTL" ledger migrate --to sqlite --from "$T/old.db" --policy "$T/two.yaml" 2>&1)
if [ $? = 2 ]; then ok "migrate --to sqlite is a usage error"; else not_ok "migrate --to sqlite: $out"; fi

# Refusals: credentials readable by others, a wrong password, bad ledger: keys.
chmod 0644 "$T/one.conf"
out=$("$GRANTCTL" ledger status --policy "$T/one.yaml" 2>&1)
if [ $? = 1 ] && grep -q 'group or others may access it' <<<"$out"; then ok "credentials readable by others refused: $out"; else not_ok "mode 0644: $out"; fi
chmod 0600 "$T/one.conf"
chown 4242 "$T/one.conf"
out=$("$GRANTCTL" ledger status --policy "$T/one.yaml" 2>&1)
if [ $? = 1 ] && grep -q 'owned by uid 4242' <<<"$out"; then ok "credentials owned by another user refused"; else not_ok "owner: $out"; fi
chown 0 "$T/one.conf"
sed -i 's/StoragePass=.*/StoragePass=wrong/' "$T/one.conf"
out=$(timeout 60 "$GRANTCTL" ledger status --policy "$T/one.yaml" 2>&1)
if [ $? = 1 ] && grep -q 'Access denied' <<<"$out"; then ok "a wrong password: $out"; else not_ok "wrong password: $out"; fi
sed 's/backend: mysql/backend: oracle/' "$T/one.yaml" >"$T/bad.yaml"
out=$("$GRANTCTL" check "$T/bad.yaml" 2>&1)
if [ $? = 1 ] && grep -q "bad.yaml:9:12: ledger.backend must be 'sqlite' or 'mysql'" <<<"$out"; then ok "bad ledger.backend: file:line:col"; else not_ok "bad backend: $out"; fi
out=$("$GRANTCTL" ledger status --policy "$T/bad.yaml" 2>&1)
if [ $? = 1 ] && grep -q 'is not usable (.*bad.yaml:9:12:' <<<"$out"; then ok "ledger status names the bad policy"; else not_ok "status with bad policy: $out"; fi

echo "1..$n"
[ "$fails" = 0 ]
