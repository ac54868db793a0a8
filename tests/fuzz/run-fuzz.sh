#!/bin/sh
# Builds the libFuzzer targets and runs each for a while, one after another.
#
#   tests/fuzz/run-fuzz.sh                      # part of `make check`: 5 s per target
#   FUZZ_SECONDS=600 tests/fuzz/run-fuzz.sh     # a longer run (make fuzz)
#   FUZZ_TARGETS=tres FUZZ_SECONDS=3600 FUZZ_MERGE=1 tests/fuzz/run-fuzz.sh
#                                               # one target, merging new inputs
#                                               # into its committed seed corpus
#
# Targets (tests/fuzz/fuzz_TARGET.cpp, seeds in tests/fuzz/corpus/TARGET/,
# optional dictionary tests/fuzz/TARGET.dict):
#   policy    the policy loader, award IDs, AdminComment tags
#   parsers   Slurm durations, dates, decimal amounts
#   tres      GRES/TRES requests, job arrays, the saturating cost arithmetic
#   job_desc  job_desc_msg_t -> JobRequest (src/slurm/job_submit/job_desc_request.cpp)
#             -> decision, with arbitrary strings and numbers in every field read
#
# Environment:
#   GRANTS_SRCDIR   source tree (default: this script's ../..)
#   FUZZ_TARGETS    which targets, space separated (default: all four)
#   FUZZ_BUILDDIR   where to build and keep the binaries, work corpora and crash
#                   artifacts (default: a temporary directory, removed after a
#                   clean run and kept after a crash)
#   FUZZ_SECONDS    how long to fuzz each target (default 5)
#   FUZZ_MERGE      1: merge inputs that reach new code back into
#                   tests/fuzz/corpus/TARGET (never done by default)
#   FUZZ_CXX        the compiler (default clang++)
#   FUZZ_ARGS       extra libFuzzer options, e.g. "-jobs=2 -workers=2"
#   FUZZ_LIBYAML_SRC  an unpacked libyaml source tree (apt-get source libyaml):
#                   compile it with the same instrumentation instead of linking
#                   the system -lyaml, so the fuzzer also sees libyaml's branches
#   FUZZ_CC         the C compiler for FUZZ_LIBYAML_SRC (default clang)
#   FUZZ_BUILD_JOBS parallel compiles (default: nproc)
#   FUZZ_OPT_FLAGS  optimisation (default -O1; build-aux/quickstart test uses
#                   -O0 for its short run: half the compile time, fewer
#                   executions per second)
#   FUZZ_DEBUG_FLAGS debug information (default -gline-tables-only: a crash's
#                   stack trace names file and line; -g adds variables for a
#                   debugger, at about 70% more compile time)
#
# Every file in a target's corpus directory is replayed first, so a committed
# regress-* reproducer fails the run again if its bug comes back.
#
# Exit status: 0 no crash, 1 a crash/leak/sanitizer report or a build
# failure, 77 (automake SKIP) when clang++ or libFuzzer is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "${GRANTS_SRCDIR:-$here/../..}" && pwd) || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
FUZZ_MERGE=${FUZZ_MERGE:-0}
FUZZ_TARGETS=${FUZZ_TARGETS:-policy parsers tres job_desc}
CXX=${FUZZ_CXX:-clang++}
CC=${FUZZ_CC:-clang}
FUZZ_ARGS=${FUZZ_ARGS:-}

fuzzdir=$SRC/tests/fuzz
fixtures=$SRC/tests/unit/fixtures  # also read as policy seeds (never written), so regress-*.yaml are replayed

summary() {  # summary PASSED FAILED
    echo "$1 passed, $2 failed"
}
count() {  # count DIR: files in DIR
    find "$1" -type f | wc -l
}

case $FUZZ_SECONDS in
    '' | *[!0-9]*) echo "run-fuzz: FUZZ_SECONDS must be a whole number of seconds, not '$FUZZ_SECONDS'" >&2; summary 0 1; exit 1 ;;
esac
for t in $FUZZ_TARGETS; do
    for f in "$fuzzdir/fuzz_$t.cpp" "$fuzzdir/corpus/$t"; do
        if [ ! -e "$f" ]; then
            echo "run-fuzz: $f is missing (is GRANTS_SRCDIR=$SRC right? FUZZ_TARGETS=$FUZZ_TARGETS)" >&2
            summary 0 1
            exit 1
        fi
    done
done

if [ -n "${FUZZ_BUILDDIR:-}" ]; then
    mkdir -p "$FUZZ_BUILDDIR" || exit 1
    build=$(cd "$FUZZ_BUILDDIR" && pwd)
    keep=1
else
    build=$(mktemp -d "${TMPDIR:-/tmp}/grants-fuzz.XXXXXX") || exit 1
    keep=0
fi
# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
    [ "$keep" = 1 ] || rm -rf "$build"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ toolchain
if ! command -v "$CXX" >/dev/null 2>&1; then
    echo "SKIP: $CXX not found; install clang (Debian: apt-get install clang) to run the fuzzer"
    exit 77
fi
FLAGS="-std=c++17 ${FUZZ_DEBUG_FLAGS:--gline-tables-only} ${FUZZ_OPT_FLAGS:--O1} -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# The same checked-container assertions as the real build (HARDEN_CPPFLAGS).
CPPFLAGS="-I$SRC/src -D_GLIBCXX_ASSERTIONS"
if [ -n "${FUZZ_LIBYAML_SRC:-}" ]; then
    YAML_CFLAGS="-I$FUZZ_LIBYAML_SRC/include"
    YAML_LIBS=
else
    YAML_CFLAGS=$(pkg-config --cflags yaml-0.1 2>/dev/null || true)
    YAML_LIBS=$(pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)
fi

mkdir -p "$build/obj" || exit 1
cat >"$build/probe.cpp" <<'EOF'
#include <cstddef>
#include <cstdint>
#include <yaml.h>
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) {
    yaml_parser_t p;
    if (yaml_parser_initialize(&p)) yaml_parser_delete(&p);
    return 0;
}
EOF
# shellcheck disable=SC2086
if ! "$CXX" $FLAGS $YAML_CFLAGS "$build/probe.cpp" -o "$build/probe" ${YAML_LIBS:--lyaml} >"$build/probe.log" 2>&1; then
    echo "SKIP: $CXX cannot build a libFuzzer binary with ASan/UBSan and libyaml; install"
    echo "      clang and libclang-rt-dev (libFuzzer) and libyaml-dev. Compiler output:"
    sed -n '1,15s/^/      /p' "$build/probe.log"
    exit 77
fi

# ------------------------------------------------------------------ build
# Every core source goes into an archive; the linker takes only what the
# target needs, so new files in src/core's rooms need no change here. A core file that
# does not compile stand-alone (say, a missing optional header) only matters
# if the target needs it: its errors are shown when the link fails.
# The adapter's translation (public slurm/slurm.h only) goes in as well.
lib=$build/libcore.a
stale=1
if [ -f "$lib" ] && [ "$(cat "$build/libyaml.stamp" 2>/dev/null)" = "${FUZZ_LIBYAML_SRC:-system}" ] &&
    [ -z "$(find "$SRC/src/core" "$SRC"/src/slurm/job_submit/job_desc_request.* -newer "$lib" 2>/dev/null | head -n 1)" ]; then
    stale=0
fi
if [ "$stale" = 1 ]; then
    echo "run-fuzz: building $lib from $SRC"
    rm -f "$build"/obj/* "$lib" "$build"/fuzz_*
    jobs=${FUZZ_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}
    export CXX FLAGS CPPFLAGS YAML_CFLAGS build
    # shellcheck disable=SC2016 # expanded by the inner shell
    printf '%s\n' "$SRC"/src/core/*/*.cpp "$SRC"/src/slurm/job_submit/job_desc_request.cpp | xargs -P "$jobs" -I{} sh -c '
        o=$build/obj/$(basename "$1" .cpp).o
        # shellcheck disable=SC2086
        $CXX $FLAGS $CPPFLAGS $YAML_CFLAGS -c "$1" -o "$o" 2>"$o.err" || rm -f "$o"' sh {}
    if [ -n "${FUZZ_LIBYAML_SRC:-}" ]; then
        cflags_c=$(echo "$FLAGS" | sed 's/-std=c++17//')
        for c in "$FUZZ_LIBYAML_SRC"/src/*.c; do
            # shellcheck disable=SC2086
            if ! "$CC" $cflags_c -I"$FUZZ_LIBYAML_SRC/include" -DYAML_VERSION_MAJOR=0 -DYAML_VERSION_MINOR=2 \
                -DYAML_VERSION_PATCH=5 -DYAML_VERSION_STRING='"0.2.5"' -c "$c" -o "$build/obj/yaml_$(basename "$c" .c).o"; then
                echo "run-fuzz: compiling $c failed" >&2
                summary 0 1
                exit 1
            fi
        done
    fi
    echo "${FUZZ_LIBYAML_SRC:-system}" >"$build/libyaml.stamp"
    # shellcheck disable=SC2086
    if ! ar rcs "$lib" "$build"/obj/*.o; then
        echo "run-fuzz: building $lib failed" >&2
        summary 0 1
        exit 1
    fi
fi
for t in $FUZZ_TARGETS; do
    bin=$build/fuzz_$t
    [ -x "$bin" ] && [ "$bin" -nt "$lib" ] && [ "$bin" -nt "$fuzzdir/fuzz_$t.cpp" ] && continue
    echo "run-fuzz: linking $bin"
    # shellcheck disable=SC2086
    if ! "$CXX" $FLAGS $CPPFLAGS $YAML_CFLAGS "$fuzzdir/fuzz_$t.cpp" "$lib" -o "$bin" $YAML_LIBS; then
        echo "run-fuzz: building the fuzz target $t failed" >&2
        for err in "$build"/obj/*.o.err; do
            [ -e "${err%.err}" ] && continue
            echo "run-fuzz: $(basename "${err%.o.err}").cpp did not compile:" >&2
            head -n 20 "$err" >&2
        done
        summary 0 1
        exit 1
    fi
done

# ------------------------------------------------------------------ run
ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=1:allocator_may_return_null=0:abort_on_error=0
UBSAN_OPTIONS=${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
passed=0
failed=0
for t in $FUZZ_TARGETS; do
    bin=$build/fuzz_$t
    seeds=$fuzzdir/corpus/$t
    # libFuzzer writes new inputs into the first corpus directory: give it a copy.
    # Later directories are only read.
    work=$build/corpus-$t
    artifacts=$build/artifacts-$t
    log=$build/fuzz-$t.log
    rm -rf "$work" "$artifacts"
    mkdir -p "$work" "$artifacts" || exit 1
    cp "$seeds"/* "$work"/ 2>/dev/null
    set -- "$work"
    nfix=
    if [ "$t" = policy ] && [ -d "$fixtures" ]; then
        set -- "$@" "$fixtures"
        nfix=$(count "$fixtures")
    fi
    dictarg=
    [ -f "$fuzzdir/$t.dict" ] && dictarg=-dict=$fuzzdir/$t.dict
    echo "run-fuzz: $t: fuzzing for ${FUZZ_SECONDS}s (seeds: $(count "$seeds")${nfix:+ + $nfix unit fixtures}; log: $log)"
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        $dictarg -artifact_prefix="$artifacts/" -print_final_stats=1 \
        -error_exitcode=1 -timeout_exitcode=1 $FUZZ_ARGS "$@" >"$log" 2>&1
    rc=$?

    crash=$(find "$artifacts" -type f | head -n 1)
    if [ "$rc" != 0 ] || [ -n "$crash" ]; then
        keep=1
        failed=$((failed + 1))
        echo "FAIL: $t: the fuzzer found a problem (exit $rc)."
        if [ -n "$crash" ]; then
            echo "reproducer: $crash"
            echo "rerun:      $bin $crash"
            echo "keep it as a regression input: cp $crash $seeds/regress-NAME"
        fi
        echo "log:        $log"
        echo "---- first lines of the report ----"
        start=$(grep -n -m 1 -E '^==[0-9]+==|runtime error:|^ERROR: libFuzzer|^fuzz_[a-z_]*:|deadly signal|^INFO: .*(leak|timeout)' "$log" |
            cut -d: -f1)
        sed -n "${start:-1},$(( ${start:-1} + 40 ))p" "$log" | cut -c1-300
        echo "-----------------------------------"
        continue
    fi

    stats=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1 | sed 's/ *MS: .*//')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    echo "run-fuzz: $t: last status: ${stats:-none}"
    echo "run-fuzz: $t: ${execs:-?} executions in ${FUZZ_SECONDS}s, ${rate:-?} exec/s, corpus now $(count "$work") files"
    passed=$((passed + 1))

    if [ "$FUZZ_MERGE" = 1 ]; then
        before=$(count "$seeds")
        # Edges only (-use_counters=0): hit-count features would add hundreds of files.
        # shellcheck disable=SC2086
        if ! "$bin" -merge=1 -use_counters=0 -max_len=65536 -rss_limit_mb=2048 -timeout=10 $FUZZ_ARGS "$seeds" "$work" \
            >"$build/merge-$t.log" 2>&1; then
            echo "run-fuzz: merging into $seeds failed; see $build/merge-$t.log"
            keep=1
            failed=$((failed + 1))
            continue
        fi
        echo "run-fuzz: $t: merged $(( $(count "$seeds") - before )) new inputs into $seeds (review before committing;"
        echo "          keep each committed corpus under 200 files and 200 KB)"
    fi
done

summary "$passed" "$failed"
[ "$failed" = 0 ]
