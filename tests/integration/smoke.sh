#!/bin/bash
# smoke.sh - prove that the integration-test harness works: start a private
# cluster WITHOUT the grants plugins, run plain Slurm jobs as test users,
# stop it and check that no daemon is left behind.  Run as root.
# The cluster directory is kept for debugging if anything fails (see
# cluster.sh, CLUSTER_KEEP).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster.sh
. "$here/cluster.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "${0##*/}: must run as root (it starts Slurm daemons and creates test users)" >&2
    exit 77
fi

# The plugins are not under test here.
unset GRANTS_PLUGIN_DIR GRANTS_POLICY CLUSTER_EXTRA_CONF

# PIDs of live munged, slurmctld, slurmd and slurmstepd processes.
slurm_munge_pids() {
    ps -eo pid=,stat=,comm= |
        awk '$2 !~ /^Z/ && $3 ~ /^(munged|slurmctld|slurmd|slurmstepd)$/ { print $1 }'
}

# The same, minus those running before this test and those of another
# cluster of this harness (possibly running concurrently).
new_slurm_munge_pids() {
    local p tag
    for p in $(slurm_munge_pids); do
        case " $others " in *" $p "*) continue ;; esac
        tag=$(tr '\0' '\n' 2>/dev/null </proc/"$p"/environ | sed -n 's/^SLURM_GRANTS_CLUSTER=//p')
        [ -n "$tag" ] && [ "$tag" != "$dir" ] && continue
        echo "$p"
    done
}

# new_slurm_munge_pids, keeping only the PIDs it names in three looks one
# second apart, with their ps lines.  Another cluster's slurmstepd that is
# exiting has an empty environment (its memory is released before it is
# reaped), so one look can name it; a process left behind stays.
left_slurm_munge_pids() {
    local seen p try now
    seen=" $(new_slurm_munge_pids | tr '\n' ' ') "
    for try in 1 2; do
        [ -z "${seen// /}" ] && break
        sleep 1
        now=" $(new_slurm_munge_pids | tr '\n' ' ') "
        for p in $seen; do
            case $now in *" $p "*) ;; *) seen=${seen/ $p / } ;; esac
        done
    done
    for p in $seen; do
        ps -o pid=,ppid=,stat=,args= -p "$p"
    done
}

ensure_test_users || exit 1
# Slurm/munge processes of someone else (another cluster, a system install):
# they must survive, and are ignored by the leftover check.
others=$(slurm_munge_pids | tr '\n' ' ')
cluster_install_traps
cluster_start || exit 1

case_test_users() {
    assert_contains " $(id -nG alice) " " nlp-lab " "alice in nlp-lab"
    assert_contains " $(id -nG bob) " " nlp-lab " "bob in nlp-lab"
    assert_not_contains " $(id -nG carol) " " nlp-lab " "carol not in nlp-lab"
    assert_status 0 id dave
}

case_partitions() {
    assert_status 0 sinfo -h -o '%P %a %l %T'
    assert_contains "$T_OUT" "cpu* up infinite idle"
    assert_contains "$T_OUT" "trn1 up infinite idle"
    assert_contains "$T_OUT" "trn2 up infinite idle"
    assert_status 0 scontrol show node "$CLUSTER_NODE"
    assert_contains "$T_OUT" "Gres=neuron:16"
}

case_sbatch_cpu() {
    local jid out
    assert_status 0 as_user alice sbatch --parsable -p cpu --wrap 'echo hi' || return 1
    jid=${T_OUT%%;*}
    assert_eq COMPLETED "$(wait_job_done "$jid" 30)" "final state of job $jid"
    assert_eq cpu "$(job_field "$jid" Partition)" "partition"
    assert_eq "alice($(id -u alice))" "$(job_field "$jid" UserId)" "user"
    out=$(cluster_home alice)/slurm-$jid.out
    assert_eq "$out" "$(job_field "$jid" StdOut)" "output file"
    assert_eq hi "$(cat "$out" 2>&1)" "content of $out"
}

case_srun_trn1() {
    assert_status 0 as_user bob timeout 60 srun -p trn1 hostname
    assert_eq "$(hostname)" "$T_OUT" "srun output"
}

# salloc without a tty: given a command, salloc runs it (no shell) and
# releases the allocation when it exits.
case_salloc_trn1() {
    local jid
    assert_status 0 as_user carol timeout 60 salloc -p trn1 srun true || return 1
    assert_contains "$T_OUT" "Granted job allocation"
    jid=$(printf '%s\n' "$T_OUT" | sed -n 's/.*Granted job allocation \([0-9]*\).*/\1/p')
    assert_eq COMPLETED "$(wait_job_done "$jid" 30)" "final state of allocation $jid"
    assert_eq trn1 "$(job_field "$jid" Partition)" "partition"
}

case_gres_trn1() {
    local jid flag
    flag=$(cluster_home dave)/gres.done
    rm -f "$flag"
    # Runs until the GRES in use has been read (a flag file, not a sleep).
    assert_status 0 as_user dave sbatch --parsable -p trn1 --gres=neuron:4 \
        --wrap "while [ ! -e '$flag' ]; do sleep 0.2; done; echo done" || return 1
    jid=${T_OUT%%;*}
    wait_job_state "$jid" RUNNING 30
    # Slurm 22.05 shows gres:neuron:4, 24.11 gres/neuron:4.
    assert_eq gres:neuron:4 "$(job_field "$jid" TresPerNode | sed "s|^gres/|gres:|")" "TresPerNode"
    assert_contains "$(sinfo -h -n "$CLUSTER_NODE" -O GresUsed:40)" "neuron:4" "GRES in use"
    touch "$flag"
    assert_eq COMPLETED "$(wait_job_done "$jid" 30)" "final state of job $jid"
    assert_eq "done" "$(cat "$(job_field "$jid" StdOut)" 2>&1)" "job output"
}

case_too_much_gres_rejected() {
    assert_status nonzero as_user dave sbatch -p trn2 --gres=neuron:17 --wrap true
    assert_contains "$T_OUT" "Requested node configuration is not available"
}

# The job runs until the test lets it end (a flag file), so a slow restart on
# a busy machine cannot let it finish early: a fixed sleep did, in a CI run
# with four test stages side by side.
case_ctld_restart() {
    local jid flag
    flag=$(cluster_home alice)/ctld-restart.done
    rm -f "$flag"
    assert_status 0 as_user alice sbatch --parsable -p trn2 \
        --wrap "while [ ! -e '$flag' ]; do sleep 0.2; done" || return 1
    jid=${T_OUT%%;*}
    wait_job_state "$jid" RUNNING 30
    cluster_restart_ctld || return 1
    assert_eq RUNNING "$(job_field "$jid" JobState)" "job survives a graceful restart"
    cluster_kill9_ctld
    assert_status nonzero scontrol ping
    cluster_start_ctld || return 1
    assert_eq RUNNING "$(job_field "$jid" JobState)" "job survives kill -9 of slurmctld"
    touch "$flag"
    assert_eq COMPLETED "$(wait_job_done "$jid" 30)" "job completes after both restarts"
}

run_case "test users and group exist" case_test_users
run_case "partitions cpu, trn1, trn2 and neuron GRES are configured" case_partitions
run_case "alice: sbatch --wrap 'echo hi' on cpu completes" case_sbatch_cpu
run_case "bob: srun -p trn1 hostname" case_srun_trn1
run_case "carol: salloc -p trn1 srun true (no tty)" case_salloc_trn1
run_case "dave: --gres=neuron:4 on trn1 runs" case_gres_trn1
run_case "dave: --gres=neuron:17 is rejected" case_too_much_gres_rejected
run_case "slurmctld restart and kill -9 keep running jobs" case_ctld_restart

# Stop the cluster, then check that nothing it started is left.
dir=$CLUSTER_DIR
pids=$(cat "$dir"/pids/* 2>/dev/null | tr '\n' ' ')
case_no_leftovers() {
    local p
    for p in $pids; do
        assert_eq "" "$(ps -o pid=,stat=,args= -p "$p")" "daemon pid $p is gone (zombies too)"
    done
    assert_eq "" "$(pgrep -af -- "$dir")" "processes mentioning $dir"
    assert_eq "" "$(cluster_pids)" "processes tagged with this cluster"
    assert_eq "" "$(left_slurm_munge_pids)" "new munged/slurm* processes"
}
cluster_stop
run_case "cluster_stop leaves no munged/slurmctld/slurmd/slurmstepd behind" case_no_leftovers

if [ "$T_FAILED" != 0 ] && [ -d "$dir" ]; then
    echo "${0##*/}: cluster directory kept: $dir"
fi
finish
