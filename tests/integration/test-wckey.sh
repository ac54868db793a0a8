#!/bin/bash
# enforce.wckey: award: a tagged job's WCKey is its award's ID, so that
# Slurm's own accounting (sacct, sreport's WCKey reports, XDMoD) groups usage
# by award. Runs slurmdbd on a private MariaDB (cluster.sh CLUSTER_ACCOUNTING)
# with TrackWCKey=yes in slurm.conf and slurmdbd.conf; real jobs of alice and
# bob on two awards run and finish, and sreport's WCKey reports are compared
# with sacct's CPU time of the same jobs.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

plugins=$(cluster_system_plugin_dir 2>/dev/null)
for need in "$plugins/accounting_storage_mysql.so" "$(command -v mariadbd)" "$(PATH=$CLUSTER_SYS_PATH command -v slurmdbd)"; do
    if [ -z "$need" ] || [ ! -e "$need" ]; then
        echo "SKIP: ${0##*/}: this Slurm has no slurmdbd with accounting_storage/mysql, or MariaDB is missing (${need:-slurmdbd or mariadbd})"
        exit 77
    fi
done

policy_text() {  # policy_text WCKEY-LINE
    cat <<EOF
version: 1
enforce:
  partitions: [trn1]
$1
partitions:
  trn1: { chips_per_node: 16 }
awards:
  BOT-Alpha:
    members: { users: [alice, bob] }
    budget: { chip_hours: 100000 }
  BOT-Beta:
    members: { users: [alice, bob] }
    budget: { chip_hours: 100000 }
EOF
}
POLICY_FILE=$(mktemp)
policy_text "  wckey: award" >"$POLICY_FILE"
chmod 0644 "$POLICY_FILE"
export CLUSTER_ACCOUNTING=1
export CLUSTER_EXTRA_CONF="TrackWCKey=yes"
export CLUSTER_DBD_EXTRA_CONF="TrackWCKey=yes"
export CLUSTER_ACCOUNTING_SETUP='set -e
sacctmgr -i add account lab
sacctmgr -i add user alice,bob account=lab defaultaccount=lab'
grants_suite_start "$POLICY_FILE"
rm -f "$POLICY_FILE"
POLICY=$CLUSTER_DIR/etc/grants.yaml
LOG=$CLUSTER_DIR/log/slurmctld.log

install_policy() {  # install_policy WCKEY-LINE: rename a new grants.yaml over the old one
    policy_text "$1" >"$POLICY.new" && chmod 0644 "$POLICY.new" && mv -f "$POLICY.new" "$POLICY"
}
# wckey_of JOB: the job's WCKey as slurmctld holds it.
wckey_of() { scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n 's/^WCKey=//p'; }
job_done() { [ -z "$(squeue -h -j "$1" 2>/dev/null)" ]; }
# in_sacct JOB: slurmdbd has the job's end.
in_sacct() { [ -n "$(sacct -n -X -P -j "$1" -o End 2>/dev/null | grep -v Unknown)" ]; }

START=$(date +%Y-%m-%dT%H:00:00)
# Cases run in subshells: the jobs that run to completion are listed in a file.
RUN_FILE=$CLUSTER_DIR/wckey-run-jobs
: >"$RUN_FILE"
run_jobs() { paste -sd, "$RUN_FILE"; }

case_jobs_carry_their_award() {
    try_submit alice -p trn1 -t 5 --award=BOT-Alpha -n 1 --wrap 'sleep 3'
    assert_contains "$T_OUT" "award BOT-Alpha: this job holds" "alice on BOT-Alpha accepted" || return 1
    assert_not_contains "$T_OUT" "WCKey" "no --wckey given: nothing to say about it"
    assert_eq "bot-alpha" "$(wckey_of "$JOB")" "its WCKey is the award (Slurm stores WCKeys in lower case)"
    echo "$JOB" >>"$RUN_FILE"
    try_submit bob -p trn1 -t 5 --award=BOT-Alpha -n 1 --wrap 'sleep 5'
    assert_eq "bot-alpha" "$(wckey_of "$JOB")" "bob on BOT-Alpha" || return 1
    echo "$JOB" >>"$RUN_FILE"
    # A --wckey of the user's own is replaced by the award's, and said so.
    try_submit alice -p trn1 -t 5 --award=BOT-Beta -n 2 --wckey=thesis --wrap 'sleep 4'
    assert_contains "$T_OUT" "award BOT-Beta: this job holds" "alice on BOT-Beta accepted" || return 1
    assert_contains "$T_OUT" "left. Its WCKey is bot-beta, the award's (--wckey=\"thesis\" replaced)." "and told about her --wckey"
    assert_eq "bot-beta" "$(wckey_of "$JOB")" "her --wckey=thesis replaced by the award"
    echo "$JOB" >>"$RUN_FILE"
    try_submit bob -p trn1 -t 5 --award=BOT-Beta -n 1 --wckey=bot-beta --wrap 'sleep 2'
    assert_not_contains "$T_OUT" "replaced" "bob's --wckey is the award's already: nothing replaced"
    assert_eq "bot-beta" "$(wckey_of "$JOB")" "bob on BOT-Beta"
    echo "$JOB" >>"$RUN_FILE"
    # Out of scope (cpu is not enforced): a user's WCKey is left alone.
    try_submit alice -p cpu -t 5 --wckey=thesis --hold --wrap true
    assert_eq "thesis" "$(wckey_of "$JOB")" "a job outside enforce.partitions keeps its --wckey"
    scancel "$JOB"
}

case_sacct_shows_the_award() {
    local j jobs
    mapfile -t jobs <"$RUN_FILE"
    assert_eq 4 "${#jobs[@]}" "four jobs ran" || return 1
    for j in "${jobs[@]}"; do eventually 60 "job $j ends" job_done "$j" || return 1; done
    for j in "${jobs[@]}"; do eventually 30 "job $j's end reaches slurmdbd" in_sacct "$j" || return 1; done
    T_OUT=$(sacct -n -X -P -j "$(run_jobs)" -o JobID,User,WCKey,State,AdminComment)
    printf '%s\n' "$T_OUT"
    assert_eq "${jobs[0]}|alice|bot-alpha|COMPLETED|award=BOT-Alpha" "$(sed -n 1p <<<"$T_OUT")" "sacct: alice's BOT-Alpha job"
    assert_eq "${jobs[1]}|bob|bot-alpha|COMPLETED|award=BOT-Alpha" "$(sed -n 2p <<<"$T_OUT")" "sacct: bob's BOT-Alpha job"
    assert_eq "${jobs[2]}|alice|bot-beta|COMPLETED|award=BOT-Beta" "$(sed -n 3p <<<"$T_OUT")" "sacct: alice's BOT-Beta job"
    assert_eq "${jobs[3]}|bob|bot-beta|COMPLETED|award=BOT-Beta" "$(sed -n 4p <<<"$T_OUT")" "sacct: bob's BOT-Beta job"
}

# cpu_seconds WCKEY [USER]: the CPU time sacct records for the suite's run jobs of WCKEY.
cpu_seconds() {
    sacct -n -X -P -j "$(run_jobs)" -o WCKey,User,CPUTimeRAW |
        awk -F'|' -v w="$1" -v u="${2:-}" '$1 == w && (u == "" || $2 == u) { s += $3 } END { print s + 0 }'
}

case_sreport_groups_by_award() {
    # sreport's cluster and user reports read slurmdbd's rollups (its job
    # reports read the job records): slurmdbd rolls usage up once an hour, for
    # whole past hours. sacctmgr's
    # (undocumented) rollup command rolls up a window on demand; with an end
    # given it leaves slurmdbd's own schedule (last_ran_table) alone.
    local end
    end=$(date -d '+1 hour' +%Y-%m-%dT%H:00:00)
    assert_status 0 sacctmgr -i rollup "$START" "$end" || return 1
    local alpha beta
    alpha=$(cpu_seconds bot-alpha)
    beta=$(cpu_seconds bot-beta)
    echo "sacct CPU seconds: bot-alpha $alpha, bot-beta $beta"
    assert_eq 1 "$((alpha > 0 && beta > 0))" "the jobs used CPU time" || return 1
    # cluster WCKeyUtilization: Cluster|WCKey|Login|Proper Name|Used, per user.
    T_OUT=$(sreport -n -P -t seconds cluster WCKeyUtilization start="$START" end=now 2>&1)
    printf '%s\n' "$T_OUT"
    local u w
    for w in bot-alpha bot-beta; do
        for u in alice bob; do
            assert_eq "$(cpu_seconds "$w" "$u")" \
                "$(awk -F'|' -v w="$w" -v u="$u" '$2 == w && $3 == u { s += $5 } END { print s + 0 }' <<<"$T_OUT")" \
                "sreport cluster WCKeyUtilization: $u on $w, as sacct's CPUTimeRAW"
        done
    done
    # job SizesByWckey: Cluster|WCKey|<one column per size bin, "0-49 CPUs"
    # ...>|[Total (24.11)|]% of Cluster; the bins' sum per award.
    T_OUT=$(sreport -P -t seconds job SizesByWckey start="$START" end=now 2>&1)
    printf '%s\n' "$T_OUT"
    for w in bot-alpha bot-beta; do
        assert_eq "$(cpu_seconds "$w")" \
            "$(awk -F'|' -v w="$w" '
                $1 == "Cluster" { for (i = 1; i <= NF; i++) bin[i] = ($i ~ /CPUs$/); next }
                $2 == w { for (i = 3; i <= NF; i++) if (bin[i]) s += $i }
                END { print s + 0 }' <<<"$T_OUT")" \
            "sreport job SizesByWckey: $w, as sacct's CPUTimeRAW"
    done
}

case_wckey_follows_the_award_on_update() {
    try_submit alice -p trn1 -t 5 --award=BOT-Alpha --hold --wrap true
    [ -n "$JOB" ] || { _t_fail "alice's held job refused: $T_OUT"; return 1; }
    # The owner cannot file the job elsewhere.
    assert_status 1 as_user alice scontrol update jobid="$JOB" wckey=thesis
    if (($(slurm_series) >= 23 * 256 + 2)); then
        assert_contains "$T_OUT" "its WCKey follows its award BOT-Alpha" "the user reads why (23.02+)"
    fi
    assert_eq "bot-alpha" "$(wckey_of "$JOB")" "alice's wckey=thesis refused"
    # Nor can an operator, except by moving the job to another award.
    assert_status 1 scontrol update jobid="$JOB" wckey=thesis
    assert_eq "bot-alpha" "$(wckey_of "$JOB")" "an operator's wckey=thesis refused too"
    assert_status 0 scontrol update jobid="$JOB" admincomment=award=BOT-Beta
    assert_eq "award=BOT-Beta" "$(job_field "$JOB" AdminComment)" "the operator moved the job to BOT-Beta"
    assert_eq "bot-beta" "$(wckey_of "$JOB")" "and its WCKey followed"
    scancel "$JOB"
    # Slurm changes WCKeys of pending jobs only: a running job moved to
    # another award keeps its WCKey (the update goes through, logged).
    try_submit alice -p trn1 -t 5 --award=BOT-Alpha --wrap 'sleep 60'
    [ -n "$JOB" ] || { _t_fail "alice's job refused: $T_OUT"; return 1; }
    eventually 30 "job $JOB runs" bash -c "[ \"\$(squeue -h -j $JOB -o %T)\" = RUNNING ]" || { scancel "$JOB"; return 1; }
    assert_status 0 scontrol update jobid="$JOB" admincomment=award=BOT-Beta
    assert_eq "award=BOT-Beta" "$(job_field "$JOB" AdminComment)" "a running job moved to BOT-Beta"
    assert_eq "bot-alpha" "$(wckey_of "$JOB")" "keeps its WCKey"
    eventually 30 "the log says why" grep -q "job $JOB moved to award BOT-Beta while running: its WCKey stays" "$LOG"
    scancel "$JOB"
}

case_option_off_leaves_wckeys_alone() {
    local mark
    mark=$(wc -l <"$LOG")
    install_policy "  wckey: none"
    # The reloader reads a changed file within a second.
    submit_until alice "award BOT-Alpha" 10 -p trn1 -t 5 --award=BOT-Alpha --wckey=thesis --hold --wrap true || return 1
    local i
    for ((i = 0; i < 20; i++)); do
        [ "$(wckey_of "$JOB")" = thesis ] && break
        scancel "$JOB"
        sleep 0.5
        try_submit alice -p trn1 -t 5 --award=BOT-Alpha --wckey=thesis --hold --wrap true
    done
    assert_eq "thesis" "$(wckey_of "$JOB")" "wckey: none: the user's --wckey stays"
    assert_not_contains "$T_OUT" "WCKey" "and nothing is said about it"
    scancel "$JOB"
    try_submit alice -p trn1 -t 5 --award=BOT-Alpha --hold --wrap true
    assert_eq "award=BOT-Alpha" "$(job_field "$JOB" AdminComment)" "still tagged"
    assert_not_contains "$(wckey_of "$JOB")" "bot-alpha" "but its WCKey is Slurm's default, not the award"
    assert_status 0 as_user alice scontrol update jobid="$JOB" wckey=thesis
    assert_eq "thesis" "$(wckey_of "$JOB")" "and the user may change it"
    scancel "$JOB"
    # A bad value is refused with its place; the last good policy stays.
    install_policy "  wckey: yes"
    eventually 30 "the bad policy is logged" grep -q "enforce.wckey must be 'award' or 'none'" "$LOG"
    assert_contains "$(tail -n +"$((mark + 1))" "$LOG" | grep "enforce.wckey must be")" "grants.yaml:4:" "with file and line"
}

run_case "a tagged job's WCKey is its award (--wckey replaced; out of scope untouched)" case_jobs_carry_their_award
run_case "sacct shows each job's award as its WCKey" case_sacct_shows_the_award
run_case "sreport groups the jobs' CPU time by award, as sacct counts it" case_sreport_groups_by_award
run_case "scontrol update: the WCKey follows the award, nothing else" case_wckey_follows_the_award_on_update
run_case "wckey: none leaves WCKeys alone; a bad value is refused" case_option_off_leaves_wckeys_alone
finish
