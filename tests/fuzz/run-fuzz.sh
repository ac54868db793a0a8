#!/bin/sh
# Builds the policy-loader libFuzzer target and runs it for a while.
#
#   tests/fuzz/run-fuzz.sh                      # part of `make check`: 60 s
#   FUZZ_SECONDS=600 tests/fuzz/run-fuzz.sh     # a longer run
#   FUZZ_SECONDS=3600 FUZZ_MERGE=1 tests/fuzz/run-fuzz.sh
#                                               # ...and merge new inputs into
#                                               # the committed seed corpus
#
# Environment:
#   GRANTS_SRCDIR   source tree (default: this script's ../..)
#   FUZZ_BUILDDIR   where to build and keep the binary, work corpus and crash
#                   artifacts (default: a temporary directory, removed after a
#                   clean run and kept after a crash)
#   FUZZ_SECONDS    how long to fuzz (default 60)
#   FUZZ_MERGE      1: merge new interesting inputs back into
#                   tests/fuzz/corpus/policy (never done by default)
#   FUZZ_CXX        the compiler (default clang++)
#   FUZZ_ARGS       extra libFuzzer options, e.g. "-jobs=2 -workers=2"
#
# Exit status: 0 no crash, 1 a crash/leak/sanitizer report or a build
# failure, 77 (automake SKIP) when clang++ or libFuzzer is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "${GRANTS_SRCDIR:-$here/../..}" && pwd) || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_MERGE=${FUZZ_MERGE:-0}
CXX=${FUZZ_CXX:-clang++}
FUZZ_ARGS=${FUZZ_ARGS:-}

fuzzdir=$SRC/tests/fuzz
seeds=$fuzzdir/corpus/policy
dict=$fuzzdir/policy.dict
target=$fuzzdir/fuzz_policy.cpp

summary() {  # summary PASSED FAILED
    echo "$1 passed, $2 failed"
}

case $FUZZ_SECONDS in
    '' | *[!0-9]*) echo "run-fuzz: FUZZ_SECONDS must be a whole number of seconds, not '$FUZZ_SECONDS'" >&2; summary 0 1; exit 1 ;;
esac
for f in "$target" "$dict" "$seeds"; do
    if [ ! -e "$f" ]; then
        echo "run-fuzz: $f is missing (is GRANTS_SRCDIR=$SRC right?)" >&2
        summary 0 1
        exit 1
    fi
done

if [ -n "${FUZZ_BUILDDIR:-}" ]; then
    mkdir -p "$FUZZ_BUILDDIR" || exit 1
    build=$(cd "$FUZZ_BUILDDIR" && pwd)
    keep=1
else
    build=$(mktemp -d "${TMPDIR:-/tmp}/grants-fuzz.XXXXXX") || exit 1
    keep=0
fi
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
FLAGS="-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# The same checked-container assertions as the real build (HARDEN_CPPFLAGS).
CPPFLAGS="-I$SRC/src -D_GLIBCXX_ASSERTIONS"
YAML_CFLAGS=$(pkg-config --cflags yaml-0.1 2>/dev/null || true)
YAML_LIBS=$(pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)

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
if ! "$CXX" $FLAGS $YAML_CFLAGS "$build/probe.cpp" -o "$build/probe" $YAML_LIBS >"$build/probe.log" 2>&1; then
    echo "SKIP: $CXX cannot build a libFuzzer binary with ASan/UBSan and libyaml; install"
    echo "      clang and libclang-rt-dev (libFuzzer) and libyaml-dev. Compiler output:"
    sed -n '1,15s/^/      /p' "$build/probe.log"
    exit 77
fi

# ------------------------------------------------------------------ build
# Every core source goes into an archive; the linker takes only what the
# target needs, so new files in src/core need no change here.
bin=$build/fuzz_policy
stale=1
if [ -x "$bin" ] && [ -z "$(find "$SRC/src/core" "$target" -newer "$bin" 2>/dev/null | head -n 1)" ]; then
    stale=0
fi
if [ "$stale" = 1 ]; then
    echo "run-fuzz: building $bin from $SRC"
    rm -f "$build"/obj/*.o "$build/libcore.a" "$bin"
    for cpp in "$SRC"/src/core/*.cpp; do
        obj=$build/obj/$(basename "$cpp" .cpp).o
        # shellcheck disable=SC2086
        if ! "$CXX" $FLAGS $CPPFLAGS $YAML_CFLAGS -c "$cpp" -o "$obj"; then
            echo "run-fuzz: compiling $cpp failed" >&2
            summary 0 1
            exit 1
        fi
    done
    # shellcheck disable=SC2086
    if ! ar rcs "$build/libcore.a" "$build"/obj/*.o ||
        ! "$CXX" $FLAGS $CPPFLAGS $YAML_CFLAGS "$target" "$build/libcore.a" -o "$bin" $YAML_LIBS; then
        echo "run-fuzz: building the fuzz target failed" >&2
        summary 0 1
        exit 1
    fi
fi

# ------------------------------------------------------------------ run
# libFuzzer writes new inputs into the first corpus directory: give it a copy.
work=$build/corpus
artifacts=$build/artifacts
rm -rf "$work" "$artifacts"
mkdir -p "$work" "$artifacts" || exit 1
cp "$seeds"/* "$work"/ 2>/dev/null
log=$build/fuzz.log
echo "run-fuzz: fuzzing for ${FUZZ_SECONDS}s (seeds: $(ls "$seeds" | wc -l) files; log: $log)"

ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=1:allocator_may_return_null=0:abort_on_error=0
UBSAN_OPTIONS=${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
# shellcheck disable=SC2086
"$bin" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -dict="$dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    -error_exitcode=1 -timeout_exitcode=1 $FUZZ_ARGS "$work" >"$log" 2>&1
rc=$?

crash=$(ls "$artifacts" 2>/dev/null | head -n 1)
if [ "$rc" != 0 ] || [ -n "$crash" ]; then
    keep=1
    echo "FAIL: the fuzzer found a problem (exit $rc)."
    if [ -n "$crash" ]; then
        echo "reproducer: $artifacts/$crash"
        echo "rerun:      $bin $artifacts/$crash"
        echo "keep it as a regression fixture: cp $artifacts/$crash $SRC/tests/unit/fixtures/regress-NAME.yaml"
    fi
    echo "log:        $log"
    echo "---- first lines of the report ----"
    start=$(grep -n -m 1 -E '^==[0-9]+==|runtime error:|^ERROR: libFuzzer|^fuzz_policy:|deadly signal|^INFO: .*(leak|timeout)' "$log" |
        cut -d: -f1)
    sed -n "${start:-1},$(( ${start:-1} + 40 ))p" "$log"
    echo "-----------------------------------"
    summary 0 1
    exit 1
fi

stats=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1 | sed 's/ *MS: .*//')
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
echo "run-fuzz: last status: ${stats:-none}"
echo "run-fuzz: ${execs:-?} executions, ${rate:-?} exec/s, corpus now $(ls "$work" | wc -l) files"

if [ "$FUZZ_MERGE" = 1 ]; then
    before=$(ls "$seeds" | wc -l)
    # shellcheck disable=SC2086
    if ! "$bin" -merge=1 -max_len=65536 -rss_limit_mb=2048 -timeout=10 $FUZZ_ARGS "$seeds" "$work" \
        >"$build/merge.log" 2>&1; then
        echo "run-fuzz: merging into $seeds failed; see $build/merge.log"
        keep=1
        summary 0 1
        exit 1
    fi
    echo "run-fuzz: merged $(( $(ls "$seeds" | wc -l) - before )) new inputs into $seeds (review before committing)"
fi

summary 1 0
exit 0
