# my.sh -- helpers for the integration tests that run against a real
# MariaDB 10.11 (packaging/my-sandbox.sh). Source it from a bash test, on
# its own or after tests/lib/pg.sh (it sources pg.sh itself when needed,
# for step/info/fail/skip, pick_port and the EXIT trap):
#
#   . "${top_srcdir:-...}/tests/lib/my.sh"
#   my_init my_conn               # skip (77) without MariaDB; work dir, trap
#                                 # (tests that also need PostgreSQL call
#                                 # rc_init first; my_init then adds to it)
#   my_start                      # a sandbox on a free port:
#                                 #   $MYDIR $MYPORT $MYSOCK $MYPID
#   my_start binlog_format=STATEMENT   # extra my.cnf lines win over defaults
#   my_sql "INSERT ..."           # as root on database cdc, batch output
#                                 # without column names (one value: my_val)
#   my_stop                       # stop the current server (MYDIR)
#   mydump --check ...            # tests/lib/mydump with host/port/user and
#                                 # password (env MYPASSWORD) filled in
#
# Every server my_start started is stopped by the EXIT trap (pg.sh's, through
# rc_cleanup_hook), and their error logs are shown when the test failed.
# The replication user is $MYUSER/$MYPASSWORD (repl/replpw) with
# REPLICATION SLAVE, BINLOG MONITOR and SELECT on *.*.

# shellcheck shell=bash
# shellcheck disable=SC2034  # MYPORT etc. are used by the sourcing tests

_my_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! declare -F rc_workdir >/dev/null; then
    # shellcheck source=tests/lib/pg.sh
    . "$_my_lib_dir/pg.sh"
fi

MY_SANDBOX=$top_srcdir/packaging/my-sandbox.sh
MYDUMP=${MYDUMP:-$top_builddir/tests/lib/mydump}
MYHOST=127.0.0.1
MYUSER=repl
MYPASSWORD=replpw
export MYPASSWORD
MYDIR=""
MYPORT=""
MYSOCK=""
MYPID=""
_MY_DIRS=""
_MY_N=0

# my_init NAME: skip unless MariaDB and the helpers are there; the work dir
# and the EXIT trap (unless rc_init made them already).
my_init() {
    local name=${1:-$(basename "$0" .sh)}
    command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] ||
        skip "mariadbd is not installed (apt-get install mariadb-server)"
    command -v mariadb >/dev/null 2>&1 ||
        skip "the mariadb client is not installed (apt-get install mariadb-client)"
    [ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed (pick_port needs it)"
    [ -x "$MYDUMP" ] || fail "$MYDUMP does not exist: build it first (make tests/lib/mydump)"
    rc_workdir "$name"
    rc_cleanup_hook _my_cleanup
}

# my_start [my.cnf line...]: start a new sandbox in $WORK/myN on a free
# port; sets MYDIR MYPORT MYSOCK MYPID. Earlier servers keep running.
my_start() {
    local tries=0 rc
    [ -n "$WORK" ] || my_init
    rc_cleanup_hook _my_cleanup
    _MY_N=$((_MY_N + 1))
    MYDIR=$WORK/my$_MY_N
    while :; do
        MYPORT=$(pick_port)
        [ -n "$MYPORT" ] || fail "no free TCP port found"
        rc=0
        "$MY_SANDBOX" start "$MYDIR" "$MYPORT" "$@" >"$WORK/my-sandbox.$_MY_N.log" 2>&1 || rc=$?
        [ "$rc" -eq 0 ] && break
        [ "$rc" -eq 3 ] && skip "$(cat "$WORK/my-sandbox.$_MY_N.log")"
        tries=$((tries + 1))
        if [ "$tries" -ge 3 ]; then
            cat "$WORK/my-sandbox.$_MY_N.log" >&2
            fail "could not start MariaDB"
        fi
        # keep the error log of the failed try, then clean up
        "$MY_SANDBOX" stop "$MYDIR" >/dev/null 2>&1 || true
    done
    _MY_DIRS="$_MY_DIRS $MYDIR"
    MYSOCK=$(cat "$MYDIR/socket")
    MYPID=$(cat "$MYDIR/mariadbd.pid" 2>/dev/null || cat "$MYDIR/server.pid")
    info "$(cat "$WORK/my-sandbox.$_MY_N.log")"
}

# my_sql SQL [client args...]: run SQL as root on database cdc.
my_sql() {
    local sql=$1
    shift
    mariadb --no-defaults -S "$MYSOCK" -uroot -N -B "$@" cdc -e "$sql"
}

# my_val SQL: the first column of the first row.
my_val() { my_sql "$1" | head -n 1; }

# my_stop [DIR]: stop a server (default the current one) and remove it.
my_stop() {
    local dir=${1:-$MYDIR} d rest=""
    [ -n "$dir" ] || return 0
    "$MY_SANDBOX" stop "$dir" >/dev/null 2>&1 || true
    for d in $_MY_DIRS; do
        [ "$d" = "$dir" ] || rest="$rest $d"
    done
    _MY_DIRS=$rest
}

# mydump ARGS...: tests/lib/mydump against the current server as $MYUSER.
mydump() {
    "$MYDUMP" --host "$MYHOST" --port "$MYPORT" --user "$MYUSER" \
        --password-env MYPASSWORD "$@"
}

_my_cleanup() {
    local rc=$1 d
    for d in $_MY_DIRS; do
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -s "$d/error.log" ]; then
            echo "---- last lines of $d/error.log ----"
            tail -n 15 "$d/error.log"
        fi
        "$MY_SANDBOX" stop "$d" >/dev/null 2>&1
    done
    _MY_DIRS=""
}
