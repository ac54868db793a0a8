#!/bin/bash
# The files shipped for alerting: the Prometheus rules pass `promtool check
# rules` and their unit tests (tests/prometheus/rules-test.yml), and the
# systemd service and timer of `grantctl alerts` pass `systemd-analyze
# verify` without a single warning.
set -u
src=${GRANTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
: "${GRANTCTL:?set GRANTCTL to the grantctl binary (make check does)}"
if ! command -v promtool >/dev/null; then
    echo "SKIP: ${0##*/}: promtool is not installed (Debian package prometheus; build-aux/install-deps installs it)"
    exit 77
fi
fail=0
echo "promtool check rules"
promtool check rules "$src/etc/prometheus/slurm-grants.rules.yml" || fail=1
echo "promtool test rules"
(cd "$src/tests/prometheus" && promtool test rules rules-test.yml) || fail=1
if command -v systemd-analyze >/dev/null; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    # The service runs the installed grantctl; verify it against the built one.
    sed "s|/usr/bin/grantctl|$(readlink -f "$GRANTCTL")|" "$src/etc/systemd/slurm-grants-alerts.service" \
        >"$dir/slurm-grants-alerts.service"
    cp "$src/etc/systemd/slurm-grants-alerts.timer" "$dir/"
    out=$(systemd-analyze verify --man=no "$dir/slurm-grants-alerts.service" "$dir/slurm-grants-alerts.timer" 2>&1)
    rc=$?
    echo "systemd-analyze verify: exit $rc${out:+; $out}"
    if [ "$rc" != 0 ] || [ -n "$out" ]; then fail=1; fi
    grep -q '^ExecStart=/usr/bin/grantctl alerts --send$' "$src/etc/systemd/slurm-grants-alerts.service" || {
        echo "the service does not run grantctl alerts --send"
        fail=1
    }
else
    echo "note: systemd-analyze is not installed; the systemd units were not verified"
fi
[ "$fail" = 0 ] && echo "PASS: ${0##*/}" || echo "FAIL: ${0##*/}"
exit "$fail"
