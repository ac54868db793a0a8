#!/bin/sh
# The rooms of src/core (src/core/README.md): a room includes only itself and
# the rooms above it in this order; no file in src/core includes a Slurm
# header or anything outside src/core; the two plugins' folders do not
# include each other. Prints each offending include; exit 1 if any.
set -eu
SRC=${GRANTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$SRC/src"
order="base policy domain storage wire render site"
status=0
rank() {
    i=0
    for r in $order; do
        [ "$r" = "$1" ] && { echo "$i"; return; }
        i=$((i + 1))
    done
    echo 99
}
for room in $order; do
    mine=$(rank "$room")
    for f in core/"$room"/*.h core/"$room"/*.cpp; do
        [ -f "$f" ] || continue
        grep -n '^#include' "$f" | while IFS= read -r line; do
            case $line in
                *'#include <slurm/'*|*'#include "slurm/'*|*'#include "cli/'*)
                    echo "src/$f:${line%%:*}: src/core includes ${line#*#include }"; echo x >&3 ;;
                *'#include "core/'*)
                    other=$(echo "$line" | sed 's|.*#include "core/\([a-z]*\)/.*|\1|')
                    if [ "$(rank "$other")" -gt "$mine" ]; then
                        echo "src/$f:${line%%:*}: room $room includes room $other, below it"; echo x >&3
                    fi ;;
                *'#include "'*)
                    echo "src/$f:${line%%:*}: include by room path (core/ROOM/NAME.h): ${line#*#include }"; echo x >&3 ;;
            esac
        done
    done
done 3>"${TMPDIR:-/tmp}/check-layers.$$"
for pair in "job_submit spank" "spank job_submit"; do
    set -- $pair
    if grep -n "#include \"slurm/$2/\|#include \"\.\./$2/" slurm/"$1"/* >&3 2>/dev/null; then echo x >&3; fi
done 3>>"${TMPDIR:-/tmp}/check-layers.$$"
if [ -s "${TMPDIR:-/tmp}/check-layers.$$" ]; then status=1; fi
rm -f "${TMPDIR:-/tmp}/check-layers.$$"
ls core | grep -v -x -e README.md $(for r in $order; do printf -- '-e %s ' "$r"; done) | sed 's|^|src/core/: not in a room: |' | grep . && status=1
[ "$status" = 0 ] && echo "check-layers: every include of src/core runs to its own room or one above it"
exit "$status"
