#!/bin/bash
# check-rpm.sh TARBALL - the RPM package builds from the release tarball:
#   rpmbuild -tb --nodeps TARBALL  with slurm_source and slurm_version defined
# and the binary RPM holds both plugins in %{_libdir}/slurm, grantctl, the man
# pages and the examples, requires exactly the Slurm it was built for (and its
# Release names it), and its plugins pass
# tests/check-exports.sh (plugin_version = the installed Slurm's).
# On Debian, rpmbuild comes from the `rpm` package and there is no
# slurm-devel RPM: --nodeps skips the BuildRequires, and slurm_version is the
# upstream version of libslurm-dev.  Nothing is installed.
# Environment:
#   SLURM_SOURCE  configured Slurm source tree (default: build-aux/get-slurm-source)
#   RPM_CHECK_TESTS=1  also run the spec's %check (unit tests); by default
#                 --without tests, as `make check`, distcheck and
#                 dpkg-buildpackage already ran them on the same tarball
#   KEEP=1        keep the work directory (it is kept anyway when a check fails)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
tarball_arg "${1:-}"
command -v rpmbuild >/dev/null ||
    die "rpmbuild not found: apt-get install rpm (build-aux/install-deps does)"
command -v rpm2archive >/dev/null || die "rpm2archive not found: apt-get install rpm2cpio"

top=$(cd "$here/../.." && pwd)

if rpm -q slurm-devel >/dev/null 2>&1; then
    slurm_version=$(rpm -q --qf '%{VERSION}-%{RELEASE}' slurm-devel)
    want_requires="slurm$(rpm --eval '%{?_isa}') = $slurm_version"
else
    slurm_version=$(dpkg-query -W -f='${Version}' libslurm-dev 2>/dev/null)
    slurm_version=${slurm_version#*:}
    slurm_version=${slurm_version%-*}           # 22.05.8-4+deb12u3 -> 22.05.8
    [ -n "$slurm_version" ] || die "neither slurm-devel nor libslurm-dev is installed"
fi
src=${SLURM_SOURCE:-}
[ -n "$src" ] || src=$("$top/build-aux/get-slurm-source") || die "no Slurm source tree (set SLURM_SOURCE)"

make_work_dir rpm

rpmbuild_args=(--nodeps --define "_topdir $work/rpmbuild")
[ "${RPM_CHECK_TESTS:-0}" = 1 ] || rpmbuild_args+=(--without tests)

# The spec refuses to build without slurm_source, with a plain message.
if out=$(rpmbuild -tb "${rpmbuild_args[@]}" "$tarball" 2>&1); then
    not_ok "rpmbuild without slurm_source should fail"
else
    case $out in
        *"define slurm_source"*) ok "rpmbuild without slurm_source fails and says: define slurm_source" ;;
        *) not_ok "rpmbuild without slurm_source failed without saying why:"; printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /' ;;
    esac
fi

# ... and, with no slurm-devel RPM to ask, without slurm_version.
if [ -z "${want_requires:-}" ]; then
    if out=$(rpmbuild -tb "${rpmbuild_args[@]}" --define "slurm_source $src" "$tarball" 2>&1); then
        not_ok "rpmbuild without slurm_version (and no slurm-devel) should fail"
    else
        case $out in
            *"define 'slurm_version"*) ok "rpmbuild without slurm_version fails and says: define slurm_version" ;;
            *) not_ok "rpmbuild without slurm_version failed without saying why:"; printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /' ;;
        esac
    fi
fi

start=$(date +%s)
if rpmbuild -tb "${rpmbuild_args[@]}" "${rpm_flag_args[@]}" --define "slurm_source $src" --define "slurm_version $slurm_version" \
    "$tarball" >"$work/build.log" 2>&1; then
    ok "rpmbuild -tb --nodeps $(basename "$tarball") ($(($(date +%s) - start)) s)"
    test_flags_used "$work/build.log"
else
    not_ok "rpmbuild -tb failed; last lines of $work/build.log:"
    tail -n 40 "$work/build.log" | sed 's/^/    /'
    finish
fi
rpmfile=$(find "$work/rpmbuild/RPMS" -name "slurm-grants-$version-*.rpm" ! -name '*debuginfo*' | head -n 1)
[ -f "$rpmfile" ] || die "no slurm-grants-$version RPM under $work/rpmbuild/RPMS"
ok "built $(basename "$rpmfile")"
# Release names the Slurm built for (upstream version): 1.slurm22.05.8%{?dist}.
release=$(rpm -qp --qf '%{RELEASE}' "$rpmfile" 2>/dev/null)
case $release in
    *.slurm"${slurm_version%%-*}" | *.slurm"${slurm_version%%-*}".*) ok "Release: $release" ;;
    *) not_ok "Release: $release, expected 1.slurm${slurm_version%%-*}%{?dist}" ;;
esac

libdir=$(rpm --eval '%{_libdir}')
files=$(rpm -qpl "$rpmfile" 2>/dev/null)
for f in "$libdir/slurm/job_submit_grants.so" "$libdir/slurm/spank_grants.so" /usr/bin/grantctl \
    /usr/share/doc/slurm-grants/images/burn-down-example.svg \
    /usr/share/doc/slurm-grants/examples/grants.yaml.example \
    /usr/share/doc/slurm-grants/examples/grants-parallelcluster.yaml.example \
    /usr/share/doc/slurm-grants/examples/grants-nrt.yaml.example \
    /usr/share/doc/slurm-grants/examples/slurm.conf.grants \
    /usr/share/doc/slurm-grants/examples/plugstack.conf.d/grants.conf \
    /usr/share/doc/slurm-grants/examples/systemd/slurm-grants-alerts.service \
    /usr/share/doc/slurm-grants/examples/systemd/slurm-grants-alerts.timer \
    /usr/share/doc/slurm-grants/examples/systemd/slurm-grants-ood-balance.service \
    /usr/share/doc/slurm-grants/examples/systemd/slurm-grants-ood-balance.timer \
    /usr/share/doc/slurm-grants/examples/prometheus/slurm-grants.rules.yml \
    /usr/share/bash-completion/completions/grantctl; do
    if printf '%s\n' "$files" | grep -qxF "$f"; then ok "RPM contains $f"; else not_ok "RPM lacks $f"; fi
done
# The man pages, compressed or not (brp-compress usually gzips them).
mandir=$(rpm --eval '%{_mandir}')
for m in man1/grantctl.1 man5/grants.yaml.5 man8/job_submit_grants.8 man8/spank_grants.8; do
    if printf '%s\n' "$files" | grep -qE "^${mandir//./\\.}/${m//./\\.}(\.(gz|bz2|xz|zst))?\$"; then
        ok "RPM contains $mandir/$m"
    else
        not_ok "RPM lacks $mandir/$m"
    fi
done
if printf '%s\n' "$files" | grep -q '\.la$'; then not_ok "RPM contains libtool archives"; else ok "RPM contains no libtool archives"; fi
requires=$(rpm -qp --requires "$rpmfile" 2>/dev/null)
want=${want_requires:-"slurm$(rpm --eval '%{?_isa}') = $slurm_version"}
if printf '%s\n' "$requires" | grep -qxF "$want"; then
    ok "Requires: $want"
else
    not_ok "Requires lacks '$want':"; printf '%s\n' "$requires" | sed 's/^/    /'
fi

# The packaged plugins export what Slurm looks up, for this Slurm version.
mkdir -p "$work/root"
if rpm2archive - <"$rpmfile" | tar -xzf - -C "$work/root"; then
    GRANTS_PLUGIN_DIR=$work/root$libdir/slurm "$top/tests/check-exports.sh" >"$work/exports.log" 2>&1
    rc=$?
    sed 's/^/    /' "$work/exports.log"
    if [ "$rc" = 0 ]; then ok "the RPM's plugins pass check-exports.sh"; else not_ok "the RPM's plugins fail check-exports.sh"; fi
else
    not_ok "cannot unpack $rpmfile with rpm2archive"
fi
finish
