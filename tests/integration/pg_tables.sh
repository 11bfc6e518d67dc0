#!/bin/bash
# pg_tables.sh -- the [table] sections and topic naming: an excluded column
# appears in no schema and no event (not even its name), `topic =` renames
# a table's stream, `topic_prefix` renames a source's, and the Avro record
# names follow <prefix>.<schema>.<table>.Envelope.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

rc_init pg_tables
pg_start
CONF=$WORK/rowcast.conf

psql_cdc <<'SQL'
CREATE TABLE people (id int PRIMARY KEY, email text NOT NULL, ssn text, note text);
CREATE TABLE notes (id int PRIMARY KEY, body text);
SQL

rc_config "$CONF" "public.people, public.notes" "topic_prefix = crm"
cat >>"$CONF" <<'CONF'

[table public.people]
exclude = ssn
topic   = crm.persons
CONF
rc_start "$CONF"
rc_wait_streaming 30

step "changes with a secret column"
psql_cdc <<'SQL'
INSERT INTO people VALUES (1, 'ada@example.com', '078-05-1120', 'first');
UPDATE people SET ssn = '219-09-9999', note = 'second' WHERE id = 1;
INSERT INTO notes VALUES (1, 'hello');
DELETE FROM people WHERE id = 1;
SQL
wait_for 30 "4 events" out_count_ge 4
rc_stop

step "the excluded column is nowhere, topics and record names follow the settings"
$PY - "$RC_OUT" <<'PY'
import glob, json, os, sys
from avro.datafile import DataFileReader
from avro.io import DatumReader
out = sys.argv[1]
topics = sorted(os.listdir(out))
topics = [t for t in topics if not t.startswith(".")]
bad = []
if topics != ["crm.persons", "crm.public.notes"]:
    bad.append("topics %r, expected crm.persons and crm.public.notes" % topics)
for f in glob.glob(os.path.join(out, "*", "*.avro")):
    raw = open(f, "rb").read()
    for secret in (b"ssn", b"078-05-1120", b"219-09-9999"):
        if secret in raw:
            bad.append("%s contains %r" % (os.path.basename(f), secret))
    with open(f, "rb") as fh:
        rd = DataFileReader(fh, DatumReader())
        schema = json.loads(rd.get_meta("avro.schema"))
        name = schema["name"] if "." in schema["name"] else schema.get("namespace", "") + "." + schema["name"]
        want = "crm.public.people.Envelope" if "persons" in f else "crm.public.notes.Envelope"
        if name != want:
            bad.append("%s: record %s, expected %s" % (os.path.basename(f), name, want))
        for r in rd:
            for img in (r["before"], r["after"]):
                if img is not None and "ssn" in img:
                    bad.append("an event carries ssn")
            if "persons" in f and r["op"] in "cu" and r["after"]["email"] != "ada@example.com":
                bad.append("email lost: %r" % r["after"])
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
info "excluded column absent; topics crm.persons, crm.public.notes"
rc_finish
