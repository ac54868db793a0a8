#!/bin/bash
# One award, two clusters, one shared ledger (MySQL/MariaDB), with budget
# leases (docs/admin-guide.md, "Several clusters"): alpha and beta share
# one private MariaDB (tests/integration/cluster.sh, cluster_pair_start),
# their controllers both load job_submit/grants with the same policy, whose
# ledger is the shared database.
#  - many users submitting to both clusters at once never hold more than the
#    award's budget, and the whole budget can still be used from either;
#  - the database dies for a minute: both clusters run and charge jobs
#    meanwhile; once it is back every charge is in the ledger exactly once,
#    and the award's PI, without the database's credentials, gets from her
#    controller the report by cluster and the statement root reads from it;
#  - alpha's controller is killed: beta reclaims alpha's free lease within
#    the lease timeout (plus two renewals);
#  - federated, a job is held once (by its origin) and charged once, by the
#    cluster that ran it.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

case " ${GRANTS_SKIP_SUITES:-} " in *" ${0##*/} "*) echo "SKIP: ${0##*/} is in GRANTS_SKIP_SUITES"; exit 77 ;; esac
if [ "$(id -u)" != 0 ]; then
    echo "${0##*/}: must run as root (it starts Slurm daemons and creates test users)" >&2
    exit 77
fi
: "${GRANTS_PLUGIN_DIR:?set GRANTS_PLUGIN_DIR to the built plugins (make check does)}"
: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"
export GRANTS_PLUGIN_DIR

LEASE_TIMEOUT=20
WORK=$(mktemp -d /tmp/grants-clusters.XXXXXX)
chmod 0755 "$WORK"
CREDENTIALS=$WORK/grants-ledger.conf
# Budget 64 chip-h; every job: one trn1 node (16 chips) x 30 min = 8 chip-h.
cat >"$WORK/grants.yaml" <<P
version: 1
enforce: { partitions: [trn1], on_error: closed }
ledger: { backend: mysql, credentials: $CREDENTIALS, lease_timeout: $LEASE_TIMEOUT }
partitions:
  trn1: { chips_per_node: 16 }
awards:
  SHARED-1:
    title: one award, two clusters
    pi: carol
    members: { users: [alice, bob, carol, dave] }
    budget: { chip_hours: 64 }
P
chmod 0644 "$WORK/grants.yaml"
export GRANTS_POLICY=$WORK/grants.yaml
ensure_test_users || exit 1
T_START=$(date +%s)
cluster_pair_install_traps
trap 'rc=$?; cluster_pair_stop; rm -rf "$WORK"; exit $rc' EXIT
cluster_pair_start alpha beta || exit 1
ALPHA_DIR=$_CLUSTER_SAVED_alpha_CLUSTER_DIR
BETA_DIR=$_CLUSTER_SAVED_beta_CLUSTER_DIR
# The ledger's database exists now: its credentials where the policy says,
# root-only; the schema made by grantctl (never by slurmctld).
install -m 0600 "$CLUSTER_GRANTS_DB_CONF" "$CREDENTIALS" || exit 1
"$GRANTCTL" ledger init --policy "$GRANTS_POLICY" || { echo "grantctl ledger init failed"; exit 1; }
echo "# both clusters up, ledger initialised in $(($(date +%s) - T_START))s"

ledger_sql() {
    local user pass port
    user=$(sed -n 's/^StorageUser=//p' "$CREDENTIALS")
    pass=$(sed -n 's/^StoragePass=//p' "$CREDENTIALS")
    port=$(sed -n 's/^StoragePort=//p' "$CREDENTIALS")
    mariadb --no-defaults -h 127.0.0.1 -P "$port" -u "$user" -p"$pass" -N -B slurm_grants -e "$1"
}
# lease_of CLUSTER: its lease of SHARED-1 in whole chip-hours ("" if none).
lease_of() { ledger_sql "SELECT amount DIV (3600 * 1000000) FROM leases WHERE award = 'SHARED-1' AND cluster = '$1'"; }
leases_sum() { ledger_sql "SELECT COALESCE(SUM(amount), 0) DIV (3600 * 1000000) FROM leases WHERE award = 'SHARED-1'"; }
# Both clusters idle and renewing: the award's 64 chip-h split in halves.
# (and no cluster still holds a cancelled job: held, written at each renewal, is 0)
# (whole chip-hours, rounded down: after the outage's two short runs, 31 each)
leases_settled() {
    local a b
    a=$(lease_of alpha) b=$(lease_of beta)
    [ -n "$a" ] && [ -n "$b" ] && ((a >= 31 && a <= 32 && b >= 31 && b <= 32)) &&
        [ "$(ledger_sql "SELECT COALESCE(SUM(held), 0) FROM leases WHERE award = 'SHARED-1'")" = 0 ]
}
eventually 60 "the two idle clusters share SHARED-1's budget in halves" leases_settled || exit 1
echo "# leases settled: alpha $(lease_of alpha), beta $(lease_of beta) chip-h"

# submitter CLUSTER USER FILE: submits 8 chip-h jobs that stay pending
# (--begin in an hour: they hold their cost) until the award itself refuses,
# retrying refusals for want of this cluster's lease (what a user does after
# "please try again in a minute") for at most 60 s; one line per accepted
# job in FILE, and the last answer in FILE.last.
submitter() {
    local cluster=$1 user=$2 file=$3 t_end out
    cluster_use "$cluster" || return 1
    t_end=$(($(date +%s) + 60))
    : >"$file"
    while (($(date +%s) < t_end)); do
        out=$(as_user "$user" sbatch -p trn1 --award=SHARED-1 -t 30 --begin=now+1hour --wrap true 2>&1 </dev/null)
        printf '%s\n' "$out" >"$file.last"
        case $out in
            *"Submitted batch job"*) printf '%s\n' "$out" >>"$file" ;;
            *"across all clusters"*) sleep 1 ;;
            *) break ;;  # the award's own refusal (or something else: FILE.last says)
        esac
    done
}

# pending_holds: jobs of SHARED-1 pending on either cluster.
pending_on() { cluster_use "$1"; squeue -h -t PD -o %i 2>/dev/null | wc -l; }

case_budget_holds_across_clusters() {
    local total a b
    submitter alpha alice "$WORK/a1" & local p1=$!
    submitter alpha bob "$WORK/a2" & local p2=$!
    submitter beta carol "$WORK/b1" & local p3=$!
    submitter beta dave "$WORK/b2" & local p4=$!
    wait $p1 $p2 $p3 $p4
    total=$(cat "$WORK"/a1 "$WORK"/a2 "$WORK"/b1 "$WORK"/b2 | grep -c "Submitted batch job")
    a=$(pending_on alpha); b=$(pending_on beta)
    echo "# accepted: alpha $a, beta $b (budget 64 chip-h = 8 jobs of 8)"
    assert_eq "$total" "$((a + b))" "every accepted job pends and holds" || return 1
    assert_eq 1 "$([ "$total" -le 8 ] && echo 1)" "the clusters together hold no more than the budget: $total jobs of 8 chip-h" || return 1
    assert_eq 8 "$total" "the whole budget was usable from the two clusters (leases moved to the demand)"
    assert_eq 1 "$( ((a > 0 && b > 0)) && echo 1)" "both clusters took jobs: alpha $a, beta $b"
    for f in a1 a2 b1 b2; do
        assert_contains "$(cat "$WORK/$f.last")" "award SHARED-1 has 0.0 of 64 chip-h left" \
            "each submitter ended on the award's own refusal, counting the other cluster's holds ($f)"
    done
    # The ledger's side of it: charged + leases <= budget.
    assert_eq 1 "$([ "$(leases_sum)" -le 64 ] && echo 1)" "the leases sum to at most the budget: $(leases_sum)"
    cluster_use alpha; scancel -u alice; scancel -u bob
    cluster_use beta; scancel -u carol; scancel -u dave
}

# Only alpha's users submit: the refusals for want of lease ask beta's idle
# half over, and alpha ends up holding the whole award.
case_the_lease_moves_to_the_demand() {
    local total
    eventually 60 "leases back in halves once the jobs are gone" leases_settled || return 1
    submitter alpha alice "$WORK/m1" & local p1=$!
    submitter alpha bob "$WORK/m2" & local p2=$!
    wait $p1 $p2
    total=$(cat "$WORK"/m1 "$WORK"/m2 | grep -c "Submitted batch job")
    assert_eq 8 "$total" "alpha's users got the whole award (beta's idle half moved over)"
    assert_eq 8 "$(pending_on alpha)" "all of it pending on alpha"
    assert_eq 1 "$([ "$(lease_of alpha)" -ge 64 ] && [ "$(lease_of beta)" = 0 ] && echo 1)" \
        "alpha leases it all, beta nothing: alpha $(lease_of alpha), beta $(lease_of beta)"
    cluster_use alpha; scancel -u alice; scancel -u bob
}

# beta's controller dies: after the lease timeout alpha reclaims beta's free
# half (beta held nothing); beta renews again once it is back.
case_a_dead_controllers_lease_is_reclaimed() {
    local t0 t1
    eventually 60 "leases back in halves" leases_settled || return 1
    cluster_use beta
    cluster_kill9_ctld || return 1
    t0=$(date +%s)
    eventually $((LEASE_TIMEOUT + 30)) "alpha takes beta's free lease after the timeout" \
        eval '[ "$(lease_of beta)" = 0 ] && [ "$(lease_of alpha)" = 64 ]' || return 1
    t1=$(date +%s)
    echo "# reclaimed $((t1 - t0)) s after the kill (lease_timeout $LEASE_TIMEOUT s, renewals every 5 s)"
    assert_eq 1 "$( ((t1 - t0 >= LEASE_TIMEOUT - 5 && t1 - t0 <= LEASE_TIMEOUT + 15)) && echo 1)" \
        "reclaimed after the timeout, within two renewals of it: $((t1 - t0)) s"
    assert_contains "$(cat "$ALPHA_DIR/log/slurmctld.log")" "lease of award SHARED-1 by cluster beta reclaimed" \
        "alpha says what it did"
    cluster_use beta
    cluster_start_ctld || return 1
    eventually 60 "beta back: the award in halves again" leases_settled
}

# The database dies for a minute while jobs run and end on both clusters:
# each cluster spools its charges and writes them once the database is back,
# every job exactly once.
case_database_outage_loses_and_doubles_nothing() {
    local ja jb ids t0
    eventually 60 "leases in halves" leases_settled || return 1
    cluster_db_kill || return 1
    t0=$(date +%s)
    submitter_once() { cluster_use "$1"; try_submit "$2" -p trn1 --award=SHARED-1 -t 30 --wrap 'sleep 2'; }
    submitter_once alpha alice; ja=$JOB
    assert_contains "$T_OUT" "Submitted batch job" "alpha decides within its lease while the database is down" || return 1
    submitter_once beta carol; jb=$JOB
    assert_contains "$T_OUT" "Submitted batch job" "beta too" || return 1
    cluster_use alpha; assert_eq COMPLETED "$(wait_job_done "$ja" 60)" "alpha's job ran during the outage"
    cluster_use beta; assert_eq COMPLETED "$(wait_job_done "$jb" 60)" "beta's job too"
    sleep $((60 - ($(date +%s) - t0) > 0 ? 60 - ($(date +%s) - t0) : 0))
    cluster_db_start || return 1
    eventually 60 "both charges written once the database is back" \
        eval '[ "$(ledger_sql "SELECT COUNT(*) FROM charges WHERE (cluster = '"'alpha'"' AND job_id = '"$ja"') OR (cluster = '"'beta'"' AND job_id = '"$jb"')")" = 2 ]' || return 1
    sleep 6  # a few more passes: nothing may be written twice
    assert_eq 2 "$(ledger_sql "SELECT COUNT(*) FROM charges")" "every charge of the ledger: these two, once each"
    assert_eq "alpha $ja
beta $jb" "$(ledger_sql "SELECT cluster, job_id FROM charges ORDER BY cluster" | tr '\t' ' ')" "each by the cluster that ran it"
    # grantctl report --by cluster, from the shared ledger (root, with its credentials)
    cluster_use beta
    assert_status 0 "$GRANTCTL" report --award SHARED-1 --by cluster --format csv || return 1
    assert_eq "charge,SHARED-1,alpha,1
charge,SHARED-1,beta,1" "$(printf '%s\n' "$T_OUT" | awk -F, '$1 == "charge" { print $1 "," $2 "," $3 "," $4 }')" \
        "report --by cluster: one run on each cluster"
    local root_report=$T_OUT
    # A month's statement from the shared ledger lists both runs, with their clusters.
    assert_status 0 "$GRANTCTL" statement --award SHARED-1 --month "$(date +%Y-%m)" --format csv || return 1
    assert_contains "$T_OUT" "$ja" "the statement lists alpha's job" &&
        assert_contains "$T_OUT" "$jb" "the statement lists beta's job" &&
        assert_contains "$T_OUT" "alpha" "with its cluster" && assert_contains "$T_OUT" "beta" "and the other's"
    ROOT_REPORT=$root_report ROOT_STATEMENT=$T_OUT
    # carol, the award's PI, on a login node without the credentials file:
    # beta's controller answers from its memory, alpha's charge included.
    install -m 0755 "$GRANTCTL" "$WORK/grantctl"
    eventually 20 "carol's report by cluster and statement (from beta's slurmctld) are root's (from the database)" \
        pi_sees_what_root_sees || return 1
}
pi_sees_what_root_sees() {
    [ "$(as_user carol "$WORK/grantctl" report --award SHARED-1 --by cluster --format csv 2>&1)" = "$ROOT_REPORT" ] &&
        [ "$(as_user carol "$WORK/grantctl" statement --award SHARED-1 --month "$(date +%Y-%m)" --format csv 2>&1)" = "$ROOT_STATEMENT" ]
}

# Federated: a job submitted to alpha pends on both clusters; it is held
# once (by its origin: beta's copy holds nothing), runs on one of them and
# is charged once, by that cluster.
held_of() { ledger_sql "SELECT held DIV (3600 * 1000000) FROM leases WHERE award = 'SHARED-1' AND cluster = '$1'"; }
case_a_federated_job_is_held_and_charged_once() {
    local j ran rows
    eventually 60 "leases in halves" leases_settled || return 1
    cluster_pair_federate || return 1
    submit_on() { cluster_use "$1"; shift; try_submit "$@"; }
    # BeginTime past the waits below (at most 41 s, ~15 s as a rule).
    local begin
    submit_on alpha alice -p trn1 --award=SHARED-1 -t 30 --begin=now+40 --wrap true
    begin=$(($(date +%s) + 40))   # not before sbatch's now + 40
    j=$JOB
    assert_contains "$T_OUT" "award SHARED-1: this job holds 8.0 chip-h" "alpha (the origin) decided" || return 1
    eventually 15 "beta has its copy of $j" eval "squeue -M beta -h -j $j -o %i 2>/dev/null | grep -qx $j" || return 1
    eventually 20 "both clusters renewed with the job pending on both" \
        eval '[ "$(held_of alpha)" = 8 ] && [ "$(ledger_sql "SELECT MAX(renewed_at) - MIN(renewed_at) FROM leases WHERE award = '"'SHARED-1'"'")" -le 5 ]' || return 1
    sleep 6  # another renewal of each, the copy still pending on beta
    assert_eq "8 0" "$(held_of alpha) $(held_of beta)" "held once, by the origin; beta's pending copy holds nothing"
    # The scheduler runs on events: a job on the cpu partition wakes it once BeginTime has passed.
    while (($(date +%s) <= begin)); do sleep 1; done
    cluster_use alpha; as_user bob sbatch -p cpu -t 1 --wrap true >/dev/null 2>&1
    cluster_use beta; as_user bob sbatch -p cpu -t 1 --wrap true >/dev/null 2>&1
    eventually 90 "the federated job ran and was charged" \
        eval '[ "$(ledger_sql "SELECT COUNT(*) FROM charges WHERE job_id = '"$j"'")" -ge 1 ]' || return 1
    sleep 8  # a few more passes on both: no second charge may follow
    rows=$(ledger_sql "SELECT cluster FROM charges WHERE job_id = $j")
    assert_eq 1 "$(printf '%s\n' "$rows" | grep -c .)" "one charge for job $j: $rows" || return 1
    # slurmdbd may learn of the job's end after the charge.
    eventually 30 "sacct shows job $j completed" eval '[ -n "$(sacct -M alpha,beta -X -n -P -j '"$j"' -o Cluster,State | awk -F"|" '"'"'$2 == "COMPLETED"'"'"')" ]'
    ran=$(sacct -M alpha,beta -X -n -P -j "$j" -o Cluster,State | awk -F'|' '$2 == "COMPLETED" { print $1 }')
    assert_eq "$ran" "$rows" "charged by the cluster that ran it"
    eventually 20 "nothing held on either cluster afterwards" eval '[ "$(held_of alpha) $(held_of beta)" = "0 0" ]'
}

run_case "many users on two clusters at once never exceed the award" case_budget_holds_across_clusters
run_case "the lease moves to where the jobs are" case_the_lease_moves_to_the_demand
run_case "a dead controller's free lease is reclaimed after lease_timeout" case_a_dead_controllers_lease_is_reclaimed
run_case "the shared database dies for a minute: no charge lost or doubled" case_database_outage_loses_and_doubles_nothing
run_case "a federated job is held once and charged once" case_a_federated_job_is_held_and_charged_once
finish
