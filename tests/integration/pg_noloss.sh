#!/bin/bash
# pg_noloss.sh -- the no-loss test. A separate process commits at least
# 100,000 identifiable row changes (inserts, updates, deletes in
# transactions of 1, 10, 100, 1000 and 5000 changes, mixed) on two tables
# while rowcast runs; rowcast is SIGKILLed at random moments (at least 4
# times) and restarted each time. At the end rowcast catches up and stops,
# and every committed change -- (txid, op, table, id, seq) -- must be in the
# output at least once. Duplicates are allowed (at-least-once) and counted;
# a gap, a change that was never committed, or a change out of order for
# its key is a failure.
#
# Knobs: NOLOSS_CHANGES (default 100000), NOLOSS_SECONDS (load duration,
# default 40), NOLOSS_KILLS (default 5), NOLOSS_SEED (default random).
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/pg_noloss.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

CHANGES=${NOLOSS_CHANGES:-100000}
SECONDS_LOAD=${NOLOSS_SECONDS:-40}
KILLS=${NOLOSS_KILLS:-5}
SEED=${NOLOSS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

rc_init pg_noloss
info "seed $SEED (rerun with NOLOSS_SEED=$SEED), $CHANGES changes over ~${SECONDS_LOAD}s, $KILLS kills"
RANDOM=$((SEED % 32768))
pg_start

step "create the tables (noloss_a: REPLICA IDENTITY FULL, noloss_b: DEFAULT)"
psql_cdc <<'SQL'
CREATE TABLE noloss_a (id int PRIMARY KEY, seq bigint NOT NULL, v int, pad text);
ALTER TABLE noloss_a REPLICA IDENTITY FULL;
CREATE TABLE noloss_b (id int PRIMARY KEY, seq bigint NOT NULL, v int, pad text);
SQL

CONF=$WORK/rowcast.conf
rc_config "$CONF" "public.noloss_a, public.noloss_b"

step "start rowcast, wait for its slot"
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
sizes = [1, 10, 100, 1000, 5000]
weights = [30, 30, 20, 15, 5]
plan = []
while sum(plan) < total:
    plan.append(rnd.choices(sizes, weights)[0])
# make sure every size occurs at least twice
for s in sizes:
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
    # pace the load over `seconds`
    ahead = done / total * seconds - (time.time() - t0)
    if ahead > 0:
        time.sleep(min(ahead, 2.0))
log.close()
with open(lsnpath, "w") as f:
    f.write(final_lsn + "\n")
print("load: %d changes in %d transactions (sizes: %s) in %.1fs" % (
    done, ntx, ", ".join("%dx%d" % (plan.count(s), s) for s in sizes), time.time() - t0))
EOF

step "run the load and kill rowcast at random moments"
$PY "$WORK/load.py" "$DSN" "$CHANGES" "$SECONDS_LOAD" "$SEED" "$WORK/changes.log" "$WORK/final.lsn" \
    >"$WORK/load.out" 2>&1 &
LOAD_PID=$!
bg_track $LOAD_PID

# Kill at random moments while the load runs (from 0.3s after a start,
# i.e. during start-up, to 8s), and at least $KILLS times in all.
kills=0
delays=(0.3 0.7 1.5 2.5 4 6 8)
while kill -0 $LOAD_PID 2>/dev/null || [ $kills -lt "$KILLS" ]; do
    d=${delays[$((RANDOM % ${#delays[@]}))]}
    sleep "$d"
    rc_check_alive "during the load, before kill $((kills + 1))"
    rc_kill
    kills=$((kills + 1))
    load_alive=no
    kill -0 $LOAD_PID 2>/dev/null && load_alive=yes
    info "kill $kills: SIGKILL ${d}s after the last start (load running: $load_alive), restarting"
    rc_start "$CONF"
done
load_rc=0
wait $LOAD_PID || load_rc=$?
cat "$WORK/load.out"
[ $load_rc -eq 0 ] || fail "the load generator failed (exit $load_rc)"
final_lsn=$(cat "$WORK/final.lsn")
info "$kills kills; last commit is past $final_lsn"

step "wait for rowcast to confirm the last transaction"
t0=$(date +%s)
_caught_up_check() { rc_check_alive "while catching up"; slot_past "$final_lsn"; }
if ! (wait_for 120 "x" _caught_up_check) >/dev/null 2>&1; then
    rc_check_alive "while catching up"
    fail "rowcast did not confirm past $final_lsn within 120s (confirmed_flush_lsn $(slot_confirmed), $(out_count) records written)"
fi
info "caught up in $(( $(date +%s) - t0 ))s: confirmed_flush_lsn $(slot_confirmed), current $(psql_val 'SELECT pg_current_wal_lsn()')"
rc_stop 60

step "check every committed change is in the output, and the final state"
$PY - "$RC_OUT" "$top_srcdir/tests/lib" "$WORK/changes.log" "$DSN" <<'EOF' || fail "changes were lost or reordered, or the final state differs (see above)"
import sys, time
sys.path.insert(0, sys.argv[2])
import pgcompare as pc

t0 = time.time()
ev = pc.load_events(sys.argv[1])
expected = []
for line in open(sys.argv[3]):
    x, op, tbl, k, s = line.split()
    expected.append((int(x) & 0xFFFFFFFF, op, tbl, int(k), None if s == "-" else int(s)))
exp_set = set(expected)
bad = 0
torn = [p for p in ev.problems if p[1] == "torn-tail"]
serious = ev.serious_problems(allow_torn_part=True)
print("  read %d records from %d topic(s) in %.1fs; %d torn .part tail(s) (crashes), %d other file problem(s)" % (
    ev.count(), len(ev.by_topic), time.time() - t0, len(torn), len(serious)))
for p in serious:
    print("  FILE %s: %s: %s" % p)
    bad += 1

seen = {}
stream = {}          # table -> [(change, path)]
phantom = []
for topic, lst in ev.by_topic.items():
    tbl = topic.split(".")[-1]
    for path, i, r in lst:
        op = r["op"]
        img = r["after"] if op in ("c", "u") else r["before"]
        if img is None:
            phantom.append(("no image", op, topic))
            continue
        s = img["seq"] if not (op == "d" and tbl == "noloss_b") else None
        ch = (r["source"]["txId"] & 0xFFFFFFFF, op, tbl, img["id"], s)
        if ch not in exp_set:
            phantom.append(ch)
            continue
        seen[ch] = seen.get(ch, 0) + 1
        stream.setdefault(tbl, []).append((ch, path))

missing = [c for c in expected if c not in seen]
dups = {c: n for c, n in seen.items() if n > 1}
ndup = sum(n - 1 for n in dups.values())
print("  expected %d changes; delivered %d distinct; %d duplicate deliveries of %d changes" % (
    len(expected), len(seen), ndup, len(dups)))
if dups:
    ex = sorted(dups.items())[:5]
    print("    duplicates, e.g.: " + "; ".join("%r x%d" % (c, n) for c, n in ex))
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

# Order per key: the first delivery of each change must follow the commit
# order of that key's changes (a replay after a crash may repeat earlier
# changes, but a change delivered for the first time never overtakes one
# committed before it).
pos = {c: i for i, c in enumerate(expected)}
order_bad = 0
for tbl, lst in stream.items():
    first = {}
    for ch, path in lst:
        first.setdefault(ch, len(first))
    bykey = {}
    for ch in sorted(first, key=first.get):
        bykey.setdefault(ch[3], []).append(pos[ch])
    for k, ps in bykey.items():
        if ps != sorted(ps):
            order_bad += 1
            if order_bad <= 5:
                print("  ORDER %s id=%d: first deliveries in log positions %r" % (tbl, k, ps[:10]))
if order_bad:
    bad += 1
    print("  %d ordering violation(s)" % order_bad)

# The final state replayed from the events equals the tables.
out = []
conn = pc.connect(sys.argv[4])
for q in ("public.noloss_a", "public.noloss_b"):
    if pc.compare_table(conn, ev, "shop", q, False, set(), out):
        bad += 1
print("\n".join(out))
print("  verdict: %s" % ("no loss, in order, final state equal" if not bad else "FAILED"))
sys.exit(1 if bad else 0)
EOF
