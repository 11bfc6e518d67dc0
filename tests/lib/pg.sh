# pg.sh -- helpers for the integration tests that run the real rowcast
# against a real PostgreSQL 15. Source it from a bash test script:
#
#   . "${top_srcdir:-...}/tests/lib/pg.sh"
#   rc_init pg_types            # skip checks, work dir, EXIT trap
#   pg_start                    # sandbox on a free port; $PGPORT, $DSN
#   psql_cdc -c "CREATE TABLE ..."
#   rc_config "$WORK/rowcast.conf" "public.a, public.b"
#   rc_start "$WORK/rowcast.conf"   # $RC_PID, logs in $WORK/rowcast.N.{out,err}
#   wait_for 30 "3 events" out_count_is 3
#   rc_stop                     # SIGTERM, wait, exit status must be 0
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip. The EXIT trap always
# stops every rowcast and background process started through these helpers
# and the PostgreSQL sandbox, and removes the work directory (kept when
# ROWCAST_KEEP_WORK=1). Always /usr/bin/python3: the python3 on PATH may be
# a pyenv without Debian's avro and psycopg2 (LAB.md).

# shellcheck shell=bash

# shellcheck disable=SC2034,SC2119,SC2120  # DSN etc. are used by the sourcing tests
_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$_lib_dir/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

ROWCAST=${ROWCAST:-$top_builddir/rowcast}
PY=/usr/bin/python3
PGCOMPARE=$top_srcdir/tests/lib/pgcompare.py
SANDBOX=$top_srcdir/packaging/pg-sandbox.sh
SOURCE_NAME=shop

T_START=$(date +%s)
WORK=""
PGDIR=""
PGPORT=""
RC_PID=""
RC_N=0
_RC_PIDS=""
_BG_PIDS=""
_FAILED=0

step() { printf '==> [%3ds] %s\n' "$(( $(date +%s) - T_START ))" "$*"; }
info() { printf '    %s\n' "$*"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() {
    echo "FAIL: $*" >&2
    _FAILED=1
    exit 1
}
# check_fail MSG: record a failed check and go on with the next one, so that
# one run reports every problem; rc_finish then exits 1.
_CHECK_FAILS=""
check_fail() {
    echo "FAIL: $*" >&2
    _CHECK_FAILS="$_CHECK_FAILS
  - $*"
}
rc_finish() {
    if [ -n "$_CHECK_FAILS" ]; then
        echo "failed checks:$_CHECK_FAILS" >&2
        exit 1
    fi
    exit 0
}

# ------------------------------------------------------------------
# Set-up and the EXIT trap
# ------------------------------------------------------------------

rc_init() {
    local name=${1:-test}
    [ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
    $PY -c 'import avro.io, avro.schema' 2>/dev/null ||
        skip "python3-avro is missing for /usr/bin/python3 (apt-get install python3-avro)"
    $PY -c 'import psycopg2' 2>/dev/null ||
        skip "python3-psycopg2 is missing for /usr/bin/python3 (apt-get install python3-psycopg2)"
    command -v psql >/dev/null 2>&1 || skip "psql is not installed (postgresql-client-15)"
    [ -x "$ROWCAST" ] || fail "$ROWCAST does not exist: build it first (make rowcast)"
    rc_workdir "$name"
}

# rc_workdir NAME: the work dir and the EXIT trap, without rc_init's
# PostgreSQL and Python checks (for tests that need no PostgreSQL, e.g.
# through tests/lib/my.sh).
rc_workdir() {
    local name=${1:-test}
    [ -z "$WORK" ] || return 0
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/rowcast-$name.XXXXXX")
    chmod 0755 "$WORK"   # the sandbox's postgres user must traverse it
    trap _rc_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    step "$name: work dir $WORK"
}

_rc_cleanup() {
    local rc=$?
    set +e
    trap - EXIT
    local p
    for p in $_BG_PIDS; do
        kill "$p" 2>/dev/null
    done
    for p in $_RC_PIDS; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null
            for _ in 1 2 3 4 5 6 7 8 9 10; do
                kill -0 "$p" 2>/dev/null || break
                sleep 0.2
            done
            kill -KILL "$p" 2>/dev/null
        fi
    done
    wait 2>/dev/null
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$WORK" ]; then
        local f
        for f in "$WORK"/rowcast.*.err; do
            [ -s "$f" ] || continue
            echo "---- last lines of $f ----"
            tail -n 25 "$f"
        done
        if [ -n "$PGDIR" ] && [ -s "$PGDIR/pg.log" ]; then
            echo "---- last lines of the PostgreSQL log ----"
            tail -n 15 "$PGDIR/pg.log"
        fi
    fi
    local h
    for h in $_RC_CLEANUP_HOOKS; do
        "$h" "$rc"
    done
    if [ -n "$PGDIR" ]; then
        "$SANDBOX" stop "$PGDIR" >/dev/null 2>&1
    fi
    if [ -n "$WORK" ]; then
        if [ "${ROWCAST_KEEP_WORK:-0}" = 1 ]; then
            echo "work dir kept: $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    case $rc in
        0) echo "PASS ($(( $(date +%s) - T_START ))s)" ;;
        77) ;;
        *) echo "FAILED with exit $rc ($(( $(date +%s) - T_START ))s)" ;;
    esac
    exit "$rc"
}

# Register a background process for the EXIT trap.
bg_track() { _BG_PIDS="$_BG_PIDS $1"; }

# rc_cleanup_hook FUNC: the EXIT trap calls FUNC EXIT_STATUS after the
# background processes are gone and before the work dir is removed (other
# harnesses stop their servers there, e.g. tests/lib/my.sh).
_RC_CLEANUP_HOOKS=""
rc_cleanup_hook() {
    case " $_RC_CLEANUP_HOOKS " in
        *" $1 "*) ;;
        *) _RC_CLEANUP_HOOKS="$_RC_CLEANUP_HOOKS $1" ;;
    esac
}

# ------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------

# A TCP port on 127.0.0.1 that nothing listens on and we can bind now.
pick_port() {
    $PY - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randint(20000, 60999)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    c = socket.socket()
    c.settimeout(0.2)
    try:
        c.connect(("127.0.0.1", p))
        c.close()
        continue            # someone listens there (e.g. on 0.0.0.0)
    except OSError:
        pass
    print(p)
    break
EOF
}

# pg_start [NAME=VALUE...]: start the sandbox in $WORK/pg, with extra
# postgresql.conf settings that win over the sandbox's (e.g.
# wal_level=replica); sets PGPORT, DSN, CONNINFO.
pg_start() {
    local tries=0 rc
    PGDIR=$WORK/pg
    while :; do
        PGPORT=$(pick_port)
        [ -n "$PGPORT" ] || fail "no free TCP port found"
        rc=0
        "$SANDBOX" start "$PGDIR" "$PGPORT" "$@" >"$WORK/sandbox.log" 2>&1 || rc=$?
        [ "$rc" -eq 0 ] && break
        [ "$rc" -eq 3 ] && skip "$(cat "$WORK/sandbox.log")"
        tries=$((tries + 1))
        "$SANDBOX" stop "$PGDIR" >/dev/null 2>&1 || true
        if [ "$tries" -ge 3 ]; then
            cat "$WORK/sandbox.log" >&2
            fail "could not start PostgreSQL"
        fi
    done
    CONNINFO="host=127.0.0.1 port=$PGPORT dbname=cdc user=postgres"
    DSN=$CONNINFO
    export PGPORT
    info "$(cat "$WORK/sandbox.log")"
}

psql_cdc() {
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d cdc "$@"
}

# One value (first column of the first row), unaligned.
psql_val() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d cdc -c "$1"
}

slot_name() { echo "rowcast_${1:-$SOURCE_NAME}"; }

slot_exists() {
    [ "$(psql_val "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$(slot_name "$@")'")" = 1 ]
}

slot_active() {
    [ "$(psql_val "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$(slot_name "$@")' AND active")" = 1 ]
}

slot_confirmed() {
    psql_val "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$(slot_name "${2:-}")'"
}

# lsn_gt A B: true if A > B.
lsn_gt() {
    [ "$(psql_val "SELECT '$1'::pg_lsn > '$2'::pg_lsn")" = t ]
}

# True once the slot has confirmed a position past LSN.
slot_past() {
    local c
    c=$(slot_confirmed "" "${2:-}")
    [ -n "$c" ] && lsn_gt "$c" "$1"
}

# ------------------------------------------------------------------
# rowcast
# ------------------------------------------------------------------

# rc_config FILE TABLES [extra lines for the source section...]
# Uses RC_STATE (default $WORK/state), RC_OUT (default $WORK/out),
# RC_FLUSH (default 50ms), RC_STDOUT=1 to add a stdout sink.
rc_config() {
    local file=$1 tables=$2
    shift 2
    : "${RC_STATE:=$WORK/state}"
    : "${RC_OUT:=$WORK/out}"
    {
        echo "[rowcast]"
        echo "state_dir = $RC_STATE"
        echo "log_level = ${RC_LOG_LEVEL:-info}"
        echo
        echo "[source $SOURCE_NAME]"
        echo "type = postgresql"
        echo "conninfo = $CONNINFO"
        echo "tables = $tables"
        local l
        for l in "$@"; do echo "$l"; done
        echo
        echo "[sink files]"
        echo "type = file"
        echo "path = $RC_OUT"
        echo "flush_interval = ${RC_FLUSH:-50ms}"
        if [ "${RC_STDOUT:-0}" = 1 ]; then
            echo
            echo "[sink out]"
            echo "type = stdout"
        fi
    } >"$file"
}

# rc_start CONF: run rowcast in the background; RC_PID, RC_LOG (stem).
rc_start() {
    RC_N=$((RC_N + 1))
    RC_LOG=$WORK/rowcast.$RC_N
    "$ROWCAST" -c "$1" >"$RC_LOG.out" 2>"$RC_LOG.err" &
    RC_PID=$!
    _RC_PIDS="$_RC_PIDS $RC_PID"
    info "rowcast #$RC_N started, pid $RC_PID (logs $RC_LOG.err)"
}

rc_alive() { [ -n "$RC_PID" ] && kill -0 "$RC_PID" 2>/dev/null; }

# Waiting in benchmarks without a fork per poll: on the 2-core machine the
# CPU a poll's processes take is CPU the timed process lacks.
# bench_nap SECONDS: sleep (a read that times out on a FIFO nobody writes).
bench_nap() {
    if [ -z "${_BENCH_NAP_FD:-}" ]; then
        mkfifo "$WORK/.nap"
        exec {_BENCH_NAP_FD}<>"$WORK/.nap"
    fi
    read -r -t "$1" -u "$_BENCH_NAP_FD" _ || true
}
# file_has_line FILE LINE: whether FILE has a line that is exactly LINE.
file_has_line() {
    local l
    [ -r "$1" ] || return 1
    while IFS= read -r l; do [ "$l" != "$2" ] || return 0; done <"$1"
    return 1
}
# file_key FILE KEY: the value of FILE's first "KEY = value" line in REPLY.
file_key() {
    local l
    REPLY=
    [ -r "$1" ] || return 1
    while IFS= read -r l; do
        if [ "${l%% = *}" = "$2" ]; then REPLY=${l#* = }; return 0; fi
    done <"$1"
    return 1
}

# rc_wait_exit SECONDS: wait for rowcast to exit; sets RC_STATUS. Returns 1
# if it is still running after SECONDS.
rc_wait_exit() {
    local deadline=$(( $(date +%s) + $1 ))
    while kill -0 "$RC_PID" 2>/dev/null; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            return 1
        fi
        sleep 0.1
    done
    RC_STATUS=0
    wait "$RC_PID" || RC_STATUS=$?
    return 0
}

# rc_stop [SECONDS]: SIGTERM, wait (default 30s), and require exit status 0.
rc_stop() {
    local t=${1:-30}
    [ -n "$RC_PID" ] || return 0
    if ! kill -0 "$RC_PID" 2>/dev/null; then
        RC_STATUS=0
        wait "$RC_PID" || RC_STATUS=$?
        fail "rowcast (pid $RC_PID) had already exited with status $RC_STATUS before SIGTERM"
    fi
    kill -TERM "$RC_PID"
    if ! rc_wait_exit "$t"; then
        kill -KILL "$RC_PID" 2>/dev/null || true
        fail "rowcast did not exit within ${t}s of SIGTERM"
    fi
    [ "$RC_STATUS" -eq 0 ] || fail "rowcast exited with status $RC_STATUS after SIGTERM (expected 0)"
    info "rowcast #$RC_N stopped cleanly"
    RC_PID=""
}

# rc_kill: SIGKILL, reap.
rc_kill() {
    [ -n "$RC_PID" ] || return 0
    kill -KILL "$RC_PID" 2>/dev/null || true
    wait "$RC_PID" 2>/dev/null || true
    RC_PID=""
}

# expect_exit2 DESC PATTERN...: run rowcast on $CONF in the foreground; it
# must exit with status 2 and its stderr must match every PATTERN (ERE,
# case-insensitive).
expect_exit2() {
    local desc=$1 rc=0 p
    shift
    timeout 30 "$ROWCAST" -c "$CONF" >"$WORK/exit2.out" 2>"$WORK/exit2.err" || rc=$?
    [ "$rc" -ne 124 ] || fail "$desc: rowcast still running after 30s (expected exit 2)"
    if [ "$rc" -ne 2 ]; then
        cat "$WORK/exit2.err" >&2
        fail "$desc: exit status $rc, expected 2"
    fi
    for p in "$@"; do
        if ! grep -Eqi -- "$p" "$WORK/exit2.err"; then
            echo "---- stderr ----" >&2
            cat "$WORK/exit2.err" >&2
            fail "$desc: stderr does not match /$p/"
        fi
    done
    info "$desc: exit 2: $(grep -v ' INFO ' "$WORK/exit2.err" | head -n 3 | cut -c1-400)"
}

# Fail at once if rowcast died on its own.
rc_check_alive() {
    if ! rc_alive; then
        RC_STATUS=0
        wait "$RC_PID" || RC_STATUS=$?
        fail "rowcast exited unexpectedly with status $RC_STATUS ($*)"
    fi
}

# Wait until the slot exists and rowcast is streaming from it.
rc_wait_streaming() {
    wait_for "${1:-30}" "rowcast's slot $(slot_name) to be active" _rc_streaming
}
_rc_streaming() { rc_check_alive "while waiting for its slot"; slot_active; }

# ------------------------------------------------------------------
# Polling and the output
# ------------------------------------------------------------------

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.2s.
wait_for() {
    local t=$1 desc=$2
    shift 2
    local deadline=$(( $(date +%s) + t ))
    while :; do
        if "$@"; then
            return 0
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            fail "timed out after ${t}s waiting for $desc"
        fi
        sleep 0.2
    done
}

# Records in the output so far (all topics, or one), .part files included.
out_count() {
    $PY "$PGCOMPARE" count --dir "${RC_OUT:-$WORK/out}" ${1:+--topic "$1"}
}

# out_count_ge N [TOPIC]
out_count_ge() {
    local n
    n=$(out_count "${2:-}") || return 1
    [ "$n" -ge "$1" ]
}
