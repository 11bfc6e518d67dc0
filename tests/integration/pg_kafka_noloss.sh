#!/bin/bash
# pg_kafka_noloss.sh -- the no-loss test (issue 3) with the Kafka sink.
#
# A librdkafka mock cluster (3 brokers; the event topics pre-created with 16
# partitions and <prefix>._schemas with one, so that the mock's ~5 MiB per
# partition retention never drops a message) and a consumer that follows
# every topic from the beginning WHILE the load runs. A separate process
# commits at least 50,000 identifiable row changes (inserts, updates,
# deletes in transactions of 1..2000 changes, mixed) on two tables; rowcast
# is SIGKILLed at random moments (at least 4 times) and restarted each time.
# At the end rowcast confirms the last commit on its slot (it confirms only
# from delivery reports), is stopped, and:
#   * every committed change (txid, op, table, id, seq) is on Kafka at least
#     once: a gap fails; a change that was never committed fails;
#   * duplicates are allowed and counted, and every copy of a change carries
#     the same event_id header (the id is stable across replays), while two
#     different changes never share an event_id;
#   * every key sits in one partition, and per key the first deliveries
#     follow the commit order (a replay may repeat, never overtake);
#   * the follower's own checks hold (murmur2 partition, fingerprints in the
#     schemas topic, no trailing bytes).
#
# Knobs: NOLOSS_CHANGES (default 50000), NOLOSS_SECONDS (load duration,
# default 30), NOLOSS_KILLS (default 4), NOLOSS_SEED (default random),
# NOLOSS_PARTITIONS (default 16).
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/pg_kafka_noloss.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/kafka.sh"

CHANGES=${NOLOSS_CHANGES:-50000}
SECONDS_LOAD=${NOLOSS_SECONDS:-30}
KILLS=${NOLOSS_KILLS:-4}
PARTS=${NOLOSS_PARTITIONS:-16}
SEED=${NOLOSS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

rc_init pg_kafka_noloss
kafka_init
info "seed $SEED (rerun with NOLOSS_SEED=$SEED), $CHANGES changes over ~${SECONDS_LOAD}s, >= $KILLS kills, $PARTS partitions"
RANDOM=$((SEED % 32768))

step "start the mock cluster (3 brokers) and PostgreSQL"
kafka_start 3 "$SOURCE_NAME.public.noloss_a:$PARTS" "$SOURCE_NAME.public.noloss_b:$PARTS" \
    "$SOURCE_NAME._schemas:1"
pg_start

step "create the tables (noloss_a: REPLICA IDENTITY FULL, noloss_b: DEFAULT)"
psql_cdc <<'SQL'
CREATE TABLE noloss_a (id int PRIMARY KEY, seq bigint NOT NULL, v int, pad text);
ALTER TABLE noloss_a REPLICA IDENTITY FULL;
CREATE TABLE noloss_b (id int PRIMARY KEY, seq bigint NOT NULL, v int, pad text);
SQL

CONF=$WORK/rowcast.conf
rc_config_kafka "$CONF" "public.noloss_a, public.noloss_b"

step "start the follower and rowcast, wait for its slot"
kafka_follow_start "$WORK/kafka.jsonl"
rc_start "$CONF"
rc_wait_streaming 30

cat >"$WORK/load.py" <<'EOF'
"""Commit identifiable changes; log each one after its transaction commits.
log line: txid op table id seq   (seq '-' for a DEFAULT-identity delete)"""
import random, sys, time
import psycopg2

dsn, total, seconds, seed, logpath, lsnpath = sys.argv[1:7]
total, seconds = int(total), float(seconds)
rnd = random.Random(int(seed))
conn = psycopg2.connect(dsn)
cur = conn.cursor()
log = open(logpath, "w")
live = {"noloss_a": {}, "noloss_b": {}}     # id -> seq
next_id = {"noloss_a": 1, "noloss_b": 1_000_000}
seq = 0
done = 0
ntx = 0
# sizes 1..2000, mixed: fixed points (each at least twice) and random sizes
fixed = [1, 2, 10, 100, 500, 1000, 2000]
plan = []
while sum(plan) < total:
    r = rnd.random()
    if r < 0.35:
        plan.append(rnd.randint(1, 20))
    elif r < 0.75:
        plan.append(rnd.randint(21, 400))
    elif r < 0.93:
        plan.append(rnd.randint(401, 1500))
    else:
        plan.append(rnd.randint(1501, 2000))
for s in fixed:
    while plan.count(s) < 2:
        plan.insert(rnd.randrange(len(plan) + 1), s)
t0 = time.time()
for i, size in enumerate(plan):
    last = i == len(plan) - 1
    stmts, changes = [], []
    for _ in range(size):
        tbl = "noloss_a" if rnd.random() < 0.6 else "noloss_b"
        rows = live[tbl]
        r = rnd.random()
        seq += 1
        if len(rows) < 50 or r < 0.45:
            k = next_id[tbl]; next_id[tbl] += 1
            rows[k] = seq
            stmts.append("INSERT INTO %s VALUES (%d, %d, %d, 'p%d')" % (tbl, k, seq, rnd.randrange(1000), seq))
            changes.append(("c", tbl, k, seq))
        elif r < 0.85:
            k = rnd.choice(list(rows)) if len(rows) < 2000 else rnd.randrange(next_id[tbl] - 2000, next_id[tbl])
            if k not in rows:
                k = next(iter(rows))
            rows[k] = seq
            stmts.append("UPDATE %s SET seq = %d, v = v + 1 WHERE id = %d" % (tbl, seq, k))
            changes.append(("u", tbl, k, seq))
        else:
            k = rnd.choice(list(rows)) if len(rows) < 2000 else next(iter(rows))
            old = rows.pop(k)
            stmts.append("DELETE FROM %s WHERE id = %d" % (tbl, k))
            changes.append(("d", tbl, k, old if tbl == "noloss_a" else "-"))
    cur.execute("SELECT txid_current()")
    xid = cur.fetchone()[0]
    cur.execute(";\n".join(stmts))
    if last:
        cur.execute("SELECT pg_current_wal_insert_lsn()")
        final_lsn = cur.fetchone()[0]
    conn.commit()
    for op, tbl, k, s in changes:
        log.write("%d %s %s %d %s\n" % (xid, op, tbl, k, s))
    done += size
    ntx += 1
    ahead = done / total * seconds - (time.time() - t0)
    if ahead > 0:
        time.sleep(min(ahead, 2.0))
log.close()
with open(lsnpath, "w") as f:
    f.write(final_lsn + "\n")
print("load: %d changes in %d transactions (sizes %d..%d, mean %.0f) in %.1fs" % (
    done, ntx, min(plan), max(plan), done / ntx, time.time() - t0))
EOF

step "run the load and kill rowcast at random moments"
$PY "$WORK/load.py" "$DSN" "$CHANGES" "$SECONDS_LOAD" "$SEED" "$WORK/changes.log" "$WORK/final.lsn" \
    >"$WORK/load.out" 2>&1 &
LOAD_PID=$!
bg_track $LOAD_PID

# Kill at random moments while the load runs (from 0.3s after a start,
# i.e. during start-up and the producer's connection set-up, to 7s), and at
# least $KILLS times in all.
kills=0
delays=(0.3 0.8 1.5 2.5 4 5.5 7)
while kill -0 $LOAD_PID 2>/dev/null || [ $kills -lt "$KILLS" ]; do
    d=${delays[$((RANDOM % ${#delays[@]}))]}
    sleep "$d"
    rc_check_alive "during the load, before kill $((kills + 1))"
    rc_kill
    kills=$((kills + 1))
    load_alive=no
    kill -0 $LOAD_PID 2>/dev/null && load_alive=yes
    info "kill $kills: SIGKILL ${d}s after the last start (load running: $load_alive; follower has $(kafka_follow_count) messages), restarting"
    rc_start "$CONF"
done
load_rc=0
wait $LOAD_PID || load_rc=$?
cat "$WORK/load.out"
[ $load_rc -eq 0 ] || fail "the load generator failed (exit $load_rc)"
final_lsn=$(cat "$WORK/final.lsn")
expected=$(wc -l <"$WORK/changes.log")
deletes=$(awk '$2 == "d"' "$WORK/changes.log" | wc -l)
info "$kills kills; $expected changes committed ($deletes deletes, each followed by a tombstone); last commit is past $final_lsn"

step "wait for rowcast to confirm the last transaction"
t0=$(date +%s)
# shellcheck disable=SC2317  # called through wait_for
_caught_up_check() { rc_check_alive "while catching up"; slot_past "$final_lsn"; }
if ! (wait_for 90 "x" _caught_up_check) >/dev/null 2>&1; then
    rc_check_alive "while catching up"
    fail "rowcast did not confirm past $final_lsn within 90s (confirmed_flush_lsn $(slot_confirmed), follower has $(kafka_follow_count) messages)"
fi
info "caught up in $(( $(date +%s) - t0 ))s: confirmed_flush_lsn $(slot_confirmed), current $(psql_val 'SELECT pg_current_wal_lsn()')"
rc_stop 60

step "let the follower read everything that was acknowledged"
want=$((expected + deletes))
t0=$(date +%s)
# The slot moved only from delivery reports, so everything is on the
# brokers now: wait until the follower has at least one message per change
# and tombstone, then until it has been quiet for 3s (late duplicates).
if ! (wait_for 60 "x" kafka_follow_count_ge "$want") >/dev/null 2>&1; then
    info "the follower has only $(kafka_follow_count) of at least $want messages after 60s (checking anyway)"
fi
prev=-1
quiet=0
while [ $quiet -lt 3 ] && [ $(( $(date +%s) - t0 )) -lt 90 ]; do
    n=$(kafka_follow_count)
    if [ "$n" -eq "$prev" ]; then quiet=$((quiet + 1)); else quiet=0; fi
    prev=$n
    sleep 1
done
info "follower: $(kafka_follow_count) messages (at least $want expected) after $(( $(date +%s) - t0 ))s"
kafka_follow_stop || check_fail "the follower reported violations: $(grep VIOLATION "$WORK/kafka.jsonl.err" | head -n 5)"
tail -n 1 "$WORK/kafka.jsonl.err" | while read -r l; do info "$l"; done

step "check every committed change is on Kafka, event ids, order per key"
$PY - "$WORK/kafka.jsonl" "$WORK/changes.log" "$SOURCE_NAME" <<'EOF' || check_fail "changes were lost, reordered or carry unstable event ids (see above)"
import json, sys, time

path, logpath, src = sys.argv[1:4]
t0 = time.time()
expected = []
for line in open(logpath):
    x, op, tbl, k, s = line.split()
    expected.append((int(x) & 0xFFFFFFFF, op, tbl, int(k), None if s == "-" else int(s)))
exp_set = set(expected)
pos = {c: i for i, c in enumerate(expected)}

msgs = [json.loads(l) for l in open(path)]
msgs.sort(key=lambda m: (m["topic"], m["partition"], m["offset"]))
bad = 0
seen = {}            # change -> copies
eids = {}            # change -> set of event_id headers
owner = {}           # event_id -> change
phantom = []
tomb = 0
part_of_key = {}
stream = {}          # (topic, partition) -> [change]
no_eid = 0
for m in msgs:
    tbl = m["topic"].split(".")[-1]
    part_of_key.setdefault((m["topic"], m["raw_key"]), set()).add(m["partition"])
    v = m["value"]
    if v is None:
        tomb += 1
        continue
    op = v["op"]
    img = v["after"] if op in ("c", "u") else v["before"]
    if img is None:
        phantom.append(("no image", op, m["topic"], m["partition"], m["offset"]))
        continue
    s = img["seq"] if not (op == "d" and tbl == "noloss_b") else None
    ch = ((v["source"]["txId"] or 0) & 0xFFFFFFFF, op, tbl, img["id"], s)
    if ch not in exp_set:
        phantom.append(ch)
        continue
    seen[ch] = seen.get(ch, 0) + 1
    eid = (m["headers"] or {}).get("event_id")
    if not eid:
        no_eid += 1
    else:
        eids.setdefault(ch, set()).add(eid)
        other = owner.setdefault(eid, ch)
        if other != ch:
            bad += 1
            if bad <= 5:
                print("  EVENT_ID %r shared by two different changes %r and %r" % (eid, other, ch))
    stream.setdefault((m["topic"], m["partition"]), []).append(ch)

missing = [c for c in expected if c not in seen]
dups = {c: n for c, n in seen.items() if n > 1}
ndup = sum(n - 1 for n in dups.values())
print("  read %d messages (%d tombstones) from %d partition(s) in %.1fs" % (
    len(msgs), tomb, len(stream), time.time() - t0))
print("  expected %d changes; delivered %d distinct; %d duplicate deliveries of %d changes" % (
    len(expected), len(seen), ndup, len(dups)))
if dups:
    ex = sorted(dups.items())[:3]
    print("    duplicates, e.g.: " + "; ".join("%r x%d ids %s" % (c, n, sorted(eids.get(c, ()))) for c, n in ex))
if missing:
    bad += 1
    print("  MISSING %d committed change(s) (gaps):" % len(missing))
    txs = sorted({c[0] for c in missing})
    print("    in %d transaction(s): %s" % (len(txs), txs[:20]))
    for c in missing[:20]:
        print("    missing (txid, op, table, id, seq) = %r" % (c,))
if phantom:
    bad += 1
    print("  PHANTOM %d event(s) that match no committed change:" % len(phantom))
    for c in phantom[:10]:
        print("    %r" % (c,))
if no_eid:
    bad += 1
    print("  %d event message(s) without an event_id header" % no_eid)
unstable = {c: ids for c, ids in eids.items() if len(ids) > 1}
if unstable:
    bad += 1
    print("  UNSTABLE event_id: %d change(s) delivered more than once with different ids, e.g.:" % len(unstable))
    for c, ids in sorted(unstable.items())[:5]:
        print("    %r: %s" % (c, sorted(ids)))
else:
    print("  every duplicate carries the same event_id as its original (%d duplicated changes)" % len(dups))
split = [(t, k) for (t, k), ps in part_of_key.items() if len(ps) > 1]
if split:
    bad += 1
    print("  %d key(s) in several partitions, e.g. %r" % (len(split), split[:3]))

# Order per key, per partition: the first delivery of each change follows
# the commit order of that key's changes.
order_bad = 0
for (topic, p), lst in stream.items():
    first = {}
    for ch in lst:
        first.setdefault(ch, len(first))
    bykey = {}
    for ch in sorted(first, key=first.get):
        bykey.setdefault(ch[3], []).append(pos[ch])
    for k, ps in bykey.items():
        if ps != sorted(ps):
            order_bad += 1
            if order_bad <= 5:
                print("  ORDER %s[%d] id=%d: first deliveries in log positions %r" % (topic, p, k, ps[:10]))
if order_bad:
    bad += 1
    print("  %d ordering violation(s)" % order_bad)
print("  verdict: %s" % ("no loss, in order, stable event ids" if not bad else "FAILED"))
sys.exit(1 if bad else 0)
EOF

step "compare the final state with PostgreSQL"
kconsume compare --dsn "$DSN" --tables "public.noloss_a,public.noloss_b" --timeout 240 >"$WORK/compare.out" 2>&1 ||
    check_fail "the state replayed from Kafka differs from PostgreSQL: $(tail -n 5 "$WORK/compare.out")"
tail -n 3 "$WORK/compare.out" | while read -r l; do info "$l"; done
grep -E ' (ERROR|FATAL) ' "$WORK"/rowcast.*.err | head -n 5 | while read -r l; do info "rowcast: $l"; done
rc_finish
