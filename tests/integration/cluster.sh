# shellcheck shell=bash
# cluster.sh - private single-node Slurm cluster on loopback for integration
# tests.  Source it from a bash script, run as root:
#
#     . tests/integration/cluster.sh
#     cluster_install_traps          # always stop the daemons on exit
#     cluster_start || exit 1
#     as_user alice sbatch --wrap 'echo hi'
#
# Every cluster lives in its own `mktemp -d` directory ($CLUSTER_DIR) with its
# own munged, slurmctld and slurmd on free TCP ports, so several clusters (and
# a system install) can coexist on one host.  Daemons are only ever stopped by
# the PIDs recorded in $CLUSTER_DIR/pids/, after checking that the process's
# command line still names $CLUSTER_DIR.  The daemons run with
# SLURM_GRANTS_CLUSTER=$CLUSTER_DIR in their environment, which slurmstepd and
# slurmscriptd inherit: cluster_stop uses it to find leftovers (and the
# daemons themselves if pids/ was deleted).  Never remove another cluster's
# directory by a glob: its daemons then cannot be stopped by PID file.
#
# Environment read by cluster_start:
#   GRANTS_PLUGIN_DIR   directory with job_submit_grants.so and spank_grants.so;
#                       when set, slurm.conf gets PluginDir=$GRANTS_PLUGIN_DIR:<system dir>,
#                       JobSubmitPlugins=grants, and plugstack.conf gets
#                       `required $GRANTS_PLUGIN_DIR/spank_grants.so policy=$CLUSTER_DIR/etc/grants.yaml`.
#                       Unset: plain Slurm, no plugins.
#   GRANTS_POLICY       file copied to $CLUSTER_DIR/etc/grants.yaml (root, 0644).
#                       Unset: no grants.yaml is created.
#   CLUSTER_EXTRA_CONF  extra lines appended to slurm.conf.
#   CLUSTER_NEURON_DEVICES  N: every node also has N Neuron devices as
#                       gres/gpu of type trainium2 (GresTypes=neuron,gpu), with
#                       File=$CLUSTER_DIR/dev/neuron[0-N-1], character devices
#                       made at start (as gpu/nrt's AutoDetect would list them).
#   CLUSTER_NODE_FEATURES  space-separated Features, one per node in order
#                       (n1 n2 ...; a single node takes the first), e.g. the
#                       EC2 instance types ParallelCluster sets as Features.
#   CLUSTER_GRANTS_TMPFS  a size (e.g. 8m): mount a tmpfs of that size on
#                       $CLUSTER_DIR/state/grants (the ledger's directory)
#                       before slurmctld starts; cluster_stop unmounts it.
#   CLUSTER_SLURM_PREFIX  a Slurm installed from source into a prefix (e.g.
#                       build-aux/build-slurm's /var/cache/slurm-grants/slurm-24.11.5):
#                       its daemons, clients and plugins are used instead of
#                       the system's (PATH is set when this file is sourced).
#                       Unset: the system's Slurm (Debian's packages).
#   CLUSTER_ACCOUNTING  1: accounting through slurmdbd, with a private
#                       MariaDB (its own datadir, socket and loopback port)
#                       under $CLUSTER_DIR/db, both started before slurmctld
#                       and stopped after it; the cluster is registered, and
#                       CLUSTER_ACCOUNTING_SETUP (shell commands, e.g.
#                       sacctmgr -i add account ...) runs before slurmctld
#                       starts. Needs Slurm's accounting_storage/mysql plugin
#                       (Debian's slurmdbd package has it).
#   CLUSTER_DBD_EXTRA_CONF  (CLUSTER_ACCOUNTING) lines appended to slurmdbd.conf,
#                       e.g. TrackWCKey=yes (with the same in CLUSTER_EXTRA_CONF).
#   CLUSTER_NAME        ClusterName (default grantstest).
#   CLUSTER_REGISTER_ALSO  (CLUSTER_ACCOUNTING) more cluster names registered
#                       with slurmdbd before CLUSTER_ACCOUNTING_SETUP runs.
#   CLUSTER_SHARED_FROM  the directory of a running CLUSTER_ACCOUNTING=1
#                       cluster: use its munged, slurmdbd and MariaDB instead
#                       of starting any (this cluster only registers itself).
#                       cluster_pair_start (end of this file) uses it.
#   CLUSTER_ACCOUNTING also creates a database slurm_grants with a user of its
#                       own; credentials in $CLUSTER_DIR/etc/grants-db.conf (root, 0600).
#   CLUSTER_NODES       number of slurmd on loopback (default 1; more needs a
#                       Slurm built with --enable-multiple-slurmd, as
#                       build-aux/build-slurm does). With N > 1 the nodes are
#                       n1..nN, each with its own port, Gres=neuron:16 and the
#                       host's CPUs and memory, and every partition has them all.
#   CLUSTER_NODE_PREFIX  node names PREFIX1..PREFIXN instead of n1..nN (or
#                       `hostname -s` for one node), e.g. ParallelCluster's
#                       dynamic nodes trn1-dy-trn1-32xl-.
#   CLUSTER_CLOUD       1: power-saving cloud nodes, as ParallelCluster's
#                       dynamic nodes and on-premises bursting to EC2 are:
#                       every node State=CLOUD, no slurmd at start (nodes are
#                       idle~ until a job needs them); ResumeProgram
#                       ($CLUSTER_DIR/etc/resume.sh) "boots" a node: it
#                       files a request that a watcher process of the
#                       cluster (etc/cloud-watcher.sh, pids/cloud-watcher)
#                       serves by starting the node's slurmd with -b (it
#                       reports a reboot) after CLUSTER_BOOT_DELAY seconds
#                       (default 3; the file $CLUSTER_DIR/cloud/boot-delay,
#                       read at each resume, overrides it), unless cluster_cloud_fail NODE made its
#                       launch fail (then it never comes up, as after an
#                       InsufficientInstanceCapacity); SuspendProgram stops
#                       it. SuspendTime=CLUSTER_SUSPEND_TIME (default 10),
#                       ResumeTimeout=CLUSTER_RESUME_TIMEOUT (default 30).
#                       Every call is logged in $CLUSTER_DIR/log/power.log.
#   CLUSTER_PCLUSTER_LAYOUT  1: slurm.conf split into include files as
#                       ParallelCluster writes it (slurm_parallelcluster.conf
#                       including pcluster/slurm_parallelcluster_<queue>_partition.conf
#                       with the NodeName and PartitionName lines).
#   CLUSTER_CTLD_PORT, CLUSTER_SLURMD_PORT
#                       fixed ports (default: random free ports in 10000-32000,
#                       below the kernel's ephemeral range).
#   CLUSTER_START_TIMEOUT  seconds to wait for each daemon (default 30).
#   CLUSTER_STOP_TIMEOUT   seconds before SIGKILL in cluster_stop (default 15).
#   CLUSTER_CTLD_DEBUG, CLUSTER_SLURMD_DEBUG  SlurmctldDebug/SlurmdDebug (info).
#   GRANTS_SANITIZER_PRELOAD  sanitizer runtimes (configure --enable-sanitizers
#                       sets it for make check): preloaded into slurmctld,
#                       slurmd (and so slurmstepd) and every client run by
#                       as_user, so that Slurm's uninstrumented binaries can load
#                       the instrumented plugins.  Reports go to
#                       GRANTS_SANITIZER_LOG_DIR (default $CLUSTER_DIR/log/sanitizer)
#                       as asan.PID / ubsan.PID; leak checking is off (Slurm's
#                       own daemons leak at exit by design).
#   CLUSTER_KEEP        1: keep $CLUSTER_DIR after cluster_stop; 0: always
#                       remove it.  Unset: removed, unless the start failed,
#                       the script exits non-zero (cluster_exit_trap), or a
#                       lib.sh test case failed (lib.sh then sets CLUSTER_KEEP=1).
#
# Exported after cluster_start: CLUSTER_DIR, SLURM_CONF, CLUSTER_NODE (node
# name = `hostname -s`, or n1 with several nodes), CLUSTER_NODE_NAMES (every
# node, space separated), CLUSTER_MUNGE_SOCKET.  Set, not exported (so that a
# child script's own cluster picks its own ports): CLUSTER_CTLD_PORT,
# CLUSTER_SLURMD_PORT.
#
# Functions (all return non-zero with a "<script>: ..." message on failure):
#   cluster_start / cluster_stop / cluster_install_traps / cluster_exit_trap
#   cluster_start_ctld / cluster_stop_ctld / cluster_restart_ctld / cluster_kill9_ctld
#   ensure_test_users                   alice bob carol dave; nlp-lab = alice, bob
#   as_user USER CMD...                 run CMD as USER from $CLUSTER_DIR/home/USER
#   cluster_home USER                   print (and create) that directory
#   job_field JOBID FIELD               one field of `scontrol show job`
#   wait_job_state JOBID STATE[|...] [TIMEOUT]   wait_job_done JOBID [TIMEOUT]
#   cluster_pids                        live processes of this cluster
#   cluster_log_tail [N]                last N lines of the slurmctld/slurmd logs
#   cluster_cloud_fail NODE / cluster_cloud_heal NODE   (CLUSTER_CLOUD) make the
#                                       node's next launches fail / succeed
#   cluster_cloud_wait_powered_down NODE [TIMEOUT]      wait for idle~ again
#
# Layout of $CLUSTER_DIR (0755):
#   etc/      slurm.conf gres.conf plugstack.conf [grants.yaml]   (0755, files 0644)
#   munge/    key, seed, log, pid (0700)      run/  munge socket, daemon pid files (0755)
#   log/      slurmctld.log slurmd.log munged.log *.out (daemon stdout/stderr)
#   state/    StateSaveLocation      spool/  SlurmdSpoolDir
#   pids/     one file per daemon we started (munged, slurmctld, slurmd, cloud-watcher)
#   home/USER working directory of as_user (0755, owned by USER)

CLUSTER_SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ -n "${CLUSTER_SLURM_PREFIX:-}" ]; then
    CLUSTER_SYS_PATH=$CLUSTER_SLURM_PREFIX/sbin:$CLUSTER_SLURM_PREFIX/bin:$CLUSTER_SYS_PATH
    case ":$PATH:" in
        *":$CLUSTER_SLURM_PREFIX/bin:"*) ;;
        *) export PATH="$CLUSTER_SLURM_PREFIX/sbin:$CLUSTER_SLURM_PREFIX/bin:$PATH" ;;
    esac
fi

_cluster_me() { printf '%s' "${0##*/}"; }
_cluster_msg() { printf '%s: %s\n' "$(_cluster_me)" "$*" >&2; }
_cluster_die() { _cluster_msg "error: $*"; return 1; }

# Print the last lines of each log file given (for failure messages).  A
# daemon's *.out (its stdout/stderr) is skipped when its *.log has content:
# they hold the same messages.
_cluster_log_tail() {
    local f
    for f in "$@"; do
        [ -s "$f" ] || continue
        case $f in *.out) [ -s "${f%.out}.log" ] && continue ;; esac
        printf '%s: --- last lines of %s ---\n' "$(_cluster_me)" "$f" >&2
        tail -n "${CLUSTER_LOG_LINES:-25}" "$f" | sed 's/^/    /' >&2
    done
}

# Directory of the system's Slurm plugins (where select_cons_tres.so lives).
# The shipped example configuration (etc/ of the source tree or tarball).
_cluster_examples() {
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    printf '%s\n' "${GRANTS_SRCDIR:-$here/../..}/etc"
}

cluster_system_plugin_dir() {
    local f
    if [ -n "${CLUSTER_SLURM_PREFIX:-}" ]; then
        for f in "$CLUSTER_SLURM_PREFIX"/lib/slurm "$CLUSTER_SLURM_PREFIX"/lib64/slurm; do
            [ -e "$f/select_cons_tres.so" ] && { echo "$f"; return 0; }
        done
        _cluster_die "CLUSTER_SLURM_PREFIX=$CLUSTER_SLURM_PREFIX has no Slurm plugin directory (lib/slurm/select_cons_tres.so)"
        return 1
    fi
    f=$(dpkg -L slurm-wlm-basic-plugins 2>/dev/null | grep -m1 '/select_cons_tres\.so$')
    if [ -z "$f" ]; then
        for f in /usr/lib/*/slurm-wlm/select_cons_tres.so /usr/lib*/slurm/select_cons_tres.so \
                 /usr/local/lib/slurm/select_cons_tres.so; do
            [ -e "$f" ] && break
        done
    fi
    [ -e "$f" ] || { _cluster_die "cannot find the Slurm plugin directory (select_cons_tres.so)"; return 1; }
    dirname "$f"
}

# True if some TCP socket (any state, IPv4 or IPv6) uses local port $1.
_cluster_port_in_use() {
    local hex
    hex=$(printf ':%04X' "$1")
    awk -v p="$hex" 'FNR > 1 && toupper(substr($2, length($2) - 4)) == p { found = 1 }
                     END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Print a free port in 10000-32000 not equal to any argument.
_cluster_free_port() {
    local p i avoid ok
    for ((i = 0; i < 200; i++)); do
        p=$((10000 + (RANDOM * 32768 + RANDOM) % 22000))
        ok=1
        for avoid in "$@"; do [ "$p" = "$avoid" ] && ok=0; done
        [ "$ok" = 1 ] && ! _cluster_port_in_use "$p" && { echo "$p"; return 0; }
    done
    _cluster_die "no free TCP port found"
}

# State letter of process $1 from /proc (empty if gone).
_cluster_proc_state() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    printf '%s' "${stat%% *}"
}

# True if PID $1 is alive (not a zombie) and its command line mentions
# $CLUSTER_DIR, i.e. it is a daemon of this cluster and not a recycled PID.
_cluster_pid_is_ours() {
    local pid=$1 st
    [ -n "$pid" ] && [ -n "${CLUSTER_DIR:-}" ] || return 1
    st=$(_cluster_proc_state "$pid")
    [ -n "$st" ] && [ "$st" != Z ] || return 1
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$CLUSTER_DIR"
}

_cluster_pid_alive() {
    local st
    st=$(_cluster_proc_state "$1")
    [ -n "$st" ] && [ "$st" != Z ]
}

# Stop the daemon recorded in pids/NAME: SIGTERM (or the signal given as $2),
# SIGKILL after $3 seconds (default 10), then wait until it is gone.
_cluster_stop_daemon() {
    local name=$1 sig=${2:-TERM} timeout=${3:-10} pidfile pid i
    pidfile=$CLUSTER_DIR/pids/$name
    pid=$(cat "$pidfile" 2>/dev/null)
    if [ -z "$pid" ]; then
        # pids/ vanished: look for the tagged process of that name.
        for i in $(cluster_pids); do
            [ "$(cat "/proc/$i/comm" 2>/dev/null)" = "${name%%-*}" ] && _cluster_pid_is_ours "$i" &&
                pid=$i && break
        done
        [ -n "$pid" ] || return 0
    fi
    if _cluster_pid_is_ours "$pid"; then
        kill -s "$sig" "$pid" 2>/dev/null
        for ((i = 0; i < timeout * 10; i++)); do
            _cluster_pid_alive "$pid" || break
            sleep 0.1
        done
        if _cluster_pid_alive "$pid"; then
            _cluster_msg "$name (pid $pid) still running after ${timeout}s, sending SIGKILL"
            kill -s KILL "$pid" 2>/dev/null
            for ((i = 0; i < 100; i++)); do
                _cluster_pid_alive "$pid" || break
                sleep 0.1
            done
        fi
    fi
    rm -f "$pidfile"
    return 0
}

# The environment assignments that load the sanitizer runtimes (none unless
# GRANTS_SANITIZER_PRELOAD is set), one per line.
_cluster_sanitizer_env() {
    [ -n "${GRANTS_SANITIZER_PRELOAD:-}" ] || return 0
    local dir=${GRANTS_SANITIZER_LOG_DIR:-$CLUSTER_DIR/log/sanitizer}
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir" && chmod 1777 "$dir"
    fi
    printf '%s\n' "LD_PRELOAD=$GRANTS_SANITIZER_PRELOAD" \
        "ASAN_OPTIONS=log_path=$dir/asan:detect_leaks=0:abort_on_error=0:allocator_may_return_null=1:handle_segv=1" \
        "UBSAN_OPTIONS=log_path=$dir/ubsan:print_stacktrace=1:halt_on_error=1"
}

# Run a daemon in the foreground in the background, recording its PID.
# Usage: _cluster_spawn NAME CMD ARGS...   (args must mention $CLUSTER_DIR)
_cluster_spawn() {
    local name=$1 pid san=()
    shift
    # Slurm's daemons (not munged) load our plugins: sanitizer runtimes if asked.
    case $name in slurm*) mapfile -t san < <(_cluster_sanitizer_env) ;; esac
    # slurmstepd (forked by slurmd) forks each task and frees memory in the
    # child before exec; GCC 12's ASan takes no allocator locks around fork,
    # so a quarantine refill there can deadlock on a lock another thread held
    # (seen once: Slurm's setup_env -> xfree). Without the quarantine that
    # path is gone; use-after-free detection in slurmstepd is what we give up.
    if [ "${name%%-*}" = slurmd ] && [ "${#san[@]}" != 0 ]; then
        san[1]="${san[1]}:quarantine_size_mb=0"
    fi
    # A clean environment; SLURM_GRANTS_CLUSTER tags the daemons and what
    # they fork (slurmstepd, slurmscriptd) as belonging to this cluster.
    env -i PATH="$CLUSTER_SYS_PATH" LANG=C.UTF-8 SLURM_CONF="$SLURM_CONF" \
        SLURM_GRANTS_CLUSTER="$CLUSTER_DIR" "${san[@]}" "$@" </dev/null >>"$CLUSTER_DIR/log/$name.out" 2>&1 &
    pid=$!
    # No "Killed" job notices from bash; bash still reaps it when it exits.
    disown "$pid" 2>/dev/null
    echo "$pid" >"$CLUSTER_DIR/pids/$name"
}

# Wait until "$@" succeeds, at most $1 seconds, while daemon $2 is alive.
# Usage: _cluster_wait_for TIMEOUT DAEMON CMD...
_cluster_wait_for() {
    local timeout=$1 name=$2 i pid
    shift 2
    pid=$(cat "$CLUSTER_DIR/pids/$name" 2>/dev/null)
    for ((i = 0; i < timeout * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        if ! _cluster_pid_alive "$pid"; then
            _cluster_msg "$name (pid $pid) exited during start-up"
            return 1
        fi
        sleep 0.2
    done
    "$@" >/dev/null 2>&1
}

_cluster_munge_ok() {
    munge -n -S "$CLUSTER_MUNGE_SOCKET" | unmunge -S "$CLUSTER_MUNGE_SOCKET" >/dev/null
}
_cluster_ctld_up() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
_cluster_node_idle() {
    local states want=idle
    # Cloud nodes are powered down (idle~) until a job needs them.
    [ -n "${CLUSTER_CLOUD:-}" ] && want='idle~'
    # Only this cluster's slurmd nodes: CLUSTER_EXTRA_CONF may add others
    # (cloud nodes that stay powered down, as test-doctor.sh's).
    states=$(sinfo -h -N -n "$(echo "$CLUSTER_NODE_NAMES" | tr ' ' ,)" -o '%N %t' 2>/dev/null | sort -u) ||
        return 1   # a node shows once per partition
    [ "$(printf '%s\n' "$states" | grep -c " $want\$")" = "$(_cluster_node_count)" ] &&
        [ "$(printf '%s\n' "$states" | awk '{ print $2 }' | sort -u)" = "$want" ]
}
_cluster_node_count() { echo "${CLUSTER_NODES:-1}"; }
# The daemon names of this cluster's slurmd: slurmd, or slurmd-n1 ... slurmd-nN.
_cluster_slurmd_names() {
    local n
    if [ "$(_cluster_node_count)" -le 1 ]; then echo slurmd; return 0; fi
    for n in $CLUSTER_NODE_NAMES; do echo "slurmd-$n"; done
}

_cluster_start_munged() {
    local d=$CLUSTER_DIR
    _cluster_spawn munged munged --foreground --force \
        --socket="$CLUSTER_MUNGE_SOCKET" --key-file="$d/munge/munge.key" \
        --pid-file="$d/munge/munged.pid" --seed-file="$d/munge/munged.seed" \
        --log-file="$d/log/munged.log"
    _cluster_wait_for "${CLUSTER_START_TIMEOUT:-30}" munged _cluster_munge_ok || {
        _cluster_msg "munged did not come up"
        _cluster_log_tail "$d/log/munged.log" "$d/log/munged.out"
        return 1
    }
}

_cluster_db_ok() { mariadb-admin --no-defaults --socket="$CLUSTER_DIR/db/mysql.sock" -uroot ping >/dev/null 2>&1; }
_cluster_dbd_ok() { sacctmgr -n -P list cluster format=cluster >/dev/null 2>&1; }

# MariaDB (a datadir of its own, root by unix socket, slurmdbd's user by
# loopback TCP), then slurmdbd; the cluster registered and
# CLUSTER_ACCOUNTING_SETUP run.
_cluster_start_accounting() {
    local d=$CLUSTER_DIR timeout=${CLUSTER_START_TIMEOUT:-30}
    # A temporary directory of its own: two servers bootstrapping at once in
    # /tmp have been seen to lose each other's temporary tables (suites run
    # side by side).
    mkdir -p "$d/db/tmp" && chmod 0700 "$d/db" "$d/db/tmp"
    mariadb-install-db --no-defaults --datadir="$d/db/data" --tmpdir="$d/db/tmp" --user=root --auth-root-authentication-method=socket \
        --skip-test-db >"$d/log/mariadb-install.log" 2>&1 ||
        { _cluster_msg "mariadb-install-db failed"; _cluster_log_tail "$d/log/mariadb-install.log"; return 1; }
    _cluster_spawn_mariadbd || return 1
    mariadb --no-defaults --socket="$d/db/mysql.sock" -uroot -e \
        "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'grants'; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';" ||
        { _cluster_msg "cannot create slurmdbd's database user"; return 1; }
    # A database of the grants ledger's own (issue 27's MySQL backend), with
    # its own user; the credentials in a root-only file, as slurmdbd.conf.
    local pass
    pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    mariadb --no-defaults --socket="$d/db/mysql.sock" -uroot -e \
        "CREATE DATABASE slurm_grants; CREATE USER 'grants'@'127.0.0.1' IDENTIFIED BY '$pass'; GRANT ALL ON slurm_grants.* TO 'grants'@'127.0.0.1';" ||
        { _cluster_msg "cannot create the slurm_grants database"; return 1; }
    (umask 077 && printf '%s\n' "# slurm_grants ledger database (tests/integration/cluster.sh)" \
        "StorageHost=127.0.0.1" "StoragePort=$CLUSTER_DB_PORT" "StorageUser=grants" "StoragePass=$pass" \
        "StorageLoc=slurm_grants" >"$d/etc/grants-db.conf") && chmod 0600 "$d/etc/grants-db.conf" ||
        { _cluster_msg "cannot write $d/etc/grants-db.conf"; return 1; }
    chmod 0600 "$d/etc/slurmdbd.conf"   # slurmdbd refuses a readable one
    # slurmdbd takes no file argument: its argv[0] names the cluster, so that
    # cluster_stop recognises it (_cluster_pid_is_ours reads the command line).
    _cluster_spawn slurmdbd bash -c 'exec -a "slurmdbd:$0" slurmdbd -D' "$d"
    _cluster_wait_for "$timeout" slurmdbd _cluster_dbd_ok ||
        { _cluster_msg "slurmdbd did not come up"; _cluster_log_tail "$d/log/slurmdbd.log" "$d/log/slurmdbd.out"; return 1; }
    local c
    for c in "${CLUSTER_NAME:-grantstest}" ${CLUSTER_REGISTER_ALSO:-}; do
        sacctmgr -i add cluster "$c" >/dev/null ||
            { _cluster_msg "cannot register the cluster $c with slurmdbd"; return 1; }
    done
    if [ -n "${CLUSTER_ACCOUNTING_SETUP:-}" ]; then
        bash -c "$CLUSTER_ACCOUNTING_SETUP" >"$d/log/accounting-setup.log" 2>&1 ||
            { _cluster_msg "CLUSTER_ACCOUNTING_SETUP failed"; _cluster_log_tail "$d/log/accounting-setup.log"; return 1; }
    fi
}

# mariadbd on $CLUSTER_DIR/db/data (created by _cluster_start_accounting),
# waited for.  Also used by cluster_db_start after cluster_db_kill.
_cluster_spawn_mariadbd() {
    local d=$CLUSTER_DIR
    _cluster_spawn mariadbd mariadbd --no-defaults --user=root --datadir="$d/db/data" --tmpdir="$d/db/tmp" --socket="$d/db/mysql.sock" \
        --port="$CLUSTER_DB_PORT" --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$d/db/mariadbd.pid" \
        --log-error="$d/log/mariadbd.log"
    _cluster_wait_for "${CLUSTER_START_TIMEOUT:-30}" mariadbd _cluster_db_ok ||
        { _cluster_msg "MariaDB did not come up"; _cluster_log_tail "$d/log/mariadbd.log"; return 1; }
}

# CLUSTER_SHARED_FROM: register this cluster with the other cluster's
# slurmdbd (unless CLUSTER_REGISTER_ALSO did it already).
_cluster_register_shared() {
    _cluster_munge_ok || { _cluster_msg "munged of $CLUSTER_SHARED_FROM does not answer"; return 1; }
    _cluster_dbd_ok || { _cluster_msg "slurmdbd of $CLUSTER_SHARED_FROM does not answer"; return 1; }
    sacctmgr -n -P list cluster format=cluster 2>/dev/null | grep -qxF "${CLUSTER_NAME:-grantstest}" ||
        sacctmgr -i add cluster "${CLUSTER_NAME:-grantstest}" >/dev/null ||
        { _cluster_msg "cannot register the cluster ${CLUSTER_NAME:-grantstest} with slurmdbd"; return 1; }
}

# Start slurmctld (state is recovered from StateSaveLocation if present) and
# wait until `scontrol ping` reports it UP.
cluster_start_ctld() {
    [ -n "${CLUSTER_DIR:-}" ] || { _cluster_die "no cluster (CLUSTER_DIR unset)"; return 1; }
    if _cluster_pid_is_ours "$(cat "$CLUSTER_DIR/pids/slurmctld" 2>/dev/null)"; then
        _cluster_die "slurmctld is already running"
        return 1
    fi
    local log_mark
    log_mark=$(wc -l 2>/dev/null <"$CLUSTER_DIR/log/slurmctld.log" || echo 0)
    # CLUSTER_CTLD_ARGS adds options for this start (a test uses -c: a cold
    # start that forgets every job, as if Slurm had purged them).
    # shellcheck disable=SC2086
    _cluster_spawn slurmctld slurmctld -D -i ${CLUSTER_CTLD_ARGS:-} -f "$SLURM_CONF"
    _cluster_wait_for "${CLUSTER_START_TIMEOUT:-30}" slurmctld _cluster_ctld_up || {
        _cluster_msg "slurmctld did not come up (port $CLUSTER_CTLD_PORT)"
        _cluster_log_tail "$CLUSTER_DIR/log/slurmctld.log" "$CLUSTER_DIR/log/slurmctld.out"
        return 1
    }
    # job_submit/grants refuses in-scope jobs ("try again in a moment") until
    # its first pass over the recovered jobs; with a usable policy that takes
    # about a second. Wait for it (not an error if it never says so: a test
    # may start slurmctld without a policy on purpose).
    if [ -n "${GRANTS_PLUGIN_DIR:-}" ] && grep -q '^JobSubmitPlugins=.*grants' "$SLURM_CONF"; then
        cluster_wait_usage_known "$log_mark" 10
    fi
    # Under the sanitizers, prove the runtime is really in the daemon that
    # loaded our plugin (a silently ignored LD_PRELOAD would check nothing).
    if [ -n "${GRANTS_SANITIZER_PRELOAD:-}" ] && [ -n "${GRANTS_PLUGIN_DIR:-}" ]; then
        local maps
        maps=$(cat "/proc/$(cat "$CLUSTER_DIR/pids/slurmctld")/maps" 2>/dev/null)
        case $maps in *libasan*) ;; *) _cluster_die "slurmctld runs without the preloaded sanitizer runtime"; return 1 ;; esac
        if grep -q '^JobSubmitPlugins=.*grants' "$SLURM_CONF"; then
            case $maps in *job_submit_grants.so*) ;; *) _cluster_die "slurmctld did not load job_submit_grants.so"; return 1 ;; esac
        fi
    fi
}

# cluster_wait_usage_known LINE [TIMEOUT=10]: wait until slurmctld.log, after
# line LINE, says job_submit/grants knows the holds ("usage known").
cluster_wait_usage_known() {
    local mark=${1:-0} timeout=${2:-10} i
    for ((i = 0; i < timeout * 10; i++)); do
        tail -n +"$((mark + 1))" "$CLUSTER_DIR/log/slurmctld.log" 2>/dev/null | grep -q 'job_submit/grants: usage known' &&
            return 0
        sleep 0.1
    done
    return 1
}

cluster_stop_ctld() {
    [ -n "${CLUSTER_DIR:-}" ] || return 0
    _cluster_stop_daemon slurmctld TERM "${CLUSTER_STOP_TIMEOUT:-15}"
}

# Graceful stop + start of slurmctld, same state directory.
cluster_restart_ctld() {
    cluster_stop_ctld && cluster_start_ctld
}

# SIGKILL slurmctld (simulated crash).  It stays down: call
# cluster_start_ctld to bring it back (it recovers the saved state).
cluster_kill9_ctld() {
    [ -n "${CLUSTER_DIR:-}" ] || return 0
    _cluster_stop_daemon slurmctld KILL 10
}

_cluster_write_conf() {
    local d=$CLUSTER_DIR sysdir plugindir cpus boards sockets cores threads mem line k
    sysdir=$(cluster_system_plugin_dir) || return 1
    line=$(slurmd -C 2>/dev/null | grep -m1 '^NodeName=') ||
        { _cluster_die "slurmd -C failed"; return 1; }
    for k in $line; do
        case $k in
            CPUs=*) cpus=${k#*=} ;;
            Boards=*) boards=${k#*=} ;;
            SocketsPerBoard=*) sockets=${k#*=} ;;
            CoresPerSocket=*) cores=${k#*=} ;;
            ThreadsPerCore=*) threads=${k#*=} ;;
            RealMemory=*) mem=${k#*=} ;;
        esac
    done
    plugindir=$sysdir
    if [ -n "${GRANTS_PLUGIN_DIR:-}" ]; then
        plugindir=$GRANTS_PLUGIN_DIR:$sysdir
    fi

    cat >"$d/etc/slurm.conf" <<EOF
# Generated by tests/integration/cluster.sh for $d
ClusterName=${CLUSTER_NAME:-grantstest}
SlurmctldHost=$(hostname -s)(127.0.0.1)
MailProg=/bin/true
SlurmctldPort=$CLUSTER_CTLD_PORT
SlurmdPort=$CLUSTER_SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$CLUSTER_MUNGE_SOCKET
CredType=cred/munge
PluginDir=$plugindir
PlugStackConfig=$d/etc/plugstack.conf
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=${CLUSTER_CTLD_DEBUG:-info}
SlurmdDebug=${CLUSTER_SLURMD_DEBUG:-info}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/$([ -n "${CLUSTER_ACCOUNTING:-}${CLUSTER_SHARED_FROM:-}" ] && echo slurmdbd || echo none)
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=0,bf_interval=1
MpiDefault=none
ReturnToService=2
MinJobAge=300
KillWait=2
InactiveLimit=0
MessageTimeout=10
SlurmctldTimeout=30
SlurmdTimeout=300
TCPTimeout=5
GresTypes=neuron${CLUSTER_NEURON_DEVICES:+,gpu}
EOF
    if [ -n "${GRANTS_PLUGIN_DIR:-}" ]; then
        # The shipped slurm.conf lines, as an admin would add them.
        grep '^JobSubmitPlugins=' "$(_cluster_examples)/slurm.conf.grants" >>"$d/etc/slurm.conf" ||
            { _cluster_die "no JobSubmitPlugins line in $(_cluster_examples)/slurm.conf.grants"; return 1; }
    fi
    local gres=neuron:16
    if [ -n "${CLUSTER_NEURON_DEVICES:-}" ]; then gres="$gres,gpu:trainium2:$CLUSTER_NEURON_DEVICES"; fi
    local state=UNKNOWN nodeconf=$d/etc/slurm.conf
    [ -n "${CLUSTER_CLOUD:-}" ] && state=CLOUD
    local hw="CPUs=$cpus Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads RealMemory=$mem Gres=$gres State=$state"
    local nodes=$CLUSTER_NODE n i=0 port
    local features=(${CLUSTER_NODE_FEATURES:-})
    if [ -n "${CLUSTER_PCLUSTER_LAYOUT:-}" ]; then
        # ParallelCluster's layout: slurm.conf includes slurm_parallelcluster.conf,
        # which includes one file per queue with its NodeName and PartitionName lines.
        mkdir -p "$d/etc/pcluster" && chmod 0755 "$d/etc/pcluster"
        echo "include $d/etc/slurm_parallelcluster.conf" >>"$d/etc/slurm.conf"
        echo "include $d/etc/pcluster/slurm_parallelcluster_trn1_partition.conf" >"$d/etc/slurm_parallelcluster.conf"
        nodeconf=$d/etc/pcluster/slurm_parallelcluster_trn1_partition.conf
        : >"$nodeconf"
    fi
    if [ "$(_cluster_node_count)" -le 1 ]; then
        echo "NodeName=$CLUSTER_NODE NodeAddr=127.0.0.1 NodeHostname=$(hostname -s) $hw${features[0]:+ Features=${features[0]}}" >>"$nodeconf"
    else
        # Several slurmd on one host (--enable-multiple-slurmd): one port each;
        # %n keeps their pid files, spool directories and logs apart.
        sed -i -e "s|^SlurmdPidFile=.*|SlurmdPidFile=$d/run/slurmd-%n.pid|" \
            -e "s|^SlurmdSpoolDir=.*|SlurmdSpoolDir=$d/spool/%n|" \
            -e "s|^SlurmdLogFile=.*|SlurmdLogFile=$d/log/slurmd-%n.log|" "$d/etc/slurm.conf"
        set -- $CLUSTER_SLURMD_PORTS
        for n in $CLUSTER_NODE_NAMES; do
            mkdir -p "$d/spool/$n" && chmod 0755 "$d/spool" "$d/spool/$n"   # slurmstepd runs the batch script from there
            i=$((i + 1))
            eval "port=\${$i}"
            echo "NodeName=$n NodeAddr=127.0.0.1 NodeHostname=$(hostname -s) Port=$port $hw${features[i - 1]:+ Features=${features[i - 1]}}" >>"$nodeconf"
        done
        nodes=$(echo "$CLUSTER_NODE_NAMES" | tr ' ' ',')
    fi
    cat >>"$nodeconf" <<EOF
PartitionName=cpu Nodes=$nodes Default=YES MaxTime=INFINITE State=UP
PartitionName=trn1 Nodes=$nodes MaxTime=INFINITE State=UP
PartitionName=trn2 Nodes=$nodes MaxTime=INFINITE State=UP
EOF
    if [ -n "${CLUSTER_CLOUD:-}" ]; then
        _cluster_write_power_scripts || return 1
        cat >>"$d/etc/slurm.conf" <<EOF
ResumeProgram=$d/etc/resume.sh
SuspendProgram=$d/etc/suspend.sh
SuspendTime=${CLUSTER_SUSPEND_TIME:-10}
SuspendTimeout=${CLUSTER_SUSPEND_TIMEOUT:-5}
ResumeTimeout=${CLUSTER_RESUME_TIMEOUT:-30}
ResumeRate=0
SuspendRate=0
TreeWidth=65533
PrivateData=cloud
EOF
    fi
    if [ -n "${CLUSTER_ACCOUNTING:-}${CLUSTER_SHARED_FROM:-}" ]; then
        cat >>"$d/etc/slurm.conf" <<EOF
AccountingStorageHost=localhost
AccountingStoragePort=$CLUSTER_DBD_PORT
AccountingStoragePass=socket=$CLUSTER_MUNGE_SOCKET
EOF
    fi
    if [ -n "${CLUSTER_ACCOUNTING:-}" ] && [ -z "${CLUSTER_SHARED_FROM:-}" ]; then
        cat >"$d/etc/slurmdbd.conf" <<EOF
# Generated by tests/integration/cluster.sh for $d
AuthType=auth/munge
AuthInfo=socket=$CLUSTER_MUNGE_SOCKET
DbdHost=localhost
DbdPort=$CLUSTER_DBD_PORT
SlurmUser=root
LogFile=$d/log/slurmdbd.log
PidFile=$d/run/slurmdbd.pid
PluginDir=$sysdir
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$CLUSTER_DB_PORT
StorageUser=slurm
StoragePass=grants
StorageLoc=slurm_acct_db
EOF
        if [ -n "${CLUSTER_DBD_EXTRA_CONF:-}" ]; then
            printf '# CLUSTER_DBD_EXTRA_CONF\n%s\n' "$CLUSTER_DBD_EXTRA_CONF" >>"$d/etc/slurmdbd.conf"
        fi
        chmod 0600 "$d/etc/slurmdbd.conf"
    fi
    if [ -n "${CLUSTER_EXTRA_CONF:-}" ]; then
        printf '# CLUSTER_EXTRA_CONF\n%s\n' "$CLUSTER_EXTRA_CONF" >>"$d/etc/slurm.conf"
    fi

    echo "Name=neuron Count=16" >"$d/etc/gres.conf"
    if [ -n "${CLUSTER_NEURON_DEVICES:-}" ]; then
        # Neuron devices as gres/gpu with File= (what AutoDetect=nrt finds on
        # a real node): character devices made here, shared by every slurmd.
        mkdir -p "$d/dev" && chmod 0755 "$d/dev"
        for ((k = 0; k < CLUSTER_NEURON_DEVICES; k++)); do
            mknod -m 0666 "$d/dev/neuron$k" c 1 3 || { _cluster_die "cannot create $d/dev/neuron$k"; return 1; }
        done
        echo "Name=gpu Type=trainium2 File=$d/dev/neuron[0-$((CLUSTER_NEURON_DEVICES - 1))]" >>"$d/etc/gres.conf"
    fi

    : >"$d/etc/plugstack.conf"
    if [ -n "${GRANTS_PLUGIN_DIR:-}" ]; then
        # The shipped plugstack.conf.d snippet, with this cluster's plugin and
        # policy paths, included the way the admin guide says.
        mkdir -p "$d/etc/plugstack.conf.d"
        sed -e "s|^\([a-z]*[[:space:]]\{1,\}\)spank_grants.so|\1$GRANTS_PLUGIN_DIR/spank_grants.so|" \
            -e "s|policy=/etc/slurm/grants.yaml|policy=$d/etc/grants.yaml|" \
            "$(_cluster_examples)/plugstack.conf.d/grants.conf" >"$d/etc/plugstack.conf.d/grants.conf"
        grep -q "^required $GRANTS_PLUGIN_DIR/spank_grants.so policy=$d/etc/grants.yaml\$" \
            "$d/etc/plugstack.conf.d/grants.conf" ||
            { _cluster_die "unexpected plugstack snippet $(_cluster_examples)/plugstack.conf.d/grants.conf"; return 1; }
        echo "include $d/etc/plugstack.conf.d/*.conf" >"$d/etc/plugstack.conf"
        chmod 0755 "$d/etc/plugstack.conf.d"
        chmod 0644 "$d/etc/plugstack.conf.d/grants.conf"
    fi
    if [ -n "${GRANTS_POLICY:-}" ]; then
        install -o root -g root -m 0644 "$GRANTS_POLICY" "$d/etc/grants.yaml" || return 1
    fi
    chmod 0644 "$d"/etc/*
    [ -n "${CLUSTER_CLOUD:-}" ] && chmod 0755 "$d/etc/resume.sh" "$d/etc/suspend.sh" "$d/etc/cloud-watcher.sh"
    if [ -d "$d/etc/pcluster" ]; then chmod 0755 "$d/etc/pcluster" && chmod 0644 "$d"/etc/pcluster/*; fi
    if [ -d "$d/etc/plugstack.conf.d" ]; then chmod 0755 "$d/etc/plugstack.conf.d"; fi
}

# The ResumeProgram and SuspendProgram of a cloud cluster (CLUSTER_CLOUD),
# and the "EC2" that boots its instances: a watcher started by cluster_start
# (pids/cloud-watcher, stopped by cluster_stop like the daemons).
# slurmctld runs the power scripts as SlurmUser with a hostlist argument;
# Slurm 24.11 runs them through slurmscriptd with nothing of its environment
# but SLURM_CONF, in a process group of their own that it kills (SIGTERM,
# then SIGKILL) as soon as the script exits (run_command.c,
# run_command_waitpid_timeout: "kill children too"), so a boot started in
# the background by the script itself dies with it. So resume.sh only files
# a boot request (cloud/boot/NODE: when it is due, in ms since the epoch,
# after cloud/boot-delay) and exits; the watcher, a child of this shell with
# the cluster's environment, starts the node's slurmd with -b (it reports a
# reboot) when the request is due, its PID in pids/ so that cluster_stop stops
# it like any other slurmd. A node with cloud/fail-NODE never comes up
# (slurmctld marks it down at ResumeTimeout). suspend.sh drops a request not
# yet due and SIGKILLs the node's slurmd (EC2 stops an instance without
# asking). Every call and boot is logged in log/power.log.
_cluster_write_power_scripts() {
    local d=$CLUSTER_DIR single='' san=() s
    [ "$(_cluster_node_count)" -le 1 ] && single=1
    mkdir -p "$d/cloud/boot" && chmod 0755 "$d/cloud" "$d/cloud/boot"
    echo "${CLUSTER_BOOT_DELAY:-3}" >"$d/cloud/boot-delay"
    cat >"$d/etc/resume.sh" <<EOF
#!/bin/bash
# ResumeProgram of the test cluster in $d
d=$d
# slurmctld runs this without a PATH of ours: the cluster's own binaries.
scontrol=$(command -v scontrol)
EOF
    cat >>"$d/etc/resume.sh" <<'EOF'
now=${EPOCHREALTIME/[.,]/}
now=${now:0:-3}
read -r delay <"$d/cloud/boot-delay" || delay=3
for node in $("$scontrol" show hostnames "$1"); do
    if [ -e "$d/cloud/fail-$node" ]; then
        printf '%(%s)T resume %s: launch fails\n' -1 "$node" >>"$d/log/power.log"
        continue
    fi
    printf '%(%s)T resume %s: boots in %s s\n' -1 "$node" "$delay" >>"$d/log/power.log"
    echo "$((now + delay * 1000))" >"$d/cloud/boot/$node.tmp" && mv -f "$d/cloud/boot/$node.tmp" "$d/cloud/boot/$node"
done
exit 0
EOF
    # The watcher's slurmd get the sanitizer runtimes as _cluster_spawn gives them.
    mapfile -t san < <(_cluster_sanitizer_env)
    [ "${#san[@]}" != 0 ] && san[1]="${san[1]}:quarantine_size_mb=0"
    {
        echo '#!/bin/bash'
        echo "# Boots the cloud nodes of the test cluster in $d (see cluster.sh)"
        echo "d=$d"
        echo "single=$single"
        printf 'slurmd=%q\n' "$(command -v slurmd)"
        printf 'san=('; for s in "${san[@]}"; do printf ' %q' "$s"; done; echo ' )'
    } >"$d/etc/cloud-watcher.sh"
    cat >>"$d/etc/cloud-watcher.sh" <<'EOF'
mkfifo -m 0600 "$d/cloud/.tick" && exec 3<>"$d/cloud/.tick"   # read -t on it: a sleep without a fork
shopt -s nullglob
while :; do
    now=${EPOCHREALTIME/[.,]/}
    now=${now:0:-3}
    for req in "$d"/cloud/boot/*; do
        node=${req##*/}
        case $node in *.tmp) continue ;; esac
        read -r due <"$req" 2>/dev/null || continue
        ((now >= due)) || continue
        rm -f "$req"
        if [ -e "$d/cloud/fail-$node" ]; then
            printf '%(%s)T boot %s: launch failed\n' -1 "$node" >>"$d/log/power.log"
            continue
        fi
        name=slurmd-$node
        [ -n "$single" ] && name=slurmd
        printf '%(%s)T boot %s: slurmd -b\n' -1 "$node" >>"$d/log/power.log"
        env "${san[@]}" "$slurmd" -D -b -f "$d/etc/slurm.conf" -N "$node" </dev/null >>"$d/log/$name.out" 2>&1 &
        echo $! >"$d/pids/$name"
    done
    read -r -t 0.2 -u 3 || (($? > 128)) || sleep 0.2   # (no fifo: sleep instead of spinning)
done
EOF
    cat >"$d/etc/suspend.sh" <<EOF
#!/bin/bash
# SuspendProgram of the test cluster in $d
d=$d
single=$single
scontrol=$(command -v scontrol)
EOF
    cat >>"$d/etc/suspend.sh" <<'EOF'
for node in $("$scontrol" show hostnames "$1"); do
    rm -f "$d/cloud/boot/$node"
    name=slurmd-$node
    [ -n "$single" ] && name=slurmd
    pid=$(cat "$d/pids/$name" 2>/dev/null)
    printf '%(%s)T suspend %s%s\n' -1 "$node" "${pid:+ (slurmd $pid)}" >>"$d/log/power.log"
    # Powering an instance off: SIGKILL, as EC2 stops it without asking.
    [ -n "$pid" ] && grep -qF "$d" "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid"
    rm -f "$d/pids/$name"
done
exit 0
EOF
    chmod 0755 "$d/etc/resume.sh" "$d/etc/suspend.sh" "$d/etc/cloud-watcher.sh"
}

# cluster_cloud_fail NODE: the node's launches fail until cluster_cloud_heal NODE.
cluster_cloud_fail() { : >"$CLUSTER_DIR/cloud/fail-$1"; }
cluster_cloud_heal() { rm -f "$CLUSTER_DIR/cloud/fail-$1"; }

# cluster_cloud_wait_powered_down NODE [TIMEOUT=60]: wait until the node is
# powered down again (idle~) after SuspendTime.
cluster_cloud_wait_powered_down() {
    local node=$1 timeout=${2:-60} i
    for ((i = 0; i < timeout * 5; i++)); do
        [ "$(sinfo -h -n "$node" -N -o '%t' 2>/dev/null | head -n1)" = 'idle~' ] && return 0
        sleep 0.2
    done
    return 1
}

# Create $CLUSTER_DIR, write the configuration, start munged, slurmctld and
# slurmd, and wait until the node is idle.  Returns non-zero (with a log
# tail on stderr) on failure, after stopping whatever it started.
cluster_start() {
    local d timeout=${CLUSTER_START_TIMEOUT:-30} f n

    [ "$(id -u)" = 0 ] || { _cluster_die "cluster_start must run as root"; return 1; }
    if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/pids" ] &&
        [ -n "$(ls -A "$CLUSTER_DIR/pids" 2>/dev/null)" ]; then
        _cluster_die "a cluster is already running in $CLUSTER_DIR"
        return 1
    fi
    if [ -n "${GRANTS_PLUGIN_DIR:-}" ]; then
        for f in job_submit_grants.so spank_grants.so; do
            [ -f "$GRANTS_PLUGIN_DIR/$f" ] ||
                { _cluster_die "GRANTS_PLUGIN_DIR=$GRANTS_PLUGIN_DIR has no $f"; return 1; }
        done
    fi
    if [ -n "${GRANTS_POLICY:-}" ] && [ ! -r "$GRANTS_POLICY" ]; then
        _cluster_die "GRANTS_POLICY=$GRANTS_POLICY is not readable"
        return 1
    fi

    d=$(mktemp -d /tmp/slurm-grants-cluster.XXXXXX) || return 1
    chmod 0755 "$d"
    : >"$d/.slurm-grants-cluster"   # marker checked before rm -rf
    mkdir -p "$d"/{etc,log,state,spool,pids,run,home,munge}
    chmod 0755 "$d"/{etc,log,run,home}
    chmod 0700 "$d"/{munge,state,spool,pids}

    export CLUSTER_DIR=$d
    export SLURM_CONF=$d/etc/slurm.conf
    export CLUSTER_MUNGE_SOCKET=$d/run/munge.socket
    # CLUSTER_SHARED_FROM: munged, slurmdbd and MariaDB are another cluster's.
    [ -n "${CLUSTER_SHARED_FROM:-}" ] && CLUSTER_MUNGE_SOCKET=$CLUSTER_SHARED_FROM/run/munge.socket
    CLUSTER_NODE=$(hostname -s) && export CLUSTER_NODE
    [ -n "${CLUSTER_NODE_PREFIX:-}" ] && CLUSTER_NODE=${CLUSTER_NODE_PREFIX}1
    export CLUSTER_NODE_NAMES=$CLUSTER_NODE
    if [ "$(_cluster_node_count)" -gt 1 ]; then
        CLUSTER_NODE_NAMES=$(seq -f "${CLUSTER_NODE_PREFIX:-n}%g" 1 "$(_cluster_node_count)" | tr '\n' ' ')
        CLUSTER_NODE_NAMES=${CLUSTER_NODE_NAMES% }
        CLUSTER_NODE=${CLUSTER_NODE_NAMES%% *}
    fi
    # Ports: CLUSTER_CTLD_PORT / CLUSTER_SLURMD_PORT if set, else free ones
    # (forgotten again by cluster_stop).
    _CLUSTER_AUTO_PORTS=
    if [ -z "${CLUSTER_CTLD_PORT:-}" ]; then
        CLUSTER_CTLD_PORT=$(_cluster_free_port "${CLUSTER_SLURMD_PORT:-}") || return 1
        _CLUSTER_AUTO_PORTS="$_CLUSTER_AUTO_PORTS CLUSTER_CTLD_PORT"
    fi
    if [ -z "${CLUSTER_SLURMD_PORT:-}" ]; then
        CLUSTER_SLURMD_PORT=$(_cluster_free_port "$CLUSTER_CTLD_PORT") || return 1
        _CLUSTER_AUTO_PORTS="$_CLUSTER_AUTO_PORTS CLUSTER_SLURMD_PORT"
    fi

    CLUSTER_SLURMD_PORTS=$CLUSTER_SLURMD_PORT
    if [ "$(_cluster_node_count)" -gt 1 ]; then
        local n p
        CLUSTER_SLURMD_PORTS=
        for n in $CLUSTER_NODE_NAMES; do
            p=$(_cluster_free_port "$CLUSTER_CTLD_PORT" "$CLUSTER_SLURMD_PORT" $CLUSTER_SLURMD_PORTS) || return 1
            CLUSTER_SLURMD_PORTS="$CLUSTER_SLURMD_PORTS $p"
        done
    fi

    if [ -n "${CLUSTER_SHARED_FROM:-}" ]; then
        CLUSTER_DBD_PORT=$(sed -n 's/^DbdPort=//p' "$CLUSTER_SHARED_FROM/etc/slurmdbd.conf")
        CLUSTER_DB_PORT=$(sed -n 's/^StoragePort=//p' "$CLUSTER_SHARED_FROM/etc/slurmdbd.conf")
        [ -n "$CLUSTER_DBD_PORT" ] && [ -n "$CLUSTER_DB_PORT" ] ||
            { _cluster_die "CLUSTER_SHARED_FROM=$CLUSTER_SHARED_FROM has no slurmdbd (start it with CLUSTER_ACCOUNTING=1)"; rm -rf -- "$d"; return 1; }
        export CLUSTER_DBD_PORT CLUSTER_DB_PORT
    elif [ -n "${CLUSTER_ACCOUNTING:-}" ]; then
        CLUSTER_DBD_PORT=$(_cluster_free_port "$CLUSTER_CTLD_PORT" $CLUSTER_SLURMD_PORTS) || return 1
        CLUSTER_DB_PORT=$(_cluster_free_port "$CLUSTER_CTLD_PORT" $CLUSTER_SLURMD_PORTS "$CLUSTER_DBD_PORT") || return 1
        export CLUSTER_DBD_PORT CLUSTER_DB_PORT
        _CLUSTER_AUTO_PORTS="$_CLUSTER_AUTO_PORTS CLUSTER_DBD_PORT CLUSTER_DB_PORT"
    fi

    _cluster_msg "starting cluster in $d (node ${CLUSTER_NODE_NAMES// /,}, slurmctld port $CLUSTER_CTLD_PORT, slurmd port $CLUSTER_SLURMD_PORT${GRANTS_PLUGIN_DIR:+, plugins from $GRANTS_PLUGIN_DIR})"

    if ! _cluster_write_conf; then
        _cluster_start_failed
        return 1
    fi

    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile="$d/munge/munge.key" >/dev/null 2>&1
    fi
    [ -s "$d/munge/munge.key" ] ||
        dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
    chmod 0600 "$d/munge/munge.key"
    [ -n "${CLUSTER_SHARED_FROM:-}" ] && rm -f "$d/munge/munge.key"   # the other cluster's munged signs

    # A small filesystem of its own for the ledger (fault tests fill it or
    # make it read-only); unmounted by cluster_stop.
    if [ -n "${CLUSTER_GRANTS_TMPFS:-}" ]; then
        mkdir -p "$d/state/grants" &&
            mount -t tmpfs -o "size=$CLUSTER_GRANTS_TMPFS,mode=0700" grants-ledger "$d/state/grants" ||
            { _cluster_msg "cannot mount a tmpfs on $d/state/grants"; _cluster_start_failed; return 1; }
    fi
    if [ -n "${CLUSTER_SHARED_FROM:-}" ]; then
        _cluster_register_shared || { _cluster_start_failed; return 1; }
    else
        _cluster_start_munged || { _cluster_start_failed; return 1; }
        if [ -n "${CLUSTER_ACCOUNTING:-}" ]; then
            _cluster_start_accounting || { _cluster_start_failed; return 1; }
        fi
    fi
    # Cloud nodes: the watcher that boots them is up before slurmctld can resume one.
    if [ -n "${CLUSTER_CLOUD:-}" ]; then
        _cluster_spawn cloud-watcher bash "$d/etc/cloud-watcher.sh"
    fi
    cluster_start_ctld || { _cluster_start_failed; return 1; }

    local name last=slurmctld
    # Cloud nodes: no slurmd until slurmctld resumes the node (resume.sh).
    [ -n "${CLUSTER_CLOUD:-}" ] || for name in $(_cluster_slurmd_names); do
        if [ "$name" = slurmd ]; then n=$CLUSTER_NODE; else n=${name#slurmd-}; fi
        _cluster_spawn "$name" slurmd -D -f "$SLURM_CONF" -N "$n"
        last=$name
    done
    if ! _cluster_wait_for "$timeout" "$last" _cluster_node_idle; then
        _cluster_msg "nodes $CLUSTER_NODE_NAMES are not all idle after ${timeout}s: $(sinfo -h -N -o '%N %T %E' 2>&1)"
        _cluster_log_tail "$d"/log/slurmd*.log "$d"/log/slurmd*.out "$d/log/slurmctld.log"
        _cluster_start_failed
        return 1
    fi
    _cluster_msg "cluster up: SLURM_CONF=$SLURM_CONF"
}

_cluster_start_failed() {
    : "${CLUSTER_KEEP:=1}"
    cluster_stop
}

# Cancel all jobs of this cluster and wait (up to $1 s) until none is
# running or completing, so that no slurmstepd or job process survives.
_cluster_drain_jobs() {
    local timeout=${1:-15} i
    _cluster_ctld_up || return 0
    [ -n "$(squeue -h -o %i 2>/dev/null)" ] || return 0
    scancel --quiet --full --state=PENDING,RUNNING,SUSPENDED 2>/dev/null ||
        squeue -h -o %i 2>/dev/null | xargs -r scancel --quiet --full 2>/dev/null
    for ((i = 0; i < timeout * 5; i++)); do
        [ -z "$(squeue -h -t R,CG,S,PD -o %i 2>/dev/null)" ] && return 0
        sleep 0.2
    done
    _cluster_msg "jobs still active after ${timeout}s: $(squeue -h -o '%i %T' 2>&1 | tr '\n' ' ')"
}

# PIDs of the live processes of this cluster: the daemons and everything
# they forked that inherited their environment (slurmstepd, slurmscriptd),
# found by SLURM_GRANTS_CLUSTER=$CLUSTER_DIR in /proc/PID/environ.  Job
# processes of users are not included (their environment is the job's).
cluster_pids() {
    local p
    [ -n "${CLUSTER_DIR:-}" ] || return 0
    grep -lzxF -- "SLURM_GRANTS_CLUSTER=$CLUSTER_DIR" /proc/[0-9]*/environ 2>/dev/null |
        while IFS=/ read -r _ _ p _; do
            [ "$p" != "$$" ] && [ "$p" != "${BASHPID:-}" ] && _cluster_pid_alive "$p" && echo "$p"
        done
    return 0
}

# PIDs of all descendants of process $1.
_cluster_descendants() {
    ps -eo pid=,ppid= | awk -v root="$1" '
        { parent[$1] = $2 }
        END {
            for (p in parent) {
                q = p
                for (n = 0; n < 64 && q in parent && q != root; n++) q = parent[q]
                if (q == root && p != root) print p
            }
        }'
}

# cluster_stop: cancel all jobs, stop slurmd, slurmctld and munged (in that
# order) by their recorded PIDs -- SIGTERM, then SIGKILL after
# CLUSTER_STOP_TIMEOUT (15) seconds --, SIGKILL any leftover slurmstepd or
# slurmscriptd of this cluster, and wait (up to 5 s) until those processes
# are gone from the process table, zombies included.  Idempotent and safe in
# a trap.  Then removes $CLUSTER_DIR unless CLUSTER_KEEP=1 (see the header).
cluster_stop() {
    local d=${CLUSTER_DIR:-} t=${CLUSTER_STOP_TIMEOUT:-15} p all left i
    [ -n "$d" ] || return 0
    # Collect PIDs first: a slurmstepd that exits while jobs are being
    # cancelled can no longer be identified, but must still be waited for.
    # The environment tag also finds the daemons if pids/ was removed.
    all=$(cat "$d"/pids/* 2>/dev/null; cluster_pids)
    if [ -n "$all" ]; then
        # (Clients block ~9 s retrying when slurmctld is down: check first.)
        _cluster_pid_is_ours "$(cat "$d/pids/slurmctld" 2>/dev/null)" && _cluster_drain_jobs "$t"
        # Cloud nodes: no boot may start once their slurmd are being stopped.
        _cluster_stop_daemon cloud-watcher TERM "$t"
        for p in $(_cluster_slurmd_names); do _cluster_stop_daemon "$p" TERM "$t"; done
        _cluster_stop_daemon slurmctld TERM "$t"
        _cluster_stop_daemon slurmdbd TERM "$t"
        _cluster_stop_daemon mariadbd TERM "$t"
        _cluster_stop_daemon munged TERM "$t"
        # Leftover slurmstepd/slurmscriptd (e.g. jobs not cancelled because
        # slurmctld was down): kill them and the job processes under them.
        for p in $(cluster_pids); do
            _cluster_msg "killing leftover $(cat "/proc/$p/comm" 2>/dev/null) (pid $p) and its descendants"
            for i in $p $(_cluster_descendants "$p"); do
                kill -s KILL "$i" 2>/dev/null
                all="$all $i"
            done
        done
        # Orphans (e.g. slurmstepd, or a slurmctld restarted from a subshell)
        # are reaped by PID 1; wait until `pgrep` cannot see them either.
        for ((i = 0; i < 50; i++)); do
            left=
            for p in $all; do
                [ -e "/proc/$p" ] && left="$left $p"
            done
            [ -z "$left" ] && break
            sleep 0.1
        done
        [ -z "$left" ] || _cluster_msg "processes not reaped yet:$left"
        _cluster_msg "cluster in $d stopped"
    fi
    # Under the sanitizers, the daemons' stderr (GCC's UBSan reports go there)
    # is kept for check-sanitizers.sh before the directory goes.
    if [ -n "${GRANTS_SANITIZER_PRELOAD:-}" ] && [ -n "${GRANTS_SANITIZER_LOG_DIR:-}" ] && [ -d "$d/log" ]; then
        for f in "$d"/log/*.out "$d"/log/*.log; do
            [ -f "$f" ] && cp "$f" "$GRANTS_SANITIZER_LOG_DIR/$(basename "$d").$(basename "$f")" 2>/dev/null
        done
    fi
    # The ledger's own filesystem (CLUSTER_GRANTS_TMPFS), after every daemon is gone.
    if [ -d "$d/state/grants" ] && mountpoint -q "$d/state/grants"; then
        umount "$d/state/grants" 2>/dev/null || umount -l "$d/state/grants" ||
            _cluster_msg "could not unmount $d/state/grants"
    fi
    for p in ${_CLUSTER_AUTO_PORTS:-}; do unset "$p"; done
    _CLUSTER_AUTO_PORTS=
    [ -d "$d" ] || return 0
    if [ "${CLUSTER_KEEP:-}" = 1 ]; then
        [ -e "$d/.kept" ] || _cluster_msg "kept $d (logs in $d/log)"
        : >"$d/.kept"
    elif [ -e "$d/.slurm-grants-cluster" ]; then
        rm -rf -- "$d"
    fi
    return 0
}

# cluster_log_tail [N=40]: print the last N lines of slurmctld.log and
# slurmd.log (e.g. from a failing test case).
cluster_log_tail() {
    [ -n "${CLUSTER_DIR:-}" ] || return 0
    CLUSTER_LOG_LINES=${1:-40} _cluster_log_tail "$CLUSTER_DIR/log/slurmctld.log" "$CLUSTER_DIR"/log/slurmd*.log
}

# EXIT trap: keep $CLUSTER_DIR when the script fails, then cluster_stop.
# Preserves the exit status.
cluster_exit_trap() {
    local rc=$?
    [ "$rc" = 0 ] || : "${CLUSTER_KEEP:=1}"
    cluster_stop
    return "$rc"
}

# Install traps so that the cluster is always stopped: on EXIT, and on
# INT/TERM/HUP (which then exit with 128+signal, running the EXIT trap).
cluster_install_traps() {
    trap cluster_exit_trap EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# ensure_test_users: create alice, bob, carol, dave (no home, no login
# password) and group nlp-lab with alice and bob as supplementary members.
ensure_test_users() {
    local u
    getent group nlp-lab >/dev/null || groupadd nlp-lab 2>/dev/null ||
        getent group nlp-lab >/dev/null || { _cluster_die "cannot create group nlp-lab"; return 1; }
    for u in alice bob carol dave; do
        id -u "$u" >/dev/null 2>&1 || useradd -M -s /bin/bash "$u" 2>/dev/null ||
            id -u "$u" >/dev/null 2>&1 || { _cluster_die "cannot create user $u"; return 1; }
    done
    for u in alice bob; do
        id -nG "$u" | tr ' ' '\n' | grep -qx nlp-lab || usermod -a -G nlp-lab "$u" ||
            { _cluster_die "cannot add $u to nlp-lab"; return 1; }
    done
}

# Working directory of USER in this cluster: $CLUSTER_DIR/home/USER (0755).
cluster_home() {
    local u=$1 h
    h=$CLUSTER_DIR/home/$u
    if [ ! -d "$h" ]; then
        mkdir -p "$h" && chown "$u:" "$h" && chmod 0755 "$h" || return 1
    fi
    printf '%s\n' "$h"
}

# as_user USER CMD...: run CMD as USER in a clean environment (HOME, USER,
# LOGNAME, PATH, LANG, SLURM_CONF) from $CLUSTER_DIR/home/USER.  stdin is
# passed through.  Extra variables: as_user alice env FOO=1 sbatch ...
as_user() {
    local u=$1 h san=()
    shift
    [ -n "${CLUSTER_DIR:-}" ] || { _cluster_die "as_user: no cluster"; return 1; }
    h=$(cluster_home "$u") || { _cluster_die "as_user: no home for $u"; return 1; }
    mapfile -t san < <(_cluster_sanitizer_env)
    if [ "${#san[@]}" = 0 ]; then
        runuser -u "$u" -- env -i -C "$h" HOME="$h" USER="$u" LOGNAME="$u" \
            PATH="$CLUSTER_SYS_PATH" LANG=C.UTF-8 SLURM_CONF="$SLURM_CONF" "$@"
        return
    fi
    # GCC's UBSan writes to stderr whatever log_path says: keep a copy of the
    # client's stderr for check-sanitizers.sh (the caller still sees it).
    runuser -u "$u" -- env -i -C "$h" HOME="$h" USER="$u" LOGNAME="$u" \
        PATH="$CLUSTER_SYS_PATH" LANG=C.UTF-8 SLURM_CONF="$SLURM_CONF" "${san[@]}" "$@" \
        2> >(tee -a "${GRANTS_SANITIZER_LOG_DIR:-$CLUSTER_DIR/log/sanitizer}/clients.stderr" >&2)
}

# job_field JOBID FIELD: value of FIELD (e.g. JobState, Partition,
# AdminComment, Comment, UserId) from `scontrol show job JOBID`.  Fields that
# scontrol prints at the end of a line (JobName, Comment, AdminComment,
# SystemComment, Command, WorkDir, StdIn, StdOut, StdErr) keep embedded
# spaces and '='; trailing blanks are dropped.  Fails if the job or the field
# is unknown (scontrol omits unset comments).
job_field() {
    local jid=$1 field=$2
    scontrol show job "$jid" 2>/dev/null | awk -v f="$field" '
        BEGIN {
            n = split("Comment AdminComment SystemComment Command WorkDir StdIn StdOut StdErr", w, " ")
            for (i = 1; i <= n; i++) wholeline[w[i]] = 1
        }
        {
            sub(/^[ \t]+/, "")
            key = $0; sub(/=.*/, "", key)
            if (key in wholeline) {          # "Key=free text" lines
                if (key != f) next
                v = substr($0, length(f) + 2); sub(/[ \t]+$/, "", v)
                print v; found = 1; exit
            }
            line = " " $0
            p = index(line, " " f "=")
            if (p == 0) next
            v = substr(line, p + length(f) + 2)
            if (f == "JobName") sub(/[ \t]+$/, "", v)   # last on its line
            else sub(/[ \t].*$/, "", v)
            print v; found = 1; exit
        }
        END { exit !found }'
}

# wait_job_state JOBID STATE[|STATE...] [TIMEOUT=30]: poll until JobState is
# one of the given states.  Fails early if the job ends in another state.
wait_job_state() {
    local jid=$1 want=$2 timeout=${3:-30} st i
    for ((i = 0; i <= timeout * 5; i++)); do
        st=$(job_field "$jid" JobState)
        case "|$want|" in *"|$st|"*) [ -n "$st" ] && return 0 ;; esac
        case $st in
            COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | PREEMPTED | BOOT_FAIL | DEADLINE | OUT_OF_MEMORY)
                _cluster_msg "job $jid ended in state $st, expected $want"
                return 1 ;;
        esac
        sleep 0.2
    done
    _cluster_msg "job $jid is in state '${st:-unknown}' after ${timeout}s, expected $want"
    return 1
}

# wait_job_done JOBID [TIMEOUT=30]: wait until the job ended (any final
# state) and print that state.
wait_job_done() {
    local jid=$1 timeout=${2:-30} st i
    for ((i = 0; i <= timeout * 5; i++)); do
        st=$(job_field "$jid" JobState)
        case $st in
            COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | PREEMPTED | BOOT_FAIL | DEADLINE | OUT_OF_MEMORY)
                echo "$st"
                return 0 ;;
        esac
        sleep 0.2
    done
    _cluster_msg "job $jid not done after ${timeout}s (state '${st:-unknown}')"
    return 1
}

# ---------------------------------------------------------------------------
# Two clusters on one host, one MariaDB, one slurmdbd (issue 27's test bed).
#
#     cluster_pair_install_traps
#     cluster_pair_start || exit 1        # alpha, then beta (names: CLUSTER_PAIR_NAMES)
#     cluster_use beta; as_user alice sbatch --wrap true     # goes to beta
#     cluster_use alpha; cluster_kill9_ctld                  # alpha's controller only
#     cluster_db_kill; sleep 5; cluster_db_start             # the shared MariaDB
#     cluster_pair_federate                                  # (or CLUSTER_FEDERATION=1)
#
# The first cluster is an ordinary CLUSTER_ACCOUNTING=1 cluster: its
# directory holds the one munged (both clusters, slurmdbd and the two
# controllers of a federation must share the munge key, so they share the
# daemon), MariaDB and slurmdbd. The second is started with
# CLUSTER_SHARED_FROM=<first's directory>: its own slurmctld,
# StateSaveLocation, slurmd and ports, registered with the same slurmdbd.
# Node names are the cluster name plus a number (alpha1.., beta1..). Two
# slurmd on one host need no --enable-multiple-slurmd when they belong to
# two clusters: each has its own slurm.conf, port, spool and pid file.
# CLUSTER_ACCOUNTING_SETUP runs once, with both clusters already registered
# (so `sacctmgr add user` creates associations on both).
#
# Every other per-cluster variable (CLUSTER_DIR, SLURM_CONF, CLUSTER_NODE,
# CLUSTER_NODE_NAMES, ports...) is switched by cluster_use NAME, so every
# function of this file, as_user and the Slurm clients act on the cluster in
# use (SLURM_CONF). Clients may also name clusters: squeue -M alpha,beta.
# After cluster_pair_start the first cluster is in use. Exported, the same
# whichever cluster is in use: CLUSTER_DB_DIR (the first cluster's
# directory), CLUSTER_DB_SOCKET (MariaDB's unix socket, root), CLUSTER_DB_PORT
# (its loopback TCP port), CLUSTER_DBD_PORT, CLUSTER_GRANTS_DB_CONF (a
# root-only 0600 file: StorageHost= StoragePort= StorageUser= StoragePass=
# StorageLoc=slurm_grants, a database and user of the grants ledger's own).
#
#   cluster_pair_start [A B]     start both (default CLUSTER_PAIR_NAMES or "alpha beta");
#                                CLUSTER_FEDERATION=1 also federates them
#   cluster_pair_stop            stop the second cluster, then the first (idempotent)
#   cluster_pair_install_traps   cluster_install_traps for the pair
#   cluster_use NAME             switch to cluster NAME
#   cluster_pair_federate [FED]  sacctmgr add federation FED (default grantsfed)
#                                clusters=A,B; wait until each controller sees its
#                                sibling synced
#   cluster_db_kill [SIGNAL]     stop MariaDB (default SIGKILL: a crash)
#   cluster_db_start             start it again on the same data
_CLUSTER_PAIR_VARS="CLUSTER_DIR SLURM_CONF CLUSTER_MUNGE_SOCKET CLUSTER_NODE CLUSTER_NODE_NAMES CLUSTER_NAME
CLUSTER_NODE_PREFIX CLUSTER_CTLD_PORT CLUSTER_SLURMD_PORT CLUSTER_SLURMD_PORTS _CLUSTER_AUTO_PORTS
CLUSTER_ACCOUNTING CLUSTER_SHARED_FROM CLUSTER_REGISTER_ALSO"
_CLUSTER_PAIR=

_cluster_pair_save() {
    local v
    for v in $_CLUSTER_PAIR_VARS; do
        if [ -n "${!v+x}" ]; then
            printf -v "_CLUSTER_SAVED_${1}_$v" '%s' "${!v}"
        else
            unset "_CLUSTER_SAVED_${1}_$v"
        fi
    done
}

cluster_use() {
    local v s
    case " $_CLUSTER_PAIR " in *" $1 "*) ;; *) _cluster_die "cluster_use: no cluster '$1' (running: ${_CLUSTER_PAIR:-none})"; return 1 ;; esac
    [ -n "${_CLUSTER_IN_USE:-}" ] && _cluster_pair_save "$_CLUSTER_IN_USE"
    for v in $_CLUSTER_PAIR_VARS; do
        s=_CLUSTER_SAVED_${1}_$v
        if [ -n "${!s+x}" ]; then printf -v "$v" '%s' "${!s}"; else unset "$v"; fi
    done
    export CLUSTER_DIR SLURM_CONF CLUSTER_MUNGE_SOCKET CLUSTER_NODE CLUSTER_NODE_NAMES
    _CLUSTER_IN_USE=$1
}

cluster_pair_start() {
    local a=${1:-} b=${2:-} v
    [ -n "$a" ] || set -- ${CLUSTER_PAIR_NAMES:-alpha beta}
    a=$1 b=$2
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] ||
        { _cluster_die "cluster_pair_start: two different cluster names needed"; return 1; }
    [ -z "$_CLUSTER_PAIR" ] || { _cluster_die "a cluster pair is already running ($_CLUSTER_PAIR)"; return 1; }
    _CLUSTER_PAIR="$a $b"
    _CLUSTER_IN_USE=
    # Fixed ports cannot serve two clusters.
    unset CLUSTER_DIR CLUSTER_CTLD_PORT CLUSTER_SLURMD_PORT CLUSTER_SLURMD_PORTS
    CLUSTER_NAME=$a CLUSTER_NODE_PREFIX=$a CLUSTER_ACCOUNTING=1 CLUSTER_REGISTER_ALSO=$b
    unset CLUSTER_SHARED_FROM
    cluster_start || { _cluster_pair_save "$a"; _CLUSTER_IN_USE=$a; return 1; }
    _cluster_pair_save "$a"
    export CLUSTER_DB_DIR=$CLUSTER_DIR
    export CLUSTER_DB_SOCKET=$CLUSTER_DIR/db/mysql.sock
    export CLUSTER_GRANTS_DB_CONF=$CLUSTER_DIR/etc/grants-db.conf
    unset CLUSTER_DIR CLUSTER_CTLD_PORT CLUSTER_SLURMD_PORT CLUSTER_SLURMD_PORTS CLUSTER_REGISTER_ALSO CLUSTER_ACCOUNTING
    CLUSTER_NAME=$b CLUSTER_NODE_PREFIX=$b CLUSTER_SHARED_FROM=$CLUSTER_DB_DIR
    cluster_start || { _cluster_pair_save "$b"; _CLUSTER_IN_USE=$b; return 1; }
    _cluster_pair_save "$b"
    _CLUSTER_IN_USE=$b
    cluster_use "$a"
    if [ -n "${CLUSTER_FEDERATION:-}" ] && [ "$CLUSTER_FEDERATION" != 0 ]; then
        cluster_pair_federate || return 1
    fi
}

cluster_pair_stop() {
    local c rc=0
    [ -n "$_CLUSTER_PAIR" ] || return 0
    for c in $(printf '%s\n' $_CLUSTER_PAIR | tac); do
        cluster_use "$c" && cluster_stop || rc=1
        _cluster_pair_save "$c"
    done
    return "$rc"
}

cluster_pair_exit_trap() {
    local rc=$?
    [ "$rc" = 0 ] || : "${CLUSTER_KEEP:=1}"
    cluster_pair_stop
    return "$rc"
}

cluster_pair_install_traps() {
    trap cluster_pair_exit_trap EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# True if the controller in use lists every other cluster of the pair as a
# synced sibling.
_cluster_fed_synced() {
    local out c
    out=$(scontrol show federation 2>/dev/null) || return 1
    for c in $_CLUSTER_PAIR; do
        [ "$c" = "$_CLUSTER_IN_USE" ] && continue
        printf '%s\n' "$out" | grep -E "^Sibling: +$c:" | grep -q 'Synced:Yes' || return 1
    done
}

cluster_pair_federate() {
    local fed=${1:-grantsfed} back=$_CLUSTER_IN_USE c
    sacctmgr -i add federation "$fed" clusters="$(echo $_CLUSTER_PAIR | tr ' ' ,)" >/dev/null ||
        { _cluster_die "sacctmgr add federation $fed failed"; return 1; }
    for c in $_CLUSTER_PAIR; do
        cluster_use "$c"
        _cluster_wait_for "${CLUSTER_START_TIMEOUT:-30}" slurmctld _cluster_fed_synced || {
            _cluster_msg "cluster $c does not see its siblings synced: $(scontrol show federation 2>&1)"
            cluster_use "$back"
            return 1
        }
    done
    cluster_use "$back"
    _cluster_msg "federation $fed: $_CLUSTER_PAIR"
}

cluster_db_kill() {
    [ -n "${CLUSTER_DB_DIR:-}" ] || { _cluster_die "cluster_db_kill: no database"; return 1; }
    local CLUSTER_DIR=$CLUSTER_DB_DIR
    _cluster_stop_daemon mariadbd "${1:-KILL}" "${CLUSTER_STOP_TIMEOUT:-15}"
}

cluster_db_start() {
    [ -n "${CLUSTER_DB_DIR:-}" ] || { _cluster_die "cluster_db_start: no database"; return 1; }
    local CLUSTER_DIR=$CLUSTER_DB_DIR
    if _cluster_pid_is_ours "$(cat "$CLUSTER_DIR/pids/mariadbd" 2>/dev/null)"; then
        _cluster_die "MariaDB is already running"
        return 1
    fi
    _cluster_spawn_mariadbd
}
