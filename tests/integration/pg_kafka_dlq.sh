#!/bin/bash
# pg_kafka_dlq.sh -- on_error with the Kafka sink: a row change that Kafka
# can never take (its message is larger than kafka.message.max.bytes, so
# librdkafka refuses it with MSG_SIZE_TOO_LARGE) on a real PostgreSQL and a
# librdkafka mock cluster (3 brokers).
#
# Part 1, [table] on_error = dead_letter: the big row's event lands in
# <prefix>._dead_letter with its key, its headers (op, table, event,
# event_id) and rowcast.error.* headers (MSG_SIZE_TOO_LARGE, the topic, the
# size of the value left out), without its value; the rows after it arrive
# normally on the table's topic; rowcast logs it once at warn level and
# counts 1 at stop; the slot moves past the big row (the dead letter is
# durable).
#
# Part 2, on_error = stop (the default): another big row; rowcast exits
# non-zero with an error naming the table, the event id and the broker's
# error, and neither the slot nor the checkpoint moved past the row.
# Restarted with a large enough kafka.message.max.bytes, the row (and the
# one after it) arrive: nothing was skipped.
#
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/pg_kafka_dlq.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/kafka.sh"

rc_init pg_kafka_dlq
kafka_init

step "start the mock cluster (3 brokers) and PostgreSQL"
DOCS=$SOURCE_NAME.public.docs
DLQ=$SOURCE_NAME._dead_letter
kafka_start 3 "$DOCS:3" "$SOURCE_NAME._schemas:1" "$DLQ:1"
pg_start
psql_cdc -c "CREATE TABLE docs (id int PRIMARY KEY, body text)" >/dev/null

CONF=$WORK/rowcast.conf
# make_conf MAX_BYTES [on_error line]: the sink's message limit, and the
# docs table's on_error (none: the sink's default, stop)
make_conf() {
    RC_KAFKA_PROPS="kafka.message.max.bytes = $1" rc_config_kafka "$CONF" "public.docs"
    printf '\n[table public.docs]\n%s\n' "${2:-}" >>"$CONF"
}
# a row of about N bytes that no compression makes small on the wire
big_row() { echo "INSERT INTO docs SELECT $1, string_agg(md5(g::text || '$1'), '') FROM generate_series(1, $(($2 / 32))) g;"; }

step "part 1: on_error = dead_letter, kafka.message.max.bytes = 20000"
make_conf 20000 "on_error = dead_letter"
rc_start "$CONF"
rc_wait_streaming 30
psql_cdc >/dev/null <<SQL
INSERT INTO docs VALUES (1, 'small one');
$(big_row 2 50000)
INSERT INTO docs VALUES (3, 'small three');
BEGIN; INSERT INTO docs VALUES (4, 'small four'); UPDATE docs SET body = 'four' WHERE id = 4; COMMIT;
SQL
last1=$(psql_val "SELECT pg_current_wal_lsn()")
wait_for 30 "the slot to confirm past $last1 (the dead letter counts as durable)" slot_past "$last1"
rc_check_alive "after the big row under dead_letter"

kconsume consume -t "$DOCS" --count 4 --idle 3 >"$WORK/docs1.jsonl" 2>"$WORK/docs1.err" ||
    check_fail "the rows after the big one did not all arrive: $(tail -n 3 "$WORK/docs1.err")"
$PY "$KCONSUME" consume -b "$KAFKA_BS" -t "$DLQ" --schemas-topic "$SOURCE_NAME._schemas" --count 1 --idle 3 \
    >"$WORK/dlq.jsonl" 2>"$WORK/dlq.err" ||
    check_fail "nothing (or something undecodable) in $DLQ: $(tail -n 3 "$WORK/dlq.err")"
$PY - "$WORK/docs1.jsonl" "$WORK/dlq.jsonl" "$DOCS" <<'EOF' || check_fail "part 1 checks failed (see above)"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
dlq = [json.loads(l) for l in open(sys.argv[2])]
topic = sys.argv[3]
bad = []
ids = sorted((m["value"]["after"]["id"], m["value"]["op"]) for m in docs)
print("  %s: %r" % (topic, ids))
if ids != [(1, "c"), (3, "c"), (4, "c"), (4, "u")]:
    bad.append("expected rows 1, 3, 4 (insert + update) on %s, got %r" % (topic, ids))
if len(dlq) != 1:
    bad.append("expected 1 dead letter, got %d" % len(dlq))
else:
    d = dlq[0]
    h = d["headers"]
    print("  dead letter: key %r, value %r, headers %s" % (d["key"], d["value"], json.dumps(h, sort_keys=True)))
    want = {"op": "c", "table": "public.docs", "event": "docs.created",
            "rowcast.error.topic": topic, "rowcast.error.code": "MSG_SIZE_TOO_LARGE",
            "rowcast.error.value_dropped": "true"}
    for k, v in want.items():
        if h.get(k) != v:
            bad.append("dead letter header %s = %r, expected %r" % (k, h.get(k), v))
    if d["key"] != {"id": 2}:
        bad.append("dead letter key %r, expected {'id': 2}" % (d["key"],))
    if d["value"] is not None:
        bad.append("the dead letter carries the too-large value")
    if int(h.get("rowcast.error.value_bytes") or 0) < 50000:
        bad.append("rowcast.error.value_bytes = %r, expected the value's size (> 50000)" % h.get("rowcast.error.value_bytes"))
    if not (h.get("rowcast.error.message") or "").strip():
        bad.append("no rowcast.error.message")
    if int(h.get("rowcast.error.ts_ms") or 0) < 1600000000000:
        bad.append("rowcast.error.ts_ms = %r" % h.get("rowcast.error.ts_ms"))
    # the event id is the one the event would have had: <txid:lsn>/1
    eid = h.get("event_id") or ""
    if not eid.endswith("/1") or ":" not in eid:
        bad.append("event_id header %r" % eid)
    others = {m["headers"]["event_id"] for m in docs}
    if eid in others:
        bad.append("the dead letter's event_id %s is also on %s" % (eid, topic))
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF
n=$(grep -c 'sent to the dead-letter topic' "$RC_LOG.err" || true)
[ "$n" -eq 1 ] || check_fail "expected one warning about the dead letter, found $n"
grep 'sent to the dead-letter topic' "$RC_LOG.err" | grep -q ' WARN .*table public.docs, event .*/1: MSG_SIZE_TOO_LARGE' ||
    check_fail "the dead-letter warning does not name the table, event and error: $(grep 'dead-letter' "$RC_LOG.err" | head -n 1)"
info "rowcast: $(grep 'sent to the dead-letter topic' "$RC_LOG.err" | cut -c1-300)"
rc_stop
grep -q '1 message(s) went to dead-letter topics' "$RC_LOG.err" ||
    check_fail "no dead-letter count at stop: $(tail -n 3 "$RC_LOG.err")"

step "part 2: on_error = stop (the default): rowcast stops at the big row"
make_conf 20000
# the position just before row 5's commit record: a slot confirmed at or
# before it replays the transaction. (Confirming a position inside the
# transaction's WAL is fine and happens: a keepalive sent while the
# server decodes it carries one.)
precommit=$(psql_cdc -A -t <<SQL
BEGIN;
$(big_row 5 50000)
SELECT pg_current_wal_insert_lsn();
COMMIT;
INSERT INTO docs VALUES (6, 'small six');
SQL
)
precommit=$(echo "$precommit" | grep '/' | head -n 1)
last2=$(psql_val "SELECT pg_current_wal_lsn()")
rc_start "$CONF"
rc_wait_exit 30 || fail "rowcast still runs 30s after a row it cannot deliver under on_error = stop"
[ "$RC_STATUS" -ne 0 ] || fail "rowcast exited with status 0 after an undeliverable row under on_error = stop"
RC_PID=""
grep -E ' ERROR ' "$RC_LOG.err" | grep -q 'table public.docs, event [0-9]*:[0-9]*/1: the message to '"$DOCS"' failed: MSG_SIZE_TOO_LARGE' || {
    tail -n 20 "$RC_LOG.err" >&2
    fail "rowcast's error does not name the table, the event id and the broker's error"
}
info "exit $RC_STATUS: $(grep -E ' ERROR ' "$RC_LOG.err" | head -n 1 | cut -c1-400)"
conf2=$(slot_confirmed)
lsn_gt "$conf2" "$precommit" && check_fail "the slot moved past the undeliverable row: confirmed $conf2 > $precommit"
ck=$(sed -n 's/^lsn = //p' "$RC_STATE/$SOURCE_NAME.checkpoint")
lsn_gt "$ck" "$precommit" && check_fail "the checkpoint moved past the undeliverable row: $ck > $precommit"
info "slot confirmed $conf2, checkpoint $ck: neither past $precommit (row 5's commit)"

step "part 2: restart with kafka.message.max.bytes = 1000000: the row arrives"
make_conf 1000000
rc_start "$CONF"
wait_for 30 "the slot to confirm past $last2" slot_past "$last2"
kconsume consume -t "$DOCS" --count 6 --idle 3 >"$WORK/docs2.jsonl" 2>"$WORK/docs2.err" ||
    check_fail "rows 5 and 6 did not arrive after the restart: $(tail -n 3 "$WORK/docs2.err")"
$PY - "$WORK/docs2.jsonl" <<'EOF' || check_fail "part 2 checks failed (see above)"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
ids = sorted(m["value"]["after"]["id"] for m in docs)
big = [m for m in docs if m["value"]["after"]["id"] == 5]
print("  ids on the topic: %r; row 5 body %d bytes" % (ids, len(big[0]["value"]["after"]["body"]) if big else -1))
ok = ids[:4] == [1, 3, 4, 4] and 5 in ids and 6 in ids and big and len(big[0]["value"]["after"]["body"]) >= 49984
sys.exit(0 if ok else 1)
EOF
rc_stop
rc_finish
