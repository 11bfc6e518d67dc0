#!/bin/bash
# my_noloss.sh -- the no-loss test for the MySQL/MariaDB source. A separate
# process commits identifiable row changes (inserts, updates, deletes in
# transactions of 1 to 5000 changes) on two tables of a real MariaDB while
# rowcast runs; rowcast is SIGKILLed at random moments (at least
# NOLOSS_KILLS times) and restarted each time. At the end rowcast catches
# up (its checkpoint reaches the server's binlog position) and stops, and
# every committed change -- (op, table, id, seq) -- must be in the output
# at least once; duplicates are allowed and counted; a gap, a phantom, or
# a change out of order for its key fails; and the events replayed give
# the tables' final content.
#
# Knobs: NOLOSS_CHANGES (default 60000), NOLOSS_SECONDS (default 30),
# NOLOSS_KILLS (default 5), NOLOSS_SEED.
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/my.sh"

CHANGES=${NOLOSS_CHANGES:-60000}
SECONDS_LOAD=${NOLOSS_SECONDS:-30}
KILLS=${NOLOSS_KILLS:-5}
SEED=${NOLOSS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

rc_init my_noloss
my_init my_noloss
$PY -c 'import pymysql' 2>/dev/null ||
    skip "python3-pymysql is missing for /usr/bin/python3 (apt-get install python3-pymysql)"
info "seed $SEED (rerun with NOLOSS_SEED=$SEED), $CHANGES changes over ~${SECONDS_LOAD}s, $KILLS kills"
RANDOM=$((SEED % 32768))
my_start

my_sql "CREATE TABLE noloss_a (id INT PRIMARY KEY, seq BIGINT NOT NULL, v INT, pad VARCHAR(40));
CREATE TABLE noloss_b (id INT PRIMARY KEY, seq BIGINT NOT NULL, v INT, pad VARCHAR(40));"

CONF=$WORK/rowcast.conf
cat >"$CONF" <<EOF
[rowcast]
state_dir = $WORK/state

[source $SOURCE_NAME]
type = mysql
host = 127.0.0.1
port = $MYPORT
user = repl
password = replpw
server_id = 4243
tables = cdc.noloss_a, cdc.noloss_b

[sink files]
type = file
path = $WORK/out
flush_interval = 50ms
EOF

step "start rowcast"
rc_start "$CONF"
_streaming() { rc_check_alive "starting"; grep -q "streaming MariaDB" "$RC_LOG.err"; }
wait_for 30 "rowcast to stream" _streaming

cat >"$WORK/load.py" <<'EOF'
"""Commit identifiable changes; log each one after its transaction commits.
log line: op table id seq"""
import random, sys, time
import pymysql

sock, total, seconds, seed, logpath = sys.argv[1:6]
total, seconds = int(total), float(seconds)
rnd = random.Random(int(seed))
conn = pymysql.connect(unix_socket=sock, user="root", database="cdc", autocommit=False)
cur = conn.cursor()
log = open(logpath, "w")
live = {"noloss_a": {}, "noloss_b": {}}
next_id = {"noloss_a": 1, "noloss_b": 1_000_000}
seq = done = ntx = 0
sizes, weights = [1, 10, 100, 1000, 5000], [30, 30, 20, 15, 5]
plan = []
while sum(plan) < total:
    plan.append(rnd.choices(sizes, weights)[0])
t0 = time.time()
for size in plan:
    changes = []
    for _ in range(size):
        tbl = "noloss_a" if rnd.random() < 0.6 else "noloss_b"
        rows = live[tbl]
        r = rnd.random()
        seq += 1
        if len(rows) < 50 or r < 0.45:
            k = next_id[tbl]; next_id[tbl] += 1
            rows[k] = seq
            cur.execute("INSERT INTO %s VALUES (%d, %d, %d, 'p%d')" % (tbl, k, seq, rnd.randrange(1000), seq))
            changes.append(("c", tbl, k, seq))
        elif r < 0.85:
            k = rnd.choice(list(rows)) if len(rows) < 2000 else next(iter(rows))
            rows[k] = seq
            cur.execute("UPDATE %s SET seq = %d, v = v + 1 WHERE id = %d" % (tbl, seq, k))
            changes.append(("u", tbl, k, seq))
        else:
            k = rnd.choice(list(rows)) if len(rows) < 2000 else next(iter(rows))
            old = rows.pop(k)
            cur.execute("DELETE FROM %s WHERE id = %d" % (tbl, k))
            changes.append(("d", tbl, k, old))
    conn.commit()
    for op, tbl, k, s in changes:
        log.write("%s %s %d %d\n" % (op, tbl, k, s))
    done += size
    ntx += 1
    ahead = done / total * seconds - (time.time() - t0)
    if ahead > 0:
        time.sleep(min(ahead, 2.0))
log.close()
print("load: %d changes in %d transactions in %.1fs" % (done, ntx, time.time() - t0))
EOF

step "run the load and kill rowcast at random moments"
$PY "$WORK/load.py" "$MYSOCK" "$CHANGES" "$SECONDS_LOAD" "$SEED" "$WORK/changes.log" \
    >"$WORK/load.out" 2>&1 &
LOAD_PID=$!
bg_track $LOAD_PID
kills=0
delays=(0.3 0.7 1.5 2.5 4 6)
while kill -0 $LOAD_PID 2>/dev/null || [ $kills -lt "$KILLS" ]; do
    d=${delays[$((RANDOM % ${#delays[@]}))]}
    sleep "$d"
    rc_check_alive "during the load, before kill $((kills + 1))"
    rc_kill
    kills=$((kills + 1))
    info "kill $kills: SIGKILL ${d}s after the last start, restarting"
    rc_start "$CONF"
done
load_rc=0
wait $LOAD_PID || load_rc=$?
cat "$WORK/load.out"
[ $load_rc -eq 0 ] || fail "the load generator failed (exit $load_rc)"

step "wait for the checkpoint to reach the server's binlog position"
head=$(my_sql "SHOW MASTER STATUS" | head -n 1)
head_file=$(echo "$head" | cut -f1)
head_pos=$(echo "$head" | cut -f2)
info "server at $head_file:$head_pos after $kills kills"
_caught_up() {
    rc_check_alive "catching up"
    local f="$WORK/state/$SOURCE_NAME.checkpoint"
    [ -f "$f" ] || return 1
    grep -q "^file = $head_file\$" "$f" || return 1
    [ "$(sed -n 's/^pos = //p' "$f")" -ge "$head_pos" ]
}
wait_for 120 "the checkpoint to reach $head_file:$head_pos" _caught_up
rc_stop 60

step "check every committed change is in the output, in order, and the final state"
$PY - "$WORK/out" "$top_srcdir/tests/lib" "$WORK/changes.log" <<'EOF' || fail "changes were lost or reordered (see above)"
import sys
sys.path.insert(0, sys.argv[2])
import pgcompare as pc

ev = pc.load_events(sys.argv[1])
expected = []
for line in open(sys.argv[3]):
    op, tbl, k, s = line.split()
    expected.append((op, tbl, int(k), int(s)))
exp_set = set(expected)
bad = 0
for p in ev.serious_problems(allow_torn_part=True):
    print("  FILE %s: %s: %s" % p)
    bad += 1
seen, stream, phantom = {}, {}, []
for topic, lst in ev.by_topic.items():
    tbl = topic.split(".")[-1]
    for path, i, r in lst:
        img = r["after"] if r["op"] in ("c", "u") else r["before"]
        ch = (r["op"], tbl, img["id"], img["seq"])
        if ch not in exp_set:
            phantom.append(ch)
            continue
        seen[ch] = seen.get(ch, 0) + 1
        stream.setdefault(tbl, []).append(ch)
missing = [c for c in expected if c not in seen]
ndup = sum(n - 1 for n in seen.values() if n > 1)
print("  expected %d changes; delivered %d distinct; %d duplicate deliveries" % (
    len(expected), len(seen), ndup))
if missing:
    bad += 1
    print("  MISSING %d committed change(s), e.g. %r" % (len(missing), missing[:10]))
if phantom:
    bad += 1
    print("  PHANTOM %d event(s), e.g. %r" % (len(phantom), phantom[:10]))
pos = {c: i for i, c in enumerate(expected)}
order_bad = 0
for tbl, lst in stream.items():
    first = {}
    for ch in lst:
        first.setdefault(ch, len(first))
    bykey = {}
    for ch in sorted(first, key=first.get):
        bykey.setdefault(ch[2], []).append(pos[ch])
    for k, ps in bykey.items():
        if ps != sorted(ps):
            order_bad += 1
if order_bad:
    bad += 1
    print("  %d key(s) with changes out of order" % order_bad)
print("  verdict: %s" % ("no loss, in order" if not bad else "FAILED"))
sys.exit(1 if bad else 0)
EOF
if ! $PY "$top_srcdir/tests/lib/mycompare.py" compare --socket "$MYSOCK" --dir "$WORK/out" \
    --source "$SOURCE_NAME" --tables cdc.noloss_a,cdc.noloss_b >"$WORK/compare.out" 2>&1; then
    cat "$WORK/compare.out" >&2
    fail "the replayed events differ from the tables"
fi
sed 's/^/    /' "$WORK/compare.out"
rc_finish
