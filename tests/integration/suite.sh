# shellcheck shell=bash
# suite.sh - what every grants integration suite starts with. Source it from
# a test script after cluster.sh and lib.sh:
#     grants_suite_start policies/NAME.yaml   # root check, users, traps, cluster
#     try_submit alice -p trn1 --award=X --wrap true   # sets T_OUT T_STATUS JOB

# grants_suite_start POLICY: skip (exit 77) unless root; start a cluster with
# the built plugins and POLICY as grants.yaml, stopped again on exit.
grants_suite_start() {
    # GRANTS_SKIP_SUITES="test-x.sh ...": report these as SKIP (automake 77);
    # build-aux/quickstart uses it for make distcheck, where the long suites
    # would only repeat what make check ran from the same sources.
    case " ${GRANTS_SKIP_SUITES:-} " in
        *" ${0##*/} "*)
            echo "SKIP: ${0##*/} is in GRANTS_SKIP_SUITES"
            exit 77
            ;;
    esac
    if [ "$(id -u)" != 0 ]; then
        echo "${0##*/}: must run as root (it starts Slurm daemons and creates test users)" >&2
        exit 77
    fi
    : "${GRANTS_PLUGIN_DIR:?set GRANTS_PLUGIN_DIR to the built plugins (make check does)}"
    export GRANTS_PLUGIN_DIR
    export GRANTS_POLICY=$1
    ensure_test_users || exit 1
    cluster_install_traps
    cluster_start || exit 1
}

# slurm_series: the running Slurm's major.minor as one number, comparable
# with $((YY * 256 + MM)) (22.05 -> 5637, 24.11 -> 6155), from `scontrol --version`.
slurm_series() {
    local v
    v=$(scontrol --version | awk '{ print $2 }')
    echo $(( ${v%%.*} * 256 + 10#$(echo "$v" | cut -d. -f2) ))
}

# try_submit USER ARGS...: one sbatch as USER; T_OUT, T_STATUS, and JOB (the
# new job id, "" when refused).
try_submit() {
    local u=$1
    shift
    T_OUT=$(as_user "$u" sbatch "$@" 2>&1 </dev/null)
    T_STATUS=$?
    JOB=$(printf '%s\n' "$T_OUT" | sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p')
}

# start_after_midnight WHY: within 10 minutes of local midnight, wait until
# just after it, so that a suite whose dates are relative to today does not
# see the day change under it (WHY says what depends on the day).
start_after_midnight() {
    local left
    left=$(($(date -d 'tomorrow 00:00' +%s) - $(date +%s)))
    if ((left < 600)); then
        echo "waiting ${left}s for midnight ($1)"
        sleep $((left + 5))
    fi
}

# eventually SECONDS MESSAGE CMD...: CMD succeeds within SECONDS (polled).
eventually() {
    local seconds=$1 message=$2 i
    shift 2
    for ((i = 0; i < seconds * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    _t_fail "$message (not within ${seconds}s)"
    return 1
}

# pass_counter NAME: one of the counters of slurmctld's accounting passes
# since it started, from grantctl metrics --json: all (passes finished), full
# (those that copied the job list), update_requests (full passes asked for by
# job updates). Empty when slurmctld cannot be asked.
pass_counter() {
    "${GRANTCTL:-grantctl}" metrics --json 2>/dev/null | sed -n "s/.*\"passes\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"
}

# settle: let the accounting thread see what the test just did (a job that
# ended, a cancel, another writer's ledger change): 2.2 s, and then until two
# passes have finished since the call (the pass running at the call may have
# copied the job list before the change; the next one starts after it), at
# most 30 s more on a loaded machine.  A wait, not an assertion: what the test
# checks next says whether the change was seen.  Without an answer from
# slurmctld (stopped, restarting, an older plugin) it is the 2.2 s alone.
settle() {
    local p0 p i
    p0=$(pass_counter all)
    sleep 2.2
    [ -n "$p0" ] || return 0
    for ((i = 0; i < 150; i++)); do
        p=$(pass_counter all)
        [ -n "$p" ] || return 0
        ((p < p0)) && p0=$p    # slurmctld restarted since: count the new one's passes
        ((p >= p0 + 2)) && return 0
        sleep 0.2
    done
    return 0
}

# save_jobs_now: make slurmctld save its jobs, and wait until it has: a kill -9
# after it finds every job change made before the call. slurmctld saves its
# jobs after a submission (a cancel or an update only later), so this submits
# a held job off the enforced partitions (cpu); SAVER is its id, for the caller
# to cancel once slurmctld runs again.
save_jobs_now() {
    local mark=$CLUSTER_DIR/save-jobs.mark
    : >"$mark"
    SAVER=$(sbatch -H -p cpu -o /dev/null --parsable --wrap true) || { _t_fail "cannot submit a held job"; return 1; }
    eventually 30 "slurmctld saved its jobs" \
        eval '[ -n "$(find "$CLUSTER_DIR/state" -maxdepth 1 -name job_state -newer "$mark")" ]'
}

# submit_until USER TEXT SECONDS SBATCH-ARGS...: submit as USER until the
# answer contains TEXT (a change reaching slurmctld), every 0.2 s for at most
# SECONDS; jobs of other answers are cancelled, the last one is the caller's
# (T_OUT, T_STATUS and JOB as try_submit sets them). 1 and a failure if never.
submit_until() {
    local user=$1 text=$2 seconds=$3 i
    shift 3
    for ((i = 0; i < seconds * 5; i++)); do
        try_submit "$user" "$@"
        case $T_OUT in *"$text"*) return 0 ;; esac
        [ -n "$JOB" ] && scancel "$JOB"
        sleep 0.2
    done
    _t_fail "no answer with '$text' within ${seconds}s; last: $T_OUT"
    return 1
}

# json EXPR: evaluate a Python expression over the JSON on stdin (bound to j),
# with Debian's python3 whatever else is on PATH.
json() { /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,bool) else str(r).lower())' "$1"; }
# The ledger's exact ticks as grantctl prints them: millionths, halves away from zero.
ticks_to_units() {
    /usr/bin/python3 -c 'import sys
from decimal import Decimal, ROUND_HALF_UP
t = Decimal(sys.argv[1] or 0)
m = (abs(t) / 3600).quantize(Decimal(1), rounding=ROUND_HALF_UP) * (1 if t >= 0 else -1)
v = (m / Decimal(10**6)).normalize()
print("{:f}".format(v))' "$1"
}
