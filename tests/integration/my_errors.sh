#!/bin/bash
# my_errors.sh -- the MySQL/MariaDB source when things are wrong, against
# real MariaDB servers: a bad key exits 2 naming FILE:LINE; a missing
# table, a wrong password, binlog_format=STATEMENT and
# binlog_row_metadata=MINIMAL exit 2 with the fix (and never print the
# password); an unreachable server is retried with growing backoff and
# logged; a server restart in the middle of a stream is survived with
# nothing lost; a binlog purged before rowcast read it stops rowcast with
# an error that says so instead of skipping ahead.
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/my.sh"

rc_init my_errors
my_init my_errors
$PY -c 'import pymysql' 2>/dev/null ||
    skip "python3-pymysql is missing for /usr/bin/python3 (apt-get install python3-pymysql)"

CONF=$WORK/rowcast.conf
PW=s3cret-Pw-4711

# conf PORT TABLES PASSWORD [LINE...]
conf() {
    local port=$1 tables=$2 pw=$3
    shift 3
    {
        echo "[rowcast]"
        echo "state_dir = $WORK/state"
        echo
        echo "[source $SOURCE_NAME]"
        echo "type = mysql"
        echo "host = 127.0.0.1"
        echo "port = $port"
        echo "user = rc"
        echo "password = $pw"
        echo "server_id = 4244"
        echo "tables = $tables"
        echo "reconnect_max_backoff = 4s"
        local l
        for l in "$@"; do echo "$l"; done
        echo
        echo "[sink files]"
        echo "type = file"
        echo "path = $WORK/out"
        echo "flush_interval = 50ms"
    } >"$CONF"
}

no_password_in_logs() {
    if grep -rl -- "$PW" "$WORK"/rowcast.*.err "$WORK"/exit2.err 2>/dev/null; then
        fail "the password appears in rowcast's log"
    fi
}

step "a wrongly configured server: binlog_format=STATEMENT, binlog_row_metadata=MINIMAL"
my_start "binlog_format=STATEMENT" "binlog_row_metadata=MINIMAL"
my_sql "CREATE USER rc@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO rc@'127.0.0.1';
CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));"
conf "$MYPORT" "cdc.t" "$PW"
expect_exit2 "binlog_format=STATEMENT" "binlog_format" "ROW" "binlog_row_metadata" "FULL"
my_stop

step "a correct server"
my_start
my_sql "CREATE USER rc@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO rc@'127.0.0.1';
CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));"
MYCNF=$MYDIR/my.cnf

step "an unknown key exits 2 and names FILE:LINE"
conf "$MYPORT" "cdc.t" "$PW" "bogus_key = 1"
expect_exit2 "unknown key" "$CONF:[0-9]+" "bogus_key"

step "a table name without its database exits 2"
conf "$MYPORT" "t" "$PW"
expect_exit2 "table without database" "$CONF:[0-9]+" "SCHEMA.TABLE"

step "a missing table exits 2 with the fix"
conf "$MYPORT" "cdc.t, cdc.nope" "$PW"
expect_exit2 "missing table" "cdc\.nope does not exist" "fix"

step "a wrong password exits 2, and no password is logged"
conf "$MYPORT" "cdc.t" "wrong-$PW"
expect_exit2 "wrong password" "access denied"
grep -q -- "wrong-$PW" "$WORK/exit2.err" && fail "the wrong password appears in the log"

step "an unreachable server is retried with backoff and logged"
dead=$(pick_port)
conf "$dead" "cdc.t" "$PW"
rc_start "$CONF"
_two_retries() { rc_check_alive "while retrying"; [ "$(grep -c 'reconnecting in' "$RC_LOG.err")" -ge 3 ]; }
wait_for 30 "three reconnection attempts" _two_retries
grep -o "reconnecting in [0-9.]*s" "$RC_LOG.err" | head -n 3 | tr '\n' ' ' | sed 's/^/    /'
echo
grep -q "reconnecting in 1.0s" "$RC_LOG.err" && grep -q "reconnecting in 2.0s" "$RC_LOG.err" ||
    fail "the backoff does not grow (1s, 2s, ...)"
rc_stop

step "a server restart in the middle of the stream: reconnect, nothing lost"
rm -rf "$WORK/state" "$WORK/out"
conf "$MYPORT" "cdc.t" "$PW"
rc_start "$CONF"
_streaming() { rc_check_alive "starting"; grep -q "streaming MariaDB" "$RC_LOG.err"; }
wait_for 30 "rowcast to stream" _streaming
my_sql "INSERT INTO t VALUES (1, 'a'), (2, 'b')"
pid=$MYPID
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
info "MariaDB stopped"
sleep 2
rc_check_alive "while the server is down"
mariadbd --defaults-file="$MYCNF" >/dev/null 2>&1 &
MYPID=$!
bg_track "$MYPID"
_up() { my_sql "SELECT 1" >/dev/null 2>&1; }
wait_for 30 "MariaDB to come back" _up
my_sql "INSERT INTO t VALUES (3, 'c'); UPDATE t SET v = 'B' WHERE id = 2; DELETE FROM t WHERE id = 1"
_all() { rc_check_alive "after the restart"; [ "$($PY "$top_srcdir/tests/lib/mycompare.py" count --dir "$WORK/out")" -ge 5 ]; }
wait_for 60 "the changes after the restart" _all
grep -q "reconnecting in" "$RC_LOG.err" || fail "no reconnect was logged"
info "$(grep -m1 'reconnecting in' "$RC_LOG.err" | cut -c1-200)"
rc_stop
$PY "$top_srcdir/tests/lib/mycompare.py" compare --socket "$MYSOCK" --dir "$WORK/out" \
    --source "$SOURCE_NAME" --tables cdc.t >"$WORK/cmp.out" 2>&1 ||
    { cat "$WORK/cmp.out" >&2; fail "the output differs from the table after the restart"; }
sed 's/^/    /' "$WORK/cmp.out"
n=$($PY "$top_srcdir/tests/lib/mycompare.py" count --dir "$WORK/out")
[ "$n" -eq 5 ] || fail "expected 5 events, got $n"

step "a binlog purged before rowcast read it: exit 2, no skipping ahead"
ckpt=$(cat "$WORK/state/$SOURCE_NAME.checkpoint")
my_sql "FLUSH BINARY LOGS; INSERT INTO t VALUES (10, 'lost'); FLUSH BINARY LOGS;"
last=$(my_sql "SHOW MASTER STATUS" | head -n 1 | cut -f1)
my_sql "PURGE BINARY LOGS TO '$last'"
expect_exit2 "purged binlog" "no longer on the server" "purged"
[ "$(cat "$WORK/state/$SOURCE_NAME.checkpoint")" = "$ckpt" ] ||
    fail "the checkpoint moved although the binlog was purged"
info "the checkpoint did not move"
no_password_in_logs
rc_finish
