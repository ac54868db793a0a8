# shellcheck shell=bash disable=SC2154  # src, bin, configs come from the caller
# Shared by bench/slurmctld-submit.sh and bench/profile-submit.sh: several
# private loopback clusters side by side (tests/integration/cluster.sh), one
# per configuration, each with StateSaveLocation on its own tmpfs, the same
# generated policy and the same sbatch plugstack, so the requests are alike.
#
# The caller sets src, bin and configs, sources this file, then calls
# bench_clusters_start PREFIX; configure_cluster CONFIG (optional, defined by
# the caller) adjusts a cluster's slurm.conf before its controller starts.
# BENCH_PLUGIN_DIR_<config>: another build of the plugins for that config.
#
# Which Slurm: CLUSTER_SLURM_PREFIX (cluster.sh: that prefix's daemons,
# clients and plugins, PATH set when sourced), else the system's. `make bench`
# passes the prefix the build was configured with (--with-slurm), unless
# CLUSTER_SLURM_PREFIX is already set (set it empty for the system's Slurm).
# bench_check_slurm refuses a build (plugins, submit_many) made for another Slurm.

# shellcheck source=../tests/integration/cluster.sh disable=SC1091
. "$src/tests/integration/cluster.sh"
ensure_test_users || exit 1

# The version of the Slurm the clusters run (24.11.5), from slurmctld -V.
bench_slurm_version() { slurmctld -V 2>/dev/null | awk '{ print $NF }'; }

# Where that Slurm's plugins are, and what the clusters use.
bench_slurm_describe() {
    echo "slurm $(bench_slurm_version) from ${CLUSTER_SLURM_PREFIX:-the system} (plugins: $(cluster_system_plugin_dir 2>/dev/null || echo '?'))"
}

# True when the Slurm the clusters run has job_submit/lua (Slurm builds it
# only when Lua's headers were there at its configure time).
bench_have_job_submit_lua() {
    local dir
    dir=$(cluster_system_plugin_dir) || return 1
    [ -f "$dir/job_submit_lua.so" ]
}

# bench_check_slurm: the plugins and bench programs were built for the Slurm
# the clusters run (same major.minor; Slurm refuses other plugins, and a
# libslurm of another release may not speak the controller's protocol).
bench_check_slurm() {
    local v built series cfg lib
    v=$(bench_slurm_version)
    [ -n "$v" ] || { echo "$0: no slurmctld on PATH (CLUSTER_SLURM_PREFIX=${CLUSTER_SLURM_PREFIX:-})" >&2; return 1; }
    series=$(( ${v%%.*} * 256 + 10#$(echo "$v" | cut -d. -f2) ))
    # grants_config.h of the build (make bench: GRANTS_PLUGIN_DIR is its .libs).
    cfg=${GRANTS_CONFIG_H:-${GRANTS_PLUGIN_DIR%/}/../grants_config.h}
    [ -f "$cfg" ] || cfg=$bin/../grants_config.h
    if [ -f "$cfg" ]; then
        built=$(awk '$1 == "#define" && $2 == "GRANTS_VERSION_NUMBER_SLURM" { print $3 }' "$cfg")
        if [ -n "$built" ] && [ $((built >> 8)) != "$series" ]; then
            echo "$0: the build ($cfg) is for Slurm $((built >> 16)).$(printf '%02d' $(((built >> 8) & 255))), the clusters would run Slurm $v: set CLUSTER_SLURM_PREFIX to the Slurm the build was configured with (--with-slurm), or use a build configured against this one" >&2
            return 1
        fi
    fi
    if [ -n "${CLUSTER_SLURM_PREFIX:-}" ] && [ -x "$bin/submit_many" ]; then
        lib=$(ldd "$bin/submit_many" 2>/dev/null | awk '$1 ~ /^libslurm\.so/ { print $3 }')
        case $lib in
            "$CLUSTER_SLURM_PREFIX"/*) ;;
            *) echo "$0: $bin/submit_many uses ${lib:-no libslurm}, not the one under CLUSTER_SLURM_PREFIX=$CLUSTER_SLURM_PREFIX: rebuild it in a build configured --with-slurm=$CLUSTER_SLURM_PREFIX" >&2
               return 1 ;;
        esac
    fi
    return 0
}

declare -A C_DIR C_PORT C_SPORT
award=BOT-2025-00000  # alice and bob are members; the benchmarks submit to it

# Make cluster $1 the current one for cluster.sh and the Slurm clients.
use() {
    export CLUSTER_DIR=${C_DIR[$1]} SLURM_CONF=${C_DIR[$1]}/etc/slurm.conf
    export CLUSTER_MUNGE_SOCKET=${C_DIR[$1]}/run/munge.socket
    CLUSTER_CTLD_PORT=${C_PORT[$1]} CLUSTER_SLURMD_PORT=${C_SPORT[$1]}
}

stop_all() {
    local c
    for c in $configs; do
        [ -n "${C_DIR[$c]:-}" ] || continue
        use "$c"
        cluster_stop_ctld
        mountpoint -q "$CLUSTER_DIR/state" && umount "$CLUSTER_DIR/state"
        CLUSTER_KEEP=0 cluster_stop
        unset "C_DIR[$c]"
    done
    rm -rf "$work"
}

# bench_clusters_start PREFIX: work dir, policy (BENCH_AWARDS awards,
# BENCH_USERS users), and one running cluster per configuration.
bench_clusters_start() {
    local c plugin_dir_var
    bench_check_slurm || exit 1
    work=$(mktemp -d "/tmp/$1.XXXXXX") && chmod 0755 "$work" || exit 1
    trap stop_all EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$bin/bench_core" gen-policy "${BENCH_AWARDS:-200}" "${BENCH_USERS:-2000}" "$work/grants.yaml" "alice, bob" || exit 1
    for c in $configs; do
        unset CLUSTER_DIR CLUSTER_CTLD_PORT CLUSTER_SLURMD_PORT
        plugin_dir_var=BENCH_PLUGIN_DIR_$c
        GRANTS_PLUGIN_DIR=${!plugin_dir_var:-$GRANTS_PLUGIN_DIR} GRANTS_POLICY=$work/grants.yaml \
            CLUSTER_EXTRA_CONF="MaxJobCount=50000" cluster_start || exit 1
        C_DIR[$c]=$CLUSTER_DIR C_PORT[$c]=$CLUSTER_CTLD_PORT C_SPORT[$c]=$CLUSTER_SLURMD_PORT
        # StateSaveLocation on a tmpfs, and this configuration's job_submit plugin.
        cluster_stop_ctld || exit 1
        mount -t tmpfs -o size=1g,mode=0700 "$1-$c" "$CLUSTER_DIR/state" || exit 1
        [ "$c" = none ] && sed -i '/^JobSubmitPlugins=/d' "$SLURM_CONF"
        if declare -F configure_cluster >/dev/null; then configure_cluster "$c" || exit 1; fi
        cluster_start_ctld || exit 1
        echo "# $c: $(grep -h '^JobSubmitPlugins=' "$SLURM_CONF" || echo 'no JobSubmitPlugins'), state on tmpfs, $CLUSTER_DIR" >&2
    done
}

# submit N NAME [HOLD]: N submissions through libslurm as alice (see submit_many.c).
submit() {
    (cd "$(cluster_home alice)" && as_user alice "$bin/submit_many" "$1" trn1 "$award" "${3:-1}" 10 "$2")
}

# The mean server time (us) and count of REQUEST_SUBMIT_BATCH_JOB since the last reset.
sdiag_submit() {
    sdiag 2>/dev/null | awk '/^Remote Procedure Call statistics by message type/ { on = 1 }
        on && /REQUEST_SUBMIT_BATCH_JOB/ {
            for (i = 1; i <= NF; i++) { if ($i ~ /^count:/) c = substr($i, 7); if ($i ~ /^ave_time:/) a = substr($i, 10) }
            print a, c; exit }'
}

# fill_queues N: N held jobs in every cluster's queue (two parallel submitters each).
fill_queues() {
    local c p1 p2 t0 n
    for c in $configs; do
        use "$c"
        t0=$(date +%s.%N)
        submit $(($1 / 2)) queued >"$work/fill1.$c" &
        p1=$!
        submit $(($1 - $1 / 2)) queued >"$work/fill2.$c" &
        p2=$!
        wait "$p1" "$p2"
        n=$(squeue -h -t PD -o %i | wc -l)
        echo "# $c: $n pending jobs after $(echo "$(date +%s.%N) - $t0" | bc) s ($(cat "$work/fill1.$c" "$work/fill2.$c" | tr '\n' ' '))"
    done
}
