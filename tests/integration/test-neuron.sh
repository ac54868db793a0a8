#!/bin/bash
# Trainium devices as Slurm hands them out, with the real daemons: Neuron
# devices as gres/gpu of type trainium2 (File= character devices made by
# cluster.sh, as gpu/nrt's AutoDetect lists them). The SPANK plugin gives each
# task NEURON_RT_VISIBLE_CORES = the NeuronCores of exactly the devices Slurm
# allocated (device i: cores i*4 .. i*4+3 on trn2), all of them for a job with
# the whole node; two jobs sharing a node see disjoint cores; a user's own
# subset is kept. gres/gpu requests on the gpu-typed partition are priced.
# A ParallelCluster-style partition (mix) whose nodes carry their instance
# type as a Feature holds a job at the dearest type it could land on (that of
# every node its --constraint admits: "trn1.2xlarge|efa" admits the big nodes
# with efa) and charges the nodes it got.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"

. "$here/suite.sh"
export CLUSTER_NEURON_DEVICES=16
# slurm.conf as ParallelCluster writes it: the NodeName lines (and their
# Features, which slurmstepd reads for a node's instance type) in an included file.
export CLUSTER_PCLUSTER_LAYOUT=1
# n1, n2: trn1.2xlarge (1 chip); n3, n4: trn1.32xlarge (16) with EFA, as
# ParallelCluster sets their Features. One node (Slurm built without
# --enable-multiple-slurmd, as Debian's 22.05): n1's, and mix also has three
# trn1.32xlarge,efa nodes that never start (State=FUTURE: slurmctld counts
# them and prices by them, never allocates them).
export CLUSTER_NODE_FEATURES="trn1.2xlarge trn1.2xlarge trn1.32xlarge,efa trn1.32xlarge,efa"
export CLUSTER_EXTRA_CONF="PartitionName=mix Nodes=ALL MaxTime=INFINITE State=UP"
if [ "${CLUSTER_NODES:-1}" -le 1 ]; then
    CLUSTER_EXTRA_CONF="NodeName=big[1-3] NodeAddr=127.0.0.1 CPUs=1 Features=trn1.32xlarge,efa State=FUTURE
$CLUSTER_EXTRA_CONF"
fi
grants_suite_start "$here/policies/neuron.yaml"
NODE=$CLUSTER_NODE
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
HOME_ALICE=$(cluster_home alice)
SHOW='echo "cores=${NEURON_RT_VISIBLE_CORES-unset} gpus=${SLURM_JOB_GPUS-unset}"'

# expand LIST: "0-3,8" -> "0 1 2 3 8"
expand() {
    local part out=()
    IFS=, read -ra parts <<<"$1"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then out+=($(seq "${part%-*}" "${part#*-}")); else out+=("$part"); fi
    done
    echo "${out[*]}"
}
# cores_of_gpus "0,2" [CORES_PER_CHIP=4] -> "0 1 2 3 8 9 10 11"
cores_of_gpus() {
    local d c out=()
    for d in $(expand "$1"); do
        for ((c = 0; c < ${2:-4}; c++)); do out+=($((d * ${2:-4} + c))); done
    done
    echo "${out[*]}"
}
# field OUTPUT NAME: "cores" or "gpus" from a job's output line.
field() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1; }
# ran JOB: its output file, once it ended.
ran() {
    assert_eq COMPLETED "$(wait_job_done "$1" 60)" "job $1 completed" || return 1
    cat "$HOME_ALICE/$1.out"
}
submit() { try_submit alice -o "$HOME_ALICE/%j.out" -n 1 -c 1 "$@"; }

case_two_jobs_share_a_node() {
    local a b out_a out_b cores_a cores_b both flag=$HOME_ALICE/share.done
    rm -f "$flag"
    # Both run until the test has seen them together (a flag file, not a sleep).
    submit -p trn2 --award=N-1 -w "$NODE" --gres=gpu:4 -t 5 --wrap "$SHOW; while [ ! -e '$flag' ]; do sleep 0.2; done"
    a=$JOB
    submit -p trn2 --award=N-1 -w "$NODE" --gres=gpu:trainium2:4 -t 5 --wrap "$SHOW; while [ ! -e '$flag' ]; do sleep 0.2; done"
    b=$JOB
    [ -n "$a" ] && [ -n "$b" ] || { touch "$flag"; _t_fail "submissions refused: $T_OUT"; return 1; }
    wait_job_state "$a" RUNNING 30 && wait_job_state "$b" RUNNING 30 ||
        { touch "$flag"; _t_fail "the two jobs did not run together on $NODE"; return 1; }
    assert_eq "$NODE $NODE" "$(job_field "$a" NodeList) $(job_field "$b" NodeList)" "both jobs on one node"
    touch "$flag"
    out_a=$(ran "$a") && out_b=$(ran "$b") || return 1
    cores_a=$(field "$out_a" cores)
    cores_b=$(field "$out_b" cores)
    assert_eq 16 "$(wc -w <<<"$(expand "$cores_a")")" "job $a: 4 chips x 4 cores ($cores_a)"
    assert_eq 16 "$(wc -w <<<"$(expand "$cores_b")")" "job $b: 4 chips x 4 cores ($cores_b)"
    both=$(printf '%s\n' $(expand "$cores_a") $(expand "$cores_b") | sort -n | uniq -d)
    assert_eq "" "$both" "the two jobs' cores are disjoint ($cores_a / $cores_b)"
    # Exactly the cores of the devices Slurm gave each job.
    assert_eq "$(cores_of_gpus "$(field "$out_a" gpus)")" "$(expand "$cores_a")" "job $a: the cores of its devices $(field "$out_a" gpus)"
    assert_eq "$(cores_of_gpus "$(field "$out_b" gpus)")" "$(expand "$cores_b")" "job $b: the cores of its devices $(field "$out_b" gpus)"
    # Priced by the devices: 4 chips each.
    settle
    assert_eq "4 4" "$(sqlite3 "$LEDGER" "SELECT chips FROM charges WHERE job_id IN ($a, $b) ORDER BY job_id" | tr '\n' ' ' | sed 's/ $//')" \
        "each run charged for its 4 Neuron devices"
}

case_step_sees_its_devices() {
    local j out job_cores step_cores
    submit -p trn2 --award=N-1 --gres=gpu:4 -t 5 --wrap \
        "$SHOW; srun -n 1 -c 1 --gres=gpu:2 bash -c 'echo step=\$NEURON_RT_VISIBLE_CORES'"
    j=$JOB
    [ -n "$j" ] || { _t_fail "refused: $T_OUT"; return 1; }
    out=$(ran "$j") || return 1
    job_cores=$(expand "$(field "$out" cores)")
    step_cores=$(expand "$(field "$out" step)")
    assert_eq 8 "$(wc -w <<<"$step_cores")" "the step with 2 of the job's devices sees 8 cores ($out)"
    assert_eq "" "$(comm -13 <(tr ' ' '\n' <<<"$job_cores" | sort) <(tr ' ' '\n' <<<"$step_cores" | sort))" \
        "the step's cores are the job's"
}

case_whole_node_and_user_value() {
    local j out
    submit -p trn1 --award=N-1 -t 5 --wrap "$SHOW"
    out=$(ran "$JOB") || return 1
    assert_eq "0-31" "$(field "$out" cores)" "a whole-node trn1 job: 16 chips x 2 cores"
    submit -p trn2 --award=N-1 --exclusive -t 5 --wrap "$SHOW"
    out=$(ran "$JOB") || return 1
    assert_eq "0-63" "$(field "$out" cores)" "an exclusive trn2 job: every core of the node"
    submit -p trn2 --award=N-1 -t 5 --wrap "$SHOW"
    out=$(ran "$JOB") || return 1
    assert_eq "0-63" "$(field "$out" cores)" "a trn2 job without devices has the whole node and every core"
    # The user's own subset of the job's cores is kept; cores outside are not.
    submit -p trn2 --award=N-1 --exclusive --export=ALL,NEURON_RT_VISIBLE_CORES=4-7 -t 5 --wrap "$SHOW"
    out=$(ran "$JOB") || return 1
    assert_eq "4-7" "$(field "$out" cores)" "a subset the user chose is kept"
    submit -p trn2 --award=N-1 -w "$NODE" --gres=gpu:1 --export=ALL,NEURON_RT_VISIBLE_CORES=0-63 -t 5 --wrap "$SHOW"
    j=$JOB
    out=$(ran "$j") || return 1
    assert_eq "$(cores_of_gpus "$(field "$out" gpus)")" "$(expand "$(field "$out" cores)")" \
        "a value beyond the job's one device is replaced by its 4 cores"
    # Outside the priced partitions nothing is set.
    try_submit alice -o "$HOME_ALICE/%j.out" -p cpu -t 5 --wrap "$SHOW"
    out=$(ran "$JOB") || return 1
    assert_eq "unset" "$(field "$out" cores)" "a cpu job gets no NEURON_RT_VISIBLE_CORES"
}

# The note about a replaced value goes to slurmd's log (slurmstepd logs
# there): the user's text must not be able to start a line of its own.
case_user_value_logged_escaped() {
    local forged='[2001-01-01T00:00:00.000] grants: FORGED-BY-ALICE' log
    T_OUT=$(as_user alice env "NEURON_RT_VISIBLE_CORES=$(printf '0-99\n%s' "$forged")" \
        sbatch -o "$HOME_ALICE/%j.out" -n 1 -c 1 -p trn2 --award=N-1 -w "$NODE" --gres=gpu:1 -t 5 --wrap "$SHOW" 2>&1)
    JOB=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' <<<"$T_OUT")
    [ -n "$JOB" ] || { _t_fail "refused: $T_OUT"; return 1; }
    ran "$JOB" >/dev/null || return 1
    log=$(cat "$CLUSTER_DIR"/log/slurmd*.log)
    assert_contains "$log" 'NEURON_RT_VISIBLE_CORES="0-99\x0a[2001-01-01T00:00:00.000] grants: FORGED-BY-ALICE" names cores outside' \
        "the value is logged escaped, on the note's own line"
    assert_eq 0 "$(grep -c '^\[2001-01-01T00:00:00.000\] grants: FORGED' <<<"$log")" "no forged line in slurmd's log"
}

case_gpu_requests_priced() {
    submit -p trn2 --award=N-1 --gres=gpu:4 -t 60 --hold --wrap true
    assert_contains "$T_OUT" "this job holds 4.0 chip-h" "gres/gpu:4 for an hour holds 4 chip-h"
    [ -n "$JOB" ] && scancel "$JOB"
    try_submit alice -p trn2 --award=N-1 -N 2 -n 2 --gres=gpu:trainium2:2 -t 30 --hold --wrap true
    if [ "$(_cluster_node_count)" -ge 2 ]; then
        assert_contains "$T_OUT" "this job holds 2.0 chip-h" "typed gpu:trainium2:2 on 2 nodes for 30 min holds 2 chip-h"
    fi
    [ -n "$JOB" ] && scancel "$JOB"
    submit -p trn2 --award=N-1 -t 60 --hold --wrap true
    assert_contains "$T_OUT" "this job holds 16.0 chip-h" "no GRES on trn2: the whole node (16 chips)"
    assert_contains "$T_OUT" "it asks for no gpu devices, so it has whole nodes" "the user is told it has whole nodes"
    assert_eq "NO" "$(job_field "$JOB" OverSubscribe)" "and Slurm gives it whole nodes"
    [ -n "$JOB" ] && scancel "$JOB"
    submit -p trn2 --award=N-1 --gres=gpu:1 -t 60 --hold --wrap true
    assert_not_contains "$T_OUT" "whole nodes" "a job with devices shares the node"
    assert_eq "OK" "$(job_field "$JOB" OverSubscribe)" "OverSubscribe as Slurm sets it for a sharing job"
    [ -n "$JOB" ] && scancel "$JOB"
}

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"
GC=$CLUSTER_DIR/grantctl   # a copy users can reach
install -m 0755 "$GRANTCTL" "$GC"
MULTI=$([ "$(_cluster_node_count)" -ge 4 ] && echo 1)
BIG=1  # mix has trn1.32xlarge nodes: n3 and n4, or the FUTURE ones

# assert_charged JOB CHIPS MICROS_PER_SECOND WHAT: the job completes and the
# ledger charges it CHIPS chips and MICROS_PER_SECOND x its seconds in
# usd_ticks (a dollar rate per hour is that many micro-dollars per second).
assert_charged() {
    assert_eq COMPLETED "$(wait_job_done "$1" 60)" "$4: completed" || return 1
    settle
    local seconds
    seconds=$(sql "SELECT seconds FROM charges WHERE job_id=$1")
    assert_eq "$2 $((seconds * $3))" "$(sql "SELECT chips || ' ' || usd_ticks FROM charges WHERE job_id=$1")" \
        "$4: charged for its $seconds s"
}

case_instance_types_from_features() {
    local j seconds
    submit -p mix --award=N-USD -C trn1.2xlarge -t 60 --hold --wrap true
    assert_contains "$T_OUT" 'this job holds $1.34 (as on trn1.2xlarge nodes)' "--constraint=trn1.2xlarge: held at the small type's price"
    [ -n "$JOB" ] && scancel "$JOB"
    assert_contains "$(as_user alice "$GC" quote -p mix -C trn1.2xlarge -t 60 --award N-USD 2>&1)" \
        'this job holds $1.34 (as on trn1.2xlarge nodes)' "grantctl quote names the instance type"
    assert_contains "$(as_user alice "$GC" quote -p mix -C trn1.2xlarge -t 60 --award N-USD 2>&1)" \
        'maximum cost: $1.34 (1 chip x 01:00:00 on trn1.2xlarge nodes)' "and prices its cost on that type"
    assert_contains "$(as_user alice "$GC" quote -p mix -C trn1.2xlarge -t 60 --award N-USD --json 2>&1)" \
        '"instance_type":"trn1.2xlarge"' "quote --json names the instance type"
    # balance: what each type of the award's partition costs (types of the nodes there).
    local bal
    bal=$(as_user alice "$GC" balance --award N-USD 2>&1)
    assert_contains "$bal" "Nodes by instance type" "balance explains prices by instance type"
    assert_contains "$(echo "$bal" | grep -E '^N-USD +mix +trn1\.2xlarge +1 +\$1\.34$')" "trn1.2xlarge" \
        "balance: a trn1.2xlarge node costs \$1.34 an hour"
    if [ -n "$BIG" ]; then
        assert_contains "$(echo "$bal" | grep -E '^N-USD +mix +trn1\.32xlarge +16 +\$21\.50$')" "trn1.32xlarge" \
            "balance: a trn1.32xlarge node costs \$21.50 an hour"
    fi
    assert_contains "$(as_user alice "$GC" balance --award N-USD --json 2>&1)" \
        '"node_prices":[{"partition":"mix","instance_type":"trn1.2xlarge","chips":1,"per_node_hour":1.34}' \
        "balance --json lists the node prices"
    if [ -n "$BIG" ]; then
        submit -p mix --award=N-USD -t 60 --hold --wrap true
        assert_contains "$T_OUT" 'this job holds $21.50 (as on trn1.32xlarge nodes)' "no constraint: the dearest type the job could land on"
        [ -n "$JOB" ] && scancel "$JOB"
    fi
    submit -p mix --award=N-USD -C trn2.48xlarge -t 60 --hold --wrap true
    assert_eq "" "$JOB" "a constraint naming a type no node has is refused"
    assert_contains "$T_OUT" 'no node of partition mix has the features your --constraint "trn2.48xlarge" asks for' "and says why"

    # Charged by the node it got: one trn1.2xlarge (1 chip, \$1.34 an hour).
    submit -p mix --award=N-USD -w "$NODE" -t 5 --wrap 'sleep 2'
    assert_charged "$JOB" 1 1340000 "job on $NODE: 1 chip at \$1.34 an hour" || return 1
    if [ -n "$MULTI" ]; then
        # One small and one big node: the sum of the two instances' prices.
        try_submit alice -o /dev/null -p mix --award=N-USD -N 2 -w n2,n3 -t 5 --wrap 'sleep 2'
        assert_charged "$JOB" 17 $((1340000 + 21500000)) "2-node job on n2,n3: 1 + 16 chips at \$1.34 + \$21.50 an hour" ||
            return 1
    fi
}

# The route found in review: "small or efa" was held at the small type's
# price ($1.34) although | admits the big nodes ($21.50 an hour, efa): on a
# $2 award up to 16 times its budget. Every node the constraint admits counts.
case_constraint_admits_more_types() {
    submit -p mix --award=N-USD -C 'trn1.2xlarge|efa' -t 60 --hold --wrap true
    assert_contains "$T_OUT" 'this job holds $21.50 (as on trn1.32xlarge nodes)' "-C 'trn1.2xlarge|efa': held at the big type" || return 1
    [ -n "$JOB" ] && scancel "$JOB"
    submit -p mix --award=N-TWO -C 'trn1.2xlarge|efa' -t 60 --hold --wrap true
    assert_eq "" "$JOB" "refused on a \$2 award"
    assert_contains "$T_OUT" 'this job needs up to $21.50' "with the price of the big nodes"
    for c in '[trn1.2xlarge|efa]' 'trn1.2xlarge|trn1.32xlarge&efa' '[trn1.2xlarge*1&efa*1]' 'trn1.2xlarge*1' '(trn1.2xlarge|efa'; do
        submit -p mix --award=N-TWO -C "$c" -t 60 --hold --wrap true
        assert_eq "" "$JOB" "-C '$c' admits a big node (or is unreadable): refused on \$2"
        [ -n "$JOB" ] && scancel "$JOB"
    done
    # What admits only small nodes still fits.
    submit -p mix --award=N-TWO -C 'trn1.2xlarge' -t 60 --hold --wrap true
    assert_contains "$T_OUT" 'this job holds $1.34 (as on trn1.2xlarge nodes)' "-C trn1.2xlarge fits in \$2"
    [ -n "$JOB" ] && scancel "$JOB"
    if [ -n "$MULTI" ]; then
        # Slurm does put such a job on a big node: it runs there, charged $21.50 an hour.
        submit -p mix --award=N-USD -C 'trn1.2xlarge|efa' -w n3 -t 5 --wrap 'sleep 2'
        assert_contains "$T_OUT" 'this job holds $1.80 (as on trn1.32xlarge nodes)' "held at the big type for 5 minutes"
        assert_charged "$JOB" 16 21500000 "-C 'trn1.2xlarge|efa' on n3: 16 chips at \$21.50 an hour" || return 1
    fi
}

# ParallelCluster's queues give no chips_per_node: each node's instance type
# (its Feature in slurm.conf, read by slurmstepd) gives its chips and cores,
# node by node in a job that spans types. Fails without it: the variable
# stayed unset on every features partition.
case_cores_from_node_type() {
    local out
    # $NODE is a trn1.2xlarge: 1 chip x 2 cores. A forged SLURMD_NODENAME
    # (a big node's name) changes nothing: slurmstepd sets it.
    out=$(as_user alice srun -p mix --award=N-USD -w "$NODE" --exclusive -n 1 -t 5 \
        --export=ALL,SLURMD_NODENAME=n3 bash -c "$SHOW" 2>&1)
    assert_eq "0-1" "$(field "$out" cores)" "srun --exclusive on trn1.2xlarge $NODE: 1 chip x 2 cores ($out)"
    submit -p mix --award=N-USD -w "$NODE" -t 5 --wrap "$SHOW"
    out=$(ran "$JOB") || return 1
    assert_eq "0-1" "$(field "$out" cores)" "a batch job on a mix node has the whole node: 2 cores"
    [ -n "$MULTI" ] || return 0
    out=$(as_user alice srun -p mix --award=N-USD -w n3 --exclusive -n 1 -t 5 bash -c "$SHOW" 2>&1)
    assert_eq "0-31" "$(field "$out" cores)" "srun --exclusive on trn1.32xlarge n3: 16 chips x 2 cores ($out)"
    out=$(as_user alice srun -p mix --award=N-USD -N 2 -n 2 -w n2,n4 --exclusive -t 5 \
        bash -c 'echo "$SLURMD_NODENAME=${NEURON_RT_VISIBLE_CORES-unset}"' 2>&1 | grep -E '^n[0-9]+=' | sort)
    assert_eq "n2=0-1 n4=0-31" "$(echo $out)" "a job on both types: each node's own cores"
}

run_case "instance types from node Features: held at the dearest, charged by the nodes" case_instance_types_from_features
run_case "a constraint is priced at every type it admits (|, brackets, counts)" case_constraint_admits_more_types
run_case "NeuronCores from each node's instance type on a features partition" case_cores_from_node_type
run_case "two jobs sharing a node see disjoint NeuronCores" case_two_jobs_share_a_node
run_case "a step sees the cores of its own devices" case_step_sees_its_devices
run_case "whole-node jobs, the user's own value, cpu jobs" case_whole_node_and_user_value
run_case "a user's NEURON_RT_VISIBLE_CORES is logged escaped (no forged log lines)" case_user_value_logged_escaped
run_case "gres/gpu requests on a gpu-typed partition are priced" case_gpu_requests_priced
finish
