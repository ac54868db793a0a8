#!/bin/sh
# The plugins export exactly what Slurm looks up, and nothing else.
set -u
dir=${GRANTS_PLUGIN_DIR:?GRANTS_PLUGIN_DIR must name the built plugins}
pass=0 fail=0

check() {  # check FILE EXPECTED-SYMBOLS
    actual=$(nm -D --defined-only "$dir/$1" | awk '{print $3}' | sort | tr '\n' ' ')
    expected=$(printf '%s\n' $2 | sort | tr '\n' ' ')
    if [ "$actual" = "$expected" ]; then
        echo "ok - $1 exports: $actual"; pass=$((pass + 1))
    else
        echo "not ok - $1 exports '$actual', expected '$expected'"; fail=$((fail + 1))
    fi
}

check job_submit_grants.so "plugin_name plugin_type plugin_version init fini job_submit job_modify"
check spank_grants.so "plugin_name plugin_type plugin_version spank_plugin_version slurm_spank_init slurm_spank_init_post_opt slurm_spank_task_init slurm_spank_exit"

# plugin_version must equal SLURM_VERSION_NUMBER of the Slurm built against
# (the system's, or the one in configure's --with-slurm prefix).
installed=$(awk '/define SLURM_VERSION_NUMBER/ {print $3}' "${GRANTS_SLURM_INCLUDEDIR:-/usr/include}/slurm/slurm_version.h")
addr=$(nm -D --defined-only "$dir/job_submit_grants.so" | awk '$3 == "plugin_version" {print $1}')
# Four little-endian bytes at that address, read with objdump (binutils).
bytes=$(objdump -s --start-address=0x$addr --stop-address=$((0x$addr + 4)) "$dir/job_submit_grants.so" |
    awk '/^ [0-9a-f]+ / {print $2; exit}')
value=0x$(echo "$bytes" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')
if [ -n "$bytes" ] && [ "$(printf '%d' "$value")" = "$(printf '%d' "$installed")" ]; then
    echo "ok - plugin_version $value equals the installed Slurm's $installed"; pass=$((pass + 1))
else
    echo "not ok - plugin_version '$value' differs from the installed Slurm's $installed"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
