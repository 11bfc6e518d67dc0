#!/bin/bash
# pg_reconnect.sh -- the server goes away under a running rowcast: rowcast
# keeps running, logs its retries with backoff, reconnects by itself when
# the server is back, and every committed row arrives exactly in order,
# with nothing lost across the outage.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

rc_init pg_reconnect
pg_start
BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$BIN/pg_ctl" ] || BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

psql_cdc -c "CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)"
rc_config "$WORK/rowcast.conf" "public.items" "reconnect_max_backoff = 2s"
rc_start "$WORK/rowcast.conf"
rc_wait_streaming

step "100 rows before the outage"
psql_cdc -c "INSERT INTO items SELECT g, 'before ' || g FROM generate_series(1, 100) g"
wait_for 30 "100 events" out_count_ge 100

step "stop PostgreSQL (fast shutdown) for 4 seconds"
as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null
sleep 4
rc_check_alive "during the outage"
grep -q "reconnecting in" "$RC_LOG.err" || fail "no retry was logged during the outage"
retries=$(grep -c "reconnecting in" "$RC_LOG.err")
info "retries logged during the outage: $retries"
grep "reconnecting in" "$RC_LOG.err" | tail -n 2 | sed 's/^/    /'

step "start PostgreSQL again; 100 more rows in 10 transactions"
as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/pg.log" -w -t 30 start >/dev/null
for b in 0 1 2 3 4 5 6 7 8 9; do
    psql_cdc -c "INSERT INTO items SELECT g, 'after ' || g FROM generate_series($((101 + b * 10)), $((110 + b * 10))) g"
done
wait_for 60 "200 events" out_count_ge 200
rc_check_alive "after the outage"
[ "$(grep -c "streaming from slot" "$RC_LOG.err")" -ge 2 ] ||
    fail "rowcast did not log a new stream after the server came back"
rc_stop

step "every row arrived, in order, none twice"
$PY - "$WORK/out" <<'PY'
import glob, os, sys
from avro.datafile import DataFileReader
from avro.io import DatumReader
ids = []
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*", "*.avro"))):
    with open(f, "rb") as fh:
        for r in DataFileReader(fh, DatumReader()):
            assert r["op"] == "c", r
            ids.append(r["after"]["id"])
missing = sorted(set(range(1, 201)) - set(ids))
dups = len(ids) - len(set(ids))
print("    events %d, distinct ids %d, missing %d, duplicates %d" % (len(ids), len(set(ids)), len(missing), dups))
if missing:
    sys.exit("missing ids: %s" % missing[:20])
if ids != sorted(ids):
    sys.exit("events are out of commit order")
if dups:
    sys.exit("rows were sent twice although the pipeline drained before reconnecting")
PY
rc_finish
