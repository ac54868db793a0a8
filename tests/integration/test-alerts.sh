#!/bin/bash
# Threshold alerts against a real cluster: real jobs take award A-NLP past
# 50 % and then 80 % of its budget (held jobs count as used), and
# `grantctl alerts --send` tells its PI and manager exactly once per
# crossing through slurm.conf's MailProg (a test MailProg that keeps every
# message) - none again after a controller restart and another run; an
# award ending in 5 days is announced once; a message MailProg could not
# take is tried again by the next run; --dry-run sends and records nothing;
# root's grantctl writes a ledger as its owner without root's groups; a
# recipient name MailProg could take for an option is never given to it.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cluster.sh"
. "$here/lib.sh"
. "$here/suite.sh"

: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"

SPOOL=$(mktemp -d)
chmod 0777 "$SPOOL"
MAILPROG=$SPOOL/mailprog
# MailProg -s SUBJECT USER, the text on stdin: one file per message and user.
cat >"$MAILPROG" <<EOF
#!/bin/sh
[ -e "$SPOOL/fail" ] && exit 3
[ "\$1" = "-s" ] || exit 2
n=\$(date +%s%N)
printf '%s\n' "\$*" >>"$SPOOL/argv"
{ printf 'to: %s\nsubject: %s\n\n' "\$3" "\$2"; cat; } >"$SPOOL/msg.\$n.\$\$"
grep -E '^(Uid|Gid|Groups):' /proc/self/status >"$SPOOL/ids.\$n.\$\$"
EOF
chmod 0755 "$MAILPROG"
: >"$SPOOL/argv"
chmod 0666 "$SPOOL/argv"   # every MailProg's arguments, whoever it runs as
export CLUSTER_EXTRA_CONF="MailProg=$MAILPROG"

POLICY_FILE=$(mktemp)
cat >"$POLICY_FILE" <<EOF
version: 1
enforce: { partitions: [trn1], on_error: closed }
partitions:
  trn1: { chips_per_node: 16 }
alerts: { used: [50, 80], days_before_end: [30, 7] }
awards:
  A-NLP:
    title: Language models
    pi: carol
    managers: [dave]
    members: { users: [alice, bob] }
    valid: { until: $(date -d '1000 days' +%F) }
    budget: { chip_hours: 1 }
  A-END:
    pi: dave
    members: { users: [dave] }
    valid: { until: $(date -d '5 days' +%F) }
    budget: { chip_hours: 100 }
  A-RETRY:
    pi: carol
    members: { users: [alice] }
    valid: { until: $(date -d '1000 days' +%F) }
    budget: { chip_hours: 10 }
    alerts: { used: [1] }
  A-ODD:
    pi: carol
    managers: ["-oEvil=1"]
    members: { users: [carol] }
    valid: { until: $(date -d '1000 days' +%F) }
    budget: { chip_hours: 10 }
    alerts: { used: [1] }
EOF
chmod 0644 "$POLICY_FILE"
grants_suite_start "$POLICY_FILE"
rm -f "$POLICY_FILE"
LEDGER=$CLUSTER_DIR/state/grants/ledger.db
GC=$CLUSTER_DIR/grantctl
install -m 0755 "$GRANTCTL" "$GC"
trap 'cluster_exit_trap; rm -rf "$SPOOL"' EXIT

sql() { sqlite3 -cmd '.timeout 5000' "$LEDGER" "$@"; }
held_is() { [ "$("$GC" balance --user "$1" --award "$2" --json | json 'j["awards"][0]["held"]')" = "$3" ]; }
# messages PATTERN: how many messages (one per recipient) have a subject matching PATTERN.
messages() { cat "$SPOOL"/msg.* 2>/dev/null | grep -c "^subject: .*$1" || true; }
JOBS=()
hold_job() {  # hold_job USER AWARD MINUTES: a held job of 16 chips
    try_submit "$1" -o /dev/null -p trn1 --award="$2" -t "$3" --hold --wrap true
    [ -n "$JOB" ] || { _t_fail "submit refused: $T_OUT"; return 1; }
    JOBS+=("$JOB")
}

case_dry_run_and_bad_input() {
    assert_status 0 "$GC" alerts --dry-run
    assert_contains "$T_OUT" "would send: [slurm-grants] award A-END ends in 5 days ($(date -d '5 days' +%F)) -> dave"
    assert_not_contains "$T_OUT" "A-NLP" "nothing used yet"
    assert_eq 0 "$(sql 'SELECT count(*) FROM alerts')" "a dry run records nothing"
    assert_eq 0 "$(messages .)" "and sends nothing"
    assert_status 2 "$GC" alerts
    assert_contains "$T_OUT" "say --send to send what is due, or --dry-run to see it."
    assert_status 2 "$GC" alerts --send --dry-run
    assert_status 1 as_user carol "$GC" alerts --dry-run
    assert_contains "$T_OUT" "only root, SlurmUser and Slurm operators may run it"
}

case_crossings_told_once() {
    # 16 chips x 2 min = 0.533333 of 1 chip-h: past 50 %.
    hold_job alice A-NLP 2 || return 1
    eventually 30 "the hold is known" held_is alice A-NLP 0.533333 || return 1
    assert_status 0 "$GC" alerts --send
    assert_contains "$T_OUT" "sent: [slurm-grants] award A-NLP has used 50% of its budget -> carol,dave"
    assert_contains "$T_OUT" "sent: [slurm-grants] award A-END ends in 5 days"
    assert_eq 2 "$(messages 'A-NLP has used 50%')" "one message, to carol and to dave"
    assert_eq 1 "$(cat "$SPOOL"/msg.* | grep -c '^to: carol$')" "carol got one message"
    assert_eq 1 "$(messages 'A-END ends in 5 days')" "the 7-day alert of A-END, to dave, once (30 is covered)"
    local body
    body=$(grep -l 'A-NLP has used 50%' "$SPOOL"/msg.* | head -1)
    assert_contains "$(cat "$body")" "held     0.6 chip-h" "the message gives the figures"
    # 0.266667 more: 80 % exactly.
    hold_job bob A-NLP 1 || return 1
    eventually 30 "the second hold is known" held_is alice A-NLP 0.8 || return 1
    assert_status 0 "$GC" alerts --send
    assert_contains "$T_OUT" "award A-NLP has used 80% of its budget -> carol,dave"
    assert_not_contains "$T_OUT" "50%" "50 % is not told again"
    assert_eq 2 "$(messages 'A-NLP has used 80%')"
    # A controller restart, then two more runs: nothing again.
    cluster_restart_ctld || return 1
    eventually 30 "usage is known again after the restart" held_is alice A-NLP 0.8 || return 1
    assert_status 0 "$GC" alerts --send
    assert_contains "$T_OUT" "No alert is due."
    assert_status 0 "$GC" alerts --send --json
    assert_eq 0 "$(json 'len(j["alerts"])' <<<"$T_OUT")"
    assert_eq 4 "$(messages 'A-NLP')" "exactly two messages for A-NLP (each to carol and dave)"
    assert_eq "used 50 1|used 80 1" \
        "$(sql "SELECT group_concat(kind || ' ' || threshold || ' ' || (sent_at IS NOT NULL), '|') FROM alerts WHERE award='A-NLP'")" \
        "the ledger remembers both"
}

case_unsent_message_is_retried() {
    touch "$SPOOL/fail"
    hold_job alice A-RETRY 1 || return 1
    eventually 30 "the hold is known" held_is alice A-RETRY 0.266667 || return 1
    assert_status 1 "$GC" alerts --send
    assert_contains "$T_OUT" "1 alert(s) not sent, to be tried again by the next run: [slurm-grants] award A-RETRY has used 1% of its budget: $MAILPROG exited with status 3."
    assert_eq "0" "$(sql "SELECT count(*) FROM alerts WHERE award='A-RETRY' AND sent_at IS NOT NULL")" "not marked sent"
    rm -f "$SPOOL/fail"
    assert_status 0 "$GC" alerts --send
    assert_contains "$T_OUT" "sent: [slurm-grants] award A-RETRY has used 1% of its budget -> carol"
    assert_eq 1 "$(messages 'A-RETRY')"
    assert_status 0 "$GC" alerts --send
    assert_contains "$T_OUT" "No alert is due."
    assert_eq 1 "$(messages 'A-RETRY')" "told once"
}

# Root's grantctl writes a ledger owned by another user as that user, and
# MailProg runs so too: with the owner's group only, none of root's
# supplementary groups (here disk and adm, given to the root shell that runs
# it). A copy of the ledger owned by dave (SlurmUser is root in this cluster).
case_root_drops_its_groups() {
    local own=$SPOOL/owned ids
    mkdir -p "$own" && sqlite3 "$LEDGER" ".backup '$own/ledger.db'" && sqlite3 "$own/ledger.db" 'DELETE FROM alerts' &&
        chown -R dave: "$own" && chmod 0700 "$own" || return 1
    rm -f "$SPOOL"/ids.*
    assert_status 0 setpriv --groups 4,6 -- "$GC" alerts --send --ledger "$own/ledger.db"
    assert_contains "$T_OUT" "sent: " "the copy's alerts are sent again"
    assert_eq "$(stat -c %U "$own/ledger.db")" dave "the ledger stays dave's"
    ids=$(cat "$SPOOL"/ids.* 2>/dev/null | sort -u)
    local uid gid
    uid=$(id -u dave) gid=$(id -g dave)
    assert_eq "$(printf 'Gid:\t%s\t%s\t%s\t%s\nGroups:\t%s \nUid:\t%s\t%s\t%s\t%s' $gid $gid $gid $gid $gid $uid $uid $uid $uid)" \
        "$ids" "MailProg ran as dave with dave's group only"
}

# A recipient MailProg could take for an option (a manager named
# "-oEvil=1") is never given to it; the others are told, and the run says so.
case_unsafe_recipient_not_given() {
    hold_job carol A-ODD 1 || return 1
    eventually 30 "the hold is known" held_is carol A-ODD 0.266667 || return 1
    assert_status 1 "$GC" alerts --send
    assert_contains "$T_OUT" "sent: [slurm-grants] award A-ODD has used 1% of its budget -> -oEvil=1,carol"
    assert_contains "$T_OUT" "1 recipient(s) not given to MailProg, whose names it could misread: [slurm-grants] award A-ODD has used 1% of its budget: recipient -oEvil=1 starts with '-'"
    assert_eq 1 "$(messages 'A-ODD')" "carol was told"
    assert_eq 0 "$(grep -c -- '-oEvil' "$SPOOL/argv")" "MailProg never saw the name"
    assert_status 0 "$GC" alerts --send
    assert_contains "$T_OUT" "No alert is due." "told once, as any other"
}

run_case "dry run and bad input: nothing sent or recorded" case_dry_run_and_bad_input
run_case "crossing 50 % and 80 % with real jobs: two messages, none again after a restart" case_crossings_told_once
run_case "a message MailProg refused is tried again by the next run" case_unsent_message_is_retried
run_case "root writes the ledger as its owner, without root's groups" case_root_drops_its_groups
run_case "a recipient MailProg could take for an option is never given to it" case_unsafe_recipient_not_given
for j in "${JOBS[@]}"; do scancel "$j" 2>/dev/null; done
finish
