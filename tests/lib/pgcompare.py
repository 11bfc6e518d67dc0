#!/usr/bin/python3
"""pgcompare.py -- check what rowcast wrote against what PostgreSQL holds.

Reads the file sink's Avro object container files with an independent
implementation (Debian's python3-avro for the values; the container framing
is parsed here so that a torn tail of a .avro.part left by a crash, or a
corrupt block in the middle of a file, is reported precisely instead of
aborting the read), and reads the tables with psycopg2 as PostgreSQL's own
text output (DateStyle=ISO, TimeZone=UTC, IntervalStyle=iso_8601,
extra_float_digits=3). It then derives, from the PostgreSQL type and text of
every value, the Avro value rowcast's mapping promises (DESIGN.md section 2),
and compares value by value.

Usage (always with /usr/bin/python3: Debian's avro and psycopg2):
  pgcompare.py compare --dsn DSN --dir OUT --source shop --tables public.a,public.b
                       [--schema-check] [--native TOPIC,...]
      Replays the events of each table (c/r/u upsert by key, d delete, t
      clear; columns listed in `unchanged` keep the previous value) and
      compares the result with the table's current rows. Exit 1 on any
      difference, with a diff per column.
  pgcompare.py count --dir OUT [--topic T]     number of records (tolerant)
  pgcompare.py dump --dir OUT                  one JSON line per record

The module is also imported by the integration tests (load_events,
norm, ...).
"""

import argparse
import datetime
import decimal
import glob
import io
import json
import math
import os
import re
import struct
import sys
import warnings
import zlib

import avro.errors
import avro.io
import avro.schema

warnings.simplefilter("ignore")

INT32_MAX, INT32_MIN = 2147483647, -2147483648
INT64_MAX, INT64_MIN = 9223372036854775807, -9223372036854775808
EPOCH_DATE = datetime.date(1970, 1, 1)
EPOCH_NAIVE = datetime.datetime(1970, 1, 1)
EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
US = datetime.timedelta(microseconds=1)


# ----------------------------------------------------------------------
# Decoding: python-avro, extended only where Python's datetime cannot hold
# a value Avro can (dates beyond year 9999 or before year 1, PostgreSQL's
# infinities, time 24:00:00). Those come back as Raw(logical, int).
# ----------------------------------------------------------------------

class Raw:
    """A date/time value python's datetime cannot represent."""

    def __init__(self, logical, value):
        self.logical = logical
        self.value = value

    def __repr__(self):
        return "Raw(%s,%d)" % (self.logical, self.value)

    def __eq__(self, other):
        return isinstance(other, Raw) and (self.logical, self.value) == (other.logical, other.value)


FALLBACKS = {"count": 0}


class Decoder(avro.io.BinaryDecoder):
    def read_date_from_int(self):
        n = self.read_int()
        try:
            return EPOCH_DATE + datetime.timedelta(days=n)
        except (OverflowError, ValueError):
            FALLBACKS["count"] += 1
            return Raw("date", n)

    def read_time_micros_from_long(self):
        n = self.read_long()
        try:
            return self._build_time_object(n, 1)
        except (OverflowError, ValueError):
            FALLBACKS["count"] += 1
            return Raw("time-micros", n)

    def read_timestamp_micros_from_long(self):
        n = self.read_long()
        try:
            return EPOCH_UTC + datetime.timedelta(microseconds=n)
        except (OverflowError, ValueError):
            FALLBACKS["count"] += 1
            return Raw("timestamp-micros", n)


def _read_long(buf, pos):
    """Zig-zag varint at buf[pos:]; returns (value, newpos) or raises EOFError."""
    shift = 0
    acc = 0
    while True:
        if pos >= len(buf):
            raise EOFError
        b = buf[pos]
        pos += 1
        acc |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")
    return (acc >> 1) ^ -(acc & 1), pos


def _decompress(codec, data):
    if codec in ("null", None):
        return data
    if codec == "deflate":
        return zlib.decompress(data, -15)
    if codec == "snappy":
        import snappy  # noqa: only if a writer ever uses it
        return snappy.decompress(data[:-4])
    if codec == "zstandard":
        import zstandard
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    raise ValueError("unknown codec %r" % codec)


class OcfFile:
    """One container file: header, schema, records and problems found."""

    def __init__(self, path, decode=True):
        self.path = path
        self.decode = decode    # False: count the records of whole blocks only
        self.nblock_records = 0
        self.schema_json = None
        self.schema = None
        self.codec = None
        self.meta = {}
        self.records = []
        self.problems = []      # (kind, message); kind in torn-tail, corrupt, header
        self._read()

    def _read(self):
        with open(self.path, "rb") as f:
            buf = f.read()
        if len(buf) < 4:
            self.problems.append(("torn-tail", "file shorter than the magic (%d bytes)" % len(buf)))
            return
        if buf[:4] != b"Obj\x01":
            self.problems.append(("header", "bad magic %r" % buf[:4]))
            return
        pos = 4
        try:
            while True:
                n, pos = _read_long(buf, pos)
                if n == 0:
                    break
                if n < 0:
                    n = -n
                    _, pos = _read_long(buf, pos)
                for _ in range(n):
                    klen, pos = _read_long(buf, pos)
                    key = buf[pos:pos + klen].decode()
                    pos += klen
                    vlen, pos = _read_long(buf, pos)
                    if pos + vlen > len(buf):
                        raise EOFError
                    self.meta[key] = buf[pos:pos + vlen]
                    pos += vlen
            if pos + 16 > len(buf):
                raise EOFError
            sync = buf[pos:pos + 16]
            pos += 16
        except EOFError:
            self.problems.append(("torn-tail", "header incomplete (%d bytes)" % len(buf)))
            return
        self.schema_json = self.meta.get("avro.schema", b"").decode()
        self.codec = self.meta.get("avro.codec", b"null").decode()
        try:
            self.schema = avro.schema.parse(self.schema_json)
        except Exception as e:  # noqa: report any parse failure
            self.problems.append(("header", "python-avro cannot parse the header schema: %s" % e))
            return
        reader = avro.io.DatumReader(self.schema, self.schema)
        while pos < len(buf):
            start = pos
            try:
                count, pos = _read_long(buf, pos)
                size, pos = _read_long(buf, pos)
                if count < 0 or size < 0:
                    raise ValueError("negative count/size %d/%d" % (count, size))
                if pos + size + 16 > len(buf):
                    raise EOFError
                data = buf[pos:pos + size]
                pos += size
                if buf[pos:pos + 16] != sync:
                    raise ValueError("sync marker mismatch")
                pos += 16
            except EOFError:
                self.problems.append(("torn-tail", "incomplete block at offset %d of %d" % (start, len(buf))))
                return
            except ValueError as e:
                nxt = buf.find(sync, start)
                self.problems.append(("corrupt", "bad block at offset %d (%s)%s" % (
                    start, e, "; resynced at %d" % (nxt + 16) if nxt >= 0 else "; no later sync marker")))
                if nxt < 0:
                    return
                pos = nxt + 16
                continue
            if not self.decode:
                self.nblock_records += count
                continue
            try:
                raw = _decompress(self.codec, data)
                dec = Decoder(io.BytesIO(raw))
                got = []
                for _ in range(count):
                    got.append(reader.read(dec))
                rest = len(raw) - dec.reader.tell()
                if rest:
                    self.problems.append(("corrupt", "block at offset %d: %d bytes left after %d records" % (start, rest, count)))
                self.records.extend(got)
            except Exception as e:  # noqa: any decoding failure is a finding
                self.problems.append(("corrupt", "block at offset %d (%d records): cannot decode: %r" % (start, count, e)))


def natural_key(s):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def list_files(outdir):
    """{topic: [path, ...]} with closed files and open .part files, in name order."""
    files = {}
    for path in glob.glob(os.path.join(outdir, "**", "*.avro*"), recursive=True):
        if not (path.endswith(".avro") or path.endswith(".avro.part")):
            continue
        topic = os.path.basename(os.path.dirname(path))
        files.setdefault(topic, []).append(path)
    for t in files:
        files[t].sort(key=lambda p: natural_key(os.path.basename(p).replace(".avro.part", ".avro")))
    return files


class Events:
    """Every record of an output directory, in file order per topic."""

    def __init__(self, outdir):
        self.outdir = outdir
        self.by_topic = {}      # topic -> [(path, index, record)]
        self.schemas = {}       # topic -> {schema_json: [paths]}
        self.problems = []      # (path, kind, message)
        self.fallbacks = {}     # topic -> values python-avro could not decode natively
        for topic, paths in sorted(list_files(outdir).items()):
            lst = self.by_topic.setdefault(topic, [])
            FALLBACKS["count"] = 0
            for p in paths:
                try:
                    f = OcfFile(p)
                except FileNotFoundError:
                    # a .part renamed under our feet: read the new name
                    alt = p[:-5] if p.endswith(".part") else p
                    if not os.path.exists(alt):
                        continue
                    f = OcfFile(alt)
                for kind, msg in f.problems:
                    self.problems.append((f.path, kind, msg))
                if f.schema_json:
                    self.schemas.setdefault(topic, {}).setdefault(f.schema_json, []).append(f.path)
                for i, r in enumerate(f.records):
                    lst.append((f.path, i, r))
            self.fallbacks[topic] = FALLBACKS["count"]

    def count(self, topic=None):
        if topic:
            return len(self.by_topic.get(topic, []))
        return sum(len(v) for v in self.by_topic.values())

    def records(self, topic):
        return [r for _, _, r in self.by_topic.get(topic, [])]

    def serious_problems(self, allow_torn_part=True):
        out = []
        for path, kind, msg in self.problems:
            if kind == "torn-tail" and allow_torn_part and path.endswith(".part"):
                continue
            out.append((path, kind, msg))
        return out


def load_events(outdir):
    return Events(outdir)


def count_fast(outdir, topic=None):
    """Records in whole blocks, from the block headers (no decoding)."""
    n = 0
    for t, paths in list_files(outdir).items():
        if topic and t != topic:
            continue
        for p in paths:
            try:
                n += OcfFile(p, decode=False).nblock_records
            except FileNotFoundError:
                alt = p[:-5] if p.endswith(".part") else p
                if os.path.exists(alt):
                    n += OcfFile(alt, decode=False).nblock_records
    return n


# ----------------------------------------------------------------------
# Normalisation: both sides to plain, comparable Python values.
# ----------------------------------------------------------------------

def norm(v):
    """Decoded Avro value -> comparable value (dates/times as integers)."""
    if isinstance(v, Raw):
        return v.value
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            return (v - EPOCH_UTC) // US
        return (v - EPOCH_NAIVE) // US
    if isinstance(v, datetime.date):
        return (v - EPOCH_DATE).days
    if isinstance(v, datetime.time):
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1000000 + v.microsecond
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v


def days_from_civil(y, m, d):
    """Days since 1970-01-01 in the proleptic Gregorian calendar (astronomical years)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_DATE_RE = re.compile(r"^(\d+)-(\d\d)-(\d\d)( BC)?$")
_TS_RE = re.compile(r"^(\d+)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?"
                    r"(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$")
_TIME_RE = re.compile(r"^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$")


def pg_date_days(text):
    if text == "infinity":
        return INT32_MAX
    if text == "-infinity":
        return INT32_MIN
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError("unparsable date %r" % text)
    y = int(m.group(1))
    if m.group(4):
        y = 1 - y
    return days_from_civil(y, int(m.group(2)), int(m.group(3)))


def pg_ts_micros(text):
    if text == "infinity":
        return INT64_MAX
    if text == "-infinity":
        return INT64_MIN
    m = _TS_RE.match(text)
    if not m:
        raise ValueError("unparsable timestamp %r" % text)
    y = int(m.group(1))
    if m.group(12):
        y = 1 - y
    days = days_from_civil(y, int(m.group(2)), int(m.group(3)))
    frac = int((m.group(7) or "0").ljust(6, "0"))
    us = ((days * 24 + int(m.group(4))) * 60 + int(m.group(5))) * 60 + int(m.group(6))
    us = us * 1000000 + frac
    if m.group(8):
        off = (int(m.group(9)) * 60 + int(m.group(10) or 0)) * 60 + int(m.group(11) or 0)
        if m.group(8) == "+":
            us -= off * 1000000
        else:
            us += off * 1000000
    return us


def pg_time_micros(text):
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError("unparsable time %r" % text)
    frac = int((m.group(4) or "0").ljust(6, "0"))
    return ((int(m.group(1)) * 60 + int(m.group(2))) * 60 + int(m.group(3))) * 1000000 + frac


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def parse_pg_array(text):
    """A one-dimensional PostgreSQL array literal -> list of element texts (None
    for NULL); None if the value is not a plain 1-D array (bounds decoration,
    nested braces)."""
    if not text.startswith("{"):
        return None
    out = []
    i, n = 1, len(text)
    if text == "{}":
        return []
    while i < n:
        c = text[i]
        if c == "{":
            return None         # multi-dimensional
        if c == '"':
            i += 1
            sb = []
            while text[i] != '"':
                if text[i] == "\\":
                    i += 1
                sb.append(text[i])
                i += 1
            i += 1
            out.append("".join(sb))
        else:
            j = i
            while text[j] not in ",}":
                j += 1
            tok = text[i:j]
            out.append(None if tok == "NULL" else tok)
            i = j
        if text[i] == ",":
            i += 1
        elif text[i] == "}":
            i += 1
            break
    if i != n:
        return None
    return out


# ----------------------------------------------------------------------
# The mapping (DESIGN.md section 2): PostgreSQL type -> Avro type and value.
# ----------------------------------------------------------------------

class Col:
    def __init__(self, name, typname, typmod, category, elem=None, fmt=""):
        self.name = name
        self.typname = typname      # base type (domains resolved)
        self.typmod = typmod
        self.category = category
        self.elem = elem            # Col for array elements
        self.fmt = fmt              # format_type() of the declared type

    def numeric_ps(self):
        if self.typmod < 4:
            return None
        t = self.typmod - 4
        return (t >> 16) & 0xFFFF, t & 0xFFFF

    def kind(self):
        t = self.typname
        if self.elem is not None:
            return "array"
        if t == "bool":
            return "boolean"
        if t in ("int2", "int4"):
            return "int"
        if t in ("int8", "oid", "xid", "cid"):     # oid/xid/cid: unsigned 32-bit
            return "long"
        if t == "float4":
            return "float"
        if t == "float8":
            return "double"
        if t == "numeric":
            return "decimal" if self.numeric_ps() else "string"
        if t == "money":
            return "money"
        if t == "bytea":
            return "bytes"
        if t == "date":
            return "date"
        if t == "timestamp":
            return "local-timestamp-micros"
        if t == "timestamptz":
            return "timestamp-micros"
        if t == "time":
            return "time-micros"
        if t == "uuid":
            return "uuid"
        return "string"

    def expected_avro(self):
        """(avro type, logicalType or None, extra props) of the non-null branch."""
        k = self.kind()
        if k == "decimal":
            p, s = self.numeric_ps()
            return ("bytes", "decimal", {"precision": p, "scale": s})
        if k == "money":
            return ("bytes", "decimal", {"scale": 2})
        if k == "date":
            return ("int", "date", {})
        if k in ("local-timestamp-micros", "timestamp-micros", "time-micros"):
            return ("long", k, {})
        if k == "uuid":
            return ("string", "uuid", {})
        if k == "array":
            return ("array", None, {})
        return (k, None, {})

    def expect(self, text):
        """PostgreSQL output text -> the Avro value rowcast must write (normalised)."""
        if text is None:
            return None
        k = self.kind()
        if k == "boolean":
            return text == "t"
        if k in ("int", "long"):
            return int(text)
        if k == "double":
            return float(text)
        if k == "float":
            return f32(float(text))
        if k == "decimal":
            if text in ("NaN", "Infinity", "-Infinity"):
                return text
            return decimal.Decimal(text)
        if k == "money":
            return decimal.Decimal(text).quantize(decimal.Decimal("0.01"))
        if k == "bytes":
            assert text.startswith("\\x"), text
            return bytes.fromhex(text[2:])
        if k == "date":
            return pg_date_days(text)
        if k in ("local-timestamp-micros", "timestamp-micros"):
            return pg_ts_micros(text)
        if k == "time-micros":
            return pg_time_micros(text)
        if k == "array":
            elems = parse_pg_array(text)
            if elems is None:
                return text     # multi-dimensional or bounds: the text literal
            return [self.elem.expect(e) for e in elems]
        return text


def same(exp, got):
    """exp from expect(), got from norm(decoded)."""
    if isinstance(exp, float) or isinstance(got, float):
        if not (isinstance(exp, float) and isinstance(got, float)):
            return False
        if math.isnan(exp) or math.isnan(got):
            return math.isnan(exp) and math.isnan(got)
        return exp == got and math.copysign(1, exp) == math.copysign(1, got)
    if isinstance(exp, decimal.Decimal) or isinstance(got, decimal.Decimal):
        if not (isinstance(exp, decimal.Decimal) and isinstance(got, decimal.Decimal)):
            return False
        return exp == got and exp.as_tuple().exponent == got.as_tuple().exponent
    if isinstance(exp, list) and isinstance(got, list):
        return len(exp) == len(got) and all(same(a, b) for a, b in zip(exp, got))
    if isinstance(exp, bool) or isinstance(got, bool):
        return type(exp) is type(got) and exp == got
    return type(exp) is type(got) and exp == got


# ----------------------------------------------------------------------
# PostgreSQL side
# ----------------------------------------------------------------------

SESSION = ("SET DateStyle = ISO; SET TimeZone = 'UTC'; SET IntervalStyle = iso_8601; "
           "SET extra_float_digits = 3; SET bytea_output = hex")


def connect(dsn):
    import psycopg2
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(SESSION)
    return conn


def _resolve(cur, typoid, typmod):
    """Follow domains to the base type: (typname, typmod, category, typelem)."""
    while True:
        cur.execute("SELECT typname, typtype, typcategory, typelem, typbasetype, typtypmod "
                    "FROM pg_type WHERE oid = %s", (typoid,))
        typname, typtype, cat, elem, base, basemod = cur.fetchone()
        if typtype == "d":
            typoid, typmod = base, basemod
            continue
        return typname, typmod, cat, elem


def table_columns(conn, qname):
    cols = []
    with conn.cursor() as cur:
        cur.execute("SELECT a.attname, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod) "
                    "FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0 "
                    "AND NOT a.attisdropped ORDER BY a.attnum", (qname,))
        rows = cur.fetchall()
        for name, typoid, typmod, fmt in rows:
            typname, tmod, cat, elem = _resolve(cur, typoid, typmod)
            ecol = None
            if cat == "A" and elem:
                ename, emod, ecat, _ = _resolve(cur, elem, typmod)
                ecol = Col(name + "[]", ename, emod, ecat)
            cols.append(Col(name, typname, tmod, cat, ecol, fmt))
    return cols


def table_key(conn, qname):
    """Primary key, else replica identity index, else None (all columns)."""
    with conn.cursor() as cur:
        for cond in ("i.indisprimary", "i.indisreplident"):
            cur.execute("SELECT a.attname FROM pg_index i "
                        "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true "
                        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                        "WHERE i.indrelid = %%s::regclass AND %s ORDER BY k.ord" % cond, (qname,))
            key = [r[0] for r in cur.fetchall()]
            if key:
                return key
    return None


def table_rows_text(conn, qname, cols):
    """Every row as PostgreSQL's output text per column (money as numeric)."""
    import psycopg2.extensions as ext
    sel = []
    for c in cols:
        ident = '"%s"' % c.name.replace('"', '""')
        sel.append(ident + "::numeric" if c.typname == "money" else ident)
    with conn.cursor() as cur:
        cur.execute("SELECT %s FROM %s" % (", ".join(sel), qname) + " LIMIT 0")
        oids = tuple({d.type_code for d in cur.description})
        raw = ext.new_type(oids, "RAWTEXT", lambda v, c: v)
        ext.register_type(raw, cur)
        cur.execute("SELECT %s FROM %s" % (", ".join(sel), qname))
        return cur.fetchall()


# ----------------------------------------------------------------------
# Schema check
# ----------------------------------------------------------------------

def field_branches(ftype):
    """Non-null branches of a field type (dicts or names)."""
    if isinstance(ftype, list):
        return [b for b in ftype if b != "null"]
    return [ftype]


def _branch_desc(b):
    if isinstance(b, str):
        return (b, None, {})
    t = b.get("type")
    if isinstance(t, dict):
        return _branch_desc(t)
    return (t, b.get("logicalType"), b)


def _named_types(node, ns, acc):
    """Collect named types (record/enum/fixed) by full and short name."""
    if isinstance(node, list):
        for x in node:
            _named_types(x, ns, acc)
    elif isinstance(node, dict):
        t = node.get("type")
        if t in ("record", "enum", "fixed", "error") and "name" in node:
            name = node["name"]
            nns = node.get("namespace", ns)
            if "." in name:
                full = name
                nns = name.rsplit(".", 1)[0]
            else:
                full = nns + "." + name if nns else name
            acc[full] = node
            acc.setdefault(full.rsplit(".", 1)[-1], node)
            for f in node.get("fields", []):
                _named_types(f.get("type"), nns, acc)
        elif isinstance(t, (dict, list)):
            _named_types(t, ns, acc)
        elif t == "array":
            _named_types(node.get("items"), ns, acc)
        elif t == "map":
            _named_types(node.get("values"), ns, acc)


def check_schema(schema_json, cols):
    """Return a list of problems with the row record of the envelope."""
    probs = []
    env = json.loads(schema_json)
    named = {}
    _named_types(env, "", named)
    fields = {f["name"]: f for f in env.get("fields", [])}
    for need in ("before", "after", "source", "op", "ts_ms"):
        if need not in fields:
            probs.append("envelope has no field %r" % need)
    if "after" not in fields:
        return probs
    row = None
    for b in field_branches(fields["after"]["type"]):
        if isinstance(b, str) and b in named:
            b = named[b]
        if isinstance(b, dict) and b.get("type") == "record":
            row = b
    if row is None:
        return probs + ["'after' is not a nullable record: %r" % (fields["after"]["type"],)]
    rfields = row["fields"]
    names = [f["name"] for f in rfields]
    if names != [c.name for c in cols]:
        probs.append("row columns %r != table columns %r" % (names, [c.name for c in cols]))
    byname = {f["name"]: f for f in rfields}
    for c in cols:
        f = byname.get(c.name)
        if f is None:
            continue
        want_t, want_l, want_p = c.expected_avro()
        descs = [_branch_desc(b) for b in field_branches(f["type"])]
        ok = False
        for t, l, props in descs:
            if t == want_t and l == want_l and all(props.get(k) == v for k, v in want_p.items()):
                ok = True
                if t == "array":
                    et = props.get("items")
                    ew = c.elem.expected_avro()
                    eds = [_branch_desc(x) for x in field_branches(et)]
                    if not any(d[0] == ew[0] and d[1] == ew[1] for d in eds):
                        probs.append("%s (%s): array items %r, expected %s/%s" % (c.name, c.fmt, et, ew[0], ew[1]))
        if not ok:
            probs.append("%s (%s): Avro type %s, expected %s%s%s" % (
                c.name, c.fmt, json.dumps(f["type"]), want_t,
                " logicalType=" + want_l if want_l else "",
                " " + json.dumps(want_p) if want_p else ""))
    return probs


# ----------------------------------------------------------------------
# compare
# ----------------------------------------------------------------------

def replay(records, key):
    """Final state {key tuple: after dict} from events in order; plus notes."""
    state = {}
    notes = []
    for r in records:
        op = r.get("op")
        if op in ("c", "r", "u"):
            after = dict(r["after"])
            k = tuple(norm(after[c]) for c in key)
            if op == "u" and r.get("before"):
                bk = tuple(norm(r["before"][c]) for c in key)
                if bk != k:
                    state.pop(bk, None)
            prev = state.get(k)
            for col in r.get("unchanged") or []:
                after[col] = prev[col] if prev is not None else Unknown
            state[k] = after
        elif op == "d":
            k = tuple(norm(r["before"][c]) for c in key)
            if k not in state:
                notes.append("delete of a key never seen: %r" % (k,))
            state.pop(k, None)
        elif op == "t":
            state.clear()
        else:
            notes.append("unknown op %r" % op)
    return state, notes


class _Unknown:
    def __repr__(self):
        return "<unchanged TOAST, no earlier image>"


Unknown = _Unknown()


def compare_table(conn, ev, source, qname, schema_check, native, out):
    schema, table = qname.split(".", 1)
    topic = "%s.%s.%s" % (source, schema, table)
    cols = table_columns(conn, qname)
    key = table_key(conn, qname) or [c.name for c in cols]
    fails = 0
    recs = ev.records(topic)
    out.append("%s: %d events in %d file(s)" % (topic, len(recs),
               len({p for p, _, _ in ev.by_topic.get(topic, [])})))
    if schema_check:
        if not ev.schemas.get(topic):
            out.append("  SCHEMA %s: no container file with a schema" % topic)
            fails += 1
        for sj, paths in ev.schemas.get(topic, {}).items():
            probs = check_schema(sj, cols)
            for p in probs:
                out.append("  SCHEMA %s: %s" % (topic, p))
                fails += 1
            if not probs:
                kinds = {}
                for c in cols:
                    t, l, _ = c.expected_avro()
                    kinds[l or t] = kinds.get(l or t, 0) + 1
                out.append("  schema ok (%d file(s)): %s" % (len(paths), ", ".join(
                    "%s x%d" % kv for kv in sorted(kinds.items()))))
    state, notes = replay(recs, key)
    for n in notes[:5]:
        out.append("  NOTE %s" % n)
    if len(notes) > 5:
        out.append("  NOTE ... %d more (expected when events were delivered twice after a crash)" % (len(notes) - 5))
    pgrows = table_rows_text(conn, qname, cols)
    idx = {c.name: i for i, c in enumerate(cols)}
    seen = set()
    diffs = {}
    missing = []
    for row in pgrows:
        k = tuple(cols[idx[c]].expect(row[idx[c]]) for c in key)
        seen.add(k)
        got = state.get(k)
        if got is None:
            missing.append(k)
            continue
        for c in cols:
            text = row[idx[c.name]]
            try:
                exp = c.expect(text)
            except Exception as e:  # noqa
                diffs.setdefault(c, []).append((k, text, "cannot derive expected value: %r" % e, None))
                continue
            if c.name not in got:
                diffs.setdefault(c, []).append((k, text, exp, "<no such field>"))
                continue
            g = got[c.name]
            if g is Unknown:
                diffs.setdefault(c, []).append((k, text, exp, g))
                continue
            if not same(exp, norm(g)):
                diffs.setdefault(c, []).append((k, text, exp, g))
    extra = [k for k in state if k not in seen]
    if missing:
        fails += len(missing)
        out.append("  MISSING %d row(s) present in PostgreSQL but not in the output, keys: %s" % (
            len(missing), ", ".join(map(repr, missing[:20]))))
    if extra:
        fails += len(extra)
        out.append("  EXTRA %d row(s) in the output but not in PostgreSQL, keys: %s" % (
            len(extra), ", ".join(map(repr, extra[:20]))))
    for c, lst in diffs.items():
        fails += len(lst)
        out.append("  DIFF %s.%s (%s -> %s): %d value(s) differ" % (
            qname, c.name, c.fmt, c.kind(), len(lst)))
        for k, text, exp, g in lst[:8]:
            out.append("      key=%r pg=%s" % (k, _short(repr(text))))
            out.append("          expected %s" % _short(repr(exp)))
            out.append("          got      %s%s" % (_short(repr(g)), "" if g is Unknown or norm(g) == g else "  (= %s)" % _short(repr(norm(g)))))
    if native and topic in native and ev.fallbacks.get(topic):
        fails += 1
        out.append("  DECODE %s: %d value(s) python-avro could not decode natively" % (topic, ev.fallbacks[topic]))
    if not fails:
        out.append("  ok: %d row(s) x %d column(s) equal" % (len(pgrows), len(cols)))
    return fails


def _short(s, n=200):
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def jsonable(v):
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, Raw):
        return v.value
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return repr(v)
    return v


def main(argv):
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--dsn", required=True)
    c.add_argument("--dir", required=True)
    c.add_argument("--source", required=True)
    c.add_argument("--tables", required=True)
    c.add_argument("--schema-check", action="store_true")
    c.add_argument("--native", default="", help="topics that must decode with stock python-avro")
    n = sub.add_parser("count")
    n.add_argument("--dir", required=True)
    n.add_argument("--topic")
    d = sub.add_parser("dump")
    d.add_argument("--dir", required=True)
    a = ap.parse_args(argv)

    if a.cmd == "count":
        print(Events(a.dir).count(a.topic) if os.path.isdir(a.dir) else 0)
        return 0
    ev = Events(a.dir)
    if a.cmd == "dump":
        for topic, lst in ev.by_topic.items():
            for path, i, r in lst:
                print(json.dumps({"topic": topic, "file": os.path.basename(path), "record": jsonable(r)}))
        return 0

    out = []
    fails = 0
    for path, kind, msg in ev.serious_problems(allow_torn_part=True):
        out.append("FILE %s: %s: %s" % (path, kind, msg))
        fails += 1
    conn = connect(a.dsn)
    native = set(t for t in a.native.split(",") if t)
    for qname in [t.strip() for t in a.tables.split(",") if t.strip()]:
        fails += compare_table(conn, ev, a.source, qname, a.schema_check, native, out)
    print("\n".join(out))
    if fails:
        print("pgcompare: %d difference(s)" % fails)
        return 1
    print("pgcompare: all equal")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
