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
    # verify_units NAME: etc/systemd/NAME.service and .timer, the service run
    # against the built grantctl instead of the installed one.
    verify_units() {
        sed "s|/usr/bin/grantctl|$(readlink -f "$GRANTCTL")|" "$src/etc/systemd/$1.service" >"$dir/$1.service"
        cp "$src/etc/systemd/$1.timer" "$dir/"
        out=$(systemd-analyze verify --man=no "$dir/$1.service" "$dir/$1.timer" 2>&1)
        rc=$?
        echo "systemd-analyze verify $1: exit $rc${out:+; $out}"
        if [ "$rc" != 0 ] || [ -n "$out" ]; then fail=1; fi
    }
    verify_units slurm-grants-alerts
    grep -q '^ExecStart=/usr/bin/grantctl alerts --send$' "$src/etc/systemd/slurm-grants-alerts.service" || {
        echo "the service does not run grantctl alerts --send"
        fail=1
    }
    # Open OnDemand's balance files (grantctl ood-balance), one per unit.
    verify_units slurm-grants-ood-balance
    for u in chip_hours usd; do
        grep -q "^ExecStart=/usr/bin/grantctl ood-balance --unit $u --output /var/lib/slurm-grants/ood/$u.json\$" \
            "$src/etc/systemd/slurm-grants-ood-balance.service" || {
            echo "the ood-balance service does not write the $u file"
            fail=1
        }
    done
else
    echo "note: systemd-analyze is not installed; the systemd units were not verified"
fi
[ "$fail" = 0 ] && echo "PASS: ${0##*/}" || echo "FAIL: ${0##*/}"
exit "$fail"
