#!/bin/bash
# pg_kafka_registry.sh -- the Kafka sink with a schema registry, end to end:
# a real PostgreSQL, rowcast, the librdkafka mock cluster (tests/lib/kafka.sh)
# and tests/lib/registry.py, a stand-in of Confluent's Schema Registry REST
# API with basic auth (the password given to rowcast through
# schema_registry_password_file).
#
# Part 1: inserts/updates/deletes on tables with logical types, a composite
# key and REPLICA IDENTITY FULL. Every key and value must be in the Confluent
# wire format (0x00, 4-byte big-endian id, Avro binary); the consumer
# resolves each id with GET /schemas/ids/{id} and decodes with python3-avro
# (tests/lib/kafka_consume.py --registry); subjects are <topic>-key and
# <topic>-value; the registered text is rowcast's own (logicalType kept);
# no schemas topic; the ids are in <state_dir>/registry; the replayed state
# equals PostgreSQL.
#
# Part 2: restart with the registry down: known schemas come from the state
# directory (no registry needed); a new schema (ALTER TABLE) waits, retrying
# with WARN lines, until the registry is back on the same port; nothing lost.
#
# Part 3: the subject refuses the next schema (REJECT_ALL -> HTTP 409):
# rowcast stops with "schema registry refused <subject>", the slot does not
# pass the refused event, and the event is not on Kafka.
#
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/pg_kafka_registry.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/kafka.sh"

# shellcheck disable=SC2153  # RC_STATE is set by rc_config_kafka
rc_init pg_kafka_registry
kafka_init

REG_USER=rowcast
REG_PASS='pa:ss w0rd'
REG_PID=""
REG_PORT=0

# reg_start: the stand-in registry on $REG_PORT (0: any; then set), its
# schemas kept in $WORK/registry.json across restarts.
reg_start() {
    local pf=$WORK/registry.port
    rm -f "$pf"
    $PY "$top_srcdir/tests/lib/registry.py" --port "$REG_PORT" --port-file "$pf" \
        --user "$REG_USER" --password "$REG_PASS" --state "$WORK/registry.json" \
        >>"$WORK/registry.log" 2>&1 &
    REG_PID=$!
    bg_track "$REG_PID"
    for _ in $(seq 1 100); do
        [ -s "$pf" ] && break
        sleep 0.05
    done
    [ -s "$pf" ] || fail "registry.py wrote no port file in 5s: $(tail -n 5 "$WORK/registry.log")"
    REG_PORT=$(cat "$pf")
    REG_URL=http://127.0.0.1:$REG_PORT
    info "registry.py at $REG_URL (pid $REG_PID)"
}
reg_stop() {
    kill -TERM "$REG_PID" 2>/dev/null || true
    wait "$REG_PID" 2>/dev/null || true
    REG_PID=""
    info "registry.py stopped"
}
# reg_get PATH: GET from the registry, with the credentials
reg_get() {
    $PY - "$REG_URL$1" "$REG_USER:$REG_PASS" <<'EOF'
import base64, sys, urllib.request
r = urllib.request.Request(sys.argv[1])
r.add_header("Authorization", "Basic " + base64.b64encode(sys.argv[2].encode()).decode())
sys.stdout.write(urllib.request.urlopen(r, timeout=10).read().decode())
EOF
}
reg_post() {
    $PY - "$REG_URL$1" "$REG_USER:$REG_PASS" "$2" <<'EOF'
import base64, sys, urllib.request
r = urllib.request.Request(sys.argv[1], data=sys.argv[3].encode(), method="POST")
r.add_header("Authorization", "Basic " + base64.b64encode(sys.argv[2].encode()).decode())
r.add_header("Content-Type", "application/vnd.schemaregistry.v1+json")
sys.stdout.write(urllib.request.urlopen(r, timeout=10).read().decode())
EOF
}
kc_reg() { kconsume "$@" --registry "$REG_URL" --registry-auth "$REG_USER:$REG_PASS"; }

step "start the registry, the mock cluster (3 brokers) and PostgreSQL"
reg_start
kafka_start 3 "$SOURCE_NAME.public.customers:6"
pg_start

psql_cdc <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, name text, email text, born date, balance numeric(12,2));
CREATE TABLE order_lines (order_id int, line_no int, sku text, qty int, PRIMARY KEY (order_id, line_no));
CREATE TABLE audit (id int PRIMARY KEY, who text, note text);
ALTER TABLE audit REPLICA IDENTITY FULL;
SQL

CONF=$WORK/rowcast.conf
printf '%s\n' "$REG_PASS" >"$WORK/registry.password"
RC_KAFKA_PROPS="schema_registry = $REG_URL
schema_registry_user = $REG_USER
schema_registry_password_file = $WORK/registry.password
schema_registry_timeout = 2s" \
    rc_config_kafka "$CONF" "public.customers, public.order_lines, public.audit"

step "part 1: rowcast with schema_registry; run the transactions"
rc_start "$CONF"
rc_wait_streaming 30
psql_cdc <<'SQL'
BEGIN;
INSERT INTO customers VALUES
  (1, 'alice', 'a@example.com', '1980-02-29', 10.50),
  (2, 'bob', NULL, '1975-12-31', -3.25),
  (3, 'carol', 'c@example.com', NULL, 0);
COMMIT;
UPDATE customers SET name = 'alice2' WHERE id = 1;
DELETE FROM customers WHERE id = 3;
BEGIN;
INSERT INTO order_lines VALUES (1, 1, 'A', 1), (1, 2, 'B', 2), (2, 1, 'C', 3);
UPDATE order_lines SET qty = 10 WHERE order_id = 1 AND line_no = 2;
DELETE FROM order_lines WHERE order_id = 2 AND line_no = 1;
COMMIT;
INSERT INTO audit VALUES (1, 'u1', 'n1'), (2, 'u2', 'n2');
UPDATE audit SET note = 'n1b' WHERE id = 1;
DELETE FROM audit WHERE id = 2;
SQL
# customers 3c 1u 1d +1 tomb, order_lines 3c 1u 1d +1 tomb, audit 2c 1u 1d +1 tomb
N1=17
kc_reg consume --count $N1 --idle 10 --timeout 60 >"$WORK/part1.jsonl" 2>"$WORK/part1.err" ||
    check_fail "part 1: consumer: $(grep -E 'VIOLATION|only' "$WORK/part1.err" | head -n 5)"
n=$(wc -l <"$WORK/part1.jsonl")
[ "$n" -eq $N1 ] || check_fail "part 1: expected $N1 messages, found $n"
info "$n messages decoded from the Confluent wire format"

step "part 1: framing, subjects, registered texts, state directory"
$PY - "$WORK/part1.jsonl" "$(reg_get /subjects)" "$SOURCE_NAME" "$RC_STATE" <<'EOF' || check_fail "part 1 registry checks failed (see above)"
import json, os, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
subjects = set(json.loads(sys.argv[2]))
src, state = sys.argv[3], sys.argv[4]
bad = []
want = set()
for t in ("customers", "order_lines", "audit"):
    want |= {"%s.public.%s-key" % (src, t), "%s.public.%s-value" % (src, t)}
if subjects != want:
    bad.append("subjects %r, expected %r" % (sorted(subjects), sorted(want)))
for m in msgs:
    h = m["headers"]
    if m["value"] is not None and not (h.get("op") and h.get("event_id") and h.get("table")):
        bad.append("%s@%d: headers %r" % (m["topic"], m["offset"], h))
    if m["raw_key"] is None or not m["raw_key"].startswith("00"):
        bad.append("%s@%d: key %r is not Confluent-framed" % (m["topic"], m["offset"], m["raw_key"]))
files = sorted(os.listdir(os.path.join(state, "registry")))
for s in want:
    if not any(f.startswith(s + ".") and len(f) == len(s) + 17 for f in files):
        bad.append("no %s.<fp> in %s/registry (%r)" % (s, state, files))
if os.path.isdir(os.path.join(state, "schemas")) and os.listdir(os.path.join(state, "schemas")):
    bad.append("registry mode wrote %s/schemas" % state)
for b in bad:
    print("  " + b)
print("  %d messages, %d subjects, %d id files" % (len(msgs), len(subjects), len(files)))
sys.exit(1 if bad else 0)
EOF
latest=$(reg_get "/subjects/$SOURCE_NAME.public.customers-value/versions/latest")
case $latest in
*'logicalType'*'date'*) info "customers-value is rowcast's own text (logicalType date kept)" ;;
*) check_fail "customers-value as registered lacks logicalType: ${latest:0:300}" ;;
esac
grep -q "$REG_PASS" "$RC_LOG.err" && check_fail "the registry password appears in rowcast's log"
kc_reg compare --dsn "$DSN" --tables "public.customers,public.order_lines,public.audit" \
    --schema-check --idle 3 || check_fail "the state replayed from Kafka differs from PostgreSQL"

# ------------------------------------------------------------------
step "part 2: restart rowcast with the registry down"
rc_stop
reg_stop
rc_start "$CONF"
rc_wait_streaming 30
psql_cdc -c "INSERT INTO customers VALUES (10, 'known', 'k@example.com', '2000-01-01', 1.00)"
# the consumer needs the registry to decode; count raw messages instead
raw_count() {
    $PY - "$KAFKA_BS" "$SOURCE_NAME.public.customers" <<'EOF'
import sys
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "raw", "enable.auto.commit": False, "log_level": 3})
md = c.list_topics(sys.argv[2], timeout=5)
c.assign([TopicPartition(sys.argv[2], p, OFFSET_BEGINNING) for p in md.topics[sys.argv[2]].partitions])
n, idle = 0, 0
while idle < 4:
    m = c.poll(0.5)
    if m is None or m.error():
        idle += 1
        continue
    idle = 0
    n += 1
c.close()
print(n)
EOF
}
raw_ge() { [ "$(raw_count)" -ge "$1" ]; }
# customers had 6 messages
wait_for 30 "the insert (known schema) on Kafka while the registry is down" raw_ge 7
info "the known schema needed no registry (state directory cache)"

# the new shape: 1 insert + 3 updates (every row then has a vip value)
psql_cdc -c "ALTER TABLE customers ADD COLUMN vip boolean; INSERT INTO customers VALUES (11, 'new shape', NULL, NULL, NULL, true);
             UPDATE customers SET vip = false WHERE vip IS NULL"
sleep 3
rc_check_alive "while the registry is down"
[ "$(raw_count)" -eq 7 ] || check_fail "an event with an unregistered schema reached Kafka while the registry was down"
grep -q "schema registry: registering $SOURCE_NAME.public.customers-value: .*retry" "$RC_LOG.err" ||
    check_fail "no retry WARN for the new schema: $(tail -n 3 "$RC_LOG.err")"
info "retrying: $(grep -c 'schema registry: registering' "$RC_LOG.err") WARN line(s)"
reg_start
wait_for 30 "the new-shape events after the registry came back" raw_ge 11
kc_reg consume -t "$SOURCE_NAME.public.customers" --idle 4 --timeout 60 >"$WORK/part2.jsonl" 2>"$WORK/part2.err" ||
    check_fail "part 2: consumer: $(grep VIOLATION "$WORK/part2.err" | head -n 5)"
grep -q '"vip": true' "$WORK/part2.jsonl" || check_fail "part 2: the new-shape event is not decodable with its registry schema"
kc_reg compare --dsn "$DSN" --tables "public.customers" --idle 3 ||
    check_fail "part 2: customers replayed from Kafka differs from PostgreSQL"

# ------------------------------------------------------------------
step "part 3: the subject refuses the next schema (HTTP 409)"
reg_post "/config/$SOURCE_NAME.public.customers-value" '{"compatibility": "REJECT_ALL"}' >/dev/null
before=$(raw_count)
lsn_before=$(psql_val "SELECT pg_current_wal_insert_lsn()")
psql_cdc -c "ALTER TABLE customers ADD COLUMN tier int; INSERT INTO customers VALUES (12, 'refused', NULL, NULL, NULL, NULL, 3)"
wait_for 30 "rowcast to stop on the refusal" sh -c "! kill -0 $RC_PID 2>/dev/null"
RC_STATUS=0
wait "$RC_PID" || RC_STATUS=$?
RC_PID=""
info "rowcast exited with status $RC_STATUS"
grep -q "schema registry refused $SOURCE_NAME.public.customers-value: Schema being registered is incompatible" "$RC_LOG.err" ||
    check_fail "no clear refusal error in the log: $(grep -E 'ERROR|FATAL' "$RC_LOG.err" | tail -n 3)"
grep -E "refused" "$RC_LOG.err" | head -n 2 | while read -r l; do info "rowcast: $l"; done
[ "$(raw_count)" -eq "$before" ] || check_fail "the refused event reached Kafka"
c=$(slot_confirmed)
[ "$(psql_val "SELECT '$c'::pg_lsn < '$lsn_before'::pg_lsn OR '$c'::pg_lsn = '$lsn_before'::pg_lsn")" = t ] ||
    check_fail "the slot moved past the refused event ($c > $lsn_before)"
rc_finish
