#!/bin/bash
# pg_kafka.sh -- the Kafka sink end to end: a real PostgreSQL, rowcast, and a
# librdkafka mock cluster of 3 brokers in its own process (LAB.md section 3),
# read back with Debian's confluent_kafka and avro (tests/lib/kafka_consume.py,
# which recomputes CRC-64-AVRO fingerprints and Java's murmur2 partitions).
#
# Part 1: inserts/updates/deletes/a truncate on a table with a simple key, one
# with a composite key and one with REPLICA IDENTITY FULL. Checks: every
# change with the right op and values, keys decode to the primary key, the
# same key always in the same partition (= murmur2), a tombstone right after
# each delete, headers op/table/event/event_id, every fingerprint in the
# schemas topic, final state equal to PostgreSQL (pgcompare's rules).
#
# Part 2: all brokers down in the middle of a load while the database keeps
# writing: the slot's confirmed_flush_lsn must not move, rowcast stays alive
# with RSS under 128 MiB; brokers up: every change arrives.
#
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/pg_kafka.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/kafka.sh"

rc_init pg_kafka
kafka_init

step "start the mock cluster (3 brokers) and PostgreSQL"
# customers gets 6 partitions, the other topics are auto-created with 4.
# The schemas topic exists beforehand: the 2.0.2 mock has no controller, so
# the sink's CreateTopics for it would only time out (after 5s).
kafka_start 3 "$SOURCE_NAME.public.customers:6" "$SOURCE_NAME._schemas:1"
pg_start

CONF=$WORK/rowcast.conf
RSS_CAP_KIB=$((128 * 1024))

psql_cdc <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, name text, email text, born date, balance numeric(12,2));
CREATE TABLE order_lines (order_id int, line_no int, sku text, qty int, PRIMARY KEY (order_id, line_no));
CREATE TABLE audit (id int PRIMARY KEY, who text, note text);
ALTER TABLE audit REPLICA IDENTITY FULL;
CREATE TABLE load (id int PRIMARY KEY, payload text);
SQL

step "start rowcast with the kafka sink"
# small queues (the pipeline's and librdkafka's): while the brokers are away
# they fill, and rowcast must stop reading the source instead of growing
RC_QUEUE_MAX_BYTES=64K RC_KAFKA_PROPS="kafka.queue.buffering.max.messages = 1000" \
    rc_config_kafka "$CONF" "public.customers, public.order_lines, public.audit, public.load"
# a business name for the customers' events: customer.created, ...
printf '\n[table public.customers]\nevent_name = customer\n' >>"$CONF"
rc_start "$CONF"
rc_wait_streaming 30
kafka_follow_start "$WORK/kafka.jsonl"

step "part 1: run the transactions"
psql_cdc <<'SQL'
BEGIN;
INSERT INTO customers VALUES
  (1, 'alice', 'a@example.com', '1980-02-29', 10.50),
  (2, 'bob', NULL, '1975-12-31', -3.25),
  (3, 'carol', 'c@example.com', NULL, 0),
  (4, 'dave', 'd@example.com', '2001-01-01', 99999.99),
  (5, 'erin', 'e@example.com', '1990-06-15', NULL);
COMMIT;
BEGIN;
UPDATE customers SET name = 'alice2' WHERE id = 1;
UPDATE customers SET balance = 7.75, email = 'b@example.com' WHERE id = 2;
COMMIT;
DELETE FROM customers WHERE id = 3;
BEGIN;
INSERT INTO order_lines VALUES (1, 1, 'A', 1), (1, 2, 'B', 2), (2, 1, 'C', 3);
UPDATE order_lines SET qty = 10 WHERE order_id = 1 AND line_no = 2;
DELETE FROM order_lines WHERE order_id = 2 AND line_no = 1;
COMMIT;
BEGIN;
INSERT INTO audit VALUES (1, 'u1', 'n1'), (2, 'u2', 'n2');
UPDATE audit SET note = 'n1b' WHERE id = 1;
DELETE FROM audit WHERE id = 2;
COMMIT;
TRUNCATE audit;
INSERT INTO audit VALUES (3, 'u3', 'after truncate');
UPDATE customers SET name = 'erin2' WHERE id = 5;
SQL
# events: customers 5c 2u 1d 1u (9), order_lines 3c 1u 1d (5), audit 2c 1u 1d 1t 1c (6)
N_EVENTS=20
N_TOMB=3
N1=$((N_EVENTS + N_TOMB))
wait_for 60 "$N1 messages on the event topics" kafka_follow_count_ge $N1
rc_check_alive "after the part 1 transactions"
sleep 1   # anything extra (duplicates) would arrive now
n=$(kafka_follow_count)
[ "$n" -eq $N1 ] || check_fail "expected $N1 messages on the event topics, found $n"

step "part 1: check keys, partitions, tombstones, headers, schemas, values"
$PY - "$KAFKA_BS" "$SOURCE_NAME" "$top_srcdir/tests/lib" <<'EOF' || check_fail "part 1 message checks failed (see above)"
import sys
sys.path.insert(0, sys.argv[3])
from decimal import Decimal
import datetime
import kafka_consume as kc

bs, src = sys.argv[1], sys.argv[2]
col = kc.collect(bs, prefix=src, count=23, idle=5, timeout=60)
bad = ["consumer: " + v for v in col.violations]

def chk(cond, msg):
    if not cond:
        bad.append(msg)
    return cond

msgs = [m for m in col.messages if not m["topic"].endswith(".public.load")]
short = lambda t: t.split(".")[-1]
keycols = {"customers": ["id"], "order_lines": ["order_id", "line_no"], "audit": ["id"]}

# --- every fingerprint used is in the schemas topic; schema names -----
used = {m["key_fp"] for m in msgs if m["key_fp"] is not None} | {m["value_fp"] for m in msgs if m["value_fp"] is not None}
chk(used <= set(col.schemas), "fingerprints %s not in %s._schemas" % (
    ["%016x" % f for f in used - set(col.schemas)], src))
print("  schemas topic: %d message(s), %d distinct fingerprint(s); %d used by events" % (
    len(col.schema_msgs), len(col.schemas), len(used)))

# --- per partition order -----------------------------------------------
bypart = {}
for m in msgs:
    bypart.setdefault((m["topic"], m["partition"]), []).append(m)
for lst in bypart.values():
    lst.sort(key=lambda m: m["offset"])
    chk([m["offset"] for m in lst] == list(range(lst[0]["offset"], lst[0]["offset"] + len(lst))),
        "%s[%d]: offsets not contiguous %r" % (lst[0]["topic"], lst[0]["partition"], [m["offset"] for m in lst]))

# --- keys, headers, ops, tombstones ------------------------------------
part_of_key = {}
event_ids = {}
events = []          # decoded envelopes in partition order
for (topic, p), lst in sorted(bypart.items()):
    t = short(topic)
    for i, m in enumerate(lst):
        where = "%s[%d]@%d" % (topic, p, m["offset"])
        if m["raw_key"] is not None:
            part_of_key.setdefault((topic, m["raw_key"]), set()).add(p)
        v = m["value"]
        if v is None:
            # a tombstone: must directly follow a delete of the same key
            prev = lst[i - 1] if i > 0 else None
            chk(prev is not None and prev["value"] is not None and prev["value"]["op"] == "d"
                and prev["raw_key"] == m["raw_key"],
                "%s: tombstone that does not directly follow a delete of the same key" % where)
            chk(m["raw_key"] is not None, "%s: tombstone without a key" % where)
            continue
        op = v["op"]
        events.append((t, m))
        img = v["after"] if op in ("c", "u", "r") else v["before"]
        if op == "t":
            chk(m["key"] is None, "%s: truncate with a key %r" % (where, m["key"]))
        else:
            want = {c: img[c] for c in keycols[t]}
            chk(m["key"] == want, "%s: key %r, expected the primary key %r" % (where, m["key"], want))
        if op == "d":
            nxt = lst[i + 1] if i + 1 < len(lst) else None
            chk(nxt is not None and nxt["value"] is None and nxt["raw_key"] == m["raw_key"],
                "%s: delete not directly followed by a tombstone with the same key" % where)
        h = m["headers"]
        suffix = {"c": "created", "u": "updated", "d": "deleted", "t": "truncated"}[op]
        chk(h.get("op") == op, "%s: header op=%r, envelope op=%r" % (where, h.get("op"), op))
        chk(h.get("table") == "public." + t, "%s: header table=%r, expected public.%s" % (where, h.get("table"), t))
        ename = {"customers": "customer"}.get(t, t)
        chk(h.get("event") == "%s.%s" % (ename, suffix), "%s: header event=%r, expected %s.%s" % (where, h.get("event"), ename, suffix))
        eid = h.get("event_id")
        if chk(bool(eid), "%s: no event_id header" % where):
            chk(eid not in event_ids, "%s: event_id %r already used by %s" % (where, eid, event_ids.get(eid)))
            event_ids[eid] = where
for (topic, k), ps in part_of_key.items():
    chk(len(ps) == 1, "%s: key %s in several partitions %r" % (topic, k.hex(), sorted(ps)))
print("  %d keys, each in one partition (murmur2 checked by the consumer)" % len(part_of_key))

# --- what arrived, per key, in order -------------------------------------
def seq(table):
    out = {}
    for t, m in events:
        if t != table:
            continue
        k = tuple(sorted(m["key"].items())) if m["key"] else None
        out.setdefault(k, []).append(m["value"])
    return out

def after(v):
    return v["after"]

D = datetime.date
c = seq("customers")
exp_c = {
    1: [("c", {"id": 1, "name": "alice", "email": "a@example.com", "born": D(1980, 2, 29), "balance": Decimal("10.50")}),
        ("u", {"id": 1, "name": "alice2", "email": "a@example.com", "born": D(1980, 2, 29), "balance": Decimal("10.50")})],
    2: [("c", {"id": 2, "name": "bob", "email": None, "born": D(1975, 12, 31), "balance": Decimal("-3.25")}),
        ("u", {"id": 2, "name": "bob", "email": "b@example.com", "born": D(1975, 12, 31), "balance": Decimal("7.75")})],
    3: [("c", {"id": 3, "name": "carol", "email": "c@example.com", "born": None, "balance": Decimal("0.00")}),
        ("d", None)],
    4: [("c", {"id": 4, "name": "dave", "email": "d@example.com", "born": D(2001, 1, 1), "balance": Decimal("99999.99")})],
    5: [("c", {"id": 5, "name": "erin", "email": "e@example.com", "born": D(1990, 6, 15), "balance": None}),
        ("u", {"id": 5, "name": "erin2", "email": "e@example.com", "born": D(1990, 6, 15), "balance": None})],
}
def cmp_table(name, got, exp, keyf):
    for k, evs in exp.items():
        g = got.get(keyf(k), [])
        chk([v["op"] for v in g] == [e[0] for e in evs],
            "%s key %r: ops %r, expected %r" % (name, k, [v["op"] for v in g], [e[0] for e in evs]))
        for v, (op, img) in zip(g, evs):
            if img is not None:
                chk(v["after"] == img, "%s key %r %s: after %r, expected %r" % (name, k, op, v["after"], img))
            if op in ("c",):
                chk(v["before"] is None, "%s key %r: insert with a before image %r" % (name, k, v["before"]))
    extra = set(got) - {keyf(k) for k in exp}
    chk(not extra, "%s: events for unexpected keys %r" % (name, extra))

cmp_table("customers", c, exp_c, lambda k: (("id", k),))
d = c.get((("id", 3),), [])
if len(d) == 2:
    chk(d[1]["before"] is not None and d[1]["before"]["id"] == 3 and d[1]["after"] is None,
        "customers delete: before %r after %r" % (d[1]["before"], d[1]["after"]))

ol = seq("order_lines")
exp_ol = {
    (1, 1): [("c", {"order_id": 1, "line_no": 1, "sku": "A", "qty": 1})],
    (1, 2): [("c", {"order_id": 1, "line_no": 2, "sku": "B", "qty": 2}),
             ("u", {"order_id": 1, "line_no": 2, "sku": "B", "qty": 10})],
    (2, 1): [("c", {"order_id": 2, "line_no": 1, "sku": "C", "qty": 3}), ("d", None)],
}
cmp_table("order_lines", ol, exp_ol, lambda k: (("line_no", k[1]), ("order_id", k[0])))
g = ol.get((("line_no", 1), ("order_id", 2)), [])
if len(g) == 2:
    b = g[1]["before"] or {}
    chk(b.get("order_id") == 2 and b.get("line_no") == 1, "order_lines delete: before %r lacks the composite key" % (b,))

a = seq("audit")
exp_a = {
    1: [("c", {"id": 1, "who": "u1", "note": "n1"}), ("u", {"id": 1, "who": "u1", "note": "n1b"})],
    2: [("c", {"id": 2, "who": "u2", "note": "n2"}), ("d", None)],
    3: [("c", {"id": 3, "who": "u3", "note": "after truncate"})],
}
trunc = a.pop(None, [])
chk([v["op"] for v in trunc] == ["t"], "audit: expected one truncate event without key, got %r" % ([v["op"] for v in trunc],))
cmp_table("audit", a, exp_a, lambda k: (("id", k),))
g = a.get((("id", 1),), [])
if len(g) == 2:
    chk(g[1]["before"] == {"id": 1, "who": "u1", "note": "n1"}, "REPLICA IDENTITY FULL update: before %r" % (g[1]["before"],))
g = a.get((("id", 2),), [])
if len(g) == 2:
    chk(g[1]["before"] == {"id": 2, "who": "u2", "note": "n2"}, "REPLICA IDENTITY FULL delete: before %r" % (g[1]["before"],))

# --- the source block names the table ------------------------------------
for t, m in events:
    s = m["value"].get("source") or {}
    if not chk(s.get("schema") == "public" and s.get("table") == t and s.get("name") == src,
               "%s: source block %r" % (m["topic"], s)):
        break

for b in bad:
    print("  " + b)
print("  %d messages (%d events, %d tombstones) checked, %d problem(s)" % (
    len(msgs), len(events), len(msgs) - len(events), len(bad)))
sys.exit(1 if bad else 0)
EOF

step "part 1: compare the final state with PostgreSQL"
kconsume compare --dsn "$DSN" --tables "public.customers,public.order_lines,public.audit" \
    --schema-check --idle 3 ||
    check_fail "the state replayed from Kafka differs from PostgreSQL"

# ------------------------------------------------------------------
# Part 2: broker outage during a load
# ------------------------------------------------------------------
step "part 2: a load of 6000 rows; all brokers down in the middle"
BATCHES=60
ROWS=100
LOAD_TOPIC=$SOURCE_NAME.public.load
load_writer() {
    local b lo
    for b in $(seq 0 $((BATCHES - 1))); do
        lo=$((b * ROWS + 1))
        psql_cdc -c "BEGIN; INSERT INTO load SELECT g, md5(g::text) FROM generate_series($lo, $((lo + ROWS - 1))) g;
                     UPDATE load SET payload = 'updated' WHERE id = $lo; DELETE FROM load WHERE id = $((lo + 1)); COMMIT;"
        sleep 0.1
    done
    echo finished >"$WORK/load.done"
}
# slot_reached LSN: the slot confirmed LSN or beyond (end_lsn below is taken
# after the last commit: nothing may come after it to confirm "past").
# shellcheck disable=SC2317  # called through wait_for
slot_reached() {
    local c
    c=$(slot_confirmed)
    [ -n "$c" ] && [ "$(psql_val "SELECT '$c'::pg_lsn >= '$1'::pg_lsn")" = t ]
}
load_writer >"$WORK/load.log" 2>&1 &
LOAD_PID=$!
bg_track "$LOAD_PID"
# per batch: 100 inserts, 1 update, 1 delete + its tombstone
LOAD_MSGS=$((BATCHES * (ROWS + 3)))

wait_for 30 "some of the load on Kafka" kafka_follow_count_ge 500 "$LOAD_TOPIC"
kafka_down
t_down=$(date +%s)
sleep 1.5   # let acknowledgements that were already on their way land
lsn0=$(slot_confirmed)
rows0=$(psql_val "SELECT count(*) FROM load")
seen0=$(kafka_follow_count "$LOAD_TOPIC")
info "down: slot confirmed $lsn0, $rows0 rows in load, $seen0 load messages on Kafka"
max_rss=0
for i in 1 2 3 4 5; do
    sleep 1
    rc_check_alive "while the brokers are down (sample $i)"
    lsn=$(slot_confirmed)
    rss=$(rc_rss_kib)
    [ "$rss" -gt "$max_rss" ] && max_rss=$rss
    info "sample $i: confirmed_flush_lsn $lsn, rowcast RSS $((rss / 1024)) MiB, load rows $(psql_val "SELECT count(*) FROM load"), walsender sent_lsn $(psql_val "SELECT sent_lsn FROM pg_stat_replication WHERE application_name <> 'psql' LIMIT 1")"
    [ "$lsn" = "$lsn0" ] ||
        check_fail "the slot moved from $lsn0 to $lsn while every broker was down (sample $i)"
    [ "$rss" -lt "$RSS_CAP_KIB" ] ||
        check_fail "rowcast RSS $rss KiB >= 128 MiB while the brokers are down"
done
rows1=$(psql_val "SELECT count(*) FROM load")
[ "$rows1" -gt "$rows0" ] || check_fail "the database did not keep writing during the outage ($rows0 -> $rows1 rows)"
seen1=$(kafka_follow_count "$LOAD_TOPIC")
[ "$seen1" -eq "$seen0" ] || info "note: $((seen1 - seen0)) load messages arrived while down (already in the consumer's pipe)"
kafka_up
t_up=$(date +%s)
info "brokers were down for $(( $(date +%s) - t_down ))s; the database wrote $((rows1 - rows0)) rows meanwhile"

wait_for 60 "the load writer to finish" test -s "$WORK/load.done"
end_lsn=$(psql_val "SELECT pg_current_wal_insert_lsn()")
wait_for 60 "all $LOAD_MSGS load messages on Kafka" kafka_follow_count_ge $LOAD_MSGS "$LOAD_TOPIC"
info "the follower saw all $LOAD_MSGS load messages $(( $(date +%s) - t_up ))s after the brokers came back"
wait_for 30 "the slot to confirm $end_lsn" slot_reached "$end_lsn"
info "the slot confirmed the end of the load $(( $(date +%s) - t_up ))s after the brokers came back"
rc_check_alive "after the outage"
rss=$(rc_rss_kib)
[ "$rss" -gt "$max_rss" ] && max_rss=$rss
[ "$rss" -lt "$RSS_CAP_KIB" ] || check_fail "rowcast RSS $rss KiB >= 128 MiB after the outage"
info "rowcast peak sampled RSS $((max_rss / 1024)) MiB; slot now $(slot_confirmed)"

step "part 2: every change of the load arrived"
kafka_follow_stop || check_fail "the follower reported violations: $(head -n 5 "$WORK/kafka.jsonl.err")"
$PY - "$WORK/kafka.jsonl" "$LOAD_TOPIC" "$BATCHES" "$ROWS" <<'EOF' || check_fail "load messages incomplete (see above)"
import json, sys
path, topic, batches, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seen = {}
for l in open(path):
    m = json.loads(l)
    if m["topic"] != topic:
        continue
    k = m["key"]["id"]
    op = m["value"]["op"] if m["value"] is not None else "tomb"
    seen.setdefault(k, []).append(op)
bad = []
dups = 0
for b in range(batches):
    lo = b * rows + 1
    for i in range(lo, lo + rows):
        want = ["c", "u"] if i == lo else ["c", "d", "tomb"] if i == lo + 1 else ["c"]
        got = seen.get(i, [])
        if got != want:
            # at-least-once: a replay repeats a whole sequence; report, and fail on a gap
            if all(o in got for o in want) and got[:len(want)] == want:
                dups += 1
            else:
                bad.append("id %d: %r, expected %r" % (i, got, want))
for b in bad[:20]:
    print("  " + b)
print("  %d load rows: %d incomplete, %d with duplicates" % (batches * rows, len(bad), dups))
sys.exit(1 if bad else 0)
EOF
kconsume compare --dsn "$DSN" --tables "public.load" --idle 3 ||
    check_fail "the load replayed from Kafka differs from PostgreSQL"

step "stop rowcast"
rc_stop
grep -E ' (ERROR|FATAL) ' "$RC_LOG.err" | head -n 5 | while read -r l; do info "rowcast: $l"; done
rc_finish
