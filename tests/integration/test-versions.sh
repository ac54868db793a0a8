#!/bin/bash
# What differs between the Slurm versions we support, against real daemons of
# the Slurm built against (the system's 22.05, or a Slurm in a prefix), and
# what only a cluster of several nodes can show: node-count pricing of
# multi-node jobs and a running job shrunk to fewer nodes.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"

. "$here/suite.sh"
grants_suite_start "$here/policies/versions.yaml"
LEDGER=$CLUSTER_DIR/state/grants/ledger.db

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
SERIES=$(slurm_series)
NODES=$(sinfo -h -N -p trn1 -o %N | sort -u | wc -l)
echo "# Slurm $(scontrol --version | awk '{ print $2 }'), $NODES node(s) in trn1"

# A case that needs more nodes than the cluster has is reported as skipped,
# never as passed.
T_SKIPPED=0
needs_nodes() {
    local want=$1 name=$2
    if [ "$NODES" -lt "$want" ]; then
        echo "skip - $name (needs $want nodes, the cluster has $NODES)"
        T_SKIPPED=$((T_SKIPPED + 1))
        return 1
    fi
}

case_update_refusal_says_why() {
    try_submit dave -p trn1 --award=V-USD -t 10 --hold --wrap true
    assert_contains "$T_OUT" "award V-USD: this job holds \$2.67" "accepted on trn1" || return 1
    local job=$JOB
    # On trn2 the same job costs $8 of a $5 budget.
    assert_status nonzero as_user dave scontrol update "JobId=$job" Partition=trn2
    local said=$T_OUT
    assert_eq trn1 "$(job_field "$job" Partition)" "the job stayed on trn1"
    assert_contains "$(cat "$CLUSTER_DIR/log/slurmctld.log")" "job $job: update by uid $(id -u dave) refused: award V-USD has"
    if [ "$SERIES" -ge $((23 * 256 + 2)) ]; then
        # 23.02+: job_modify's err_msg reaches the user.
        assert_contains "$said" "update of job $job refused: award V-USD has \$5.00 of \$5 left and this job needs up to \$8.00" \
            "scontrol shows our sentence"
    else
        # 22.05: job_modify has no err_msg; Slurm's generic line.
        assert_not_contains "$said" "award V-USD has" "22.05 cannot show the sentence"
    fi
    scancel "$job"
}

case_multi_node_priced_per_node() {
    try_submit alice -p trn1 --award=V-NODES -N 3 -t 60 --hold --wrap 'sleep 3'
    assert_contains "$T_OUT" "award V-NODES: this job holds 48.0 chip-h" "3 nodes x 16 chips x 1 h" || return 1
    local job=$JOB
    # A node range holds its maximum.
    try_submit alice -p trn1 --award=V-NODES -N 2-4 -t 60 --hold --wrap true
    assert_contains "$T_OUT" "award V-NODES: this job holds 64.0 chip-h" "-N 2-4 holds 4 nodes"
    scancel "$JOB"
    scontrol release "$job"
    assert_eq COMPLETED "$(wait_job_done "$job" 60)" "the 3-node job ran" || return 1
    assert_eq 3 "$(job_field "$job" NumNodes | cut -d- -f1)" "it ran on 3 nodes"
    settle
    assert_eq 48 "$(sql "SELECT chips FROM charges WHERE job_id=$job")" "charged for 48 chips"
    local start end
    start=$(date -d "$(job_field "$job" StartTime)" +%s)
    end=$(date -d "$(job_field "$job" EndTime)" +%s)
    assert_eq "$((48 * (end - start)))" "$(sql "SELECT chips * seconds FROM charges WHERE job_id=$job")" \
        "chip-seconds of the run"
}

case_shrunk_job_charged_for_held_nodes() {
    try_submit bob -p trn1 --award=V-SHRINK -N 2 -t 10 --wrap 'sleep 300'   # cancelled below
    assert_contains "$T_OUT" "award V-SHRINK: this job holds" "accepted" || return 1
    local job=$JOB
    wait_job_state "$job" RUNNING 30 || return 1
    settle   # a pass sees it on 2 nodes
    # The owner may shrink a running job (Slurm allows it unless disable_job_shrink).
    assert_status 0 as_user bob scontrol update "JobId=$job" NumNodes=1
    assert_eq 1 "$(job_field "$job" NumNodes | cut -d- -f1)" "Slurm shrank the job to 1 node" || return 1
    settle
    # Still held for the 2 nodes it had.
    local held
    held=$(as_user bob "$GRANTCTL" balance --json 2>&1)
    assert_contains "$held" '"held":5.333' "held for 2 nodes x 16 chips x 10 min"
    # The largest allocation survives a controller restart (the job record
    # shows only 1 node now): it is kept next to the ledger.
    assert_status 0 grep -qP "^%shrunk\\t$job\\t" "$LEDGER.uncommitted"
    cluster_restart_ctld || return 1
    held=$(as_user bob "$GRANTCTL" balance --json 2>&1)
    assert_contains "$held" '"held":5.333' "still held for 2 nodes after the restart"
    scancel "$job"
    wait_job_done "$job" 30 >/dev/null
    settle
    assert_eq 32 "$(sql "SELECT chips FROM charges WHERE job_id=$job")" "charged for the 32 chips it held"
}

run_case "a refused scontrol update says why (23.02+ to the user, 22.05 in the log)" case_update_refusal_says_why
name="-N 3 is held and charged as 48 chips; -N 2-4 holds 4 nodes"
needs_nodes 4 "$name" && run_case "$name" case_multi_node_priced_per_node
name="a running job shrunk from 2 nodes to 1 is held and charged for 2"
needs_nodes 2 "$name" && run_case "$name" case_shrunk_job_charged_for_held_nodes
echo "# $T_SKIPPED case(s) skipped"
finish
