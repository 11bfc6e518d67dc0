#!/bin/bash
# pg_types.sh -- every PostgreSQL type family, with edge values, through the
# real rowcast into Avro container files, compared value by value with what
# PostgreSQL returns (tests/lib/pgcompare.py), and the Avro schema in the
# container header checked for the logical types DESIGN.md promises.
#
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/pg_types.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

rc_init pg_types
pg_start

# PG_TYPES_MODE=binary (the default): every table's types have binary
# decoders, so rowcast streams binary values. PG_TYPES_MODE=text: binary is
# turned off and t_geo (ranges, geometry: text only) is added.
MODE=${PG_TYPES_MODE:-binary}
TABLES="public.t_int, public.t_float, public.t_numeric, public.t_text, public.t_time, public.t_time_extreme, public.t_misc, public.t_array"
[ "$MODE" = text ] && TABLES="$TABLES, public.t_geo"
# Topics whose values python-avro must decode with its own logical types
# (everything except the infinities, BC dates and 24:00:00 in t_time_extreme).
NATIVE="shop.public.t_int,shop.public.t_float,shop.public.t_numeric,shop.public.t_text,shop.public.t_time,shop.public.t_misc,shop.public.t_array,shop.public.t_geo"

step "create the tables"
psql_cdc <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'with space');
CREATE DOMAIN money2 AS numeric(10,2);
CREATE TABLE t_int (id int PRIMARY KEY, i2 int2, i4 int4, i8 int8);
CREATE TABLE t_float (id int PRIMARY KEY, f4 float4, f8 float8);
CREATE TABLE t_numeric (id int PRIMARY KEY, n12 numeric(12,2), n38 numeric(38,10),
                        nn numeric, m money, dm money2);
CREATE TABLE t_text (id int PRIMARY KEY, t text, vc varchar(20), c char(5), big text,
                     b bytea, flag bool);
CREATE TABLE t_time (id int PRIMARY KEY, d date, t time, ttz timetz, ts timestamp,
                     tstz timestamptz, iv interval, t3 time(3), ts0 timestamp(0));
CREATE TABLE t_time_extreme (id int PRIMARY KEY, d date, ts timestamp, tstz timestamptz, t time);
CREATE TABLE t_misc (id int PRIMARY KEY, u uuid, j json, jb jsonb, ip inet, net cidr,
                     mac macaddr, bits bit(8), vbits varbit(16), mood mood, x xml,
                     o oid);
CREATE TABLE t_geo (id int PRIMARY KEY, r int4range, tr tstzrange, p point);
CREATE TABLE t_array (id int PRIMARY KEY, ia int[], ta text[], ia2 int[][], ba bool[],
                      fa float8[], la bigint[]);
SQL

step "start rowcast (file sink and stdout sink)"
if [ "$MODE" = text ]; then
    RC_STDOUT=1 rc_config "$WORK/rowcast.conf" "$TABLES" "binary = false"
else
    RC_STDOUT=1 rc_config "$WORK/rowcast.conf" "$TABLES"
fi
rc_start "$WORK/rowcast.conf"
rc_wait_streaming 30
grep -q "streaming from slot .*($MODE values)" "$RC_LOG.err" ||
    fail "rowcast is not streaming $MODE values: $(grep streaming "$RC_LOG.err")"
info "streaming $MODE values"

step "insert the edge values"
psql_cdc <<'SQL'
BEGIN;
INSERT INTO t_int VALUES
  (1, -32768, -2147483648, -9223372036854775808),
  (2, 32767, 2147483647, 9223372036854775807),
  (3, 0, 0, 0),
  (4, -1, -1, -1),
  (5, NULL, NULL, NULL);
INSERT INTO t_float VALUES
  (1, 'NaN', 'NaN'),
  (2, 'Infinity', 'Infinity'),
  (3, '-Infinity', '-Infinity'),
  (4, '-0', '-0'),
  (5, 3.4028235e38, 1e308),
  (6, 1.17549435e-38, 2.2250738585072014e-308),
  (7, 1e-45, 5e-324),
  (8, 0.1, 0.1),
  (9, -123.456, 1.7976931348623157e308),
  (10, NULL, NULL);
INSERT INTO t_numeric VALUES
  (1, 0, 0, 0, 0, 0),
  (2, 1.5, 1.5, 1.5, 1.5, 1.5),
  (3, -1234567890.12, -1234567890123456789012345678.0123456789, -1234567890.12, -1234567.89, -99999999.99),
  (4, 9999999999.99, 9999999999999999999999999999.9999999999,
      '31415926535897932384626433832795028841971693993751058209749445923078164062.86208998628034825342117067982148086513282306647093844609550582231725359408128481',
      '92233720368547758.07', 99999999.99),
  (5, -0.01, -0.0000000001, '-0.000', '-92233720368547758.08', -0.01),
  (6, 'NaN', 'NaN', 'NaN', NULL, NULL),
  (7, NULL, NULL, 'Infinity', NULL, NULL),
  (8, NULL, NULL, '-Infinity', NULL, NULL),
  (9, 0.005, 0.00000000005, '1e-40', 0.01, 0.005),
  (10, NULL, NULL, NULL, NULL, NULL);
INSERT INTO t_text VALUES
  (1, '', '', '', NULL, '\x', true),
  (2, 'plain ascii', 'short', 'ab', NULL, '\x00ff10', false),
  (3, E'h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001F600\U0001F680', E'\u00e9\u00e8\U0001F600', E'\u65e5', NULL, '\xdeadbeef', NULL),
  (4, E'quotes: ''single'' "double" back\\slash', E'a\tb', 'x"y''z', NULL, NULL, true),
  (5, E'line1\nline2\r\nline3\ttab', E'\n', E'\n', NULL, decode(repeat('00ff7f80', 250), 'hex'), false),
  (6, 'big', 'toasted', 'big',
      (SELECT string_agg(md5(i::text) || E'\u00e9', '') FROM generate_series(1, 3000) AS i),
      (SELECT string_agg(decode(md5(i::text), 'hex'), '') FROM generate_series(1, 2000) AS i), true),
  (7, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO t_time VALUES
  (1, '2024-02-29', '00:00:00', '12:34:56+05:30', '2024-02-29 12:34:56.123456',
      '2024-02-29 12:34:56.123456+05:30', '1 year 2 months 3 days 04:05:06.789', '01:02:03.456', '2024-01-01 10:00:00'),
  (2, '1970-01-01', '23:59:59.999999', '00:00:00-12', '1970-01-01 00:00:00',
      '1970-01-01 00:00:00+00', '-1 day', '23:59:59.999', '1970-01-01 00:00:00'),
  (3, '1969-12-31', '12:00:00.5', '23:59:59.999999+14', '1969-12-31 23:59:59.999999',
      '1969-12-31 23:59:59.999999-07', '00:00:00', NULL, NULL),
  (4, '0001-01-01', '00:00:00.000001', '00:00:00+00', '0001-01-01 00:00:00',
      '0001-01-01 00:00:00+00', '-178000000 years', NULL, NULL),
  (5, '9999-12-31', '13:14:15', '13:14:15-03:30', '9999-12-31 23:59:59.999999',
      '9999-12-31 23:59:59.999999+00', '1 mon -2 days 00:00:00.000001', NULL, NULL),
  (6, '2000-03-01', '08:00', '08:00+01', '2000-03-01 08:00',
      '2024-10-27 02:30:00 Europe/Berlin', '36 hours', NULL, NULL),
  (7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO t_time_extreme VALUES
  (1, 'infinity', 'infinity', 'infinity', '24:00:00'),
  (2, '-infinity', '-infinity', '-infinity', NULL),
  (3, '4713-01-01 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', NULL),
  (4, '0001-12-31 BC', '0001-12-31 23:59:59.999999 BC', '0001-12-31 23:59:59.999999+00 BC', NULL),
  (5, '5874897-12-31', '294246-12-31 23:59:59.999999', '294246-12-31 23:59:59.999999+00', NULL),
  (6, '10000-01-01', '10000-01-01 00:00:00', '10000-01-01 00:00:00+00', NULL);
INSERT INTO t_misc VALUES
  (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1,  "a": [1, 2.50, null], "s": "\u00e9"}',
      '{"b": 1, "a": [1, 2.50, null]}', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
      B'10101010', B'101', 'happy', '<a b="1">x &amp; y</a>', 4294967295),
  (2, '00000000-0000-0000-0000-000000000000', '[]', '{}', '::1', '2001:db8::/32',
      'ff:ff:ff:ff:ff:ff', B'00000000', B'', 'with space', '<empty/>', 0),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO t_geo VALUES
  (1, '[1,10)', '[2024-01-01 00:00:00+00,2024-02-01 00:00:00+02)', '(1.5,-2)'),
  (2, 'empty', '(,)', '(0,0)'),
  (3, NULL, NULL, NULL);
INSERT INTO t_array VALUES
  (1, '{1,2,NULL,-2147483648}', ARRAY['a', NULL, 'with "quotes"', 'comma,inside', E'back\\slash',
      'NULL', ' spaced ', '', E'\u00e9\U0001F600', '{braces}'],
      '{{1,2},{3,NULL}}', '{t,f,NULL}', '{NaN,Infinity,-Infinity,-0,1.5,NULL}',
      '{9223372036854775807,-9223372036854775808}'),
  (2, '{}', '{}', '{}', '{}', '{}', '{}'),
  (3, '{42}', '{""}', '{{{1}}}', '{t}', '{0.1}', '{NULL}'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL);
COMMIT;
SQL
expected=$(psql_val "SELECT (SELECT count(*) FROM t_int) + (SELECT count(*) FROM t_float)
  + (SELECT count(*) FROM t_numeric) + (SELECT count(*) FROM t_text) + (SELECT count(*) FROM t_time)
  + (SELECT count(*) FROM t_time_extreme) + (SELECT count(*) FROM t_misc) + (SELECT count(*) FROM t_array)
  + CASE WHEN '$MODE' = 'text' THEN (SELECT count(*) FROM t_geo) ELSE 0 END")
info "$expected rows inserted"

step "wait for $expected events in the files"
wait_for 60 "$expected events in $RC_OUT" out_count_ge "$expected"
rc_check_alive "after the inserts"

step "stop rowcast (SIGTERM)"
rc_stop

step "no .part file left after a clean stop"
parts=$(find "$RC_OUT" -name '*.part' | wc -l)
[ "$parts" -eq 0 ] || fail "$parts .avro.part file(s) left after SIGTERM: $(find "$RC_OUT" -name '*.part' | head -3)"
n=$(out_count)
[ "$n" -eq "$expected" ] || fail "expected exactly $expected events, found $n"
info "$n events, all files closed"

step "compare every value with PostgreSQL, check the Avro schemas"
if ! $PY "$PGCOMPARE" compare --dsn "$DSN" --dir "$RC_OUT" --source "$SOURCE_NAME" \
        --tables "$TABLES" --schema-check --native "$NATIVE"; then
    check_fail "rowcast's output differs from PostgreSQL (see above)"
fi

step "check the envelope of one event"
$PY - "$RC_OUT" "$top_srcdir/tests/lib" <<'EOF' || check_fail "envelope check failed (see above)"
import json, sys
sys.path.insert(0, sys.argv[2])
import pgcompare as pc
ev = pc.load_events(sys.argv[1])
bad = []
topic = "shop.public.t_int"
recs = ev.records(topic)
r = recs[0]
src = r.get("source") or {}
for k, want in (("connector", "postgresql"), ("name", "shop"), ("db", "cdc"),
                ("schema", "public"), ("table", "t_int")):
    if src.get(k) != want:
        bad.append("source.%s = %r, expected %r" % (k, src.get(k), want))
for k in ("version", "ts_ms", "txId", "lsn", "snapshot"):
    if k not in src:
        bad.append("source has no %r" % k)
if r.get("op") != "c" or r.get("before") is not None:
    bad.append("insert: op=%r before=%r" % (r.get("op"), r.get("before")))
if not isinstance(r.get("ts_ms"), int):
    bad.append("ts_ms is %r" % (r.get("ts_ms"),))
tx = r.get("transaction") or {}
if not tx.get("id") or "total_order" not in tx:
    bad.append("transaction = %r" % (tx,))
# one transaction: every event has the same txId, total_order is 1..n
allrecs = [x for t in ev.by_topic for x in ev.records(t)]
txids = {x["source"]["txId"] for x in allrecs}
if len(txids) != 1:
    bad.append("one transaction, but txIds %r" % (txids,))
orders = sorted(x["transaction"]["total_order"] for x in allrecs)
if orders != list(range(1, len(allrecs) + 1)):
    bad.append("total_order is not 1..%d: %r..." % (len(allrecs), orders[:10]))
for t in ev.by_topic:
    dco = [x["transaction"]["data_collection_order"] for x in ev.records(t)]
    if dco != list(range(1, len(dco) + 1)):
        bad.append("%s: data_collection_order %r" % (t, dco[:10]))
# Record names: <prefix>.<schema>.<table>.Envelope / .Value
for t, schemas in ev.schemas.items():
    for sj in schemas:
        s = json.loads(sj)
        full = s["name"] if "." in s["name"] else s.get("namespace", "") + "." + s["name"]
        if full != t + ".Envelope":
            bad.append("%s: envelope record named %r, expected %r" % (t, full, t + ".Envelope"))
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF


step "the stdout sink printed the same events as JSON lines"
$PY - "$RC_OUT" "$top_srcdir/tests/lib" "$RC_LOG.out" <<'EOF' || check_fail "stdout sink output does not match the files (see above)"
import json, sys
sys.path.insert(0, sys.argv[2])
import pgcompare as pc
ev = pc.load_events(sys.argv[1])
lines = [l for l in open(sys.argv[3], encoding="utf-8") if l.strip()]
bad = []
objs = []
for i, l in enumerate(lines):
    try:
        objs.append(json.loads(l))
    except ValueError as e:
        bad.append("line %d is not JSON (%s): %r" % (i + 1, e, l[:120]))
if len(objs) != ev.count():
    bad.append("%d JSON lines on stdout, %d records in the files" % (len(objs), ev.count()))
# same (table, id, op, lsn) set, and exact values for the integer table
key = lambda o: (o["source"]["table"], (o["after"] or o["before"])["id"], o["op"], o["source"]["lsn"])
try:
    js = sorted(map(key, objs))
    av = sorted(key(r) for t in ev.by_topic for r in ev.records(t))
    if js != av:
        bad.append("stdout events differ from the file events: %r ... vs %r ..." % (js[:3], av[:3]))
    ints = {o["after"]["id"]: o["after"] for o in objs if o["source"]["table"] == "t_int"}
    for r in ev.records("shop.public.t_int"):
        if ints.get(r["after"]["id"]) != r["after"]:
            bad.append("t_int id %d: stdout %r, file %r" % (r["after"]["id"], ints.get(r["after"]["id"]), r["after"]))
except (KeyError, TypeError) as e:
    bad.append("unexpected JSON shape: %r" % (e,))
for b in bad[:10]:
    print("  " + b)
print("  %d JSON lines checked" % len(objs))
sys.exit(1 if bad else 0)
EOF

rc_finish
