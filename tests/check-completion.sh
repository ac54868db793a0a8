#!/bin/bash
# The bash completion script (etc/bash-completion/grantctl) loads without
# errors, registers for grantctl, and completes commands, options (read from
# the built grantctl's --help) and option values. GRANTS_COMPLETION: an
# installed copy to test instead of the source tree's.
set -u
GRANTCTL=${GRANTCTL:?GRANTCTL must name the built grantctl}
SRC=${GRANTS_SRCDIR:-.}
FILE=${GRANTS_COMPLETION:-$SRC/etc/bash-completion/grantctl}
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }

if out=$(bash -c "source '$FILE' && complete -p grantctl" 2>&1) && [ "$out" = "complete -F _grantctl grantctl" ] ; then
    ok "sources without errors and registers: $out"
else
    not_ok "source/complete -p: $out"
fi

# complete WORD... : the replies for the last word (COMP_CWORD = last).
complete_words() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _grantctl; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$FILE" "$GRANTCTL" "$@" 2>&1
}
expect() {  # expect NAME WANTED-REPLY WORD...
    name=$1 want=$2; shift 2
    got=$(complete_words "$@")
    if printf '%s\n' "$got" | grep -qxF -- "$want"; then ok "$name"; else not_ok "$name: '$want' not in: $(echo $got)"; fi
}
expect "commands" statement ""
expect "commands by prefix" report rep
expect "every command of grantctl --help" doctor ""
expect "options of report" --parsable2 report --
expect "options of report by prefix" --noheader report --no
expect "options of statement" --month statement --mo
expect "options after other options" --award statement --month 2026-06 --aw
expect "values of --by" month report --by m
expect "values of --format" csv statement --format c
expect "time words for -S" now-7days report -S now-7
expect "the jobs command" jobs jo
expect "options of jobs" --starttime jobs --start
expect "time words for jobs --endtime" midnight jobs --endtime mid
expect "options of report: --html" --html report --ht
expect "ood-balance is a command" ood-balance ood
expect "options of ood-balance" --output ood-balance --out
expect "values of --unit" usd ood-balance --unit u
only=$(complete_words report --par)
[ "$only" = "--parsable2" ] && ok "a prefix completes to one option" || not_ok "report --par gave: $(echo $only)"
none=$(complete_words report --no-such-option)
[ -z "$none" ] && ok "an unknown prefix completes to nothing" || not_ok "gave: $none"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
