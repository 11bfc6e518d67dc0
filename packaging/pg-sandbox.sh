#!/bin/sh
# pg-sandbox.sh -- a throwaway PostgreSQL 15 for tests, benchmarks and the
# quick start: logical decoding on, durability off, one database "cdc".
#
#   pg-sandbox.sh start DIR PORT [NAME=VALUE...]
#                                  initdb DIR/data, start on 127.0.0.1:PORT;
#                                  each NAME=VALUE is a postgresql.conf line
#                                  after the defaults (so it wins), e.g.
#                                  wal_level=replica
#   pg-sandbox.sh stop DIR         immediate stop, then rm -rf DIR
#   pg-sandbox.sh status DIR       exit 0 if the server in DIR is running
#
# Connect with: host=127.0.0.1 port=PORT dbname=cdc user=postgres (trust).
#
# As root, the server runs as the "postgres" user (PostgreSQL refuses to run
# as root), so DIR and every directory above it must be traversable by
# postgres: DIR is created mode 0755 and chowned, and a parent that postgres
# cannot enter is reported instead of failing deep inside initdb.
# Exit codes: 0 ok, 1 failure, 2 usage, 3 PostgreSQL is not installed
# (callers that are tests turn 3 into a skip).
set -eu

me=$(basename "$0")

die() { echo "$me: $*" >&2; exit 1; }
usage() {
    echo "usage: $me start DIR PORT [NAME=VALUE...] | stop DIR | status DIR" >&2
    exit 2
}

# ------------------------------------------------------------------
# Locate the server binaries: $PG_BINDIR if set (and only it), else
# pg_config's bindir, else Debian's path.
# ------------------------------------------------------------------
find_bindir() {
    cands=""
    if [ -n "${PG_BINDIR:-}" ]; then
        cands=$PG_BINDIR
    else
        cands="$(pg_config --bindir 2>/dev/null || true) /usr/lib/postgresql/15/bin"
    fi
    for d in $cands; do
        if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

# Run a command as the server's owner: postgres when we are root, else us.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

abspath() {
    case "$1" in
        /*) echo "$1" ;;
        *) echo "$(pwd)/$1" ;;
    esac
}

cmd_start() {
    [ $# -ge 2 ] || usage
    dir=$(abspath "$1")
    port=$2
    shift 2
    for kv in "$@"; do
        case "$kv" in
            *=*) ;;
            *) die "extra settings are NAME=VALUE, got '$kv'" ;;
        esac
    done
    case "$port" in
        ''|*[!0-9]*) die "PORT must be a number, got '$port'" ;;
    esac

    if ! bindir=$(find_bindir); then
        echo "$me: PostgreSQL 15 server binaries not found (looked in \$PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/15/bin); install postgresql-15" >&2
        exit 3
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "$me: running as root but there is no 'postgres' user to run the server as; install postgresql-15" >&2
        exit 3
    fi

    if [ -e "$dir/data/PG_VERSION" ]; then
        die "$dir/data already holds a cluster; stop it first ($me stop $dir)"
    fi
    mkdir -p "$dir"
    chmod 0755 "$dir"

    if [ "$(id -u)" -eq 0 ]; then
        # Every ancestor must be enterable by postgres (LAB.md section 1).
        p=$dir
        while [ "$p" != "/" ]; do
            p=$(dirname "$p")
            if ! runuser -u postgres -- test -x "$p"; then
                die "user postgres cannot enter $p (mode $(stat -c %a "$p")); put DIR under a directory it can traverse, e.g. /tmp"
            fi
        done
        chown -R postgres:postgres "$dir"
    fi

    # The Unix socket path is limited to 107 bytes; fall back to TCP only.
    sockdir="$dir/sock"
    if [ $(( ${#sockdir} + 20 )) -gt 100 ]; then
        sockdir=""
    else
        as_owner mkdir -p "$sockdir"
    fi

    t0=$(date +%s.%N)
    if ! as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
            --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        die "initdb failed (log: $dir/initdb.log)"
    fi

    as_owner sh -c "cat >>'$dir/data/postgresql.conf'" <<CONF

# ---- pg-sandbox.sh: a throwaway server for tests ----
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
max_prepared_transactions = 10
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 2GB
checkpoint_timeout = 30min
log_min_messages = warning
log_line_prefix = '%m [%p] %q%a '
CONF
    if [ $# -gt 0 ]; then
        for kv in "$@"; do
            printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"
        done | as_owner sh -c "cat >>'$dir/data/postgresql.conf'"
    fi

    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 30 start >/dev/null 2>&1; then
        tail -n 20 "$dir/pg.log" >&2 || true
        die "server did not start on port $port (log: $dir/pg.log)"
    fi

    echo "$port" >"$dir/port" 2>/dev/null || as_owner sh -c "echo $port >'$dir/port'"
    if ! as_owner "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
            -v ON_ERROR_STOP=1 -c "CREATE DATABASE cdc" >/dev/null; then
        tail -n 20 "$dir/pg.log" >&2 || true
        die "CREATE DATABASE cdc failed"
    fi
    t1=$(date +%s.%N)
    printf '%s: PostgreSQL %s up in %.2fs: host=127.0.0.1 port=%s dbname=cdc user=postgres (data %s)\n' \
        "$me" "$("$bindir/postgres" -V | awk '{print $3}')" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$port" "$dir/data"
}

cmd_stop() {
    [ $# -eq 1 ] || usage
    dir=$(abspath "$1")
    [ -d "$dir" ] || return 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        if bindir=$(find_bindir); then
            as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        fi
        # Belt and braces: if pg_ctl could not stop it, kill the postmaster.
        if [ -f "$dir/data/postmaster.pid" ]; then
            pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
            case "$pid" in
                ''|*[!0-9]*) ;;
                *) kill -9 "$pid" 2>/dev/null || true ;;
            esac
        fi
    fi
    rm -rf "$dir"
}

cmd_status() {
    [ $# -eq 1 ] || usage
    dir=$(abspath "$1")
    bindir=$(find_bindir) || exit 3
    [ -d "$dir/data" ] || exit 1
    as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
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
