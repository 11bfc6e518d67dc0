#!/usr/bin/python3
"""
gen_pgbinary_vectors.py -- capture pgoutput's text and binary forms of the
same values from a real PostgreSQL server, as C test vectors for
test_pgtypes.c (pg_convert_binary() must make what pg_convert_text() makes).

    /usr/bin/python3 tests/unit/gen_pgbinary_vectors.py \
        "host=127.0.0.1 port=55492 user=postgres dbname=cdc" \
        > tests/unit/pgbinary_vectors.inc

Needs a server with wal_level=logical and the citext extension available.
It creates (and drops again) the schema rcbin, a publication and a slot;
inserts every value in one transaction, then reads the same changes twice
with pg_logical_slot_peek_binary_changes(): once as pgoutput text, once
with binary 'true', under the walsender's session settings (pg_types.h).
"""
import random
import struct
import sys

import psycopg2

SETTINGS = [
    "SET DateStyle TO ISO", "SET TimeZone TO 'UTC'",
    "SET IntervalStyle TO iso_8601", "SET extra_float_digits TO 3",
    "SET lc_monetary TO 'C'", "SET bytea_output TO hex",
    "SET client_encoding TO UTF8",
]

SETUP = [
    "CREATE EXTENSION IF NOT EXISTS citext",
    "CREATE TYPE rcbin.mood AS ENUM ('sad', 'ok', 'happy 😀', 'NULL', 'a,b')",
    "CREATE DOMAIN rcbin.price AS numeric(10,2)",
    "CREATE DOMAIN rcbin.posint AS integer CHECK (VALUE > 0)",
    "CREATE DOMAIN rcbin.posint2 AS rcbin.posint",
    "CREATE DOMAIN rcbin.label AS text",
    "CREATE DOMAIN rcbin.ints AS integer[]",
    "CREATE DOMAIN rcbin.ts AS timestamptz",
]


def pow2_doubles():
    return ["'%r'" % (2.0 ** e) for e in range(-1074, 1024)]


def pow2_floats():
    # float4 input of the double repr of 2^e: exact
    return ["'%r'" % (2.0 ** e) for e in range(-149, 128)]


def random_doubles(n, seed):
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        x = struct.unpack(">d", rnd.getrandbits(64).to_bytes(8, "big"))[0]
        if x == x and abs(x) != float("inf"):
            out.append("'%r'" % x)
    return out


def random_floats(n, seed):
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        x = struct.unpack(">f", rnd.getrandbits(32).to_bytes(4, "big"))[0]
        if x == x and abs(x) != float("inf"):
            out.append("'%r'" % x)
    return out


def random_numerics(n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        ip = str(rnd.randrange(10 ** rnd.randrange(0, 30)))
        fp = "".join(rnd.choice("0123456789")
                     for _ in range(rnd.randrange(0, 25)))
        out.append("'%s%s%s'::numeric" % (rnd.choice(["", "-"]), ip,
                                          "." + fp if fp else ""))
    return out


def random_intervals(n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        us = rnd.randrange(-2 ** 62, 2 ** 62) >> rnd.randrange(0, 62)
        out.append("make_interval(months => %d, days => %d) + "
                   "'%d microseconds'::interval" % (
                       rnd.randrange(-2 ** 31, 2 ** 31) >> rnd.randrange(31),
                       rnd.randrange(-2 ** 31, 2 ** 31) >> rnd.randrange(31),
                       us))
    return out


def random_days(n, seed):
    # days from 2000-01-01 over PostgreSQL's date range
    rnd = random.Random(seed)
    return [rnd.randrange(-2451545, 2145031948) >> rnd.randrange(0, 20)
            for _ in range(n)]


def random_timestamps(n, seed, tz):
    rnd = random.Random(seed)
    t = "timestamptz" if tz else "timestamp"
    return ["'2000-01-01 00:00:00%s'::%s + '%d days'::interval + "
            "'%d microseconds'::interval" % (
                "+00" if tz else "", t, d, rnd.randrange(86400000000))
            for d in random_days(n, seed) if d < 106000000]


def random_times(n, seed):
    rnd = random.Random(seed)
    return ["'00:00:00'::time + '%d microseconds'::interval"
            % (rnd.randrange(86400000000) // 10 ** k * 10 ** k)
            for k in (rnd.randrange(0, 7) for _ in range(n))]


def random_money(n, seed):
    rnd = random.Random(seed)
    return ["(%d::numeric / 100)::money"
            % (rnd.randrange(-2 ** 63, 2 ** 63) >> rnd.randrange(0, 63))
            for _ in range(n)]


def arr2(decl, elems, width):
    """A 2-D array literal expression of elems (SQL expressions)."""
    rows = [elems[i:i + width] for i in range(0, len(elems), width)]
    while len(rows[-1]) < width:
        rows[-1].append("NULL")
    return "ARRAY[%s]::%s" % (
        ",".join("ARRAY[%s]" % ",".join(r) for r in rows), decl)


# (column declaration, [SQL expressions of values])
CASES = [
    ("boolean", ["true", "false"]),
    ("smallint", ["0", "1", "-1", "32767", "-32768"]),
    ("integer", ["0", "-1", "2147483647", "-2147483648", "123456"]),
    ("bigint", ["0", "-1", "9223372036854775807", "-9223372036854775808",
                "1234567890123"]),
    ("oid", ["0", "1", "2147483648", "4294967295"]),
    ("xid", ["'0'", "'731'", "'4294967295'"]),
    ("cid", ["'0'", "'4294967295'"]),
    ("xid8", ["'0'", "'3140189'", "'9223372036854775807'",
              "'9223372036854775808'", "'18446744073709551615'"]),
    ("real", ["'0'", "'-0'", "'NaN'", "'Infinity'", "'-Infinity'", "'1.5'",
              "'0.1'", "'3.4028235e38'", "'1.4e-45'", "'1.1754944e-38'",
              "'16777216'", "'16777217'", "'1e6'", "'123456'", "'1234567'",
              "'0.0001'", "'1e-5'", "'-2.5e-7'", "'100'", "'1e20'"]),
    ("double precision",
     ["'0'", "'-0'", "'NaN'", "'Infinity'", "'-Infinity'", "'0.1'",
      "'1e-310'", "'4.9e-324'", "'1.7976931348623157e308'", "'1e15'",
      "'1e16'", "'123456789012345'", "'1234567890123456'", "'0.0001'",
      "'1e-5'", "'-1.5'", "'100'", "'9007199254740993'", "'1e23'",
      "'5e-324'", "'2.2250738585072014e-308'"]),
    ("numeric",
     ["0", "1", "-1", "0.0", "0.00", "-0.000", "123.456", "1e-20", "1e20",
      "12345678901234567890.123456789", "'NaN'", "'Infinity'",
      "'-Infinity'", "10000", "9999", "0.0001", "1.0000", "100000000",
      "-0.5", "power(2::numeric, 1000)", "'1e-1000'::numeric",
      "'1e3000'::numeric", "sqrt(2::numeric)", "-123456.000100",
      "0.00001000", "99999999.99999999"]),
    ("numeric(12,2)", ["12.50", "-0.05", "0", "9999999999.99",
                       "-9999999999.99", "'NaN'", "1.28", "-1.28", "7"]),
    ("numeric(10,0)", ["127", "128", "-129", "-32768", "4294967296", "0"]),
    ("numeric(5,-2)", ["12300", "9999900", "-100"]),
    ("numeric(3,5)", ["0.00123", "-0.00999", "0"]),
    ("numeric(1000,500)", ["power(10::numeric, 499) - 1", "1.5",
                           "-" + "9" * 500 + "." + "9" * 500]),
    ("numeric(31,0)", ["'1000000000000000000000000000000'"]),
    ("money", ["0", "1234.56", "-1234.56", "0.01", "-0.5",
               "'92233720368547758.07'", "'-92233720368547758.08'"]),
    ("bytea", ["'\\x'", "'\\x00ff10'", "'abc'::bytea",
               "decode(repeat('ab', 300), 'hex')"]),
    ("text", ["''", "'héllo, wörld'", "'a\"b\\c'", "'😀'", "'NULL'",
              "E'tab\\tnl\\n'", "repeat('x', 1000)"]),
    ("character varying(20)", ["'x'", "''"]),
    ("character(5)", ["'ab'", "''"]),
    ("bpchar", ["'abc '"]),
    ("name", ["'pg_catalog'", "''"]),
    ('"char"', ["'a'", "''", "'\\377'", "'\\001'", "' '", "'\"'",
                "'\\200'"]),
    ("xml", ["'<a>b</a>'", "'<?xml version=\"1.0\"?><a/>'",
             "'<?xml version=\"1.0\" standalone=\"yes\"?><a/>'",
             "'<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a/>'", "''"]),
    ("json", ["'{\"a\": [1, 2]}'", "'\"é\"'", "'[]'",
              "'  {\"x\" : 1 }  '", "'null'"]),
    ("jsonb", ["'{\"a\": [1, 2]}'", "'{\"é\": \"😀\"}'", "'[]'", "'null'",
               "'1.50'", "'{\"b\":1,\"a\":2}'", "'\"a\\\"b\"'",
               "'[1e3, -0.0, 1E-2]'"]),
    ("jsonpath", ["'$.a[*] ? (@ > 1)'", "'strict $.x'", "'$'"]),
    ("date", ["'2024-01-02'", "'1970-01-01'", "'0044-03-15 BC'",
              "'4714-11-24 BC'", "'5874897-12-31'", "'infinity'",
              "'-infinity'", "'2000-01-01'", "'1999-12-31'", "'0001-01-01'",
              "'0001-12-31 BC'", "'2024-02-29'"]),
    ("time", ["'00:00:00'", "'12:34:56.5'", "'23:59:59.999999'",
              "'24:00:00'", "'01:02:03.000004'"]),
    ("time(0)", ["'12:34:56.7'"]),
    ("time with time zone",
     ["'12:00:00+05:30'", "'00:00:00+00'", "'23:59:59.999999-15:59'",
      "'12:00:00-08'", "'12:00:00+05:30:15'", "'24:00:00+01'",
      "'01:02:03.4-00:00:01'"]),
    ("timestamp",
     ["'2024-01-02 03:04:05.123456'", "'infinity'", "'-infinity'",
      "'0044-03-15 12:00:00 BC'", "'4714-11-24 00:00:00 BC'",
      "'294276-12-31 23:59:59.999999'", "'1969-12-31 23:59:59.999999'",
      "'2000-01-01'", "'1900-01-01'", "'1970-01-01 00:00:00.1'"]),
    ("timestamp with time zone",
     ["'2024-01-02 03:04:05.123456+00'", "'infinity'", "'-infinity'",
      "'0044-03-15 06:30:00+00 BC'", "'4713-01-01 00:00:00+00 BC'",
      "'294247-01-10 04:00:54.775806+00'",
      "'294247-01-10 04:00:54.775807+00'", "'2024-01-02 03:04:05+05:30'",
      "'1970-01-01 00:00:00.5+00'"]),
    ("timestamp(3) without time zone", ["'2024-01-02 03:04:05.123456'"]),
    ("interval",
     ["'1 year 2 months 3 days 4 hours 5 minutes 6.5 seconds'", "'0'",
      "'-1 day -2 hours'", "'-0.5 seconds'", "'1 month -1 day'",
      "'-1 year -2 months'", "'178000000 years'", "'2147483647 days'",
      "'-2147483648 days'", "'2562047788:00:54.775807'",
      "'-2562047788:00:54.775807'", "'1.000001 seconds'",
      "'0.000001 sec'", "'100 hours'", "'-14 months'", "'13 months'",
      "'1 day -00:00:00.000001'", "'-1 hours +1 minutes'"]),
    ("interval day to second(3)", ["'1 day 2.345678 seconds'"]),
    ("uuid", ["'6f1c2b1e-8a7d-4d3e-9c2a-1b2c3d4e5f60'",
              "'00000000-0000-0000-0000-000000000000'",
              "'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'"]),
    ("pg_lsn", ["'0/0'", "'16/B374D848'", "'FFFFFFFF/FFFFFFFF'"]),
    ("macaddr", ["'08:00:2b:01:02:03'", "'ff:ff:ff:ff:ff:ff'"]),
    ("macaddr8", ["'08:00:2b:01:02:03:04:05'"]),
    ("inet", ["'192.168.0.1'", "'192.168.0.1/24'", "'10.0.0.0/8'",
              "'0.0.0.0/0'", "'::1'", "'::'", "'2001:db8::1/64'",
              "'::ffff:1.2.3.4'", "'::1.2.3.4'", "'fe80::1:0:0:1'",
              "'1:0:0:1:0:0:0:1'", "'1:2:3:4:5:6:7:8'", "'::2'", "'1::'",
              "'::ffff:0:0'", "'0:0:0:0:0:1:0:0'", "'::1/128'",
              "'1:0:0:2::3'", "'::0.0.0.1'", "'::ffff:1.2.3.4/120'"]),
    ("cidr", ["'192.168.0.0/24'", "'10.0.0.0/8'", "'2001:db8::/32'",
              "'1.2.3.4/32'", "'::/0'", "'::1/128'"]),
    ("bit(8)", ["B'10101010'"]),
    ("bit(1)", ["B'1'"]),
    ("bit varying", ["B''", "B'101'", "B'111111111'"]),
    ("refcursor", ["'abc'"]),
    ("rcbin.mood", ["'sad'", "'happy 😀'", "'NULL'"]),
    ("rcbin.price", ["12.50", "'NaN'"]),
    ("rcbin.posint2", ["7"]),
    ("rcbin.label", ["'lbl'"]),
    ("rcbin.ts", ["'2024-01-02 03:04:05+00'"]),
    ("citext", ["'Hello'", "''"]),
    # arrays: one-dimensional from 1 are element lists, others text
    ("integer[]", ["'{1,2,NULL}'", "'{}'", "'{{1,2},{3,4}}'",
                   "'[2:3]={1,2}'", "'[0:1][1:2]={{1,2},{3,4}}'",
                   "'{{{1,2},{3,4}},{{5,6},{7,8}}}'",
                   "'{{1,NULL},{NULL,4}}'", "'[-2147483648:-2147483647]={1,2}'",
                   "'{-2147483648}'"]),
    ("smallint[]", ["'{{1,-2},{3,32767}}'", "'{1,2}'"]),
    ("bigint[]", ["'{1,NULL,-9223372036854775808}'",
                  "'{{1},{9223372036854775807}}'"]),
    ("text[]", ["ARRAY['a b','c\"d',NULL,'NULL','','x\\y','{}','null','é']",
                "ARRAY[['a b','c\"d'],[NULL,'']]",
                "ARRAY[['NuLl','x,y'],[E'\\t','{']]", "'{}'"]),
    ("boolean[]", ["'{t,f,NULL}'", "'{{t},{f}}'"]),
    ("numeric(10,2)[]", ["'{NaN,1.5,-0.05}'", "'{{1.5},{NaN}}'"]),
    ("numeric[]", ["'{{1.50,NaN},{-Infinity,0}}'", "'{1e-5,NULL}'"]),
    ("money[]", ["'{\"$1,234.56\",-$0.50}'", "'{{1234.56},{-0.5}}'",
                 "ARRAY[['92233720368547758.07'::money],"
                 "['-92233720368547758.08'::money]]"]),
    ("date[]", ["'{2024-01-02,\"0044-03-15 BC\",infinity}'",
                "'{{2024-01-02,\"0044-03-15 BC\"},{infinity,-infinity}}'"]),
    ("timestamp with time zone[]",
     ["'{\"2024-01-02 03:04:05+00\",NULL,infinity}'",
      "'{{\"2024-01-02 03:04:05.5+00\",\"0044-03-15 06:30:00+00 BC\"}}'"]),
    ("timestamp[]", ["'{{\"2024-01-02 03:04:05\"},{-infinity}}'"]),
    ("time[]", ["'{{00:00:00,24:00:00},{12:34:56.000001,NULL}}'"]),
    ("time with time zone[]", ["'{{12:00:00+05:30},{00:00:00-08}}'"]),
    ("interval[]", ["'{{P1Y2M,PT0S},{PT-0.5S,NULL}}'", "'{P1D,PT1H}'"]),
    ("uuid[]", ["'{6f1c2b1e-8a7d-4d3e-9c2a-1b2c3d4e5f60,NULL}'",
                "'{{6f1c2b1e-8a7d-4d3e-9c2a-1b2c3d4e5f60}}'"]),
    ("bytea[]", ["'{\"\\\\x0102\",NULL,\"\\\\x\"}'",
                 "'{{\"\\\\x0102\"},{\"\\\\x\"}}'"]),
    ("json[]", ["ARRAY['{\"a\": 1}'::json, '[]']",
                "ARRAY[['{\"a\": 1}'::json], ['\"x y\"'::json]]"]),
    ("jsonb[]", ["ARRAY['{\"a\": 1}'::jsonb, '[]']",
                 "ARRAY[['{\"a\": \"b\\\\c\"}'::jsonb], ['null'::jsonb]]"]),
    ('"char"[]', ["ARRAY[['a'::\"char\", ''], ['\\377'::\"char\", ' ']]",
                  "ARRAY['a'::\"char\", '\\001', '\"']"]),
    ("character varying[]", ["'{{a,\"b c\"},{\"\",NULL}}'"]),
    ("character(3)[]", ["'{{a,b},{c,NULL}}'", "'{ab,NULL}'"]),
    ("name[]", ["'{{a,b}}'"]),
    ("oid[]", ["'{{1,4294967295}}'", "'{0,4294967295}'"]),
    ("xid[]", ["'{{1,4294967295}}'"]),
    ("real[]", ["'{NaN,-Infinity,1.5,-0}'",
                arr2("real[]", pow2_floats() + random_floats(200, 7), 20)]),
    ("double precision[]",
     ["'{NaN,-Infinity,1.5}'",
      arr2("double precision[]",
           pow2_doubles() + random_doubles(300, 11), 25),
      "'{{0.1,-0},{1e-310,1e100}}'"]),
    # bulk random values: the array text is PostgreSQL's output of each
    ("numeric[]", [arr2("numeric[]", random_numerics(200, 3), 20)]),
    ("interval[]", [arr2("interval[]", random_intervals(200, 5), 20)]),
    ("date[]", [arr2("date[]", ["'2000-01-01'::date + %d" % d
                                for d in random_days(200, 13)], 20)]),
    ("timestamp with time zone[]",
     [arr2("timestamptz[]", random_timestamps(150, 17, True), 20)]),
    ("timestamp[]", [arr2("timestamp[]", random_timestamps(150, 19, False),
                          20)]),
    ("time[]", [arr2("time[]", random_times(100, 23), 10)]),
    ("money[]", [arr2("money[]", random_money(100, 29), 20)]),
    ("inet[]", ["'{{192.168.0.1/24,::1},{NULL,10.0.0.1}}'"]),
    ("cidr[]", ["'{{10.0.0.0/8}}'"]),
    ("macaddr[]", ["'{{08:00:2b:01:02:03}}'"]),
    ("pg_lsn[]", ["'{{16/B374D848,0/0}}'"]),
    ("bit varying[]", ["'{{101,\"\"},{1,0}}'"]),
    ("xml[]", ["ARRAY[['<a>b c</a>'::xml]]"]),
    ("jsonpath[]", ["ARRAY[['$.a'::jsonpath]]"]),
    ("rcbin.mood[]", ["'{sad,NULL,\"NULL\",\"happy 😀\",\"a,b\"}'",
                      "'{{sad,\"NULL\"},{\"a,b\",ok}}'"]),
    ("rcbin.price[]", ["'{12.50,NaN}'", "'{{12.50}}'"]),
    ("rcbin.ints", ["'{1,2}'", "'{{1,2}}'"]),
    ("citext[]", ["'{{Hello,\"a b\"}}'", "'{x,NULL}'"]),
]


def c_text(b):
    """bytes as a C string literal, split into lines."""
    out, line = [], '"'
    for i, c in enumerate(b):
        if 32 <= c < 127 and c not in (34, 92, 63):
            line += chr(c)
        else:
            line += "\\%03o" % c
        if len(line) > 68:
            out.append(line + '"')
            line = '"'
    out.append(line + '"')
    return "\n\t   ".join(out)


def c_hex(b):
    h = b.hex()
    parts = [h[i:i + 68] for i in range(0, len(h), 68)] or [""]
    return "\n\t   ".join('"%s"' % p for p in parts)


def read_changes(cur, binary):
    opts = "'proto_version','1','publication_names','rcbin_pub'"
    if binary:
        opts += ",'binary','true'"
    cur.execute("SELECT data FROM pg_logical_slot_peek_binary_changes("
                "'rcbin_slot', NULL, NULL, %s)" % opts)
    rels, rows = {}, []
    for (data,) in cur.fetchall():
        m = bytes(data)
        if m[0:1] == b"R":
            relid = struct.unpack(">I", m[1:5])[0]
            p = 5
            p = m.index(b"\0", p) + 1  # namespace
            p = m.index(b"\0", p) + 1  # name
            p += 1  # replica identity
            ncols = struct.unpack(">H", m[p:p + 2])[0]
            p += 2
            cols = []
            for _ in range(ncols):
                p += 1
                e = m.index(b"\0", p)
                name = m[p:e].decode()
                p = e + 1
                oid, typmod = struct.unpack(">Ii", m[p:p + 8])
                p += 8
                cols.append((name, oid, typmod))
            rels[relid] = cols
        elif m[0:1] == b"I":
            relid = struct.unpack(">I", m[1:5])[0]
            assert m[5:6] == b"N"
            ncols = struct.unpack(">H", m[6:8])[0]
            p = 8
            vals = []
            for _ in range(ncols):
                kind = m[p:p + 1]
                p += 1
                if kind in (b"t", b"b"):
                    n = struct.unpack(">I", m[p:p + 4])[0]
                    vals.append((kind, m[p + 4:p + 4 + n]))
                    p += 4 + n
                else:
                    vals.append((kind, None))
            assert p == len(m)
            rows.append((relid, vals))
    return rels, rows


def main():
    dsn = sys.argv[1]
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT pg_drop_replication_slot(slot_name) FROM "
                "pg_replication_slots WHERE slot_name = 'rcbin_slot'")
    cur.execute("DROP PUBLICATION IF EXISTS rcbin_pub")
    cur.execute("DROP SCHEMA IF EXISTS rcbin CASCADE")
    cur.execute("CREATE SCHEMA rcbin")
    for s in SETTINGS + SETUP:
        cur.execute(s)
    for i, (decl, _) in enumerate(CASES):
        cur.execute("CREATE TABLE rcbin.t%d (v %s)" % (i, decl))
    cur.execute("CREATE PUBLICATION rcbin_pub FOR TABLES IN SCHEMA rcbin")
    cur.execute("SELECT pg_create_logical_replication_slot('rcbin_slot', "
                "'pgoutput')")
    # decoding reads flushed WAL only: commit synchronously
    cur.execute("SET synchronous_commit TO on")
    cur.execute("BEGIN")
    for i, (decl, vals) in enumerate(CASES):
        for v in vals:
            cur.execute("INSERT INTO rcbin.t%d VALUES (%s)" % (i, v))
    cur.execute("COMMIT")
    trels, trows = read_changes(cur, False)
    brels, brows = read_changes(cur, True)
    assert len(trows) == len(brows) == sum(len(v) for _, v in CASES)

    vectors = []
    k = 0
    for i, (decl, vals) in enumerate(CASES):
        for v in vals:
            (trel, tv), (brel, bv) = trows[k], brows[k]
            k += 1
            assert trel == brel
            (_, oid, typmod) = trels[trel][0]
            tkind, text = tv[0]
            bkind, binv = bv[0]
            assert tkind == b"t" and bkind == b"b", (decl, v, tkind, bkind)
            vectors.append((decl, v, oid, typmod, text, binv))

    # the catalog rows of the types that are not built in
    need = sorted({oid for (_, _, oid, _, _, _) in vectors if oid >= 10000})
    descs, seen = [], set()
    while need:
        oid = need.pop(0)
        if oid in seen or oid < 10000:
            continue
        seen.add(oid)
        cur.execute(
            "SELECT typtype, typbasetype, typtypmod, CASE WHEN typcategory "
            "= 'A' THEN typelem ELSE 0 END, typdelim, format_type(oid, "
            "NULL), coalesce((SELECT prosrc FROM pg_proc p WHERE p.oid = "
            "typsend AND prolang = 12), ''), coalesce((SELECT prosrc FROM "
            "pg_proc p WHERE p.oid = typoutput AND prolang = 12), '') "
            "FROM pg_type WHERE oid = %s", (oid,))
        row = cur.fetchone()
        descs.append((oid,) + row)
        need += [row[1], row[3]]
    cur.execute("SELECT version()")
    version = cur.fetchone()[0]
    cur.execute("SELECT pg_drop_replication_slot('rcbin_slot')")
    cur.execute("DROP PUBLICATION rcbin_pub")
    cur.execute("DROP SCHEMA rcbin CASCADE")

    w = sys.stdout.write
    w("/*\n * pgbinary_vectors.inc -- generated by gen_pgbinary_vectors.py: "
      "do not edit.\n *\n * The same values as pgoutput sent them as text "
      "and as binary, from\n * %s,\n * session settings: %s.\n */\n\n"
      % (version.split(" on ")[0], ", ".join(
          s[4:].replace(" TO ", "=").replace("'", "") for s in SETTINGS)))
    w("static const struct bin_desc bin_descs[] = {\n")
    for (oid, typtype, base, basetypmod, elem, delim, name, send,
         out) in sorted(descs):
        w("\t{%d, '%s', %d, %d, %d, '%s', %s, \"%s\", \"%s\"},\n" % (
            oid, typtype, base, basetypmod, elem, delim,
            c_text(name.encode()), send, out))
    w("\t{0, 0, 0, 0, 0, 0, NULL, NULL, NULL},\n};\n\n")
    w("static const struct bin_vec bin_vecs[] = {\n")
    for (decl, v, oid, typmod, text, binv) in vectors:
        shown = v if len(v) < 60 else v[:57] + "..."
        w("\t/* %s: %s */\n" % (decl, shown.replace("*/", "* /")))
        w("\tBV(%d, %d,\n\t   %s,\n\t   %s),\n" % (oid, typmod, c_text(text),
                                              c_hex(binv)))
    w("};\n")


if __name__ == "__main__":
    main()
