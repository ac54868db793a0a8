#!/bin/bash
# check-prefix.sh TARBALL - the packages build for a Slurm installed from
# source into a prefix (as /opt/slurm on AWS ParallelCluster):
#   1. SLURM_PREFIX=PREFIX SLURM_SOURCE=DIR dpkg-buildpackage -us -uc -b -d
#      in an unpacked copy of the release tarball
#   2. rpmbuild -tb --nodeps with slurm_prefix and slurm_source defined (when
#      rpmbuild is there)
# and each package's version names that Slurm's version, holds the plugins
# in the prefix's plugin directory (lib64/slurm or lib/slurm), whose
# plugin_version is the prefix's SLURM_VERSION_NUMBER, holds a grantctl
# whose RUNPATH is the prefix's library directory (and which loads the
# prefix's libslurm) and which looks for PREFIX/etc/slurm.conf, and depends
# on no Slurm package.  Nothing is installed;
# root is not needed.  Exit 77 when there is no such Slurm.
# Environment:
#   PACKAGE_SLURM_PREFIX  the Slurm to build against (default
#                 /var/cache/slurm-grants/slurm-24.11.5, from
#                 build-aux/build-slurm 24.11.5)
#   PACKAGE_SLURM_SOURCE  its configured source tree (default
#                 PREFIX/src/slurm-VERSION, build-aux/build-slurm's layout)
#   DEB_BUILD_OPTIONS  default nocheck, as in check-deb.sh
#   RPM_CHECK_TESTS=1  also run the spec's %check, as in check-rpm.sh
#   KEEP=1        keep the work directory (it is kept anyway when a check fails)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
tarball_arg "${1:-}"

prefix=${PACKAGE_SLURM_PREFIX:-/var/cache/slurm-grants/slurm-24.11.5}
prefix=${prefix%/}
header=$prefix/include/slurm/slurm_version.h
if [ ! -f "$header" ]; then
    echo "$me: skipped: no Slurm installed in $prefix (build-aux/build-slurm 24.11.5 builds one; or set PACKAGE_SLURM_PREFIX)" >&2
    exit 77
fi
for tool in dpkg-buildpackage dh dh_autoreconf readelf objdump nm; do
    command -v "$tool" >/dev/null ||
        die "$tool not found: install debhelper, dpkg-dev and binutils (build-aux/install-deps does)"
done

# What the packages must name: the prefix's own version number and string.
number=$(sed -n 's/^#define SLURM_VERSION_NUMBER[[:space:]]*//p' "$header")
[ -n "$number" ] || die "cannot read SLURM_VERSION_NUMBER from $header"
slurm=$(printf '%d.%02d.%d' $((number >> 16)) $(((number >> 8) & 255)) $((number & 255)))
src=${PACKAGE_SLURM_SOURCE:-$prefix/src/slurm-$slurm}
[ -f "$src/config.h" ] ||
    die "$src is not a configured Slurm source tree: set PACKAGE_SLURM_SOURCE to that of Slurm $slurm"
# Where configure looks, in its order.
plugindir='' libdir=''
for d in "$prefix/lib64/slurm" "$prefix/lib/slurm"; do
    if [ -f "$d/libslurmfull.so" ] || [ -f "$d/job_submit_lua.so" ]; then plugindir=$d; break; fi
done
for d in "$prefix/lib" "$prefix/lib64"; do
    if [ -f "$d/libslurm.so" ]; then libdir=$d; break; fi
done
if [ -z "$plugindir" ] || [ -z "$libdir" ]; then
    die "no Slurm plugin directory or libslurm.so under $prefix"
fi
soname=$(readelf -d "$libdir/libslurm.so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
echo "# Slurm $slurm ($number) in $prefix: plugins $plugindir, $soname in $libdir, source $src"

make_work_dir prefix

# check_root WHAT ROOT: the files of a package unpacked into ROOT.
check_root() {
    local what=$1 root=$2 addr bytes value runpath loaded
    for f in "$plugindir/job_submit_grants.so" "$plugindir/spank_grants.so" /usr/bin/grantctl; do
        if [ -f "$root$f" ]; then ok "$what contains $f"; else not_ok "$what lacks $f"; fi
    done
    # plugin_version: four little-endian bytes at its address (as
    # tests/check-exports.sh reads it).
    addr=$(nm -D --defined-only "$root$plugindir/job_submit_grants.so" 2>/dev/null |
        awk '$3 == "plugin_version" {print $1}')
    bytes=
    [ -n "$addr" ] && bytes=$(objdump -s --start-address="0x$addr" --stop-address=$((0x$addr + 4)) \
        "$root$plugindir/job_submit_grants.so" | awk '/^ [0-9a-f]+ / {print $2; exit}')
    value=0x${bytes:6:2}${bytes:4:2}${bytes:2:2}${bytes:0:2}
    if [ -n "$bytes" ] && [ "$((value))" = "$((number))" ]; then
        ok "$what: job_submit_grants.so plugin_version $value = Slurm $slurm's SLURM_VERSION_NUMBER"
    else
        not_ok "$what: job_submit_grants.so plugin_version '$value' (nm -D: '$addr'), Slurm $slurm's is $number"
    fi
    runpath=$(readelf -d "$root/usr/bin/grantctl" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\].*/\1/p')
    case ":$runpath:" in
        *":$libdir:"*) ok "$what: grantctl RUNPATH $runpath" ;;
        *) not_ok "$what: grantctl RUNPATH '$runpath' lacks $libdir" ;;
    esac
    if grep -aq "$prefix/etc/slurm.conf" "$root/usr/bin/grantctl"; then
        ok "$what: grantctl's default slurm.conf is $prefix/etc/slurm.conf"
    else
        not_ok "$what: grantctl's default slurm.conf is not $prefix/etc/slurm.conf"
    fi
    if command -v ldd >/dev/null; then
        loaded=$(ldd "$root/usr/bin/grantctl" 2>/dev/null | awk -v s="$soname" '$1 == s {print $3}')
        if [ "$loaded" = "$libdir/$soname" ]; then
            ok "$what: grantctl loads $loaded"
        else
            not_ok "$what: grantctl loads $soname from '$loaded', not from $libdir"
        fi
    fi
}

# ---- 1. the .deb
if command -v dpkg-deb >/dev/null; then
    tar -xzf "$tarball" -C "$work" || die "cannot unpack $tarball"
    arch=$(dpkg --print-architecture)
    changelog_version=$(dpkg-parsechangelog -l "$work/$name/debian/changelog" -S Version)
    export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck}
    start=$(date +%s)
    if (cd "$work/$name" && SLURM_PREFIX=$prefix SLURM_SOURCE=$src dpkg-buildpackage -us -uc -b -d) \
        >"$work/deb-build.log" 2>&1; then
        ok "SLURM_PREFIX=$prefix dpkg-buildpackage -us -uc -b -d (DEB_BUILD_OPTIONS='$DEB_BUILD_OPTIONS', $(($(date +%s) - start)) s)"
        test_flags_used "$work/deb-build.log"
        deb=$work/slurm-grants_${changelog_version}+slurm${slurm}_$arch.deb
        if [ -f "$deb" ]; then
            ok "built $(basename "$deb")"
            deb_version=$(dpkg-deb -f "$deb" Version)
            if [ "$deb_version" = "$changelog_version+slurm$slurm" ]; then
                ok "Version: $deb_version"
            else
                not_ok "Version: $deb_version, expected $changelog_version+slurm$slurm"
            fi
            depends=$(dpkg-deb -f "$deb" Depends)
            case $depends in
                *slurm-wlm* | *libslurm*) not_ok "Depends names a Slurm package: $depends" ;;
                *) ok "Depends names no Slurm package: $depends" ;;
            esac
            mkdir -p "$work/deb-root"
            if dpkg-deb -x "$deb" "$work/deb-root"; then
                check_root ".deb" "$work/deb-root"
            else
                not_ok "cannot unpack $deb"
            fi
        else
            not_ok "no $(basename "$deb") after the build: $(cd "$work" && echo *.deb)"
        fi
    else
        not_ok "dpkg-buildpackage against $prefix failed; last lines of $work/deb-build.log:"
        tail -n 40 "$work/deb-build.log" | sed 's/^/    /'
    fi
else
    echo "# no dpkg-deb: the .deb is not checked"
fi

# ---- 2. the RPM
if command -v rpmbuild >/dev/null && command -v rpm2archive >/dev/null; then
    rpmbuild_args=(--nodeps --define "_topdir $work/rpmbuild"
        --define "slurm_prefix $prefix" --define "slurm_source $src")
    [ "${RPM_CHECK_TESTS:-0}" = 1 ] || rpmbuild_args+=(--without tests)
    start=$(date +%s)
    if rpmbuild -tb "${rpmbuild_args[@]}" "${rpm_flag_args[@]}" "$tarball" >"$work/rpm-build.log" 2>&1; then
        ok "rpmbuild -tb --nodeps --define 'slurm_prefix $prefix' ($(($(date +%s) - start)) s)"
        test_flags_used "$work/rpm-build.log"
        rpmfile=$(find "$work/rpmbuild/RPMS" -name "slurm-grants-$version-*.rpm" ! -name '*debuginfo*' | head -n 1)
        if [ -f "$rpmfile" ]; then
            ok "built $(basename "$rpmfile")"
            release=$(rpm -qp --qf '%{RELEASE}' "$rpmfile" 2>/dev/null)
            case $release in
                1.slurm"$slurm" | 1.slurm"$slurm".*) ok "Release: $release" ;;
                *) not_ok "Release: $release, expected 1.slurm$slurm%{?dist}" ;;
            esac
            requires=$(rpm -qp --requires "$rpmfile" 2>/dev/null)
            if printf '%s\n' "$requires" | grep -qE '^(slurm|libslurm)'; then
                not_ok "Requires names Slurm:"; printf '%s\n' "$requires" | grep -E '^(slurm|libslurm)' | sed 's/^/    /'
            else
                ok "Requires names no Slurm package or library"
            fi
            mkdir -p "$work/rpm-root"
            if rpm2archive - <"$rpmfile" | tar -xzf - -C "$work/rpm-root"; then
                check_root "RPM" "$work/rpm-root"
            else
                not_ok "cannot unpack $rpmfile with rpm2archive"
            fi
        else
            not_ok "no slurm-grants-$version RPM under $work/rpmbuild/RPMS"
        fi
    else
        not_ok "rpmbuild against $prefix failed; last lines of $work/rpm-build.log:"
        tail -n 40 "$work/rpm-build.log" | sed 's/^/    /'
    fi
else
    echo "# no rpmbuild or rpm2archive: the RPM is not checked (apt-get install rpm rpm2cpio)"
fi
finish
