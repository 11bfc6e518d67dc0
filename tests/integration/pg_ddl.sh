#!/bin/bash
# pg_ddl.sh -- schema changes while rowcast streams: every change before
# and after each ALTER TABLE arrives, each event carries the schema of the
# table as it was when the change was made (a new schema version, and a new
# container file, per shape), including a column added inside a
# transaction between two of its rows.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

rc_init pg_ddl
pg_start
CONF=$WORK/rowcast.conf
psql_cdc -c "CREATE TABLE evolving (id int PRIMARY KEY, a text)"
rc_config "$CONF" "public.evolving"
rc_start "$CONF"
rc_wait_streaming 30

step "changes around ADD COLUMN, ALTER TYPE, DROP COLUMN, and DDL inside a transaction"
psql_cdc <<'SQL'
INSERT INTO evolving VALUES (1, 'one');
ALTER TABLE evolving ADD COLUMN b numeric(10,2);
INSERT INTO evolving VALUES (2, 'two', 2.50);
UPDATE evolving SET b = 1.25 WHERE id = 1;
ALTER TABLE evolving ALTER COLUMN b TYPE numeric(12,4);
INSERT INTO evolving VALUES (3, 'three', 3.1234);
ALTER TABLE evolving DROP COLUMN a;
INSERT INTO evolving VALUES (4, 4);
BEGIN;
INSERT INTO evolving VALUES (5, 5);
ALTER TABLE evolving ADD COLUMN c timestamptz DEFAULT '2024-01-02 03:04:05+00';
INSERT INTO evolving VALUES (6, 6);
COMMIT;
DELETE FROM evolving WHERE id = 2;
SQL
wait_for 30 "8 events" out_count_ge 8
rc_stop
grep -c "changed shape" "$RC_LOG.err" | sed 's/^/    schema changes logged: /'

step "every event, in order, with the columns its table had then"
$PY - "$RC_OUT" <<'PY'
import glob, json, os, sys
from decimal import Decimal
from avro.datafile import DataFileReader
from avro.io import DatumReader
events, files = [], 0
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*", "*.avro"))):
    files += 1
    with open(f, "rb") as fh:
        rd = DataFileReader(fh, DatumReader())
        schema = json.loads(rd.get_meta("avro.schema"))
        # the Value record is defined in `before` (`after` names it)
        value = [x for x in schema["fields"] if x["name"] == "before"][0]["type"][1]
        cols = [x["name"] for x in value["fields"]]
        for r in rd:
            events.append((cols, r))
want = [
    ("c", 1, ["id", "a"], {"a": "one"}),
    ("c", 2, ["id", "a", "b"], {"a": "two", "b": Decimal("2.50")}),
    ("u", 1, ["id", "a", "b"], {"b": Decimal("1.25")}),
    ("c", 3, ["id", "a", "b"], {"b": Decimal("3.1234")}),
    ("c", 4, ["id", "b"], {"b": Decimal("4.0000")}),
    ("c", 5, ["id", "b"], {"b": Decimal("5.0000")}),
    ("c", 6, ["id", "b", "c"], {"b": Decimal("6.0000")}),
    ("d", 2, ["id", "b", "c"], {}),
]
bad = []
if len(events) != len(want):
    bad.append("%d events, expected %d" % (len(events), len(want)))
for (cols, r), (op, id_, wcols, vals) in zip(events, want):
    img = r["after"] if op != "d" else r["before"]
    if r["op"] != op or img["id"] != id_:
        bad.append("got %s id=%s, expected %s id=%s" % (r["op"], img["id"], op, id_))
    if cols != wcols:
        bad.append("event %s id=%s has columns %s, expected %s" % (op, id_, cols, wcols))
    for k, v in vals.items():
        if img.get(k) != v:
            bad.append("event %s id=%s: %s = %r, expected %r" % (op, id_, k, img.get(k), v))
if files < 4:
    bad.append("%d container files for 4 shapes (each file holds one schema)" % files)
for b in bad:
    print("  " + b)
print("    %d events in %d files" % (len(events), files))
sys.exit(1 if bad else 0)
PY
rc_finish
