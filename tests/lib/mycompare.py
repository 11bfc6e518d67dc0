#!/usr/bin/python3
"""mycompare.py -- check what rowcast wrote against what MySQL/MariaDB holds.

Reads the file sink's Avro container files with pgcompare's independent
reader (Debian's python3-avro for the values), replays the events of each
table (c/r/u upsert by key, d delete, t clear), reads the table itself with
PyMySQL as the server's own text (session time_zone UTC), derives from the
column's type and text the Avro value rowcast's mapping promises (README,
"Type mapping"), and compares value by value.

Usage (always /usr/bin/python3):
  mycompare.py compare --socket S [--user root] --dir OUT --source NAME
                       --tables db.a,db.b
  mycompare.py count --dir OUT [--topic T]
Exit 1 on any difference, with a diff per column.
"""

import argparse
import datetime
import decimal
import math
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcompare  # noqa: E402
import pymysql  # noqa: E402

ZERO_DATE = re.compile(r"^0000-|^\d{4}-00-|^\d{4}-\d\d-00")


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def days(text):
    d = datetime.date.fromisoformat(text)
    return (d - datetime.date(1970, 1, 1)).days


def micros_of_datetime(text):
    date, _, clock = text.partition(" ")
    hms, _, frac = clock.partition(".")
    h, m, s = (int(x) for x in hms.split(":"))
    us = int((frac + "000000")[:6]) if frac else 0
    return (days(date) * 86400 + h * 3600 + m * 60 + s) * 1000000 + us


def micros_of_time(text):
    neg = text.startswith("-")
    hms, _, frac = text.lstrip("-").partition(".")
    h, m, s = (int(x) for x in hms.split(":"))
    us = ((h * 60 + m) * 60 + s) * 1000000 + (int((frac + "000000")[:6]) if frac else 0)
    return -us if neg else us


def no_zero_fraction(s):
    return re.sub(r"\.0+$", "", s)


class Col:
    def __init__(self, name, data_type, column_type, scale, default):
        self.name = name
        self.default = default
        self.dt = data_type.lower()
        self.ct = column_type.lower()
        self.scale = scale
        self.unsigned = "unsigned" in self.ct

    def expect(self, v):
        """Server value (text or bytes) -> what the event must carry."""
        if v is None:
            return None
        dt = self.dt
        if isinstance(v, bytes) and dt not in ("bit", "binary", "varbinary", "tinyblob",
                                               "blob", "mediumblob", "longblob", "geometry",
                                               "point", "linestring", "polygon"):
            v = v.decode("utf-8")
        if dt in ("tinyint", "smallint", "mediumint", "int", "integer", "year"):
            return int(v)
        if dt == "bigint":
            return decimal.Decimal(v) if self.unsigned else int(v)
        if dt in ("decimal", "numeric"):
            return decimal.Decimal(v)
        if dt == "float":
            return ("float", float(v))
        if dt in ("double", "real"):
            return ("double", float(v))
        if dt == "bit":
            if self.ct == "bit(1)":
                return v != b"\x00"
            return bytes(v)
        if dt == "date":
            return v if ZERO_DATE.match(v) else days(v)
        if dt in ("datetime", "timestamp"):
            return ("zero", no_zero_fraction(v)) if ZERO_DATE.match(v) else micros_of_datetime(v)
        if dt == "time":
            return micros_of_time(v)
        if isinstance(v, bytes):
            return bytes(v)
        return v

    def same(self, exp, got):
        got = pgcompare.norm(got)
        if isinstance(exp, tuple) and exp[0] in ("float", "double"):
            if not isinstance(got, float):
                return False
            want = f32(exp[1]) if exp[0] == "float" else exp[1]
            if math.isnan(want) or math.isnan(got):
                return math.isnan(want) and math.isnan(got)
            tol = 1e-6 if exp[0] == "float" else 1e-14
            return abs(want - got) <= tol * max(1.0, abs(want))
        if isinstance(exp, tuple) and exp[0] == "zero":
            return isinstance(got, str) and no_zero_fraction(got) == exp[1]
        if isinstance(exp, decimal.Decimal) and isinstance(got, decimal.Decimal):
            return exp == got and exp.as_tuple().exponent == got.as_tuple().exponent
        if isinstance(exp, bool) or isinstance(got, bool):
            return type(exp) is type(got) and exp == got
        return type(exp) is type(got) and exp == got


def connect(args):
    conn = pymysql.connect(unix_socket=args.socket, user=args.user,
                           password=args.password or "", conv={}, charset="utf8mb4",
                           autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
    return conn


def table_columns(conn, db, table):
    with conn.cursor() as cur:
        cur.execute("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_SCALE, COLUMN_DEFAULT"
                    " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s"
                    " ORDER BY ORDINAL_POSITION", (db, table))
        return [Col(*(x.decode() if isinstance(x, bytes) else x for x in r))
                for r in cur.fetchall()]


def table_key(conn, db, table):
    with conn.cursor() as cur:
        cur.execute("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE"
                    " WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s AND CONSTRAINT_NAME='PRIMARY'"
                    " ORDER BY ORDINAL_POSITION", (db, table))
        return [r[0] for r in cur.fetchall()]


def compare_table(conn, ev, source, qname, out):
    db, table = qname.split(".", 1)
    topic = "%s.%s.%s" % (source, db, table)
    cols = table_columns(conn, db, table)
    if not cols:
        out.append("%s: no such table" % qname)
        return 1
    key = table_key(conn, db, table) or [c.name for c in cols]
    recs = ev.records(topic)
    out.append("%s: %d events" % (topic, len(recs)))
    state, notes = pgcompare.replay(recs, key)
    fails = 0
    for n in notes[:5]:
        out.append("  NOTE %s" % n)
    with conn.cursor() as cur:
        cur.execute("SELECT %s FROM `%s`.`%s`" % (", ".join("`%s`" % c.name for c in cols),
                                                  db, table))
        rows = cur.fetchall()
    idx = {c.name: i for i, c in enumerate(cols)}
    seen, missing, diffs = set(), [], {}
    for row in rows:
        k = tuple(pgcompare.norm(cols[idx[c]].expect(row[idx[c]])) for c in key)
        seen.add(k)
        got = state.get(k)
        if got is None:
            missing.append(k)
            continue
        for c in cols:
            exp = c.expect(row[idx[c.name]])
            if c.name not in got and c.default is not None and \
                    row[idx[c.name]] == c.default.strip("'"):
                continue  # added by ALTER TABLE after the row's last event
            if c.name not in got:
                diffs.setdefault(c.name, []).append((k, row[idx[c.name]], exp, "<no field>"))
            elif not c.same(exp, got[c.name]):
                diffs.setdefault(c.name, []).append((k, row[idx[c.name]], exp, got[c.name]))
    extra = [k for k in state if k not in seen]
    if missing:
        fails += len(missing)
        out.append("  MISSING %d row(s) in the server but not in the output: %s" % (
            len(missing), ", ".join(map(repr, missing[:20]))))
    if extra:
        fails += len(extra)
        out.append("  EXTRA %d row(s) in the output but not in the server: %s" % (
            len(extra), ", ".join(map(repr, extra[:20]))))
    for name, lst in diffs.items():
        fails += len(lst)
        c = cols[idx[name]]
        out.append("  DIFF %s.%s (%s): %d value(s) differ" % (qname, name, c.ct, len(lst)))
        for k, raw, exp, g in lst[:8]:
            out.append("      key=%r server=%r" % (k, raw))
            out.append("          expected %r" % (exp,))
            out.append("          got      %r" % (g,))
    if not fails:
        out.append("  ok: %d row(s) x %d column(s) equal" % (len(rows), len(cols)))
    return fails


def main(argv):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--socket", required=True)
    c.add_argument("--user", default="root")
    c.add_argument("--password", default="")
    c.add_argument("--dir", required=True)
    c.add_argument("--source", required=True)
    c.add_argument("--tables", required=True)
    n = sub.add_parser("count")
    n.add_argument("--dir", required=True)
    n.add_argument("--topic")
    n.add_argument("--fast", action="store_true",
                   help="count from the block headers, without decoding")
    a = ap.parse_args(argv)
    if a.cmd == "count" and a.fast:
        print(pgcompare.count_fast(a.dir, a.topic))
        return 0
    ev = pgcompare.load_events(a.dir)
    if a.cmd == "count":
        if a.topic:
            print(len(ev.records(a.topic)))
        else:
            print(sum(len(ev.records(t)) for t in ev.by_topic))
        return 0
    conn = connect(a)
    out, fails = [], 0
    for q in a.tables.split(","):
        fails += compare_table(conn, ev, a.source, q.strip(), out)
    print("\n".join(out))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
