#!/bin/bash
# my_stream.sh -- the MySQL/MariaDB source end to end against a real
# MariaDB 10.11: a table per type family with edge values (integers signed
# and unsigned at their limits, DECIMAL, FLOAT/DOUBLE, BIT, YEAR, DATE,
# TIME negative and over 24 h, DATETIME/TIMESTAMP with fractions, zero
# dates, character sets (utf8mb4 with 4-byte characters, latin1), BINARY
# padding, BLOB, ENUM, SET, JSON, GEOMETRY, generated and invisible
# columns); inserts, updates, deletes in multi-statement transactions; an
# ALTER TABLE ADD COLUMN in the middle of the stream (a new schema version,
# nothing lost); MariaDB's compressed binlog events (log_bin_compress);
# a restart that resumes from the checkpoint without gaps; a first start
# that snapshots the same tables and more edge values; and everything
# decoded by an independent reader (python3-avro) and compared with what
# MariaDB returns for the rows (tests/lib/mycompare.py).
#
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/my_stream.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/my.sh"

MYCOMPARE=$top_srcdir/tests/lib/mycompare.py

rc_init my_stream
my_init my_stream
$PY -c 'import pymysql' 2>/dev/null ||
    skip "python3-pymysql is missing for /usr/bin/python3 (apt-get install python3-pymysql)"
my_start "log_bin_compress=ON" "log_bin_compress_min_len=10"

CONF=$WORK/rowcast.conf
TABLES="cdc.nums, cdc.times, cdc.texts, cdc.misc"

# my_rc_config FILE TABLES [LINE...]: a MySQL source and a file sink.
my_rc_config() {
    local file=$1 tables=$2
    shift 2
    {
        echo "[rowcast]"
        echo "state_dir = $WORK/state"
        echo "log_level = ${RC_LOG_LEVEL:-info}"
        echo
        echo "[source $SOURCE_NAME]"
        echo "type = mysql"
        echo "host = 127.0.0.1"
        echo "port = $MYPORT"
        echo "user = repl"
        echo "password_env = RC_TEST_MYPW"
        echo "server_id = 4242"
        echo "tables = $tables"
        local l
        for l in "$@"; do echo "$l"; done
        echo
        echo "[sink files]"
        echo "type = file"
        echo "path = $WORK/out"
        echo "flush_interval = 50ms"
    } >"$file"
}
export RC_TEST_MYPW=replpw

wait_streaming() {
    wait_for 30 "rowcast to stream the binlog" _my_streaming
}
_my_streaming() { rc_check_alive "while starting"; grep -q "streaming MariaDB" "$RC_LOG.err"; }

compare() {
    if ! $PY "$MYCOMPARE" compare --socket "$MYSOCK" --dir "$WORK/out" \
        --source "$SOURCE_NAME" --tables "$(echo "$TABLES" | tr -d ' ')" >"$WORK/compare.out" 2>&1; then
        cat "$WORK/compare.out" >&2
        fail "$1: the output does not match the tables"
    fi
    sed 's/^/    /' "$WORK/compare.out"
}

step "create the tables"
my_sql "
CREATE TABLE nums (
  id INT PRIMARY KEY,
  ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED,
  mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
  bi BIGINT, bu BIGINT UNSIGNED, d DECIMAL(30,10), d0 DECIMAL(5,0),
  f FLOAT, dbl DOUBLE, b1 BIT(1), b12 BIT(12), y YEAR);
CREATE TABLE times (
  id INT PRIMARY KEY, dt DATE, t0 TIME, t6 TIME(6), dtm DATETIME, dtm3 DATETIME(3),
  dtm6 DATETIME(6), ts TIMESTAMP NULL, ts6 TIMESTAMP(6) NULL);
CREATE TABLE texts (
  id INT PRIMARY KEY, c CHAR(10), vc VARCHAR(300), tx TEXT, l1 VARCHAR(20) CHARACTER SET latin1,
  bn BINARY(8), vb VARBINARY(20), bl BLOB, lt LONGTEXT) DEFAULT CHARSET utf8mb4;
CREATE TABLE misc (
  id INT PRIMARY KEY, e ENUM('small','medium','large'), s SET('a','b','c','d'),
  j JSON, g GEOMETRY, gen INT AS (id * 2) VIRTUAL, inv INT INVISIBLE DEFAULT 7);"

step "start rowcast (no checkpoint: streams from the current position)"
my_rc_config "$CONF" "$TABLES"
rc_start "$CONF"
wait_streaming

step "write edge values, in multi-statement transactions"
my_sql "SET SESSION sql_mode='';
BEGIN;
INSERT INTO nums VALUES
 (1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
  -9223372036854775808, 18446744073709551615, -12345678901234567890.1234567891, 99999,
  3.5, 2.718281828459045, b'1', b'101010101010', 1901),
 (2, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 0, 0.0000000001, -1,
  -1.25e-10, -1.7976931348623157e308, b'0', b'0', 2155),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO times VALUES
 (1, '2024-02-29', '-838:59:59', '838:59:58.999999', '1000-01-01 00:00:00', '2024-05-06 07:08:09.123',
  '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '2038-01-19 03:14:07.499999'),
 (2, '0000-00-00', '-00:00:01', '-507:48:27.5', '0000-00-00 00:00:00', '2024-00-13 00:00:00.000',
  '1999-12-31 23:59:59.000001', '0000-00-00 00:00:00', NULL),
 (3, NULL, '00:00:00', NULL, NULL, NULL, NULL, NULL, '2001-02-03 04:05:06.000007');
INSERT INTO texts VALUES
 (1, 'abc', REPEAT('x', 300), 'multi\nline \"quoted\" \\\\ text', 'café', 'ab', x'00ff00', x'deadbeef00', '{\"a\": 1}'),
 (2, '', '', '', '', '', '', '', ''),
 (3, 'émoji😀', 'ünïcödé 漢字 😀🎉', CONVERT(0xF09F9880 USING utf8mb4), 'Grüße', x'0102030405060708', NULL, NULL, NULL);
INSERT INTO misc (id, e, s, j, g) VALUES
 (1, 'medium', 'a,c', '{\"k\": [1, 2.5, \"x\", null, true], \"n\": {\"m\": -3}}', ST_GeomFromText('POINT(1 2)', 4326)),
 (2, '', '', '[]', ST_GeomFromText('LINESTRING(0 0,1 1,2 3)')),
 (3, NULL, NULL, NULL, NULL);
COMMIT;"
my_sql "BEGIN;
UPDATE nums SET i = i + 1, bu = 18446744073709551614 WHERE id = 1;
UPDATE texts SET vc = 'changed', bl = x'00' WHERE id = 2;
DELETE FROM misc WHERE id = 2;
UPDATE times SET t0 = '123:45:56' WHERE id = 3;
COMMIT;"
my_sql "UPDATE misc SET j = JSON_SET(j, '$.n.m', 4), s = 'b,d' WHERE id = 1"

step "a schema change in the middle of the stream"
my_sql "ALTER TABLE nums ADD COLUMN extra VARCHAR(20) DEFAULT 'dflt';
INSERT INTO nums (id, i, extra) VALUES (10, 10, 'new column');
UPDATE nums SET extra = 'set later' WHERE id = 2;"

_enough() { rc_check_alive "while streaming"; [ "$($PY "$MYCOMPARE" count --dir "$WORK/out")" -ge 19 ]; }
wait_for 30 "all changes in the output" _enough
sleep 1
step "compare every value with MariaDB's own"
compare "after the first batch"

step "the schema change made version 2 of nums (both schemas in the output)"
nschemas=$($PY - "$WORK/out" <<'EOF'
import sys, os
sys.path.insert(0, os.environ["top_srcdir"] + "/tests/lib")
import pgcompare
ev = pgcompare.load_events(sys.argv[1])
print(len(ev.schemas.get("shop.cdc.nums", {})))
EOF
)
[ "$nschemas" -ge 2 ] || fail "expected 2 schema versions for shop.cdc.nums, got $nschemas"
grep -q "changed shape: schema version 2" "$RC_LOG.err" || fail "no schema version log line"
info "nums has $nschemas schemas in the output"

step "the binlog really holds compressed events (log_bin_compress)"
binlog=$(my_sql "SHOW MASTER STATUS" | head -n 1 | cut -f1)
mariadb-binlog --no-defaults -R -h127.0.0.1 -P"$MYPORT" -urepl -preplpw "$binlog" 2>/dev/null |
    grep -Eqi "compressed|Write_compressed_rows|Query_compressed" ||
    fail "no compressed event in $binlog: the test does not exercise them"
info "compressed events present in $binlog"

step "stop, write while stopped, restart: resumes from the checkpoint"
rc_stop
cat "$WORK/state/"*.checkpoint 2>/dev/null | sed 's/^/    checkpoint: /' || true
my_sql "INSERT INTO nums (id, i) VALUES (20, 20), (21, 21); DELETE FROM texts WHERE id = 1;
UPDATE misc SET e = 'large' WHERE id = 1;"
rc_start "$CONF"
wait_streaming
_enough2() { rc_check_alive "after restart"; [ "$($PY "$MYCOMPARE" count --dir "$WORK/out")" -ge 23 ]; }
wait_for 30 "the changes made while stopped" _enough2
sleep 1
rc_stop
compare "after the restart"
n=$($PY "$MYCOMPARE" count --dir "$WORK/out")
[ "$n" -eq 23 ] || fail "expected exactly 23 events after a clean restart (no duplicates), got $n"
info "23 events: nothing lost, nothing repeated"

step "resume by GTID (gtid_resume = true): the checkpoint's GTID set, not its offset"
gtid=$(sed -n 's/^gtid = //p' "$WORK/state/$SOURCE_NAME.checkpoint")
[ -n "$gtid" ] || fail "the checkpoint holds no GTID set"
info "checkpoint GTID set: $gtid (server: $(my_val 'SELECT @@gtid_binlog_pos'))"
my_sql "FLUSH BINARY LOGS; INSERT INTO nums (id, i) VALUES (30, 30); UPDATE nums SET i = 31 WHERE id = 30;"
my_rc_config "$CONF" "$TABLES" "gtid_resume = true"
rc_start "$CONF"
wait_streaming
grep -q "by GTID" "$RC_LOG.err" || fail "rowcast did not say it resumes by GTID"
_enough3() { rc_check_alive "after the GTID restart"; [ "$($PY "$MYCOMPARE" count --dir "$WORK/out")" -ge 25 ]; }
wait_for 30 "the changes after the GTID restart" _enough3
sleep 1
rc_stop
compare "after the GTID restart"
n=$($PY "$MYCOMPARE" count --dir "$WORK/out")
[ "$n" -eq 25 ] || fail "expected exactly 25 events after the GTID restart, got $n"
info "25 events: resumed from the GTID set, across a binlog rotation"

step "a first start snapshots the same tables: every value as the stream decodes it"
# The snapshot reads values as text and decodes them in two ways: the
# common types directly, the others through the binlog's cell layout
# (sources/mysql/my_snapshot.c). cdc.snapvals adds values at the edges of
# the direct ways: DECIMAL up to 18 digits, fractions, the last day of
# months, utf8mb4 and latin1 text, and values they hand to the cell layout
# (zero dates, a DECIMAL of 19 digits).
my_sql "SET SESSION sql_mode='';
CREATE TABLE snapvals (
  id BIGINT PRIMARY KEY, d2 DECIMAL(12,2), d18 DECIMAL(18,4), d19 DECIMAL(19,0), d0 DECIMAL(18,0),
  dt DATE, dtm DATETIME, dtm1 DATETIME(1), dtm6 DATETIME(6), ts TIMESTAMP NULL, ts3 TIMESTAMP(3) NULL,
  ti TINYINT, tu TINYINT UNSIGNED, iu INT UNSIGNED, bu BIGINT UNSIGNED, dbl DOUBLE,
  vc VARCHAR(40), l1 VARCHAR(40) CHARACTER SET latin1, vb VARBINARY(40), tx TEXT, ch CHAR(5)
) DEFAULT CHARSET utf8mb4;
INSERT INTO snapvals VALUES
 (-9223372036854775808, -9999999999.99, 99999999999999.9999, 9999999999999999999, -999999999999999999,
  '2024-02-29', '2023-12-31 23:59:59', '1000-01-01 00:00:00.5', '1970-01-01 00:00:00.000001',
  '2038-01-19 03:14:07', '1970-01-01 00:00:01.999',
  -128, 255, 4294967295, 18446744073709551615, -0.0, 'ünïcödé 😀', 'Grüße', x'00ff', 'line\nbreak', 'ab'),
 (0, 0.00, -0.0001, -9999999999999999999, 0, '2023-02-28', '1969-12-31 23:59:59', '2024-06-30 12:00:00.0',
  '2024-06-30 12:00:00.999999', '1970-01-01 00:00:01', '2001-09-09 01:46:40.123',
  0, 0, 0, 0, 1e-300, '', '', '', '', ''),
 (9223372036854775807, 0.01, -12.5, 1, 7, '0000-00-00', '0000-00-00 00:00:00', '2024-00-13 00:00:00.0',
  '2024-04-31 00:00:00.000000', '0000-00-00 00:00:00', NULL,
  127, 1, 1, 9223372036854775808, 1.7976931348623157e308, 'x', 'é', NULL, NULL, NULL),
 (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"
rm -rf "$WORK/state" "$WORK/out"
SNAP_TABLES="$TABLES, cdc.snapvals"
my_rc_config "$CONF" "$SNAP_TABLES" "snapshot_chunk_size = 2"
rc_start "$CONF"
_snapped() {
    local t
    rc_check_alive "while snapshotting"
    for t in $(echo "$SNAP_TABLES" | tr -d ','); do
        file_has_line "$WORK/state/$SOURCE_NAME.checkpoint" "snapshot = done $t" || return 1
    done
}
wait_for 60 "every table snapshotted" _snapped
rc_stop
TABLES=$SNAP_TABLES
compare "after a first start's snapshot"
n=$($PY "$MYCOMPARE" count --dir "$WORK/out")
rows=$(my_val "SELECT (SELECT COUNT(*) FROM nums) + (SELECT COUNT(*) FROM times) +
  (SELECT COUNT(*) FROM texts) + (SELECT COUNT(*) FROM misc) + (SELECT COUNT(*) FROM snapvals)")
[ "$n" -eq "$rows" ] || fail "expected $rows snapshot events (one per row), got $n"
info "$n snapshot events, one per row, equal to the tables"
rc_finish
