#!/bin/bash
# my_snapshot_ddl.sh -- a MariaDB table whose columns change while its
# snapshot runs. rowcast keeps a table's description across its chunks
# while the columns of SELECT * ... LIMIT 0, probed in each chunk's
# transaction, hash the same; this checks that a change is seen at the next
# chunk. cdc.t (50,000 rows) is snapshotted in 1,000-row chunks at 10,000
# rows/s; two seconds in, ALTER TABLE ADD COLUMN extra ... DEFAULT 7, a
# second later a column is widened. Every key must be read once; a row
# whose chunk's binlog position (source.pos) is past the ADD COLUMN must
# carry extra = 7, one before it must lack it, and the log must show the
# new schema versions.
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/my_snapshot_ddl.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/my.sh"

rc_init my_snapshot_ddl
my_init my_snapshot_ddl
my_start

step "cdc.t: 50,000 rows"
my_sql "CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(100)) DEFAULT CHARSET utf8mb4;"
my_sql "INSERT INTO t SELECT seq, CONCAT('n', seq) FROM seq_1_to_50000;"
CONF=$WORK/rowcast.conf
cat >"$CONF" <<EOC
[rowcast]
state_dir = $WORK/state

[source $SOURCE_NAME]
type = mysql
host = 127.0.0.1
port = $MYPORT
user = repl
password = replpw
server_id = 4253
tables = cdc.t
snapshot_chunk_size = 1000
snapshot_max_rows_per_sec = 10000

[sink files]
type = file
path = $WORK/out
EOC

step "snapshot, with ALTER TABLE ADD COLUMN and MODIFY COLUMN while it runs"
rc_start "$CONF"
_running() {
    rc_check_alive "starting"
    grep -Eq "^snapshot = running cdc.t [0-9]{4,}" "$WORK/state/$SOURCE_NAME.checkpoint" 2>/dev/null
}
wait_for 30 "the snapshot of cdc.t to be running" _running
sleep 1
P1=$(my_sql "SHOW MASTER STATUS" | cut -f2)
my_sql "ALTER TABLE t ADD COLUMN extra INT NOT NULL DEFAULT 7"
P2=$(my_sql "SHOW MASTER STATUS" | cut -f2)
info "ADD COLUMN between binlog positions $P1 and $P2"
sleep 2
my_sql "ALTER TABLE t MODIFY COLUMN name VARCHAR(200)"
_done() { rc_check_alive "snapshotting"; grep -q "^snapshot = done cdc.t" "$WORK/state/$SOURCE_NAME.checkpoint" 2>/dev/null; }
wait_for 60 "the snapshot of cdc.t to be done" _done
rc_stop

step "check: every key once, extra = 7 from one key on, the schema versions"
$PY - "$WORK/out" "$P1" "$P2" <<'PY' || fail "the snapshot across the DDL is wrong (see above)"
import glob, sys
import avro.datafile, avro.io

p1, p2 = int(sys.argv[2]), int(sys.argv[3])
rows, pos = {}, {}
for f in sorted(glob.glob(sys.argv[1] + "/*/*.avro")):
    with open(f, "rb") as fh:
        for r in avro.datafile.DataFileReader(fh, avro.io.DatumReader()):
            if r["op"] != "r":
                continue
            a = r["after"]
            if a["id"] in rows:
                sys.exit("FAIL: id %d read twice" % a["id"])
            rows[a["id"]] = a
            pos[a["id"]] = r["source"]["pos"]
if sorted(rows) != list(range(1, 50001)):
    sys.exit("FAIL: %d distinct keys, expected 1..50000" % len(rows))
with_extra = [i for i in sorted(rows) if "extra" in rows[i]]
if not with_extra or len(with_extra) == len(rows):
    sys.exit("FAIL: %d of %d rows have the added column; expected some, not all"
             % (len(with_extra), len(rows)))
first = with_extra[0]
if with_extra != list(range(first, 50001)):
    sys.exit("FAIL: the rows with the added column are not all those from id %d on" % first)
bad = [i for i in with_extra if rows[i]["extra"] != 7]
if bad:
    sys.exit("FAIL: extra is not 7 for ids %s" % bad[:5])
late = [i for i in rows if pos[i] >= p2 and "extra" not in rows[i]]
if late:
    sys.exit("FAIL: %d rows read at or after the ADD COLUMN (binlog %d) lack the column, "
             "e.g. id %d at %d" % (len(late), p2, late[0], pos[late[0]]))
early = [i for i in rows if pos[i] <= p1 and "extra" in rows[i]]
if early:
    sys.exit("FAIL: %d rows read before the ADD COLUMN have the column" % len(early))
print("    %d rows before the ADD COLUMN, %d after (extra = 7)" % (first - 1, len(with_extra)))
PY
rc_log_has() { grep -Eq -- "$1" "$RC_LOG.err"; }
rc_log_has "table cdc\.t changed shape: schema version 2" ||
    check_fail "no 'table cdc.t changed shape: schema version 2' in the log"
rc_log_has "table cdc\.t changed shape: schema version 3" ||
    check_fail "no 'table cdc.t changed shape: schema version 3' (the widened column) in the log"
rc_finish
