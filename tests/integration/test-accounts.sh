#!/bin/bash
# Membership through members.accounts with Slurm's accounting: a user who
# submits without -A is charged (by Slurm) to their default account, so an
# award that lists that account admits the job; an explicit -A counts
# instead. Runs slurmdbd on a private MariaDB (cluster.sh CLUSTER_ACCOUNTING).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"
# Accounting needs MariaDB and Slurm's MySQL storage plugin next to the
# Slurm under test (Debian's slurmdbd package has it).
plugins=$(cluster_system_plugin_dir 2>/dev/null)
for need in "$plugins/accounting_storage_mysql.so" "$(command -v mariadbd)" "$(PATH=$CLUSTER_SYS_PATH command -v slurmdbd)"; do
    if [ -z "$need" ] || [ ! -e "$need" ]; then
        echo "SKIP: ${0##*/}: this Slurm has no slurmdbd with accounting_storage/mysql, or MariaDB is missing (${need:-slurmdbd or mariadbd})"
        exit 77
    fi
done

POLICY_FILE=$(mktemp)
cat >"$POLICY_FILE" <<'EOF'
version: 1
enforce: { partitions: [trn1], on_error: closed }
partitions:
  trn1: { chips_per_node: 16 }
awards:
  NLP-ACC:
    title: NLP lab (through its Slurm account)
    members: { accounts: [nlp] }
    budget: { chip_hours: 1000 }
EOF
chmod 0644 "$POLICY_FILE"
# alice's default account is nlp; bob's is other, and he may also use nlp.
export CLUSTER_ACCOUNTING=1
export CLUSTER_ACCOUNTING_SETUP='set -e
sacctmgr -i add account nlp,other
sacctmgr -i add user alice account=nlp,other defaultaccount=nlp
sacctmgr -i add user bob account=other,nlp defaultaccount=other
sacctmgr -i add user carol account=other defaultaccount=other'
grants_suite_start "$POLICY_FILE"
rm -f "$POLICY_FILE"
GC=$CLUSTER_DIR/grantctl
install -m 0755 "$GRANTCTL" "$GC"

case_default_account_is_a_member() {
    assert_eq "nlp" "$(sacctmgr -n -P list user alice format=defaultaccount)" "sacctmgr: alice's default account" ||
        return 1
    try_submit alice -p trn1 -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award NLP-ACC: this job holds" "alice, no -A: a member through her default account nlp" ||
        return 1
    assert_eq "nlp" "$(job_field "$JOB" Account)" "and Slurm charges the job to nlp"
    assert_eq "award=NLP-ACC" "$(job_field "$JOB" AdminComment)" "tagged"
    scancel "$JOB"
    try_submit bob -p trn1 --award=NLP-ACC -t 10 --hold --wrap true
    assert_eq "" "$JOB" "bob, no -A (default other): refused" || scancel "$JOB"
    assert_contains "$T_OUT" "not a member of award NLP-ACC"
    try_submit bob -p trn1 -A nlp --award=NLP-ACC -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award NLP-ACC: this job holds" "bob with -A nlp: a member"
    [ -n "$JOB" ] && scancel "$JOB"
    try_submit alice -p trn1 -A other --award=NLP-ACC -t 10 --hold --wrap true
    assert_eq "" "$JOB" "alice with -A other: the explicit account counts, not the default" || scancel "$JOB"
    assert_contains "$T_OUT" "not a member of award NLP-ACC"
    # balance and quote ask as the submission would.
    assert_status 0 as_user alice "$GC" balance
    assert_contains "$T_OUT" "NLP-ACC" "alice's balance lists the award of her default account"
    assert_status 0 as_user carol "$GC" balance
    assert_not_contains "$T_OUT" "NLP-ACC" "carol's does not"
    assert_status 0 as_user alice "$GC" quote -p trn1 -t 10
    assert_contains "$T_OUT" "would be accepted: award NLP-ACC"
}

run_case "no -A: the user's default account (sacctmgr) makes them a member" case_default_account_is_a_member
finish
