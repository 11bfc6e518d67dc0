#!/bin/bash
# my_conn.sh -- the MySQL/MariaDB replication connection (sources/mysql/
# my_conn.c, through tests/lib/mydump) against a real MariaDB 10.11:
# the event types of a stream, heartbeats while idle, resuming by file/pos
# and by GTID, a purged binlog and an unknown GTID (server error 1236), a
# silent server (SIGSTOP), a crash (SIGKILL) and a shutdown, each noticed
# in bounded time; connection errors sorted into transient and permanent;
# and the start-up checks on wrongly configured servers and users, each
# finding with its fix.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/my.sh"

my_init my_conn
SID=4101

# run_dump NAME ARGS...: mydump into $WORK/NAME.{out,err}; sets RC.
run_dump() {
    local name=$1
    shift
    RC=0
    timeout 60 "$MYDUMP" --host "$MYHOST" --port "$MYPORT" --user "$MYUSER" \
        --password-env MYPASSWORD --server-id "$SID" "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.err" || RC=$?
    [ "$RC" -ne 124 ] || fail "$name: mydump still running after 60 s"
}
count_type() { grep -c "^type=$2 " "$WORK/$1.out" || true; }
show() {
    echo "---- $1.out ----" >&2; cat "$WORK/$1.out" >&2
    echo "---- $1.err ----" >&2; cat "$WORK/$1.err" >&2
}
# expect NAME STATUS PATTERN...: exit status and every pattern (ERE, in
# stdout or stderr).
expect() {
    local name=$1 want=$2 p
    shift 2
    if [ "$RC" -ne "$want" ]; then
        show "$name"
        check_fail "$name: exit status $RC, expected $want"
        return 0
    fi
    for p in "$@"; do
        if ! cat "$WORK/$name.out" "$WORK/$name.err" | grep -Eq -- "$p"; then
            show "$name"
            check_fail "$name: output does not match /$p/"
        fi
    done
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
# wait_line FILE PATTERN SECONDS
wait_line() {
    local i=0
    until grep -Eq -- "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le $(($3 * 10)) ] || return 1
        sleep 0.1
    done
}

my_start

step "a table and three transactions"
my_sql "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))"
my_sql "INSERT INTO t VALUES (1, 'a')"
G1=$(my_val "SELECT @@gtid_binlog_pos")
my_sql "INSERT INTO t VALUES (2, 'b')"
my_sql "BEGIN; INSERT INTO t VALUES (3, 'c'); INSERT INTO t VALUES (4, 'd'); COMMIT"
GLAST=$(my_val "SELECT @@gtid_binlog_pos")
info "GTID after the first insert: $G1, at the end: $GLAST"
seq1=${G1##*-}

step "stream the first binlog: every event type, and heartbeats while idle"
run_dump all --file mysql-bin.000001 --pos 4 --heartbeat-ms 300 --until-idle-ms 1500
expect all 0
for t in 4 15 163 162 19 23 16 27; do
    [ "$(count_type all $t)" -ge 1 ] || { show all; check_fail "no event of type $t in the stream"; }
done
[ "$(count_type all 23)" -eq 4 ] || check_fail "$(count_type all 23) WRITE_ROWS_V1 events, expected 4"
[ "$(count_type all 27)" -ge 3 ] || check_fail "only $(count_type all 27) heartbeats in 1.5 s at 300 ms"
head -n 1 "$WORK/all.out" | grep -q '^type=4 .*flags=0x0020' ||
    check_fail "the stream does not start with the artificial ROTATE"
info "$(wc -l <"$WORK/all.out") events: $(cut -d' ' -f1 "$WORK/all.out" | sort | uniq -c | tr -s ' \n' ' ')"
# the XID that ends the first insert's transaction: resume after it
POS1=$(awk -v g="gtid=$G1" 'index($0, g) {f=1} f && /^type=16 / {sub(/.*log_pos=/, ""); sub(/ .*/, ""); print; exit}' "$WORK/all.out")
[ -n "$POS1" ] || { show all; fail "no XID after GTID $G1"; }

step "resume by file and position (after the first insert's XID, $POS1)"
run_dump pos --file mysql-bin.000001 --pos "$POS1" --until-idle-ms 800 --heartbeat-ms 300
expect pos 0
[ "$(count_type pos 23)" -eq 3 ] || { show pos; check_fail "$(count_type pos 23) row events after $POS1, expected 3"; }
first=$(grep -o 'gtid=[0-9-]*' "$WORK/pos.out" | head -n 1)
[ "$first" = "gtid=0-1-$((seq1 + 1))" ] || check_fail "resume by position: first GTID $first, expected 0-1-$((seq1 + 1))"

step "resume by GTID ($G1): only the transactions after it"
run_dump gtid --gtid "$G1" --until-idle-ms 800 --heartbeat-ms 300
expect gtid 0
[ "$(count_type gtid 23)" -eq 3 ] || { show gtid; check_fail "$(count_type gtid 23) row events after GTID $G1, expected 3"; }
grep -o 'gtid=[0-9-]*' "$WORK/gtid.out" | while read -r g; do
    s=${g##*-}
    [ "$s" -gt "$seq1" ] || echo "$g"
done >"$WORK/gtid.old"
[ ! -s "$WORK/gtid.old" ] || check_fail "GTIDs at or before $G1 came back: $(tr '\n' ' ' <"$WORK/gtid.old")"
first=$(grep -o 'gtid=[0-9-]*' "$WORK/gtid.out" | head -n 1)
[ "$first" = "gtid=0-1-$((seq1 + 1))" ] || check_fail "resume by GTID: first GTID $first, expected 0-1-$((seq1 + 1))"
run_dump gtidend --gtid "$GLAST" --until-idle-ms 600 --heartbeat-ms 300
expect gtidend 0
[ "$(count_type gtidend 162)" -eq 0 ] || check_fail "resume from the last GTID $GLAST sent old transactions"

step "a GTID the server never had: error 1236, not a silent start"
run_dump gtidbad --gtid 0-1-99999 --until-idle-ms 600
expect gtidbad 2 "server_errno=1236 transient=0" "0-1-99999" "not in the master's binlog"

step "the checks pass on a correct setup"
run_dump check_ok --check
expect check_ok 0 "^check: ok"
run_dump check_ok_gtid --check --want-gtid
expect check_ok_gtid 0 "^check: ok"

step "a user without REPLICATION SLAVE"
my_sql "CREATE USER 'weak'@'127.0.0.1' IDENTIFIED BY 'weakpw'; GRANT SELECT, BINLOG MONITOR ON *.* TO 'weak'@'127.0.0.1'"
MYUSER=weak MYPASSWORD=weakpw run_dump check_weak --check
expect check_weak 1 "FATAL: the user has no REPLICATION SLAVE" \
    "fix: GRANT REPLICATION SLAVE ON \*\.\* TO 'weak'@'127\.0\.0\.1'"
grep -q "BINLOG MONITOR" "$WORK/check_weak.out" && check_fail "BINLOG MONITOR reported missing although granted"
MYUSER=weak MYPASSWORD=weakpw run_dump dump_weak --head --max-events 1
expect dump_weak 2 "transient=0" "COM_REGISTER_SLAVE.*error (1045|1227)" "GRANT REPLICATION SLAVE"
my_sql "CREATE USER 'bare'@'127.0.0.1' IDENTIFIED BY 'barepw'"
MYUSER=bare MYPASSWORD=barepw run_dump check_bare --check
expect check_bare 1 "no REPLICATION SLAVE" "no BINLOG MONITOR" "fix: GRANT BINLOG MONITOR ON \*\.\* TO 'bare'@'127\.0\.0\.1'" \
    "no SELECT" "fix: GRANT SELECT ON \*\.\* TO 'bare'@'127\.0\.0\.1'"

step "connection errors: permanent or transient, and never the password"
MYPASSWORD=Wr0ngSecret run_dump badpw --check
expect badpw 2 "transient=0" "error 1045" "Access denied"
if grep -q Wr0ngSecret "$WORK/badpw.out" "$WORK/badpw.err"; then check_fail "the password appears in the output"; fi
saved=$MYPORT
MYPORT=$(pick_port)
run_dump noserver --check
expect noserver 2 "transient=1" "cannot connect"
MYPORT=$saved
run_dump tls --check --ssl-mode required
expect tls 2 "transient=0" "does not offer TLS"
run_dump tlspref --check --ssl-mode preferred
expect tlspref 0 "check: ok"
run_dump sock --check --host localhost --socket "$MYSOCK"
expect sock 0 "check: ok"

step "a purged binlog: error 1236 and what to do"
my_sql "FLUSH BINARY LOGS; FLUSH BINARY LOGS"
my_sql "PURGE BINARY LOGS TO 'mysql-bin.000002'"
run_dump purged --file mysql-bin.000001 --pos 4 --until-idle-ms 600
expect purged 2 "binlog mysql-bin.000001 is not on the server" "server_errno=1236 transient=0" \
    "mysql-bin\.000001:4" "purged" "SHOW BINARY LOGS"

step "a second reader with the same server_id replaces the first"
"$MYDUMP" --host "$MYHOST" --port "$MYPORT" --user "$MYUSER" --password-env MYPASSWORD \
    --server-id "$SID" --head --heartbeat-ms 500 >"$WORK/dup1.out" 2>"$WORK/dup1.err" &
DPID=$!
bg_track "$DPID"
wait_line "$WORK/dup1.out" '^type=27 ' 10 || { show dup1; fail "no heartbeat on the first reader"; }
run_dump dup2 --head --heartbeat-ms 500 --max-events 3
expect dup2 0
RC=0
wait "$DPID" || RC=$?
expect dup1 2 "transient=0" "server_id $SID" "give every reader its own server_id"

step "a silent server (SIGSTOP) is noticed within the read timeout"
"$MYDUMP" --host "$MYHOST" --port "$MYPORT" --user "$MYUSER" --password-env MYPASSWORD \
    --server-id "$SID" --head --heartbeat-ms 500 >"$WORK/stopped.out" 2>"$WORK/stopped.err" &
DPID=$!
bg_track "$DPID"
wait_line "$WORK/stopped.out" '^type=27 ' 10 || { show stopped; fail "no heartbeat before SIGSTOP"; }
kill -STOP "$MYPID"
t0=$(date +%s.%N)
RC=0
wait "$DPID" || RC=$?
took=$(elapsed "$t0")
kill -CONT "$MYPID"
info "mydump gave up after ${took}s"
expect stopped 2 "server_errno=0 transient=1" "lost connection" "heartbeat every 500 ms"
awk -v t="$took" 'BEGIN{exit !(t >= 3 && t <= 9)}' ||
    check_fail "a silent server was noticed after ${took}s; expected about 5 s (max(3 x 500 ms, 5 s))"

step "a crashed server (SIGKILL) is a lost connection at once"
"$MYDUMP" --host "$MYHOST" --port "$MYPORT" --user "$MYUSER" --password-env MYPASSWORD \
    --server-id "$SID" --head --heartbeat-ms 500 >"$WORK/killed.out" 2>"$WORK/killed.err" &
DPID=$!
bg_track "$DPID"
wait_line "$WORK/killed.out" '^type=27 ' 10 || { show killed; fail "no heartbeat before SIGKILL"; }
kill -KILL "$MYPID"
t0=$(date +%s.%N)
RC=0
wait "$DPID" || RC=$?
took=$(elapsed "$t0")
info "mydump noticed the crash after ${took}s"
expect killed 2 "server_errno=0 transient=1" "lost connection"
awk -v t="$took" 'BEGIN{exit !(t <= 3)}' || check_fail "the crash was noticed after ${took}s"
my_stop

step "binlog_format=STATEMENT (given through MY_SANDBOX_EXTRA)"
MY_SANDBOX_EXTRA="binlog_format=STATEMENT" my_start
run_dump check_stmt --check
expect check_stmt 1 "FATAL: binlog_format is STATEMENT" "fix: set binlog_format=ROW in \[mariadbd\] of my.cnf"
grep -q "binlog_row_metadata" "$WORK/check_stmt.out" && check_fail "binlog_row_metadata reported although FULL"

step "a graceful shutdown ends the stream (EOF) in bounded time"
"$MYDUMP" --host "$MYHOST" --port "$MYPORT" --user "$MYUSER" --password-env MYPASSWORD \
    --server-id "$SID" --head --heartbeat-ms 500 >"$WORK/shutdown.out" 2>"$WORK/shutdown.err" &
DPID=$!
bg_track "$DPID"
wait_line "$WORK/shutdown.out" '^type=27 ' 10 || { show shutdown; fail "no heartbeat before the shutdown"; }
t0=$(date +%s.%N)
my_sql "SHUTDOWN" || true
RC=0
wait "$DPID" || RC=$?
took=$(elapsed "$t0")
info "the stream ended ${took}s after SHUTDOWN: $(tail -n 1 "$WORK/shutdown.err")"
expect shutdown 0 "end of stream"
awk -v t="$took" 'BEGIN{exit !(t <= 9)}' || check_fail "the shutdown was noticed after ${took}s"
my_stop

step "binlog_row_metadata=MINIMAL and binlog_row_image=MINIMAL"
my_start binlog_row_metadata=MINIMAL binlog_row_image=MINIMAL
run_dump check_min --check
expect check_min 1 "FATAL: binlog_row_metadata is MINIMAL" "fix: set binlog_row_metadata=FULL in \[mariadbd\]" \
    "FATAL: binlog_row_image is MINIMAL" "fix: set binlog_row_image=FULL in \[mariadbd\]"
grep -q "binlog_format" "$WORK/check_min.out" && check_fail "binlog_format reported although ROW"
my_stop

step "no binary log at all"
my_start skip-log-bin
run_dump check_nolog --check
expect check_nolog 1 "FATAL: log_bin is OFF" "fix: put log_bin=mysql-bin"
run_dump head_nolog --head --max-events 1
expect head_nolog 2 "binary logging is off|error 1381"
my_stop

rc_finish
