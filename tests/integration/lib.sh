# shellcheck shell=bash
# lib.sh - a tiny test framework for the integration tests.  Source it.
#
#   my_case() {
#       assert_status 0 as_user alice sbatch --wrap true   # sets T_OUT, T_STATUS
#       assert_contains "$T_OUT" "Submitted batch job" "sbatch accepted the job"
#   }
#   run_case "alice can submit" my_case
#   finish            # prints "N passed, N failed"; non-zero if any failed
#
# run_case runs the case function in a subshell (variables it sets do not
# leak into the suite) with stdin from /dev/null and stdout+stderr captured.  The case fails if any
# assertion failed or the function returned non-zero; its captured output is
# then printed, indented, after "not ok - NAME".  A failed assertion does not
# abort the case (assertions return 1, so use `assert_... || return 1` to
# stop early); the suite always continues.
# TEST_VERBOSE=1 also prints the output of passing cases.
# A failing case sets CLUSTER_KEEP=1 (unless already set) so that
# cluster_stop keeps the cluster directory and its logs.

T_PASSED=0
T_FAILED=0
_T_ASSERT_FAILS=0

_t_me() { printf '%s' "${0##*/}"; }

# Record a failed assertion (inside a case) and print why.
_t_fail() {
    _T_ASSERT_FAILS=$((_T_ASSERT_FAILS + 1))
    printf 'FAIL: %s\n' "$*"
    return 1
}

# assert_eq EXPECTED ACTUAL [MSG]
assert_eq() {
    [ "$1" = "$2" ] && return 0
    _t_fail "${3:-values differ}: expected '$1', got '$2'"
}

# assert_contains HAYSTACK NEEDLE [MSG]   (fixed-string match)
assert_contains() {
    case $1 in *"$2"*) return 0 ;; esac
    _t_fail "${3:-missing text}: '$2' not found in:"$'\n'"$(printf '%s\n' "$1" | sed 's/^/  | /')"
}

# assert_not_contains HAYSTACK NEEDLE [MSG]
assert_not_contains() {
    case $1 in *"$2"*) ;; *) return 0 ;; esac
    _t_fail "${3:-unexpected text}: '$2' found in:"$'\n'"$(printf '%s\n' "$1" | sed 's/^/  | /')"
}

# assert_status EXPECTED CMD...: run CMD, expect its exit status.  Leaves the
# combined stdout+stderr in T_OUT and the status in T_STATUS for further
# assertions.  EXPECTED may be "nonzero".  stdin is passed through (inside a
# case it is /dev/null unless redirected, e.g. `assert_status 0 as_user
# alice sbatch <<EOF ... EOF`).
assert_status() {
    local want=$1 ok=0
    shift
    T_OUT=$("$@" 2>&1)
    T_STATUS=$?
    case $want in
        nonzero) [ "$T_STATUS" != 0 ] && ok=1 ;;
        *) [ "$T_STATUS" = "$want" ] && ok=1 ;;
    esac
    [ "$ok" = 1 ] && return 0
    _t_fail "exit status $T_STATUS (expected $want) from: $*"$'\n'"$(printf '%s\n' "$T_OUT" | sed 's/^/  | /')"
}

# run_case NAME FUNCTION [ARGS...]
run_case() {
    local name=$1 fn=$2 log rc
    shift 2
    log=$(mktemp "${TMPDIR:-/tmp}/slurm-grants-case.XXXXXX") || return 1
    (
        _T_ASSERT_FAILS=0
        "$fn" "$@"
        rc=$?
        if [ "$rc" != 0 ] && [ "$_T_ASSERT_FAILS" = 0 ]; then
            printf 'FAIL: case function %s returned %s\n' "$fn" "$rc"
        fi
        [ "$rc" = 0 ] && [ "$_T_ASSERT_FAILS" = 0 ]
    ) </dev/null >"$log" 2>&1
    rc=$?
    # The case called `exit` (or died) without a failed assertion.
    if [ "$rc" != 0 ] && ! grep -q '^FAIL: ' "$log"; then
        printf 'FAIL: case %s exited with status %s\n' "$fn" "$rc" >>"$log"
    fi
    if [ "$rc" = 0 ]; then
        T_PASSED=$((T_PASSED + 1))
        echo "ok - $name"
        [ "${TEST_VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$log"
    else
        T_FAILED=$((T_FAILED + 1))
        echo "not ok - $name"
        sed 's/^/    /' "$log"
        : "${CLUSTER_KEEP:=1}"
    fi
    rm -f "$log"
    return "$rc"
}

# finish: print "N passed, N failed"; return 1 if any case failed.
finish() {
    echo "$T_PASSED passed, $T_FAILED failed"
    [ "$T_FAILED" = 0 ]
}
