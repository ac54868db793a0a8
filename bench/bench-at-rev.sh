#!/bin/bash
# bench-at-rev.sh REV OUT: builds bench_core from the current bench/ sources
# linked with src/ as it was at git revision REV, so that a before/after pair
# runs the same benchmark code (docs/PERFORMANCE.md, "Before and after").
# Run from a configured build tree (it needs grants_config.h, and takes the
# Slurm headers and libslurm the build was configured with from its Makefile);
# -O2 -g like the default build. Example:
#   bench/bench-at-rev.sh 643aaf3 /tmp/bench_core.before
#   for i in 1 2; do /tmp/bench_core.before decision 3 20000; bench/bench_core decision 3 20000; done
set -eu
rev=$1 out=$2
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
build=${BENCH_BUILD_DIR:-$top}
d=$(mktemp -d /tmp/bench-at-rev.XXXXXX)
trap 'rm -rf "$d"' EXIT
git -C "$top" archive "$rev" src | tar -x -C "$d"
cp "$build/grants_config.h" "$top/bench/bench_core.cpp" "$top/bench/bench_common.h" "$d/"
slurm_cppflags=$(sed -n 's/^SLURM_CPPFLAGS = //p' "$build/Makefile" 2>/dev/null)
slurm_libs=$(sed -n 's/^SLURM_LIBS = //p' "$build/Makefile" 2>/dev/null)
flags="-DHAVE_CONFIG_H -I$d -I$d/src $slurm_cppflags -D_FORTIFY_SOURCE=2 -D_GLIBCXX_ASSERTIONS -std=c++17 -fstack-protector-strong -fstack-clash-protection -fno-strict-overflow -g -O2"
# The sources of either layout: core flat and one plugin folder (before the
# rooms), or core in rooms and the plugins apart.
sources=$(ls "$d"/src/core/*.cpp "$d"/src/core/*/*.cpp "$d"/src/slurm/"job_desc_request.cpp" \
    "$d"/src/slurm/job_submit/job_desc_request.cpp 2>/dev/null)
# (After listing them:) bench_core.cpp names headers by room (core/domain/usage.h): in a tree
# from before the rooms, every room is core itself.
if [ ! -d "$d/src/core/domain" ]; then
    for room in base policy domain storage wire render site; do ln -s . "$d/src/core/$room"; done
fi
echo $sources "$d/bench_core.cpp" | tr ' ' '\n' | xargs -P2 -I{} sh -c "g++ $flags -c {} -o {}.o"
# shellcheck disable=SC2086  # slurm_libs: several words (-L, -Wl,-rpath, -lslurm)
g++ -o "$out" $(for f in $sources; do echo "$f.o"; done) "$d/bench_core.cpp.o" -lyaml -lpthread -lsqlite3 ${slurm_libs:--lslurm}
echo "built $out (src at $rev)"
