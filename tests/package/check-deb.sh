#!/bin/bash
# check-deb.sh TARBALL - the Debian package, end to end, on this machine:
#   1. dpkg-buildpackage -us -uc -b in an unpacked copy of the release tarball
#   2. the .deb holds both plugins in Slurm's PluginDir, grantctl in /usr/bin,
#      the man pages, the examples, depends on exactly the Slurm it was built
#      against, and its version names that Slurm (0.1.0+slurm22.05.8-4+deb12u3)
#   3. dpkg -i, then check-exports.sh, check-grantctl.sh and the integration
#      suite run against the installed files
#   4. dpkg --purge, and nothing of the package is left
# Root only (exit 77 otherwise).  It refuses to start when slurm-grants is
# installed, or its files exist, already: the machine is left as it was.
# Environment:
#   SLURM_SOURCE  configured Slurm source tree (default: build-aux/get-slurm-source)
#   PACKAGE_INTEGRATION_TESTS  suites to run, relative to the tarball
#                 (default tests/integration/test-skeleton.sh); each runs under
#                 the lock GRANTS_TEST_LOCK (default /tmp/slurm-grants-tests.lock,
#                 the lock `make check` takes for its script tests), through
#                 tests/run-suite.sh (shared: other suites may run beside it)
#   DEB_BUILD_OPTIONS  default nocheck: `make check` and `make distcheck`
#                 already ran the unit tests on this tarball (set it to '' to
#                 run them in the package build too, as debian/rules does)
#   KEEP=1        keep the work directory (it is kept anyway when a check fails)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
tarball_arg "${1:-}"
if [ "$(id -u)" != 0 ]; then
    echo "$me: skipped: must run as root (it installs and removes a Debian package)" >&2
    exit 77
fi
for tool in dpkg-buildpackage dh dh_autoreconf; do
    command -v "$tool" >/dev/null ||
        die "$tool not found: install debhelper and dpkg-dev (build-aux/install-deps does)"
done

arch=$(dpkg --print-architecture)
slurm_deb_version=$(dpkg-query -W -f='${Version}' libslurm-dev 2>/dev/null)
[ -n "$slurm_deb_version" ] || die "libslurm-dev is not installed"
sysdir=$(dirname "$(dpkg -L slurm-wlm-basic-plugins 2>/dev/null | grep -m1 '/select_cons_tres\.so$')")
[ -f "$sysdir/select_cons_tres.so" ] || die "cannot find Slurm's plugin directory (slurm-wlm-basic-plugins)"

# Leave the machine as it was: never replace, then purge, someone's install.
status=$(dpkg-query -W -f='${Status}' slurm-grants 2>/dev/null)
case $status in
    "" | *not-installed) ;;
    *) die "slurm-grants is already on this machine ($status): remove it first (dpkg --purge slurm-grants)" ;;
esac
for f in "$sysdir/job_submit_grants.so" "$sysdir/spank_grants.so" /usr/bin/grantctl; do
    [ -e "$f" ] && die "$f exists (installed from source?): remove it first (make uninstall)"
done

installed=0
# shellcheck disable=SC2317 # invoked by lib.sh's cleanup, on exit
before_cleanup() {
    if [ "$installed" = 1 ]; then
        echo "$me: purging slurm-grants" >&2
        dpkg --purge slurm-grants >>"$work/dpkg.log" 2>&1
    fi
}
make_work_dir deb

# ---- 1. build
tar -xzf "$tarball" -C "$work" || die "cannot unpack $tarball"
src=$work/$name
changelog_version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
if [ "$changelog_version" = "$version" ] || [ "${changelog_version%-*}" = "$version" ]; then
    ok "debian/changelog version $changelog_version matches the tarball $version"
else
    not_ok "debian/changelog version $changelog_version differs from the tarball $version (add a changelog entry: dch -v $version)"
fi
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck}
start=$(date +%s)
if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS='$DEB_BUILD_OPTIONS', $(($(date +%s) - start)) s)"
    test_flags_used "$work/build.log"
else
    not_ok "dpkg-buildpackage -us -uc -b failed; last lines of $work/build.log:"
    tail -n 40 "$work/build.log" | sed 's/^/    /'
    finish
fi
# debian/rules appends the Slurm it was built for to the package version.
deb_version=$changelog_version+slurm${slurm_deb_version#*:}
deb=$work/slurm-grants_${deb_version#*:}_$arch.deb
[ -f "$deb" ] || die "no $(basename "$deb") after the build: $(cd "$work" && echo ./*.deb)"
if [ "$(dpkg-deb -f "$deb" Version)" = "$deb_version" ]; then
    ok "Version: $deb_version"
else
    not_ok "Version: $(dpkg-deb -f "$deb" Version), expected $deb_version"
fi

# ---- 2. contents and dependencies
# dh_compress gzips the man pages that `make install` put in place.
man_pages=(/usr/share/man/man1/grantctl.1.gz /usr/share/man/man5/grants.yaml.5.gz
    /usr/share/man/man8/job_submit_grants.8.gz /usr/share/man/man8/spank_grants.8.gz)
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for f in "$sysdir/job_submit_grants.so" "$sysdir/spank_grants.so" /usr/bin/grantctl \
    /usr/share/doc/slurm-grants/examples/grants.yaml.example \
    /usr/share/doc/slurm-grants/images/burn-down-example.svg \
    /usr/share/doc/slurm-grants/examples/grants-parallelcluster.yaml.example \
    /usr/share/doc/slurm-grants/examples/grants-nrt.yaml.example \
    /usr/share/doc/slurm-grants/examples/slurm.conf.grants \
    /usr/share/doc/slurm-grants/examples/plugstack.conf.d/grants.conf \
    /usr/share/doc/slurm-grants/examples/systemd/slurm-grants-alerts.service \
    /usr/share/doc/slurm-grants/examples/systemd/slurm-grants-alerts.timer \
    /usr/share/doc/slurm-grants/examples/systemd/slurm-grants-ood-balance.service \
    /usr/share/doc/slurm-grants/examples/systemd/slurm-grants-ood-balance.timer \
    /usr/share/doc/slurm-grants/examples/prometheus/slurm-grants.rules.yml \
    /usr/share/doc/slurm-grants/copyright \
    /usr/share/bash-completion/completions/grantctl \
    "${man_pages[@]}"; do
    if printf '%s\n' "$contents" | grep -qxF ".$f"; then ok "package contains $f"; else not_ok "package lacks $f"; fi
done
if printf '%s\n' "$contents" | grep -q '\.la$'; then
    not_ok "package contains libtool archives: $(printf '%s\n' "$contents" | grep '\.la$' | tr '\n' ' ')"
else
    ok "package contains no libtool archives"
fi
depends=$(dpkg-deb -f "$deb" Depends)
want="slurm-wlm-basic-plugins (= $slurm_deb_version)"
case ", $depends," in
    *", $want,"*) ok "Depends: $want" ;;
    *) not_ok "Depends lacks '$want': $depends" ;;
esac

# ---- 3. install and test
if dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
    installed=1
    ok "dpkg -i $(basename "$deb")"
else
    installed=1    # half-installed: purge it on exit
    not_ok "dpkg -i failed:"
    sed 's/^/    /' "$work/dpkg.log"
    finish
fi
listed=$(dpkg -L slurm-grants)
missing=
for f in "${man_pages[@]}"; do
    printf '%s\n' "$listed" | grep -qxF "$f" || missing="$missing $f"
done
if [ -z "$missing" ]; then
    ok "dpkg -L slurm-grants lists the man pages"
else
    not_ok "dpkg -L slurm-grants lacks:$missing"
fi
plugindir=$(dirname "$(printf '%s\n' "$listed" | grep -m1 '/job_submit_grants\.so$')")
if [ "$plugindir" = "$sysdir" ]; then
    ok "plugins installed in Slurm's plugin directory $sysdir"
else
    not_ok "plugins installed in '$plugindir', Slurm's plugin directory is $sysdir"
fi

# run_suite NAME CMD...: one sub-suite, output indented, one ok/not ok line.
run_suite() {
    local name=$1 rc t0
    shift
    t0=$(date +%s)
    "$@" >"$work/suite.log" 2>&1
    rc=$?
    sed 's/^/    /' "$work/suite.log"
    if [ "$rc" = 0 ]; then
        ok "$name against the installed package ($(($(date +%s) - t0)) s)"
    else
        not_ok "$name against the installed package (exit $rc)"
    fi
}
export GRANTS_PLUGIN_DIR=$plugindir GRANTCTL=/usr/bin/grantctl GRANTS_SRCDIR=$src
run_suite tests/check-exports.sh "$src/tests/check-exports.sh"
run_suite tests/check-grantctl.sh "$src/tests/check-grantctl.sh"
GRANTS_COMPLETION=/usr/share/bash-completion/completions/grantctl run_suite tests/check-completion.sh "$src/tests/check-completion.sh"
# Cluster suites share the machine-wide test lock with those of `make check`
# (tests/run-suite.sh: shared, so timed suites elsewhere see no cluster of ours).
lock=
command -v flock >/dev/null && lock="env GRANTS_TESTS_LOCK=${GRANTS_TEST_LOCK:-/tmp/slurm-grants-tests.lock} $src/tests/run-suite.sh"
for t in ${PACKAGE_INTEGRATION_TESTS:-tests/integration/test-skeleton.sh}; do
    # shellcheck disable=SC2086 # $lock is a command with arguments, or nothing
    run_suite "$t" $lock "$src/$t"
done

# ---- 4. remove
if dpkg --purge slurm-grants >>"$work/dpkg.log" 2>&1; then
    installed=0
    ok "dpkg --purge slurm-grants"
else
    not_ok "dpkg --purge slurm-grants failed:"
    sed 's/^/    /' "$work/dpkg.log"
fi
status=$(dpkg-query -W -f='${Status}' slurm-grants 2>/dev/null)
case $status in
    "" | *not-installed) ok "slurm-grants is no longer known to dpkg" ;;
    *) not_ok "dpkg still lists slurm-grants: $status" ;;
esac
left=
for f in "$sysdir/job_submit_grants.so" "$sysdir/spank_grants.so" /usr/bin/grantctl /usr/share/doc/slurm-grants \
    "${man_pages[@]}"; do
    [ -e "$f" ] && left="$left $f"
done
if [ -z "$left" ]; then ok "no file of the package is left"; else not_ok "left behind:$left"; fi
finish
