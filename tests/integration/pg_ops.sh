#!/bin/bash
# pg_ops.sh -- operations and their envelopes through the real rowcast:
# insert/update/delete/truncate; REPLICA IDENTITY DEFAULT, FULL and USING
# INDEX before images; unchanged TOAST; a table that cannot publish updates
# is refused at start-up; bad configuration exits 2 naming FILE:LINE; a
# restart resumes without re-emitting and without gaps; a table added to
# `tables` joins the publication; events come in commit order with
# increasing source.lsn and transaction.total_order 1..n.
#
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/pg_ops.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

rc_init pg_ops
pg_start

CONF=$WORK/rowcast.conf
TXLIST=$WORK/tx.list
: >"$TXLIST"

# tx NAME SQL: run SQL in one transaction and record NAME and its xid;
# TX_LSN is the WAL insert position just before its COMMIT (a client that
# confirmed past it has this transaction).
tx() {
    local name=$1 sql=$2 out
    out=$(psql_cdc -A -t <<SQL
BEGIN;
$sql
SELECT txid_current();
SELECT pg_current_wal_insert_lsn();
COMMIT;
SQL
)
    TX_LSN=$(echo "$out" | sed -n 2p)
    echo "$name $(echo "$out" | sed -n 1p)" >>"$TXLIST"
}

# expect_exit2 DESCRIPTION PATTERN...: run rowcast -c $CONF in the foreground,
# require exit status 2 within 30s and every PATTERN (grep -Ei) in stderr.
step "create the tables (DEFAULT, FULL, USING INDEX, no key)"
psql_cdc <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, name text, email text, bio text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric(12,2), status text);
ALTER TABLE orders REPLICA IDENTITY FULL;
CREATE TABLE items (sku text NOT NULL, code int NOT NULL, qty int, note text);
CREATE UNIQUE INDEX items_sku_code ON items (sku, code);
ALTER TABLE items REPLICA IDENTITY USING INDEX items_sku_code;
CREATE TABLE nopk (a int, b text);
INSERT INTO nopk VALUES (1, 'x');
CREATE TABLE extra (id int PRIMARY KEY, v text);
SQL

step "a bad configuration key exits 2 and names FILE:LINE"
rc_config "$CONF" "public.customers" "bogus_key = 1"
line=$(grep -n '^bogus_key' "$CONF" | cut -d: -f1)
expect_exit2 "unknown key" "$CONF:$line" "bogus_key"

step "a bad value exits 2 and names FILE:LINE"
rc_config "$CONF" "public.customers"
sed -i 's/^flush_interval = .*/flush_interval = banana/' "$CONF"
line=$(grep -n '^flush_interval' "$CONF" | cut -d: -f1)
expect_exit2 "bad duration" "$CONF:$line" "flush_interval"

step "a table without primary key and replica identity is refused"
rc_config "$CONF" "public.customers, public.nopk"
expect_exit2 "table without replica identity" "public\.nopk" "ALTER TABLE .*nopk.* REPLICA IDENTITY FULL"
if psql_val "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'rowcast_shop' AND tablename = 'nopk'" | grep -qv '^0$'; then
    fail "public.nopk was added to the publication although it was refused"
fi
psql_cdc -c "UPDATE nopk SET b = 'y'; DELETE FROM nopk WHERE a = 2" ||
    fail "the application's UPDATE/DELETE on nopk fails after rowcast's refusal"
info "nopk not published, the application's UPDATE/DELETE still work"

step "start rowcast on customers, orders, items"
rm -rf "$WORK/state" "$WORK/out"
rc_config "$CONF" "public.customers, public.orders, public.items"
rc_start "$CONF"
rc_wait_streaming 30

step "run the transactions"
tx T1 "INSERT INTO customers VALUES
  (1, 'alice', 'a@example.com', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 3200) AS i)),
  (2, 'bob', 'b@example.com', NULL),
  (3, 'carol', NULL, 'short bio');"
tx T2 "UPDATE customers SET name = 'alice2' WHERE id = 1;"
tx T3 "UPDATE customers SET email = NULL WHERE id = 1;"
tx T4 "UPDATE customers SET id = 20 WHERE id = 2;"
tx T5 "DELETE FROM customers WHERE id = 3;"
tx T6 "INSERT INTO orders VALUES (1, 1, 10.50, 'new'), (2, 1, 20.00, 'new');
  UPDATE orders SET status = 'paid', amount = 11.00 WHERE id = 1;
  DELETE FROM orders WHERE id = 2;"
tx T7 "INSERT INTO items VALUES ('A', 1, 5, 'n'), ('B', 2, 6, 'm');
  UPDATE items SET qty = 7 WHERE sku = 'A';
  UPDATE items SET code = 3 WHERE sku = 'B';
  DELETE FROM items WHERE sku = 'A';"
tx T8 "INSERT INTO customers VALUES (4, 'dave', 'd@example.com', 'x');
  INSERT INTO orders VALUES (3, 4, 1.00, 'new');
  UPDATE customers SET name = 'dave2' WHERE id = 4;
  INSERT INTO items VALUES ('C', 1, 1, NULL);
  DELETE FROM orders WHERE id = 3;"
tx T9 "TRUNCATE orders;"
tx T9b "INSERT INTO orders VALUES (5, 4, 99.99, 'after truncate');"
N1=23
wait_for 60 "$N1 events" out_count_ge $N1
rc_check_alive "after the first transactions"

step "stop cleanly, change data while stopped, restart"
rc_stop
n=$(out_count)
[ "$n" -eq $N1 ] || fail "expected $N1 events before the restart, found $n"
ckpt=$(find "$WORK/state" -type f | head -n 5)
[ -n "$ckpt" ] || fail "no checkpoint file in state_dir $WORK/state"
info "state_dir holds: $(echo "$ckpt" | xargs -n1 basename | tr '\n' ' ')"
tx T10 "INSERT INTO customers VALUES (5, 'erin', 'e@example.com', NULL);"
tx T11 "UPDATE customers SET name = 'dave3' WHERE id = 4;"
tx T12 "INSERT INTO orders VALUES (10, 5, 5.55, 'new');"
rc_start "$CONF"
N2=$((N1 + 3))
wait_for 60 "$N2 events after the restart" out_count_ge $N2
sleep 1   # anything re-emitted would arrive now
rc_stop
n=$(out_count)
[ "$n" -eq $N2 ] || fail "expected $N2 events after the restart (no re-emission after a clean stop), found $n"

step "add public.extra to tables and restart"
rc_config "$CONF" "public.customers, public.orders, public.items, public.extra"
rc_start "$CONF"
rc_wait_streaming 30
pubt=$(psql_val "SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 'rowcast_shop'")
[ "$pubt" = "public.customers,public.extra,public.items,public.orders" ] ||
    fail "publication rowcast_shop has [$pubt], expected customers, extra, items, orders"
info "publication: $pubt"
tx T13 "INSERT INTO extra VALUES (1, 'e1'), (2, 'e2');"
tx T14 "UPDATE extra SET v = 'e1b' WHERE id = 1; INSERT INTO customers VALUES (6, 'fay', NULL, NULL);"
N3=$((N2 + 4))
wait_for 60 "$N3 events with the new table" out_count_ge $N3

step "SIGKILL after the slot confirmed everything: nothing confirmed is re-emitted"
wait_for 30 "the slot to confirm past $TX_LSN" slot_past "$TX_LSN"
sleep 1.5    # let a periodic checkpoint happen too
rc_kill
tx T15 "INSERT INTO extra VALUES (3, 'after kill');"
rc_start "$CONF"
N4=$((N3 + 1))
wait_for 60 "$N4 events after the kill" out_count_ge $N4
sleep 1
rc_stop
n=$(out_count)
[ "$n" -eq $N4 ] || fail "expected $N4 events after a SIGKILL with everything confirmed (no re-emission), found $n"

step "check operations, images, order, positions"
$PY - "$RC_OUT" "$top_srcdir/tests/lib" "$TXLIST" <<'EOF' || check_fail "event checks failed (see above)"
import sys
sys.path.insert(0, sys.argv[2])
import pgcompare as pc

ev = pc.load_events(sys.argv[1])
txs = {}
order = []
for line in open(sys.argv[3]):
    name, xid = line.split()
    txs[int(xid) & 0xFFFFFFFF] = name
    order.append(name)
bad = []

def chk(cond, msg):
    if not cond:
        bad.append(msg)
    return cond

for p in ev.serious_problems(allow_torn_part=False):
    bad.append("file problem: %r" % (p,))

events = []   # (topic, record, index in topic)
for t in ev.by_topic:
    for i, r in enumerate(ev.records(t)):
        events.append((t, r, i))
for t, r, i in events:
    r["_tx"] = txs.get(r["source"]["txId"] & 0xFFFFFFFF, "?%s" % r["source"]["txId"])

# --- every event exactly once, in commit order ---------------------
def short(t):
    return t.split(".")[-1]

def key(t, r):
    img = r["after"] if r["op"] in ("c", "u", "r") else r["before"]
    if r["op"] == "t":
        return None
    if short(t) == "items":
        return (img["sku"], img["code"])
    return img["id"]

got = sorted(events, key=lambda e: (order.index(e[1]["_tx"]) if e[1]["_tx"] in order else 999,
                                    e[1]["transaction"]["total_order"]))
seq = [(r["_tx"], short(t), r["op"], key(t, r)) for t, r, i in got]
expected = [
    ("T1", "customers", "c", 1), ("T1", "customers", "c", 2), ("T1", "customers", "c", 3),
    ("T2", "customers", "u", 1), ("T3", "customers", "u", 1), ("T4", "customers", "u", 20),
    ("T5", "customers", "d", 3),
    ("T6", "orders", "c", 1), ("T6", "orders", "c", 2), ("T6", "orders", "u", 1), ("T6", "orders", "d", 2),
    ("T7", "items", "c", ("A", 1)), ("T7", "items", "c", ("B", 2)), ("T7", "items", "u", ("A", 1)),
    ("T7", "items", "u", ("B", 3)), ("T7", "items", "d", ("A", 1)),
    ("T8", "customers", "c", 4), ("T8", "orders", "c", 3), ("T8", "customers", "u", 4),
    ("T8", "items", "c", ("C", 1)), ("T8", "orders", "d", 3),
    ("T9", "orders", "t", None), ("T9b", "orders", "c", 5),
    ("T10", "customers", "c", 5), ("T11", "customers", "u", 4), ("T12", "orders", "c", 10),
    ("T13", "extra", "c", 1), ("T13", "extra", "c", 2), ("T14", "extra", "u", 1), ("T14", "customers", "c", 6),
    ("T15", "extra", "c", 3),
]
if seq != expected:
    bad.append("events (tx, table, op, key) in commit order differ from what was executed:")
    import difflib
    for l in difflib.unified_diff([repr(x) for x in expected], [repr(x) for x in seq], "expected", "got", lineterm="", n=1):
        bad.append("    " + l)

# --- source.lsn increases; per-topic file order is commit order -------
lsns = [r["source"]["lsn"] for t, r, i in got]
for a, b, e in zip(lsns, lsns[1:], got[1:]):
    if b < a:
        bad.append("source.lsn goes back: %d after %d (%s %s)" % (b, a, e[1]["_tx"], e[1]["op"]))
        break
prev = None
for t, r, i in got:
    if prev and prev[1]["_tx"] != r["_tx"] and r["source"]["lsn"] <= prev[1]["source"]["lsn"]:
        bad.append("source.lsn of %s (%d) not above the previous transaction's (%d)" % (
            r["_tx"], r["source"]["lsn"], prev[1]["source"]["lsn"]))
    prev = (t, r)
for t in ev.by_topic:
    mine = [e for e in got if e[0] == t]
    if [e[2] for e in mine] != sorted(e[2] for e in mine):
        bad.append("%s: events in the files are not in commit order" % t)

# --- transaction block ------------------------------------------------
bytx = {}
for t, r, i in got:
    bytx.setdefault(r["_tx"], []).append((t, r))
for name, lst in bytx.items():
    to = [r["transaction"]["total_order"] for t, r in lst]
    chk(to == list(range(1, len(lst) + 1)), "%s: total_order %r, expected 1..%d" % (name, to, len(lst)))
    ids = {r["transaction"]["id"] for t, r in lst}
    chk(len(ids) == 1, "%s: several transaction.id values %r" % (name, ids))
    per = {}
    for t, r in lst:
        per.setdefault(t, []).append(r["transaction"]["data_collection_order"])
    for t, d in per.items():
        chk(d == list(range(1, len(d) + 1)), "%s %s: data_collection_order %r" % (name, t, d))
allids = [next(iter({r["transaction"]["id"] for t, r in lst})) for lst in bytx.values()]
chk(len(set(allids)) == len(allids), "transaction.id repeats across transactions: %r" % allids)

def find(tx, table, op, k=None):
    for t, r, i in got:
        if r["_tx"] == tx and short(t) == table and r["op"] == op and (k is None or key(t, r) == k):
            return r
    bad.append("no %s %s %s %r event" % (tx, table, op, k))
    return None

# --- REPLICA IDENTITY DEFAULT (customers) ------------------------------
r = find("T1", "customers", "c", 1)
if r:
    chk(r["before"] is None, "insert has a before image: %r" % (r["before"],))
    chk(r["after"]["bio"] is not None and len(r["after"]["bio"]) == 102400,
        "T1 bio not the full 102400 chars: %r" % (len(r["after"]["bio"] or ""),))
    chk(not r.get("unchanged"), "insert lists unchanged columns %r" % (r.get("unchanged"),))
r = find("T2", "customers", "u", 1)
if r:
    chk(r["before"] is None, "DEFAULT identity, non-key update: before should be absent, got %r" % (r["before"],))
    chk(r["after"]["name"] == "alice2" and r["after"]["email"] == "a@example.com",
        "T2 after image wrong: %r" % ({k: v for k, v in r["after"].items() if k != "bio"},))
    chk(r.get("unchanged") == ["bio"], "T2: unchanged TOAST column bio must be listed in unchanged, got %r" % (r.get("unchanged"),))
r = find("T3", "customers", "u", 1)
if r:
    chk(r["after"]["email"] is None, "T3: email should be NULL")
    chk("email" not in (r.get("unchanged") or []), "T3: a real NULL (email) is listed as unchanged TOAST")
    chk(r.get("unchanged") == ["bio"], "T3: unchanged should be ['bio'], got %r" % (r.get("unchanged"),))
r = find("T4", "customers", "u", 20)
if r:
    b = r["before"]
    chk(b is not None and b["id"] == 2, "T4 key change: before must carry the old key id=2, got %r" % (b,))
    if b:
        chk(all(b[c] is None for c in ("name", "email", "bio")), "T4: DEFAULT identity before should hold the key only: %r" % (b,))
r = find("T5", "customers", "d", 3)
if r:
    chk(r["after"] is None, "delete has an after image")
    b = r["before"] or {}
    chk(b.get("id") == 3 and all(b.get(c) is None for c in ("name", "email", "bio")),
        "T5 delete with DEFAULT identity: before should be the key only, got %r" % (b,))

# --- REPLICA IDENTITY FULL (orders) ------------------------------------
from decimal import Decimal
r = find("T6", "orders", "u", 1)
if r:
    chk(r["before"] == {"id": 1, "customer_id": 1, "amount": Decimal("10.50"), "status": "new"},
        "FULL identity update: before %r" % (r["before"],))
    chk(r["after"] == {"id": 1, "customer_id": 1, "amount": Decimal("11.00"), "status": "paid"},
        "FULL identity update: after %r" % (r["after"],))
r = find("T6", "orders", "d", 2)
if r:
    chk(r["before"] == {"id": 2, "customer_id": 1, "amount": Decimal("20.00"), "status": "new"},
        "FULL identity delete: before %r" % (r["before"],))
r = find("T9", "orders", "t")
if r:
    chk(r["before"] is None and r["after"] is None, "truncate carries row images: %r / %r" % (r["before"], r["after"]))
    chk(r["source"]["table"] == "orders", "truncate source.table %r" % r["source"]["table"])

# --- REPLICA IDENTITY USING INDEX (items) ------------------------------
r = find("T7", "items", "u", ("A", 1))
if r:
    chk(r["before"] is None, "USING INDEX, update of a non-index column: before should be absent, got %r" % (r["before"],))
r = find("T7", "items", "u", ("B", 3))
if r:
    chk(r["before"] == {"sku": "B", "code": 2, "qty": None, "note": None},
        "USING INDEX, index column changed: before should be {sku,code} only, got %r" % (r["before"],))
r = find("T7", "items", "d", ("A", 1))
if r:
    chk(r["before"] == {"sku": "A", "code": 1, "qty": None, "note": None},
        "USING INDEX delete: before should be {sku,code} only, got %r" % (r["before"],))

# --- source block --------------------------------------------------------
for t, r, i in got:
    s = r["source"]
    if not chk(s.get("connector") == "postgresql" and s.get("name") == "shop" and s.get("db") == "cdc"
               and s.get("schema") == "public" and s.get("table") == short(t),
               "source block wrong in %s: %r" % (t, s)):
        break

for b in bad:
    print("  " + b)
print("  %d events checked, %d problem(s)" % (len(got), len(bad)))
sys.exit(1 if bad else 0)
EOF

step "compare the final state of every table with PostgreSQL"
$PY "$PGCOMPARE" compare --dsn "$DSN" --dir "$RC_OUT" --source "$SOURCE_NAME" \
    --tables "public.customers,public.orders,public.items,public.extra" --schema-check ||
    check_fail "final state differs from PostgreSQL"

step "remove public.extra from tables and restart: it leaves the publication"
before_extra=$(out_count shop.public.extra)
before_all=$(out_count)
rc_config "$CONF" "public.customers, public.orders, public.items"
rc_start "$CONF"
rc_wait_streaming 30
pubt=$(psql_val "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 'rowcast_shop'")
[ "$pubt" = "customers,items,orders" ] ||
    check_fail "publication rowcast_shop has [$pubt] after removing extra, expected customers,items,orders"
psql_cdc -c "INSERT INTO extra VALUES (10, 'not captured')"
psql_cdc -c "INSERT INTO customers VALUES (10, 'gus', NULL, NULL)"
wait_for 60 "the customers event after the removal" out_count_ge $((before_all + 1))
rc_stop
[ "$(out_count shop.public.extra)" -eq "$before_extra" ] ||
    check_fail "a change of the removed table public.extra was still captured"
[ "$(out_count)" -eq $((before_all + 1)) ] ||
    check_fail "expected exactly one more event after the removal, found $(( $(out_count) - before_all ))"
info "publication: $pubt; the removed table's changes no longer arrive"

rc_finish
