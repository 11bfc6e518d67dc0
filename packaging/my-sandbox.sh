#!/bin/sh
# my-sandbox.sh -- a throwaway MariaDB (10.11) for tests, benchmarks and the
# quick start: binlog on in the form rowcast needs (ROW, FULL image, FULL
# metadata, CRC32, GTID strict mode), durability off, one database "cdc".
#
#   my-sandbox.sh start DIR PORT [my.cnf line...]   install DIR/data, start
#                                                    on 127.0.0.1:PORT
#   my-sandbox.sh stop DIR         shut down (SIGTERM, then SIGKILL), rm -rf DIR
#   my-sandbox.sh status DIR       exit 0 if the server in DIR answers
#
# Extra server settings, to start a server that is configured wrongly on
# purpose, come after PORT (one my.cnf line each) and from
# $MY_SANDBOX_EXTRA (lines separated by newlines or ';'). They are written
# after the defaults, so they win:
#   my-sandbox.sh start /tmp/m 53306 binlog_format=STATEMENT
#   MY_SANDBOX_EXTRA="binlog_row_metadata=MINIMAL" my-sandbox.sh start ...
#
# Connect: host=127.0.0.1 port=PORT user=repl password=replpw (REPLICATION
# SLAVE, BINLOG MONITOR, SELECT on *.*), or as root without a password over
# the socket whose path is in DIR/socket:
#   mariadb --no-defaults -S "$(cat DIR/socket)" -uroot cdc
# The binlog is DIR/data/mysql-bin.NNNNNN; server_id=1, gtid_domain_id=0.
#
# As root the server runs as root (--user=root, LAB.md section 2).
# Exit codes: 0 ok, 1 failure, 2 usage, 3 MariaDB is not installed
# (callers that are tests turn 3 into a skip).
set -eu

me=$(basename "$0")

die() { echo "$me: $*" >&2; exit 1; }
usage() {
    echo "usage: $me start DIR PORT [my.cnf line...] | stop DIR | status DIR" >&2
    exit 2
}

abspath() {
    case "$1" in
        /*) echo "$1" ;;
        *) echo "$(pwd)/$1" ;;
    esac
}

find_bins() {
    MARIADBD=$(command -v mariadbd 2>/dev/null || true)
    [ -n "$MARIADBD" ] || { [ -x /usr/sbin/mariadbd ] && MARIADBD=/usr/sbin/mariadbd; } || true
    INSTALL_DB=$(command -v mariadb-install-db 2>/dev/null || true)
    CLIENT=$(command -v mariadb 2>/dev/null || true)
    [ -n "$MARIADBD" ] && [ -n "$INSTALL_DB" ] && [ -n "$CLIENT" ]
}

# The server's socket: in DIR when the path fits in sun_path (107 bytes),
# else in a short directory under /tmp whose name is kept in DIR/sockdir.
pick_socket() {
    if [ $(( ${#1} + 10 )) -le 100 ]; then
        echo "$1/my.sock"
    else
        d=$(mktemp -d /tmp/mysb.XXXXXX)
        echo "$d" >"$1/sockdir"
        echo "$d/my.sock"
    fi
}

sql_root() {
    "$CLIENT" --no-defaults -S "$sock" -uroot --connect-timeout=2 "$@"
}

cmd_start() {
    [ $# -ge 2 ] || usage
    dir=$(abspath "$1")
    port=$2
    shift 2
    case "$port" in
        ''|*[!0-9]*) die "PORT must be a number, got '$port'" ;;
    esac
    if ! find_bins; then
        echo "$me: MariaDB server not found (mariadbd, mariadb-install-db and mariadb are needed); install mariadb-server and mariadb-client" >&2
        exit 3
    fi
    if [ -e "$dir/data/mysql" ]; then
        die "$dir/data already holds a server; stop it first ($me stop $dir)"
    fi
    mkdir -p "$dir"
    sock=$(pick_socket "$dir")
    echo "$sock" >"$dir/socket"
    echo "$port" >"$dir/port"

    t0=$(date +%s.%N)
    userarg=""
    [ "$(id -u)" -eq 0 ] && userarg="--user=root"
    # shellcheck disable=SC2086
    if ! "$INSTALL_DB" --no-defaults --datadir="$dir/data" $userarg \
            --auth-root-authentication-method=normal --skip-test-db \
            >"$dir/install.log" 2>&1; then
        tail -n 20 "$dir/install.log" >&2
        die "mariadb-install-db failed (log: $dir/install.log)"
    fi

    {
        echo "[mariadbd]"
        [ -n "$userarg" ] && echo "user=root"
        cat <<CNF
datadir=$dir/data
socket=$sock
pid-file=$dir/mariadbd.pid
log-error=$dir/error.log
bind-address=127.0.0.1
port=$port
skip-name-resolve
# --defaults-file skips Debian's /etc/mysql: say utf8mb4 ourselves
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
server_id=1
log_bin=$dir/data/mysql-bin
binlog_format=ROW
binlog_row_image=FULL
binlog_row_metadata=FULL
binlog_checksum=CRC32
binlog_annotate_row_events=ON
gtid_domain_id=0
gtid_strict_mode=ON
log_slave_updates=ON
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=2
sync_binlog=0
# ---- extra settings (my-sandbox.sh arguments, \$MY_SANDBOX_EXTRA) ----
CNF
        for l in "$@"; do echo "$l"; done
        if [ -n "${MY_SANDBOX_EXTRA:-}" ]; then
            printf '%s\n' "$MY_SANDBOX_EXTRA" | tr ';' '\n' | sed 's/^ *//; /^$/d'
        fi
    } >"$dir/my.cnf"

    "$MARIADBD" --defaults-file="$dir/my.cnf" >"$dir/mariadbd.out" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/server.pid"
    # Ready means a real query works (mariadb-admin ping also "succeeds"
    # on access denied, LAB.md).
    tries=0
    until sql_root -e 'SELECT 1' >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$dir/error.log" >&2 2>/dev/null || cat "$dir/mariadbd.out" >&2
            die "mariadbd exited during start-up (log: $dir/error.log)"
        fi
        tries=$((tries + 1))
        if [ "$tries" -ge 300 ]; then
            tail -n 20 "$dir/error.log" >&2 || true
            die "server did not answer on $sock within 30 s (log: $dir/error.log)"
        fi
        sleep 0.1
    done
    if ! sql_root -e "
        CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
        CREATE USER 'repl'@'localhost' IDENTIFIED BY 'replpw';
        GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'repl'@'127.0.0.1';
        GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'repl'@'localhost';
        CREATE DATABASE cdc;" >"$dir/setup.log" 2>&1; then
        cat "$dir/setup.log" >&2
        die "creating user repl and database cdc failed"
    fi
    t1=$(date +%s.%N)
    printf '%s: MariaDB %s up in %.2fs: host=127.0.0.1 port=%s user=repl password=replpw database=cdc socket=%s pid=%s (data %s)\n' \
        "$me" "$(sql_root -N -B -e 'SELECT VERSION()')" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$port" "$sock" "$pid" "$dir/data"
}

server_pid() {
    p=""
    [ -f "$1/mariadbd.pid" ] && p=$(head -n 1 "$1/mariadbd.pid" 2>/dev/null || true)
    [ -z "$p" ] && [ -f "$1/server.pid" ] && p=$(head -n 1 "$1/server.pid" 2>/dev/null || true)
    case "$p" in
        ''|*[!0-9]*) echo "" ;;
        *) echo "$p" ;;
    esac
}

cmd_stop() {
    [ $# -eq 1 ] || usage
    dir=$(abspath "$1")
    [ -d "$dir" ] || return 0
    pid=$(server_pid "$dir")
    # only a mariadbd that runs from this DIR's my.cnf is ours to stop
    if [ -n "$pid" ] && grep -q -- "$dir/my.cnf" "/proc/$pid/cmdline" 2>/dev/null; then
        kill -CONT "$pid" 2>/dev/null || true     # a test may have stopped it
        kill -TERM "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 300 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    if [ -f "$dir/sockdir" ]; then
        sd=$(cat "$dir/sockdir")
        case "$sd" in
            /tmp/mysb.*) rm -rf "$sd" ;;
        esac
    fi
    rm -rf "$dir"
}

cmd_status() {
    [ $# -eq 1 ] || usage
    dir=$(abspath "$1")
    find_bins || exit 3
    [ -f "$dir/socket" ] || exit 1
    sock=$(cat "$dir/socket")
    sql_root -e 'SELECT 1' >/dev/null 2>&1
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    *) usage ;;
esac
