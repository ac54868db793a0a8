#!/bin/bash
# The man pages name exactly what the code has (issue 28, item 7):
#  - every long option that `grantctl CMD --help` lists, for every command
#    `grantctl --help` lists, is in grantctl(1), and every --option that
#    grantctl(1) names is one of grantctl's (or of the Slurm commands it
#    names, recognised by the sbatch/sacct/scontrol/... word before it);
#  - every grants.yaml key of the schema (the key tables of
#    src/core/policy/policy_loader.cpp) is described in grants.yaml(5) (a .TP entry),
#    and every key grants.yaml(5) describes exists in the schema.
# Nothing here is a hand-kept list of options or keys: both sides are read
# from the sources and the built grantctl.
set -u
GRANTCTL=${GRANTCTL:?GRANTCTL must name the built grantctl}
SRC=${GRANTS_SRCDIR:-.}
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- grantctl(1) and grantctl --help
commands=$("$GRANTCTL" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] && ok "grantctl --help lists commands: $(echo $commands)" || not_ok "no commands in grantctl --help"
man1="$SRC/docs/man/grantctl.1"
: >"$tmp/code-options"
for c in $commands; do
    "$GRANTCTL" "$c" --help >"$tmp/help" 2>&1 || { not_ok "grantctl $c --help fails"; continue; }
    grep -oE '(^|[ [,(|])--[a-z][a-z0-9-]*' "$tmp/help" | sed 's/^[ [,(|]//' | sort -u >"$tmp/opts"
    cat "$tmp/opts" >>"$tmp/code-options"
    if ! grep -qE "^\.SS \"grantctl $c( |\")" "$man1"; then not_ok "grantctl(1) has no section for '$c'"; continue; fi
    # The command's own section of the man page.
    awk -v c="$c" '/^\.SS "grantctl / { on = ($3 == c || $3 == c "\"") } on' "$man1" | sed 's/\\-/-/g' >"$tmp/section"
    missing=
    while read -r o; do
        [ "$o" = --help ] && continue
        grep -qF -- "$o" "$tmp/section" || missing="$missing $o"
    done <"$tmp/opts"
    [ -z "$missing" ] && ok "grantctl(1) '$c' names every option of its --help" ||
        not_ok "grantctl(1) '$c' lacks:$missing"
done
echo --help >>"$tmp/code-options"; echo --version >>"$tmp/code-options"
sort -u "$tmp/code-options" -o "$tmp/code-options"
# Every --option in the man page: grantctl's, or a Slurm command's (the
# command's name within the 40 characters before it, e.g. "sbatch \-\-time").
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man1" >"$tmp/man1.txt"
unknown=
for o in $(grep -oE -- '--[a-z][a-z0-9-]*' "$tmp/man1.txt" | sort -u); do
    grep -qxF -- "$o" "$tmp/code-options" && continue
    if grep -qE -- "(sbatch|srun|salloc|sacct|squeue|scontrol|sreport|sshare|sacctmgr|slurmctld|slurmd|pcluster|mail|dpkg|rpm|systemctl|configure|make|install|sudo|pandoc|curl|date)[^-]{0,40}$o" "$tmp/man1.txt"; then
        continue
    fi
    unknown="$unknown $o"
done
[ -z "$unknown" ] && ok "every --option grantctl(1) names exists" || not_ok "grantctl(1) names options grantctl does not have:$unknown"

# ---- grants.yaml(5) and the schema
man5="$SRC/docs/man/grants.yaml.5"
grep -oE '\{\{?"[a-z_]+",' "$SRC/src/core/policy/policy_loader.cpp" | grep -oE '[a-z_]+' | sort -u >"$tmp/code-keys"
[ -s "$tmp/code-keys" ] && ok "schema keys read from policy_loader.cpp: $(wc -l <"$tmp/code-keys")" || not_ok "no keys found in policy_loader.cpp"
# Described keys: the first bold word of the .B/.BR line right after a .TP,
# and those joined to it by ", " (.BR title ", " pi " (string)").
awk 'prev == ".TP" && /^\.BR? [a-z_]+( |$)/ {
        line = $0; sub(/^\.BR? /, "", line); k = line; sub(/[ "].*/, "", k); print k
        while (match(line, /", " [a-z_]+/)) { w = substr(line, RSTART + 5, RLENGTH - 5); print w; line = substr(line, RSTART + RLENGTH) }
     } { prev = $0 }' "$man5" | sort -u >"$tmp/man-keys"
# A key of the code is named when it is a bold word anywhere (.B key, or a
# bold part of .BR, as "from" and "until" under valid).
awk '/^\.BR? / { n = split($0, w, /"[^"]*"|[ ]+/); for (i = 2; i <= n; i++) if (w[i] ~ /^[a-z_]+$/) print w[i] }' "$man5" | sort -u >"$tmp/man-named"
missing=$(comm -23 "$tmp/code-keys" "$tmp/man-named" | tr '\n' ' ')
[ -z "$missing" ] && ok "grants.yaml(5) names every key of the schema" || not_ok "grants.yaml(5) does not name: $missing"
extra=$(comm -13 "$tmp/code-keys" "$tmp/man-keys" | tr '\n' ' ')
[ -z "$extra" ] && ok "every key grants.yaml(5) describes is in the schema" || not_ok "grants.yaml(5) describes keys the schema lacks: $extra"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
