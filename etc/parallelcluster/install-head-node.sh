#!/bin/bash
# Install slurm-grants on the head node of an AWS ParallelCluster 3.x cluster.
# Run it as a HeadNode custom action (OnNodeStart, OnNodeConfigured or
# OnNodeUpdated) or by hand, as root. The admin guide ("AWS ParallelCluster")
# has the whole recipe; the short version:
#
#   install-head-node.sh --from DIR|s3://BUCKET/PREFIX [--prefix /opt/slurm]
#       [--policy FILE] [--ledger FILE [--state-save-location DIR]] [--no-restart]
#
# --from holds the plugins built for this cluster's Slurm (job_submit_grants.so,
# spank_grants.so) and, optionally, grantctl and grants.yaml. The script:
#   - installs the plugins into Slurm's PluginDir (PREFIX/lib/slurm, which
#     ParallelCluster shares with the compute and login nodes), grantctl into
#     PREFIX/bin, the policy as PREFIX/etc/grants.yaml (root:SlurmUser 0640);
#   - adds ONE line loading spank_grants.so to the plugstack.conf that Slurm
#     reads (PlugStackConfig, default PREFIX/etc/plugstack.conf), keeping the
#     lines already there (pyxis...);
#   - makes sure JobSubmitPlugins names grants: when CustomSlurmSettings in
#     the cluster configuration already says so, nothing to do; otherwise it
#     adds it to pcluster/custom_slurm_settings_include_file_slurm.conf (the
#     file ParallelCluster writes from CustomSlurmSettings) and says that the
#     cluster configuration needs it too;
#   - with --ledger, puts a ledger copied from a replaced cluster in place when
#     this head node has none yet;
#   - restarts slurmctld (systemd) when JobSubmitPlugins changed, unless
#     --no-restart.
# Running it again with the same files changes nothing. Exit status: 0 done,
# 1 something could not be installed, 2 bad arguments.
set -u
umask 022

prog=install-head-node.sh
say() { printf '%s: %s\n' "$prog" "$*"; }
usage_error() { printf '%s: %s (see --help)\n' "$prog" "$*" >&2; exit 2; }
fail() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

usage() {
    cat <<'EOF'
Usage: install-head-node.sh --from DIR|s3://BUCKET/PREFIX [--prefix DIR]
                            [--policy FILE] [--ledger FILE] [--state-save-location DIR]
                            [--no-restart]
Installs slurm-grants on an AWS ParallelCluster head node (Slurm in --prefix,
default /opt/slurm).
  --from SRC     directory (or S3 prefix, copied with the aws CLI) holding
                 job_submit_grants.so and spank_grants.so, and optionally
                 grantctl and grants.yaml
  --prefix DIR   Slurm's installation prefix (default /opt/slurm)
  --policy FILE  the grant policy to install (default SRC/grants.yaml; the
                 one already installed is kept when neither is given)
  --ledger FILE  a ledger copied from the cluster this one replaces (a file
                 or an S3 object); installed only when this head node has no
                 ledger yet
  --state-save-location DIR
                 where the ledger goes (DIR/grants/ledger.db); default
                 slurm.conf's StateSaveLocation, else ParallelCluster's
                 /var/spool/slurm.state
  --no-restart   do not restart slurmctld when JobSubmitPlugins changed
EOF
}

from="" prefix=/opt/slurm policy="" ledger="" state_save="" restart=1
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --from | --prefix | --policy | --ledger | --state-save-location)
            [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"
            case $1 in
                --from) from=$2 ;;
                --prefix) prefix=$2 ;;
                --policy) policy=$2 ;;
                --ledger) ledger=$2 ;;
                --state-save-location) state_save=$2 ;;
            esac
            shift 2 ;;
        --no-restart) restart=0; shift ;;
        *) usage_error "unknown argument '$1'" ;;
    esac
done
[ -n "$from" ] || usage_error "--from is required: the directory or S3 prefix holding the built plugins"
[ -d "$prefix/etc" ] || usage_error "$prefix does not look like a Slurm installation (no $prefix/etc directory); give --prefix"
[ -z "$policy" ] || [ -f "$policy" ] || usage_error "--policy $policy is not a file"
case $ledger in
    "" | s3://*) ;;
    *) [ -f "$ledger" ] || usage_error "--ledger $ledger is not a file" ;;
esac

tmp=$(mktemp -d) || fail "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT

case $from in
    s3://*)
        command -v aws >/dev/null 2>&1 || fail "--from $from needs the aws CLI, which is not installed"
        aws s3 cp --recursive --quiet "$from" "$tmp/from" >"$tmp/aws.log" 2>&1 ||
            fail "cannot copy $from: $(tail -n 1 "$tmp/aws.log")"
        src=$tmp/from ;;
    *)
        [ -d "$from" ] || usage_error "--from $from is not a directory"
        src=$from ;;
esac
case $ledger in
    s3://*)
        command -v aws >/dev/null 2>&1 || fail "--ledger $ledger needs the aws CLI, which is not installed"
        aws s3 cp --quiet "$ledger" "$tmp/ledger.db" >"$tmp/aws.log" 2>&1 ||
            fail "cannot copy $ledger: $(tail -n 1 "$tmp/aws.log")"
        ledger=$tmp/ledger.db ;;
esac
for f in job_submit_grants.so spank_grants.so; do
    [ -f "$src/$f" ] || usage_error "$from has no $f (build it for this cluster's Slurm, see the admin guide)"
done
[ -n "$policy" ] || { [ -f "$src/grants.yaml" ] && policy=$src/grants.yaml; }

etc=$prefix/etc
conf=$etc/slurm.conf
custom=$etc/pcluster/custom_slurm_settings_include_file_slurm.conf
# The files ParallelCluster's slurm.conf consists of, in the order Slurm reads
# them: slurm.conf, slurm_parallelcluster.conf, then the custom settings.
conf_files=()
for f in "$conf" "$etc/slurm_parallelcluster.conf" "$custom"; do
    [ -f "$f" ] && conf_files+=("$f")
done

# conf_value KEY: its last value in the files above (keys are case-insensitive).
conf_value() {
    [ ${#conf_files[@]} -gt 0 ] || return 0
    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([^[:space:]#]*\).*/\1/Ip" "${conf_files[@]}" | tail -n 1
}

slurm_user=$(conf_value SlurmUser)
slurm_user=${slurm_user:-slurm}
slurm_group=$(id -gn "$slurm_user" 2>/dev/null) || slurm_group=root
plugin_dir=$(conf_value PluginDir)
plugin_dir=${plugin_dir%%:*}
if [ -z "$plugin_dir" ]; then
    plugin_dir=$prefix/lib/slurm
    [ -d "$prefix/lib64/slurm" ] && plugin_dir=$prefix/lib64/slurm
fi
[ -d "$plugin_dir" ] || fail "Slurm's plugin directory $plugin_dir does not exist"
plugstack=$(conf_value PlugStackConfig)
plugstack=${plugstack:-$etc/plugstack.conf}
[ -n "$state_save" ] || state_save=$(conf_value StateSaveLocation)
state_save=${state_save:-/var/spool/slurm.state}   # ParallelCluster's

# put SRC DEST MODE OWNER:GROUP: install when the content, mode or owner differ.
put() {
    local what
    what=$(basename "$2")
    if [ -f "$2" ] && cmp -s "$1" "$2" &&
        [ "$(stat -c '%a %U:%G' "$2")" = "$(printf '%o' "0$3") $4" ]; then
        say "$2 is up to date"
        return 0
    fi
    install -D -m "$3" -o "${4%%:*}" -g "${4#*:}" "$1" "$2" || fail "cannot install $what as $2"
    say "installed $2"
}

put "$src/job_submit_grants.so" "$plugin_dir/job_submit_grants.so" 755 root:root
put "$src/spank_grants.so" "$plugin_dir/spank_grants.so" 755 root:root
[ -f "$src/grantctl" ] && put "$src/grantctl" "$prefix/bin/grantctl" 755 root:root

installed_policy=$etc/grants.yaml
if [ -n "$policy" ]; then
    if [ -x "$prefix/bin/grantctl" ] && ! SLURM_CONF=$conf "$prefix/bin/grantctl" check "$policy" >"$tmp/check.log" 2>&1; then
        fail "the policy $policy does not validate: $(head -n 1 "$tmp/check.log")"
    fi
    put "$policy" "$installed_policy" 640 "root:$slurm_group"
elif [ -f "$installed_policy" ]; then
    say "keeping the installed policy $installed_policy"
else
    fail "no policy: put grants.yaml next to the plugins, or give --policy FILE"
fi

# One line in plugstack.conf; any other line (pyxis, an include) stays as it is.
line="required $plugin_dir/spank_grants.so policy=$installed_policy"
loads_grants='^[[:space:]]*(required|optional)[[:space:]]+[^[:space:]]*spank_grants\.so([[:space:]]|$)'
elsewhere=""
for f in "$(dirname "$plugstack")"/plugstack.conf.d/*; do
    [ -f "$f" ] && [ "$f" != "$plugstack" ] && grep -Eq "$loads_grants" "$f" && elsewhere=$f
done
if [ -n "$elsewhere" ]; then
    say "spank_grants.so is already loaded from $elsewhere; $plugstack left as it is"
elif [ -f "$plugstack" ] && grep -Eq "$loads_grants" "$plugstack"; then
    if [ "$(grep -E "$loads_grants" "$plugstack")" = "$line" ]; then
        say "$plugstack already loads spank_grants.so"
    else
        # Our own line with other arguments or path: replaced in place.
        RE=$loads_grants LINE=$line awk '$0 ~ ENVIRON["RE"] { if (!done) print ENVIRON["LINE"]; done = 1; next } { print }' \
            "$plugstack" >"$tmp/plugstack" && cat "$tmp/plugstack" >"$plugstack" ||
            fail "cannot update $plugstack"
        say "updated the spank_grants.so line of $plugstack"
    fi
else
    if [ -s "$plugstack" ] && [ -n "$(tail -c 1 "$plugstack")" ]; then echo >>"$plugstack"; fi
    printf '%s\n' "$line" >>"$plugstack" || fail "cannot write $plugstack"
    chmod 0644 "$plugstack"
    say "added spank_grants.so to $plugstack"
fi

# JobSubmitPlugins, the ParallelCluster way.
changed_job_submit=0
if [ ! -f "$conf" ]; then
    say "$conf is not written yet (OnNodeStart): JobSubmitPlugins=grants must come from CustomSlurmSettings"
else
    current=$(conf_value JobSubmitPlugins)
    case ",$current," in
        *,grants,* | *,job_submit/grants,*)
            say "JobSubmitPlugins already names grants ($current)" ;;
        *)
            if ! grep -Eq '^[[:space:]]*include[[:space:]]+(pcluster/custom_slurm_settings_include_file_slurm\.conf|'"$custom"')([[:space:]]|$)' \
                "${conf_files[@]}"; then
                fail "$conf does not include $custom (ParallelCluster before 3.6?): add JobSubmitPlugins=grants to slurm.conf yourself"
            fi
            mkdir -p "$(dirname "$custom")" || fail "cannot create $(dirname "$custom")"
            if [ -f "$custom" ] && grep -Eiq '^[[:space:]]*JobSubmitPlugins[[:space:]]*=' "$custom"; then
                sed -Ei 's/^([[:space:]]*JobSubmitPlugins[[:space:]]*=[[:space:]]*[^[:space:]#]+)/\1,grants/I' "$custom" ||
                    fail "cannot update $custom"
            else
                printf 'JobSubmitPlugins=%s\n' "${current:+$current,}grants" >>"$custom" || fail "cannot write $custom"
            fi
            changed_job_submit=1
            say "added grants to JobSubmitPlugins in $custom; add JobSubmitPlugins: grants under Scheduling/SlurmSettings/CustomSlurmSettings in the cluster configuration too, or the next pcluster update-cluster removes it" ;;
    esac
fi

# A ledger carried over from the cluster this one replaces.
if [ -n "$ledger" ]; then
    dest=$state_save/grants/ledger.db
    if [ -e "$dest" ]; then
        say "$dest exists, so --ledger is not used (it is only for a new head node, before slurmctld first starts with grants)"
    else
        install -d -m 0700 -o "$slurm_user" -g "$slurm_group" "$state_save/grants" 2>/dev/null ||
            install -d -m 0700 "$state_save/grants" || fail "cannot create $state_save/grants"
        install -m 0600 -o "$slurm_user" -g "$slurm_group" "$ledger" "$dest" || fail "cannot install the ledger as $dest"
        say "installed the ledger $ledger as $dest"
    fi
fi

if [ "$changed_job_submit" = 1 ]; then
    # slurmctld loads job_submit plugins only when it starts.
    if [ "$restart" = 1 ] && command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet slurmctld; then
        systemctl restart slurmctld || fail "cannot restart slurmctld (systemctl restart slurmctld)"
        say "restarted slurmctld"
    else
        say "restart slurmctld for JobSubmitPlugins to take effect"
    fi
fi
exit 0
