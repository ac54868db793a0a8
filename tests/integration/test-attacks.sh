#!/bin/bash
# Attacks by users against the real daemons (docs/SECURITY.md, threats U1-U4
# and P1-P3): a non-member never gets another award, by any route; hostile
# strings and absurd numbers are refused (never wrapped into a small cost),
# never reach a tag, a task environment or the log raw, and never crash
# slurmctld; a hostile policy file is refused and the last good one stays.
# Users (policies/attacks.yaml): carol owns ATK-OWN (default) and ATK-HUGE,
# alice owns ATK-SECRET, dave owns nothing.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"

. "$here/suite.sh"
# Huge arrays must reach the plugin (Slurm's default MaxArraySize is 1001).
# Partition wide has every node, and three that never start (State=FUTURE:
# slurmctld counts them, never allocates them), so that it has several
# nodes on a single-node cluster too.
export CLUSTER_EXTRA_CONF="MaxArraySize=4000001
NodeName=ghost[1-3] NodeAddr=127.0.0.1 CPUs=1 State=FUTURE
PartitionName=wide Nodes=ALL MaxTime=INFINITE State=UP"
grants_suite_start "$here/policies/attacks.yaml"
LOG=$CLUSTER_DIR/log/slurmctld.log
POLICY=$CLUSTER_DIR/etc/grants.yaml
CTLD_PID=$(cat "$CLUSTER_DIR/pids/slurmctld")
OPT=_SLURM_SPANK_OPTION_grants_award
# A client configuration without plugstack.conf: what a user who bypasses our
# SPANK plugin's client-side checks would use.
# A user's own client configuration, loading tests/integration/spank_forge.c
# instead of our plugin: it sends FORGE_AWARD to slurmctld unchecked.
FORGE_CONF=$CLUSTER_DIR/etc/client-forge.conf
${CC:-cc} -shared -fPIC ${CLUSTER_SLURM_PREFIX:+-I"$CLUSTER_SLURM_PREFIX/include"} -o "$CLUSTER_DIR/etc/spank_forge.so" "$here/spank_forge.c" ||
    { echo "test-attacks.sh: cannot build the forging SPANK plugin (needs cc and slurm/spank.h)"; exit 1; }
printf 'required %s\n' "$CLUSTER_DIR/etc/spank_forge.so" >"$CLUSTER_DIR/etc/plugstack-forge.conf"
sed "s|^PlugStackConfig=.*|PlugStackConfig=$CLUSTER_DIR/etc/plugstack-forge.conf|" "$SLURM_CONF" >"$FORGE_CONF"
chmod 0644 "$FORGE_CONF" "$CLUSTER_DIR/etc/plugstack-forge.conf"
# A client of libslurm that sends an update no Slurm command sends (update_forge.c).
FORGE_UPDATE=$CLUSTER_DIR/etc/update_forge
${CC:-cc} ${CLUSTER_SLURM_PREFIX:+-I"$CLUSTER_SLURM_PREFIX/include" -L"$CLUSTER_SLURM_PREFIX/lib" -Wl,-rpath,"$CLUSTER_SLURM_PREFIX/lib"} \
    -o "$FORGE_UPDATE" "$here/update_forge.c" -lslurm ||
    { echo "test-attacks.sh: cannot build the forging client (needs cc, slurm/slurm.h and libslurm)"; exit 1; }
chmod 0755 "$FORGE_UPDATE"
# A user's own libslurm client (tests/integration/award_flood.c): a job
# description whose spank environment holds as many award options as it likes.
FLOOD=$CLUSTER_DIR/etc/award_flood
${CC:-cc} ${CLUSTER_SLURM_PREFIX:+-I"$CLUSTER_SLURM_PREFIX/include" -L"$CLUSTER_SLURM_PREFIX/lib" -Wl,-rpath,"$CLUSTER_SLURM_PREFIX/lib"} \
    -o "$FLOOD" "$here/award_flood.c" -lslurm ||
    { echo "test-attacks.sh: cannot build the flooding client (needs cc and libslurm)"; exit 1; }
chmod 0755 "$FLOOD"
GC=$CLUSTER_DIR/grantctl   # a copy users can reach
install -m 0755 "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}" "$GC"

ctld_alive() {
    assert_status 0 kill -0 "$CTLD_PID" || return 1
    assert_eq "$CTLD_PID" "$(cat "$CLUSTER_DIR/pids/slurmctld")" "slurmctld never restarted"
    scontrol ping | grep -q 'is UP' || _t_fail "slurmctld does not answer"
}
# No job of USER carries an award tag other than the ones listed.
no_foreign_tag() {
    local user=$1 allowed=$2 tags
    tags=$(squeue -h -u "$user" -t all -o '%i' | xargs -r -I{} sh -c 'scontrol -o show job {} | grep -o "AdminComment=[^ ]*"' | sort -u)
    while read -r t; do
        [ -z "$t" ] && continue
        case " $allowed " in *" ${t#AdminComment=award=} "*) ;; *) _t_fail "$user has a job tagged $t" ;; esac
    done <<<"$tags"
}
# The last submission either was refused or got the user's own award.
not_secret() {
    [ -z "$JOB" ] && return 0
    assert_eq "award=ATK-OWN" "$(job_field "$JOB" AdminComment)" "$1: accepted only with the user's own award"
}
submit_env() {  # submit_env USER VAR=VALUE... -- SBATCH-ARGS...: sbatch with extra environment
    local u=$1 envs=()
    shift
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    T_OUT=$(as_user "$u" env "${envs[@]}" sbatch "$@" 2>&1 </dev/null)
    T_STATUS=$?
    JOB=$(printf '%s\n' "$T_OUT" | sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p')
}

case_spoof_routes_non_member() {
    # dave (no award) and carol (not in ATK-SECRET) try every route to ATK-SECRET.
    local u
    for u in dave carol; do
        try_submit "$u" -p trn1 --award=ATK-SECRET -t 5 --hold --wrap true
        assert_eq "" "$JOB" "$u: --award=ATK-SECRET refused"
        assert_contains "$T_OUT" "user $u is not a member of award ATK-SECRET"
        submit_env "$u" "SLURM_SPANK_$OPT=ATK-SECRET" -- -p trn1 -t 5 --hold --wrap true
        assert_eq "" "$JOB" "$u: SLURM_SPANK_$OPT refused"
        submit_env "$u" "SLURM_SPANK__SLURM_SPANK_OPTION_grants_award=ATK-SECRET" -- -p trn1 -t 5 --hold --wrap true
        assert_eq "" "$JOB" "$u: SLURM_SPANK__SLURM_SPANK_OPTION_grants_award refused"
        assert_contains "$T_OUT" "not a member of award ATK-SECRET"
        # The option's own variable in the environment is not forwarded at all.
        submit_env "$u" "$OPT=ATK-SECRET" -- -p trn1 -t 5 --hold --wrap true
        not_secret "$u: raw $OPT in the environment"
        submit_env "$u" "SLURM_SPANK_grants_award=ATK-SECRET" "SPANK_grants_award=ATK-SECRET" -- -p trn1 -t 5 --hold --wrap true
        [ "$u" = dave ] && assert_eq "" "$JOB" "dave: SLURM_SPANK_grants_award is ignored, so dave has no award"
        [ "$u" = carol ] && assert_eq "award=ATK-OWN" "$(job_field "$JOB" AdminComment)" "carol: the variable is ignored; her default award"
        submit_env "$u" "SLURM_AWARD_ID=ATK-SECRET" -- -p trn1 -t 5 --hold --wrap true
        [ "$u" = dave ] && assert_eq "" "$JOB" "dave: SLURM_AWARD_ID does not choose an award"
        [ "$u" = carol ] && assert_eq "award=ATK-OWN" "$(job_field "$JOB" AdminComment)" "carol: SLURM_AWARD_ID does not choose an award"
        try_submit "$u" -p trn1 --comment=award=ATK-SECRET -t 5 --hold --wrap true
        [ "$u" = dave ] && assert_eq "" "$JOB" "dave: --comment=award= does not choose an award"
        [ "$u" = carol ] && assert_eq "award=ATK-OWN" "$(job_field "$JOB" AdminComment)" "carol: --comment does not tag"
        try_submit "$u" -p trn1 --admin-comment=award=ATK-SECRET -t 5 --hold --wrap true
        assert_eq "" "$JOB" "$u: --admin-comment refused (Slurm: operators only)"
        # A client of the user's own that forges the option unchecked.
        submit_env "$u" "SLURM_CONF=$FORGE_CONF" "FORGE_AWARD=ATK-SECRET" -- -p trn1 -t 5 --hold --wrap true
        assert_eq "" "$JOB" "$u: forged option from a client without our plugin refused"
        assert_contains "$T_OUT" "not a member of award ATK-SECRET"
        # Own award plus a forged second value: never the forged one.
        submit_env "$u" "SLURM_SPANK__SLURM_SPANK_OPTION_grants_award=ATK-SECRET" -- -p trn1 --award=ATK-OWN -t 5 --hold --wrap true
        not_secret "$u: --award=ATK-OWN plus a forged ATK-SECRET"
    done
    no_foreign_tag carol "ATK-OWN"
    no_foreign_tag dave ""
    ctld_alive
    scancel -u carol
}

case_spoof_by_update() {
    try_submit carol -p trn1 --award=ATK-OWN -t 5 --hold --wrap true
    local job=$JOB
    assert_eq "award=ATK-OWN" "$(job_field "$job" AdminComment)" || return 1
    assert_status nonzero as_user carol scontrol update "JobId=$job" AdminComment=award=ATK-SECRET
    assert_status 0 as_user carol scontrol update "JobId=$job" Comment=award=ATK-SECRET
    assert_eq "award=ATK-OWN" "$(job_field "$job" AdminComment)" "Comment does not change the tag"
    # Raising the time limit or the node count is not the owner's to do.
    assert_status nonzero as_user carol scontrol update "JobId=$job" TimeLimit=100-00:00:00
    assert_eq "00:05:00" "$(job_field "$job" TimeLimit)" "time limit unchanged"
    as_user carol scontrol update "JobId=$job" NumNodes=1-1000 >/dev/null 2>&1
    assert_eq "1" "$(job_field "$job" NumNodes | cut -d- -f1)" "node count unchanged"
    # An untagged cpu job cannot be moved into scope, by update of partition.
    try_submit dave -p cpu --hold --wrap true
    assert_status nonzero as_user dave scontrol update "JobId=$JOB" Partition=trn1
    assert_status nonzero as_user dave scontrol update "JobId=$JOB" Partition=cpu,trn2
    assert_eq "cpu" "$(job_field "$JOB" Partition)" "dave's job stays out of scope"
    # Even root's update re-validates: an award carol is not in is refused.
    assert_status nonzero scontrol update "JobId=$job" AdminComment=award=ATK-SECRET
    assert_eq "award=ATK-OWN" "$(job_field "$job" AdminComment)" "root cannot give carol alice's award"
    ctld_alive
    scancel "$job" "$JOB"
}

# left_of_own: what carol's ATK-OWN has left, from grantctl quote (no hold).
left_of_own() {
    as_user carol "$GC" quote -p trn1 -t 60 --award ATK-OWN 2>&1 | sed -n 's/.*; \([0-9.,]*\) of 100 chip-h left.*/\1/p'
}

# A forged update with max_nodes=0 (update_forge.c; scontrol never sends it),
# which Slurm stores as "no maximum": the cap the job was submitted with is
# gone and it may get every node of its partition. It is priced so: refused
# when the award cannot hold that, held so (at once and by every later pass)
# when it can.
case_forged_max_nodes_zero() {
    local total job nodes before after
    total=$(scontrol show partition wide | sed -n 's/.*TotalNodes=\([0-9]*\).*/\1/p')
    [ "${total:-0}" -ge 4 ] || { _t_fail "partition wide has ${total:-no} nodes, expected 4 or more"; return 1; }
    settle  # the next pass releases what the last case's cancelled jobs held
    # 1 node x 2 h holds 32 of 100 chip-h; all of wide for 2 h (>= 128) cannot fit.
    try_submit carol -p wide --award=ATK-OWN -N 1 -t 120 --hold --wrap true
    assert_contains "$T_OUT" "this job holds 32.0 chip-h" || return 1
    job=$JOB
    nodes=$(job_field "$job" NumNodes)
    assert_status nonzero as_user carol "$FORGE_UPDATE" "$job"
    assert_eq "$nodes" "$(job_field "$job" NumNodes)" "the refused update left the node cap ($nodes)"
    assert_contains "$(cat "$LOG")" "job $job: update by uid $(id -u carol) refused: award ATK-OWN has" "and says why in the log"
    scancel "$job"
    settle  # the next pass releases its hold
    # 1 node x 30 min holds 8; all of wide (total x 8 <= 100) fits: accepted, held at every node.
    try_submit carol -p wide --award=ATK-OWN -N 1 -t 30 --hold --wrap true
    assert_contains "$T_OUT" "this job holds 8.0 chip-h" || return 1
    job=$JOB
    before=$(left_of_own | tr -d ,)
    assert_status 0 as_user carol "$FORGE_UPDATE" "$job" || { scancel "$job"; return 1; }
    after=$(left_of_own | tr -d ,)
    assert_eq "$(awk -v b="$before" -v n="$total" 'BEGIN { printf "%.1f", b - 8 * (n - 1) }')" "$after" \
        "held at once for all $total nodes of wide (left: $before before)"
    sleep 4  # past the 5 s in which passes may skip the job copy, and then
    settle   # two more passes have read the job again: its stored 0 is no maximum, not min_nodes
    assert_eq "$after" "$(left_of_own | tr -d ,)" "still held for $total nodes after the next passes"
    ctld_alive
    scancel "$job"
}

case_hostile_award_strings() {
    local long bad i=0 mark
    long=$(head -c 10240 /dev/zero | tr '\0' 'A')
    mark=$(wc -l <"$LOG")
    for bad in 'ATK-OWN;award=ATK-SECRET' 'ATK-OWN award=ATK-SECRET' 'ATK-OWN,ATK-SECRET' \
        $'ATK-OWN\naward=ATK-SECRET' $'ATK-OWN\r\nerror: forged log line' "$long" "ATK-$long" \
        $'\x01\x02\x7f\xff\xfe binary' 'ÄTK-ÖWN-研究' 'ATK-OWN/../x' '' '=' "$(printf 'x%.0s' $(seq 65))"; do
        i=$((i + 1))
        # Through the option: sbatch's SPANK plugin refuses it before any RPC...
        try_submit carol -p trn1 "--award=$bad" -t 5 --hold --wrap true
        assert_eq "" "$JOB" "hostile --award #$i refused by sbatch"
        # ...so a user forges it with a client of their own (spank_forge.c),
        # and only slurmctld stands in the way.
        submit_env carol "SLURM_CONF=$FORGE_CONF" "FORGE_AWARD=$bad" -- -p trn1 -t 5 --hold --wrap true
        if [ -z "$bad" ]; then
            continue  # an empty request is no request: carol's default award (checked below)
        fi
        assert_eq "" "$JOB" "hostile award #$i through the raw variable refused by slurmctld"
        assert_contains "$T_OUT" "is not valid" "hostile award #$i: the message says why"
        [ "${#T_OUT}" -lt 400 ] || _t_fail "hostile award #$i: message of ${#T_OUT} bytes (not bounded): $(printf '%s' "$T_OUT" | cut -c1-300)"
    done
    # Nothing hostile reached the log raw: no forged line, no 10 KB value.
    local new
    new=$(tail -n +"$((mark + 1))" "$LOG")
    # Every line slurmctld writes starts with its timestamp: a value that broke
    # a line would leave one that does not.
    assert_eq "" "$(printf '%s\n' "$new" | grep -v '^\[' | head -n 3)" "no line injected into slurmctld.log"
    assert_contains "$new" 'award ID "ATK-OWN\x0d\x0aerror: forged log line" is not valid' "control bytes are escaped"
    assert_not_contains "$new" "$(head -c 200 /dev/zero | tr '\0' 'A')" "long values are cut in the log"
    no_foreign_tag carol "ATK-OWN"
    ctld_alive
    scancel -u carol
}

case_hostile_partitions_and_accounts() {
    local p
    for p in 'trn1,,trn1,' ',trn1' 'trn1,cpu' 'cpu,trn2'; do
        try_submit dave -p "$p" -t 5 --hold --wrap true
        assert_eq "" "$JOB" "dave (no award) cannot reach an enforced partition through -p '$p'"
    done
    try_submit carol -p 'trn1,,trn1,' -t 5 --hold --wrap true
    assert_eq "award=ATK-OWN" "$(job_field "$JOB" AdminComment)" "carol's odd partition list still charges her award"
    try_submit carol -p trn1 -A $'acct\nerror: x' -t 5 --hold --wrap true
    assert_not_contains "$(cat "$LOG")" $'\nerror: x' "account text never injected"
    ctld_alive
    scancel -u carol -u dave 2>/dev/null
}

case_absurd_sizes_never_cheap() {
    # Each of these would be small if the arithmetic wrapped; all must be refused
    # even on a 10^9 chip-hour award, with an "unbounded" or huge hold.
    try_submit carol -p trn1 --award=ATK-OWN -t 5 --hold --array=0-4000000 --wrap true
    assert_eq "" "$JOB" "4,000,001 array tasks on trn1 for 5 minutes"
    assert_contains "$T_OUT" "this job needs up to 5,333,334.7 chip-h (16 chips x 00:05:00 x 4000001 tasks)" "held per task"
    try_submit carol -p trn2 --award=ATK-HUGE --gres=neuron:1g -t 365-00:00:00 --hold --array=0-4000000 --wrap true
    assert_eq "" "$JOB" "2^30 chips x a year x 4M tasks (overflows int64 unless saturated)"
    assert_contains "$T_OUT" "needs up to unbounded chip-h" "saturated, not wrapped"
    # Regression: an unreadable count was priced as whole nodes and accepted.
    try_submit carol -p trn2 --award=ATK-HUGE --gres=neuron:9223372036854775807 -t 5 --hold --wrap true
    assert_eq "" "$JOB" "a GRES count beyond int64"
    assert_contains "$T_OUT" "has a count that cannot be read" "refused as unreadable"
    try_submit carol -p trn1 --award=ATK-HUGE -N 4294967294 -t 5 --hold --wrap true
    assert_eq "" "$JOB" "a node count of 2^32-2"
    try_submit carol -p trn1 --award=ATK-HUGE -t 4294967294 --hold --wrap true
    assert_eq "" "$JOB" "a time limit of 2^32-2 minutes"
    # The award is untouched: a normal job still fits and shows the full budget.
    try_submit carol -p trn1 --award=ATK-HUGE -t 60 --hold --wrap true
    assert_contains "$T_OUT" "this job holds 16.0 chip-h" "a sane job still works" || return 1
    ctld_alive
    scancel -u carol
}

# install_policy TEXT-FILE MODE: rename a new grants.yaml over the old one.
install_policy() {
    install -o root -g root -m "${2:-0644}" "$1" "$POLICY.new" && mv -f "$POLICY.new" "$POLICY"
}
wait_for_log() {  # wait_for_log MARK TEXT [SECONDS]
    local mark=$1 text=$2 timeout=${3:-15} i
    for ((i = 0; i < timeout * 10; i++)); do
        tail -n +"$((mark + 1))" "$LOG" | grep -qF -- "$text" && return 0
        sleep 0.1
    done
    _t_fail "slurmctld.log has no line with '$text' after ${timeout}s"
}
# The last good policy is still the one in force (carol's default award, dave refused).
good_policy_in_force() {
    try_submit carol -p trn1 -t 5 --hold --wrap true
    assert_eq "award=ATK-OWN" "$(job_field "$JOB" AdminComment 2>/dev/null)" "$1: carol still gets ATK-OWN"
    try_submit dave -p trn1 --award=ATK-OWN -t 5 --hold --wrap true
    assert_eq "" "$JOB" "$1: dave still refused"
}

case_hostile_policies() {
    local good=$CLUSTER_DIR/good.yaml bad=$CLUSTER_DIR/bad.yaml mark t0 t1
    cp "$POLICY" "$good"
    # 1,000,000 elements (a 7 MB list where a mapping is expected).
    { sed '/^users:/,$d' "$good"; printf 'users: ['; seq -f 'u%g' 1 999999 | tr '\n' ','; printf 'u0]\n'; } >"$bad"
    mark=$(wc -l <"$LOG")
    t0=$(date +%s%N)
    install_policy "$bad"
    wait_for_log "$mark" "policy refused: $POLICY:" 60
    t1=$(date +%s%N)
    echo "1,000,000 elements refused in $(((t1 - t0) / 1000000)) ms"
    good_policy_in_force "after 1,000,000 elements"
    # An alias bomb (billion laughs).
    { cat "$good"; printf 'x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n'
      for i in 1 2 3 4 5 6 7 8 9; do printf 'x%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n' $i $i $((i-1)) $((i-1)) $((i-1)) $((i-1)) $((i-1)) $((i-1)) $((i-1)) $((i-1)) $((i-1)); done; } >"$bad"
    mark=$(wc -l <"$LOG")
    install_policy "$bad"
    wait_for_log "$mark" "policy refused: $POLICY:" 10
    assert_contains "$(tail -n +"$((mark + 1))" "$LOG")" "alias" "the alias is named as the reason"
    good_policy_in_force "after an alias bomb"
    # 100,000 levels of nesting.
    { cat "$good"; printf 'deep: '; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; echo; } >"$bad"
    mark=$(wc -l <"$LOG")
    install_policy "$bad"
    wait_for_log "$mark" "policy refused: $POLICY:" 10
    good_policy_in_force "after deep nesting"
    # A good policy that anyone may write: refused for its permissions.
    sed 's/budget: { chip_hours: 1000 }/budget: { chip_hours: 1000 }\n    # edited/; s/members: { users: \[alice\] }/members: { users: [alice, dave] }/' "$good" >"$bad"
    mark=$(wc -l <"$LOG")
    install_policy "$bad" 0666
    wait_for_log "$mark" "writable" 10
    try_submit dave -p trn1 --award=ATK-SECRET -t 5 --hold --wrap true
    assert_eq "" "$JOB" "a world-writable policy adding dave is not used"
    chmod 0644 "$POLICY"
    install_policy "$good"
    ctld_alive
    scancel -u carol 2>/dev/null
}

# Denial of service through the spank environment (docs/SECURITY.md "D1"):
# 100,000 award options in one job used to be de-duplicated pairwise (5e9
# comparisons under the plugin's mutex and slurmctld's job read lock) and
# joined into one refusal and one log line. Now: read in one bounded pass,
# refused with one sentence that quotes three values and counts the rest.
case_award_flood_refused() {
    local mark new line pid normal_out t0 t1
    mark=$(wc -l <"$LOG")
    t0=$(date +%s%N)
    as_user carol "$FLOOD" 100000 distinct trn1 FLOOD- >"$CLUSTER_DIR/flood.out" 2>&1 </dev/null &
    pid=$!
    # slurmctld keeps answering while the flood is in flight: a member's
    # ordinary submission is decided as usual.
    normal_out=$(as_user carol sbatch -p trn1 -t 5 --hold --wrap true 2>&1 </dev/null)
    wait "$pid"
    assert_eq 1 "$?" "the flooding job is refused" || cat "$CLUSTER_DIR/flood.out"
    t1=$(date +%s%N)
    echo "100,000 distinct award options refused in $(((t1 - t0) / 1000000)) ms (with a submission beside it)"
    T_OUT=$(cat "$CLUSTER_DIR/flood.out")
    assert_contains "$T_OUT" '100,000 award requests in one job ("FLOOD-0", "FLOOD-1", "FLOOD-2" and 99,997 more; sbatch, srun and salloc send one): give --award only once.'
    [ "${#T_OUT}" -lt 1000 ] || _t_fail "the refusal is ${#T_OUT} bytes (not bounded)"
    assert_contains "$normal_out" "Submitted batch job" "an ordinary submission beside the flood"
    JOB=$(printf '%s\n' "$normal_out" | sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p')
    assert_eq "award=ATK-OWN" "$(job_field "$JOB" AdminComment)" "the ordinary job got carol's award"
    # 100,000 copies of her own award: no client sends that either.
    T_OUT=$(as_user carol "$FLOOD" 100000 same trn1 ATK-OWN 2>&1 </dev/null)
    assert_contains "$T_OUT" '100,000 award requests in one job ("ATK-OWN" and 99,999 more;'
    # Up to the bound (16), repeating the one value is harmless.
    T_OUT=$(as_user carol "$FLOOD" 16 same trn1 ATK-OWN 2>&1 </dev/null)
    JOB=$(printf '%s\n' "$T_OUT" | sed -n 's/^submitted \([0-9]*\)$/\1/p')
    assert_eq "award=ATK-OWN" "$(job_field "$JOB" AdminComment 2>/dev/null)" "16 copies of one award: accepted"
    # One short line per refusal in slurmctld.log, the values quoted.
    new=$(tail -n +"$((mark + 1))" "$LOG")
    line=$(printf '%s\n' "$new" | grep -F 'award requests in one job ("FLOOD-0"')
    assert_eq 1 "$(printf '%s\n' "$line" | grep -c .)" "one log line for the distinct flood"
    [ "${#line}" -lt 1000 ] || _t_fail "a log line of ${#line} bytes: $(printf '%s' "$line" | cut -c1-300)"
    assert_not_contains "$new" "FLOOD-99999" "values past the first few are counted, not logged"
    assert_contains "$new" '100,000 award requests in one job ("ATK-OWN" and 99,999 more;'
    ctld_alive
    scancel -u carol
}

# A loop of one's own job updates used to ask for a full accounting pass (a
# copy of the whole job list under the job read lock) each time. Now updates
# that cannot change a hold ask for none, and the others for at most one per
# 5 s; the pass counters in `grantctl metrics` show it.
case_update_loop_no_full_pass_each() {
    local job full0 req0 full1 req1 t0 t1 elapsed i
    try_submit carol -p trn1 --award=ATK-OWN -t 5 --hold --wrap true
    job=$JOB
    [ -n "$job" ] || { _t_fail "no job: $T_OUT"; return 1; }
    sleep 2
    full0=$(pass_counter full)
    req0=$(pass_counter update_requests)
    [ -n "$full0" ] && [ -n "$req0" ] || { _t_fail "grantctl metrics shows no pass counters: $("$GC" metrics 2>&1 | tail -n 5)"; return 1; }
    t0=$(date +%s)
    for i in $(seq 1 40); do
        as_user carol scontrol update "JobId=$job" "Comment=loop$i" >/dev/null 2>&1 || _t_fail "Comment update $i refused"
        sleep 0.25
    done
    t1=$(date +%s)
    elapsed=$((t1 - t0))
    full1=$(pass_counter full)
    req1=$(pass_counter update_requests)
    assert_eq "loop40" "$(job_field "$job" Comment)" "the comments were applied"
    echo "40 Comment updates in ${elapsed} s: $((full1 - full0)) full passes, $((req1 - req0)) requested by updates"
    assert_eq "$req0" "$req1" "a comment asks for no full pass"
    # Every update moves last_job_update, so full passes still come, but at
    # most one per 5 s (kBusyPassEvery) plus the edges and the 30-s one
    # (one per update would be about 40).
    [ $((full1 - full0)) -le $((elapsed / 5 + 3)) ] ||
        _t_fail "$((full1 - full0)) full passes in ${elapsed} s of Comment updates (at most $((elapsed / 5 + 3)))"
    # Updates that can change the hold (root alternating the time limit)
    # ask for at most one full pass per 5 s.
    full0=$full1
    req0=$req1
    t0=$(date +%s)
    for i in $(seq 1 20); do
        scontrol update "JobId=$job" "TimeLimit=$((4 + i % 2))" >/dev/null 2>&1 || _t_fail "TimeLimit update $i refused"
        sleep 0.25
    done
    t1=$(date +%s)
    elapsed=$((t1 - t0))
    full1=$(pass_counter full)
    req1=$(pass_counter update_requests)
    echo "20 TimeLimit updates in ${elapsed} s: $((full1 - full0)) full passes, $((req1 - req0)) requested by updates"
    [ $((req1 - req0)) -ge 1 ] || _t_fail "a time limit update asks for a full pass"
    [ $((req1 - req0)) -le $((elapsed / 5 + 1)) ] ||
        _t_fail "$((req1 - req0)) update-requested full passes in ${elapsed} s (at most $((elapsed / 5 + 1)))"
    [ $((full1 - full0)) -le $((2 * (elapsed / 5) + 4)) ] ||
        _t_fail "$((full1 - full0)) full passes in ${elapsed} s of TimeLimit updates (at most $((2 * (elapsed / 5) + 4)))"
    ctld_alive
    scancel "$job"
}

run_case "a non-member cannot choose an award by any submit route" case_spoof_routes_non_member
run_case "a user cannot change a job's award, time, nodes or partition by update" case_spoof_by_update
run_case "a forged update without a node maximum is priced at the whole partition" case_forged_max_nodes_zero
run_case "hostile award strings are refused and never injected" case_hostile_award_strings
run_case "hostile partition lists and accounts" case_hostile_partitions_and_accounts
run_case "absurd arrays, GRES, nodes and time limits are never cheap" case_absurd_sizes_never_cheap
run_case "hostile policy files are refused, the last good one stays" case_hostile_policies
run_case "100,000 award options in one job: refused at once with one short sentence" case_award_flood_refused
run_case "a loop of job updates does not make a full accounting pass each" case_update_loop_no_full_pass_each
finish
