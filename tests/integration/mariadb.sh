# A private MariaDB for tests, in a directory of its own (sourced; bash).
#   mariadb_start DIR PORT   datadir DIR/data, socket DIR/mysql.sock, TCP on
#                            127.0.0.1:PORT; root by unix socket
#   mariadb_stop DIR         TERM, then KILL after 30 s; only the server whose
#                            pid DIR/mariadbd.pid names and whose command line
#                            names DIR
#   mariadb_root DIR SQL...  runs SQL as root over the socket
# The datadir survives a stop, so mariadb_start DIR PORT again restarts the
# same server (an outage and its end).

_mariadb_ok() { mariadb-admin --no-defaults --socket="$1/mysql.sock" -uroot ping >/dev/null 2>&1; }

mariadb_start() {
    local dir=$1 port=$2 i
    # Its own temporary directory, as in cluster.sh's.
    mkdir -p "$dir/tmp" && chmod 0700 "$dir" "$dir/tmp" || return 1
    if [ ! -d "$dir/data/mysql" ]; then
        mariadb-install-db --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --user=root --auth-root-authentication-method=socket \
            --skip-test-db >"$dir/install.log" 2>&1 || { echo "mariadb-install-db failed:"; tail -5 "$dir/install.log"; return 1; }
    fi
    mariadbd --no-defaults --user=root --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$dir/mysql.sock" --port="$port" \
        --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$dir/mariadbd.pid" --log-error="$dir/mariadbd.log" \
        </dev/null >/dev/null 2>&1 &
    for i in $(seq 1 300); do
        _mariadb_ok "$dir" && return 0
        sleep 0.1
    done
    echo "MariaDB in $dir did not come up:"; tail -5 "$dir/mariadbd.log"
    return 1
}

mariadb_stop() {
    local dir=$1 pid i
    pid=$(cat "$dir/mariadbd.pid" 2>/dev/null) || return 0
    [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--datadir=$dir/data" || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    sleep 0.5
}

mariadb_root() {
    local dir=$1
    shift
    mariadb --no-defaults --socket="$dir/mysql.sock" -uroot -N -B -e "$*"
}
