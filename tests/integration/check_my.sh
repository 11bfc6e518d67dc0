#!/bin/bash
# check_my.sh -- `rowcast check` against MariaDB servers set up wrongly on
# purpose: binlog_format=STATEMENT, a user without REPLICATION SLAVE, a
# table without primary key, a missing table; then a server without
# binlog_row_metadata=FULL. Every finding comes with its fix, the exit
# status is 2, and the password is never printed. The corrected setup
# passes (exit 0, warnings allowed), and a checkpoint whose binlog was
# purged fails with the fix.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/my.sh"

my_init check_my
CONF=$WORK/rowcast.conf
PW='My-check-Pw-0815'

conf() {
    {
        echo "[rowcast]"
        echo "state_dir = $WORK/state"
        echo
        echo "[source $SOURCE_NAME]"
        echo "type = mysql"
        echo "host = 127.0.0.1"
        echo "port = $MYPORT"
        echo "user = rc"
        echo "password_file = $WORK/pw"
        echo "server_id = 4245"
        echo "tables = $1"
        echo
        echo "[sink files]"
        echo "type = file"
        echo "path = $WORK/out"
    } >"$CONF"
}
printf '%s\n' "$PW" >"$WORK/pw"

CHK_N=0
run_check() {
    local rc=0
    CHK_N=$((CHK_N + 1))
    CHK=$WORK/check.$CHK_N
    timeout 60 "$ROWCAST" check -c "$CONF" >"$CHK.out" 2>"$CHK.err" || rc=$?
    sed 's/^/    | /' "$CHK.out"
    [ "$rc" -eq "$1" ] || { cat "$CHK.err" >&2; fail "rowcast check exited $rc, expected $1"; }
    if grep -q -- "$PW" "$CHK.out" "$CHK.err"; then
        fail "the password appears in rowcast check's output"
    fi
}
has() {
    local p
    for p in "$@"; do
        grep -Eq -- "$p" "$CHK.out" || check_fail "check #$CHK_N: no line matches /$p/"
    done
}

step "binlog_format=STATEMENT, a user without REPLICATION SLAVE, no primary key"
my_start "binlog_format=STATEMENT"
my_sql "CREATE USER rc@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT BINLOG MONITOR, SELECT ON *.* TO rc@'127.0.0.1';
CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));
CREATE TABLE nopk (a INT, b INT);"
conf "cdc.t, cdc.nopk, cdc.ghost"
run_check 2
has '^OK    source shop: connected to MariaDB .* as rc$' \
    '^FAIL  source shop: binlog_format is STATEMENT: row changes are not logged as rows \(fix: set binlog_format=ROW in \[mariadbd\] of my.cnf and restart the server' \
    "^FAIL  source shop: the user has no REPLICATION SLAVE privilege.*\\(fix: GRANT REPLICATION SLAVE ON \\*\\.\\* TO 'rc'@'127\\.0\\.0\\.1'\\)\$" \
    '^WARN  source shop: table cdc\.nopk has no primary key: its events have no key.*\(fix: add a primary key, or name the key columns in \[table cdc\.nopk\] key = \.\.\.\)$' \
    '^FAIL  source shop: table cdc\.ghost does not exist.*\(fix: create it, or remove it from tables =\)$' \
    '^OK    source shop: table cdc\.t: primary key$' \
    '^rowcast check: [0-9]+ failed, .*rowcast cannot run'
my_stop

step "binlog_row_metadata=MINIMAL"
my_start "binlog_row_metadata=MINIMAL"
my_sql "CREATE USER rc@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO rc@'127.0.0.1';
CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));"
conf "cdc.t"
run_check 2
has '^FAIL  source shop: binlog_row_metadata is MINIMAL: table maps carry no column names or primary key \(fix: set binlog_row_metadata=FULL in \[mariadbd\] of my.cnf' \
    '^OK    source shop: the user has REPLICATION SLAVE, REPLICATION CLIENT \(BINLOG MONITOR\) and SELECT$'

step "the setup corrected: exit 0, with the retention advice"
my_sql "SET GLOBAL binlog_row_metadata = FULL; SET GLOBAL binlog_expire_logs_seconds = 0"
run_check 0
has '^OK    source shop: binlog: log_bin on, binlog_format ROW, binlog_row_image FULL, binlog_row_metadata FULL$' \
    '^WARN  source shop: binlogs are never purged .*\(fix: set binlog_expire_logs_seconds in \[mariadbd\] of my.cnf' \
    '^OK    source shop: table cdc\.t: primary key$' \
    '^rowcast check: 0 failed, .*rowcast can run$'
my_sql "SET GLOBAL binlog_expire_logs_seconds = 3600"
run_check 0
has '^WARN  source shop: binlogs are purged after 3600 s: .*\(fix: raise binlog_expire_logs_seconds'
my_sql "SET GLOBAL binlog_expire_logs_seconds = 604800"
run_check 0
has '^OK    source shop: binlogs are kept for a day or more'

step "a checkpoint whose binlog was purged: FAIL with the fix"
first=$(my_sql "SHOW BINARY LOGS" | head -n 1 | cut -f1)
mkdir -p "$WORK/state"
printf 'format = 1\nsource = %s\ntype = mysql\nfile = %s\npos = 4\n' "$SOURCE_NAME" "$first" \
    >"$WORK/state/$SOURCE_NAME.checkpoint"
run_check 0
has "^OK    source shop: binlog $first of the checkpoint is on the server\$"
my_sql "FLUSH BINARY LOGS"
last=$(my_sql "SHOW MASTER STATUS" | head -n 1 | cut -f1)
my_sql "PURGE BINARY LOGS TO '$last'"
run_check 2
has "^FAIL  source shop: binlog $first of the checkpoint \\(offset 4\\) is no longer on the server: it was purged.*\\(fix: keep binlogs longer"

step "a wrong password: FAIL naming the user, never the password"
printf 'wrong-%s\n' "$PW" >"$WORK/pw"
run_check 2
has '^FAIL  source shop: cannot connect to 127\.0\.0\.1:[0-9]+ as rc: .*Access denied.*\(fix: check user and password'
grep -q -- "wrong-$PW" "$CHK.out" && fail "the wrong password appears in the output"
rc_finish
