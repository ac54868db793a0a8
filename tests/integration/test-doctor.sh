#!/bin/bash
# grantctl doctor against a live cluster: nothing reported on a correct one
# (the harness's nodes, plus powered-down cloud nodes of a ParallelCluster
# queue), and each problem reported, with its exit status, once the cluster is
# made wrong on purpose: job_submit/grants not loaded, plugins built for
# another Slurm, spank_grants missing from or optional in plugstack.conf, an
# enforced partition that does not exist, an unenforced partition over
# enforced nodes, node Features of no known instance type, short
# ResumeTimeout / long or no SuspendTime on cloud partitions, and another time
# zone than slurmctld's. Nodes never boot here: doctor only reads.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"
: "${GRANTS_PLUGIN_DIR:?set GRANTS_PLUGIN_DIR to the built plugins (make check does)}"
# The plugins are copied so that a case can replace them on disk (as a
# reinstall would) without touching the build.
PLUGINS=$(mktemp -d /tmp/slurm-grants-doctor-plugins.XXXXXX) || exit 1
chmod 0755 "$PLUGINS"
cp "$GRANTS_PLUGIN_DIR/job_submit_grants.so" "$GRANTS_PLUGIN_DIR/spank_grants.so" "$PLUGINS/" || exit 1
GRANTS_PLUGIN_DIR=$PLUGINS
# Cloud nodes, powered down (idle~) and never resumed: burst is a correct
# ParallelCluster queue; odd (no instance type in its Features, a 30 s
# ResumeTimeout, a 2-hour SuspendTime) and plain (slurm.conf's defaults:
# ResumeTimeout 60 s, no SuspendTime) are enforced only by the wrong policy.
export CLUSTER_EXTRA_CONF="PrivateData=cloud
TreeWidth=65533
ResumeProgram=/bin/true
SuspendProgram=/bin/true
NodeName=trn1-dy-trn1-32xl-[1-2] NodeAddr=127.0.0.1 CPUs=1 RealMemory=100 Features=dynamic,trn1.32xlarge,trn1-32xl,efa State=CLOUD
NodeName=odd-dy-1 NodeAddr=127.0.0.1 CPUs=1 RealMemory=100 Features=dynamic,odd-cr,efa State=CLOUD
PartitionName=burst Nodes=trn1-dy-trn1-32xl-1 MaxTime=INFINITE State=UP ResumeTimeout=1800 SuspendTime=600
PartitionName=odd Nodes=odd-dy-1 MaxTime=INFINITE State=UP ResumeTimeout=30 SuspendTime=7200
PartitionName=plain Nodes=trn1-dy-trn1-32xl-2 MaxTime=INFINITE State=UP"
grants_suite_start "$here/policies/doctor.yaml"
trap 'cluster_exit_trap; rm -rf "$PLUGINS"' EXIT
CONF=$CLUSTER_DIR/etc/slurm.conf
SNIPPET=$CLUSTER_DIR/etc/plugstack.conf.d/grants.conf
GC=$CLUSTER_DIR/grantctl   # where the test users can run it
install -m 0755 "$GRANTCTL" "$GC"

doctor() { "$GC" doctor "$@"; }
# codes FINDINGS-JSON: the codes of every finding, sorted, space-separated.
codes() { json '" ".join(sorted(f["code"] for f in j["findings"] if f["severity"] != "note"))'; }
# A copy of the policy, changed by sed expression $1, that slurmctld's owner rules accept.
policy_copy() {
    sed "$1" "$CLUSTER_DIR/etc/grants.yaml" >"$CLUSTER_DIR/wrong.yaml" && chmod 0644 "$CLUSTER_DIR/wrong.yaml"
    echo "$CLUSTER_DIR/wrong.yaml"
}
ctld_up() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
reconfigure() {
    assert_status 0 timeout 30 scontrol reconfigure || return 1
    eventually 30 "slurmctld answers after reconfigure" ctld_up
}

case_correct_cluster_is_clean() {
    assert_status 0 doctor || return 1
    assert_contains "$T_OUT" "No problem found."
    assert_contains "$T_OUT" "note: award ends (valid.until) are inclusive in slurmctld's time zone,"
    assert_not_contains "$T_OUT" "error:"
    assert_not_contains "$T_OUT" "warning:"
    T_OUT=$(doctor --json)
    assert_eq 0 "$(json 'j["errors"]' <<<"$T_OUT")" "no error in --json"
    assert_eq 0 "$(json 'j["warnings"]' <<<"$T_OUT")" "no warning in --json"
    assert_eq "$(scontrol --version | awk '{ print $2 }')" "$(json 'j["controller_version"]' <<<"$T_OUT")"
    # The plugin's built-for version was really read (not skipped as absent).
    assert_not_contains "$T_OUT" "job_submit_plugin_not_here" "job_submit_grants.so found in PluginDir"
    assert_not_contains "$T_OUT" "node_types_hidden" "cloud nodes visible (PrivateData=cloud)"
    assert_status 0 doctor --strict
    # A user: every check but slurmctld's environment, and says so.
    assert_status 0 as_user alice "$GC" doctor
    assert_contains "$T_OUT" "No problem found."
    assert_contains "$T_OUT" "note: award ends (valid.until) are inclusive in slurmctld's local time zone, which could not be read (reading slurmctld's environment"
}

case_job_submit_not_loaded() {
    sed -i '/^JobSubmitPlugins=/d' "$CONF"
    reconfigure || return 1
    assert_status 1 doctor
    assert_contains "$T_OUT" "error: the running slurmctld does not load job_submit/grants (JobSubmitPlugins=(none))"
    assert_contains "$T_OUT" "add grants to JobSubmitPlugins in slurm.conf"
    echo JobSubmitPlugins=grants >>"$CONF"
    reconfigure || return 1
    assert_status 0 doctor
}

# Plugins on disk built for another Slurm (23.11.5), as after an upgrade
# without a rebuild: replaced by a rename, never rewritten in place (the
# running daemons map the old files).
case_plugins_built_for_another_slurm() {
    local f
    for f in job_submit_grants spank_grants; do
        printf 'const unsigned int plugin_version = 0x170b05;\n' |
            gcc -shared -fPIC -x c -o "$PLUGINS/$f.new" - || return 1
        mv "$PLUGINS/$f.so" "$PLUGINS/$f.good" && mv "$PLUGINS/$f.new" "$PLUGINS/$f.so"
    done
    assert_status 1 doctor
    local v
    v=$(scontrol --version | awk '{ print $2 }')
    assert_contains "$T_OUT" "error: $PLUGINS/job_submit_grants.so is built for Slurm 23.11.5 but slurmctld runs $v, and a job_submit plugin must match the exact version"
    assert_contains "$T_OUT" "error: $PLUGINS/spank_grants.so is built for Slurm 23.11.5 but slurmctld runs $v"
    for f in job_submit_grants spank_grants; do mv "$PLUGINS/$f.good" "$PLUGINS/$f.so"; done
    assert_status 0 doctor
}

case_plugstack() {
    cp "$SNIPPET" "$CLUSTER_DIR/snippet.good"
    sed -i 's/^required /# required /' "$SNIPPET"
    assert_status 1 doctor
    assert_contains "$T_OUT" "error: spank_grants is not in $CLUSTER_DIR/etc/plugstack.conf or the files it includes"
    sed 's/^required /optional /' "$CLUSTER_DIR/snippet.good" >"$SNIPPET"
    assert_status 0 doctor
    assert_contains "$T_OUT" "warning: $SNIPPET:4 loads spank_grants as optional"
    assert_not_contains "$T_OUT" "No problem found."
    assert_status 1 doctor --strict
    cp "$CLUSTER_DIR/snippet.good" "$SNIPPET"
    assert_status 0 doctor --strict
}

case_partitions() {
    local wrong
    wrong=$(policy_copy 's/partitions: \[trn1, trn2, burst\]/partitions: [trn1, trn2, burst, trn9]/; s/^  exempt: \[cpu\]$//; s/^  burst: .*/&\n  trn9: { chips_per_node: 16 }/')
    assert_status 1 doctor --policy "$wrong" || return 1
    assert_contains "$T_OUT" "error: enforce.partitions names trn9, which is not a partition of the running Slurm"
    assert_contains "$T_OUT" "error: partition cpu is not in enforce.partitions but shares"
    assert_eq "enforced_partition_missing partition_overlap" "$(doctor --policy "$wrong" --json | codes)"
}

case_node_types_and_cloud_settings() {
    local wrong
    wrong=$(policy_copy 's/partitions: \[trn1, trn2, burst\]/partitions: [trn1, trn2, burst, odd, plain]/; s/^  burst: .*/&\n  odd: { instance_type: features }\n  plain: { instance_type: features }/')
    assert_status 1 doctor --policy "$wrong" || return 1
    assert_contains "$T_OUT" "error: partition odd prices nodes by the instance type their Features name, but 1 node (odd-dy-1, Features dynamic,odd-cr,efa) name none"
    assert_contains "$T_OUT" "warning: partition odd has 1 cloud node but ResumeTimeout is 30 s"
    assert_contains "$T_OUT" "warning: partition odd has 1 cloud node and SuspendTime is 7200 s (120 min)"
    assert_contains "$T_OUT" "warning: partition plain has 1 cloud node but ResumeTimeout is 60 s"
    assert_contains "$T_OUT" "warning: partition plain has 1 cloud node but SuspendTime is not set"
    assert_eq "node_type_unknown resume_timeout_short resume_timeout_short suspend_time_long suspend_time_off" \
        "$(doctor --policy "$wrong" --json | codes)"
}

case_time_zone() {
    assert_status 0 env TZ=Pacific/Auckland "$GC" doctor
    assert_contains "$T_OUT" "warning: grantctl runs in time zone Pacific/Auckland (from TZ) but slurmctld in"
    assert_status 1 env TZ=Pacific/Auckland "$GC" doctor --strict
}

case_bad_usage() {
    assert_status 2 doctor --bogus
    assert_contains "$T_OUT" "grantctl: unknown option '--bogus'. See 'grantctl doctor --help'."
    assert_status 2 doctor extra
    assert_status 0 doctor --help
    assert_contains "$T_OUT" "Usage: grantctl doctor"
}

run_case "a correct cluster: no problem found (as root and as a user)" case_correct_cluster_is_clean
run_case "job_submit/grants not loaded by slurmctld" case_job_submit_not_loaded
run_case "plugins on disk built for another Slurm" case_plugins_built_for_another_slurm
run_case "spank_grants missing from plugstack.conf, then optional" case_plugstack
run_case "an enforced partition that does not exist; an unenforced one over enforced nodes" case_partitions
run_case "node Features of no known type; cloud ResumeTimeout and SuspendTime" case_node_types_and_cloud_settings
run_case "grantctl in another time zone than slurmctld" case_time_zone
run_case "bad usage exits 2" case_bad_usage
finish
