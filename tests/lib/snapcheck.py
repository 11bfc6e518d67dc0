#!/usr/bin/python3
"""snapcheck.py -- the snapshot tests' load generator and checker.

Shared by tests/integration/pg_snapshot.sh, my_snapshot.sh and
tests/bench/snap-bench.sh. Always run it with /usr/bin/python3 (Debian's
avro, psycopg2, pymysql).

  snapcheck.py load (--dsn DSN | --socket SOCK) --phase N --log FILE
                    --table Q[=WEIGHT] ... [--seconds S] [--until FILE]
                    [--tps N] [--seed N] [--truncate Q@SECONDS[:ROWS]]
                    [--pos-out FILE] [--min-changes N]
      Commits identifiable changes until SECONDS passed or FILE exists:
      updates, deletes, inserts of new keys, re-inserts of deleted keys and
      primary-key moves, in transactions of 1 to 10 changes. Every table
      has the shape (id int PK, name, amount numeric(12,2), qty int, note,
      seq bigint); seq identifies the change. --truncate empties Q after
      SECONDS and refills it with ROWS new rows (default 50) in the same
      transaction. After each commit one line
      per change goes to the log:  PHASE OP TABLE ID SEQ  (SEQ '-' for a
      delete or a truncate, ID '-' for a truncate). Ends with a marker
      insert into the first table and writes the position past it to
      --pos-out (PostgreSQL: an insert LSN taken just before the marker's
      COMMIT, so a slot confirmed past it has everything; MariaDB:
      "FILE POS" of SHOW MASTER STATUS after it).

  snapcheck.py ckpt --file CHECKPOINT [--table Q] [--done Q,Q...]
      The snapshot lines of a checkpoint: "STATE TABLE ROWS CURSOR" each
      (cursor percent-decoded, '-' when none); --table: that table's
      "STATE ROWS CURSOR" (exit 1 when it has no line); --done: exit 0
      only when every listed table is done.

  snapcheck.py check --dir OUT --source NAME --tables Q,Q...
                     (--dsn DSN | --socket SOCK) [--changes FILE ...]
                     [--runs Q=P+P,...] [--resume Q:CURSOR:PREKILL_FILES]
                     [--concurrent Q[:RUN]] [--concurrent-soft Q[:RUN]]
                     [--flowing Q:OTHER+OTHER]
      Reads the file sink's output (one stream of Avro container files per
      table, in file order, .part files included) and checks:
        - flags: every `r` has source.snapshot "true" or "last", every
          other event "false"; r events have no before image;
        - runs: the r events of a table form runs, each closed by exactly
          one "last" (the run's highest key), read in key order; --runs
          gives the phase of each expected run (Q=1+3: two runs, in phases
          1 and 3) and the count must match; no run may stay open;
        - each key at most once per run (a resumed run may repeat keys
          above the resume cursor: rows emitted after the last checkpoint
          and before the kill), and every key that is in the table now and
          that no logged change of the run's phase or later touched has
          exactly one r in the run (at least one above a resume cursor);
        - --resume: the run of Q that was killed: no r event with a key <=
          CURSOR in the files created after the restart (the files that
          existed at the kill are listed, one name a line, in
          PREKILL_FILES), each untouched key <= CURSOR exactly once in the
          files before it, and r events after the restart;
        - changes: every logged change (--changes) is in the output as a
          c/u/d/t event (at least as many times as logged), and no stream
          event matches no logged change;
        - --concurrent: during the run, the stream changed rows both
          behind the snapshot (after their r) and ahead of it (before their
          r, or rows whose r never came); --concurrent-soft only reports;
        - --flowing Q:A+B: while the last run of Q was read (envelope ts_ms
          of its first to its last r), stream events of A and B were
          written too;
        - rebuild: the events of each table applied in order (r/c/u upsert
          the after image, d deletes, t clears) equal a SELECT of the
          table, value by value (pgcompare.py / mycompare.py rules).
      Exit 1 with a FAIL line per problem.

Reading 250,000 records with python-avro's DatumReader takes about 40 s on
the 2-core test machine, so the records are decoded here by a reader
compiled from each file's header schema (parsed by python-avro), which
yields the very same Python values; the first records of the first and the
last block of every file are decoded with python-avro too and must be
identical (else the whole file is decoded with python-avro).
"""

import argparse
import collections
import datetime
import decimal
import io
import json
import os
import random
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcompare  # noqa: E402

import avro.io  # noqa: E402
import avro.schema  # noqa: E402
import avro.timezones  # noqa: E402

# ----------------------------------------------------------------------
# A fast Avro datum reader, compiled from a python-avro schema
# ----------------------------------------------------------------------

_UTC = avro.timezones.utc
_EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_DATE = datetime.date(1970, 1, 1)
_F = struct.Struct("<f").unpack_from
_D = struct.Struct("<d").unpack_from


class Unsupported(Exception):
    pass


def _rd_long(buf, pos):
    b = buf[pos]
    pos += 1
    if b < 0x80:
        return (b >> 1) ^ -(b & 1), pos
    acc = b & 0x7F
    shift = 7
    while True:
        b = buf[pos]
        pos += 1
        acc |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    return (acc >> 1) ^ -(acc & 1), pos


def _compile(s, memo):
    """A function (buf, pos) -> (value, pos) for python-avro schema s."""
    key = id(s)
    if key in memo:
        if memo[key] is None:
            raise Unsupported("recursive schema")
        return memo[key]
    memo[key] = None
    t = s.type
    lt = getattr(s, "logical_type", None)
    if isinstance(s, avro.schema.UnionSchema):
        branches = [_compile(b, memo) for b in s.schemas]

        def f(buf, pos, branches=branches):
            i, pos = _rd_long(buf, pos)
            return branches[i](buf, pos)
    elif t == "null":
        def f(buf, pos):
            return None, pos
    elif t == "boolean":
        def f(buf, pos):
            return buf[pos] == 1, pos + 1
    elif t in ("int", "long"):
        if lt == "date" and t == "int":
            def f(buf, pos):
                n, pos = _rd_long(buf, pos)
                try:
                    return _EPOCH_DATE + datetime.timedelta(days=n), pos
                except (OverflowError, ValueError):
                    return pgcompare.Raw("date", n), pos
        elif lt in ("timestamp-micros", "timestamp-millis") and t == "long":
            mul = 1 if lt == "timestamp-micros" else 1000

            def f(buf, pos, mul=mul, lt=lt):
                n, pos = _rd_long(buf, pos)
                try:
                    return _EPOCH_UTC + datetime.timedelta(microseconds=n * mul), pos
                except (OverflowError, ValueError):
                    return pgcompare.Raw(lt, n), pos
        elif (lt == "time-micros" and t == "long") or (lt == "time-millis" and t == "int"):
            mul = 1 if lt == "time-micros" else 1000

            def f(buf, pos, mul=mul, lt=lt):
                n, pos = _rd_long(buf, pos)
                v = n * mul
                v, us = divmod(v, 1000000)
                v, sec = divmod(v, 60)
                h, m = divmod(v, 60)
                try:
                    return datetime.time(hour=h, minute=m, second=sec, microsecond=us), pos
                except (OverflowError, ValueError):
                    return pgcompare.Raw(lt, n), pos
        else:
            f = _rd_long
    elif t == "float":
        def f(buf, pos):
            return float(_F(buf, pos)[0]), pos + 4
    elif t == "double":
        def f(buf, pos):
            return float(_D(buf, pos)[0]), pos + 8
    elif t == "string":
        def f(buf, pos):
            n, pos = _rd_long(buf, pos)
            return bytes(buf[pos:pos + n]).decode("utf-8"), pos + n
    elif t == "bytes":
        prec, scale = s.get_prop("precision"), s.get_prop("scale")
        if lt == "decimal" and isinstance(prec, int) and prec > 0 \
                and isinstance(scale, int) and scale >= 0:
            ctx = decimal.Context(prec=prec)

            def f(buf, pos, ctx=ctx, scale=scale):
                n, pos = _rd_long(buf, pos)
                u = int.from_bytes(buf[pos:pos + n], "big", signed=True)
                return decimal.Decimal(u).scaleb(-scale, ctx), pos + n
        elif lt == "decimal":
            raise Unsupported("decimal with bad precision/scale")
        else:
            def f(buf, pos):
                n, pos = _rd_long(buf, pos)
                return bytes(buf[pos:pos + n]), pos + n
    elif isinstance(s, avro.schema.FixedSchema):
        if lt == "decimal":
            raise Unsupported("fixed decimal")
        size = s.size

        def f(buf, pos, size=size):
            return bytes(buf[pos:pos + size]), pos + size
    elif isinstance(s, avro.schema.EnumSchema):
        syms = list(s.symbols)

        def f(buf, pos, syms=syms):
            i, pos = _rd_long(buf, pos)
            return syms[i], pos
    elif isinstance(s, avro.schema.ArraySchema):
        item = _compile(s.items, memo)

        def f(buf, pos, item=item):
            out = []
            while True:
                n, pos = _rd_long(buf, pos)
                if n == 0:
                    return out, pos
                if n < 0:
                    n = -n
                    _, pos = _rd_long(buf, pos)
                for _ in range(n):
                    v, pos = item(buf, pos)
                    out.append(v)
    elif isinstance(s, avro.schema.MapSchema):
        val = _compile(s.values, memo)

        def f(buf, pos, val=val):
            out = {}
            while True:
                n, pos = _rd_long(buf, pos)
                if n == 0:
                    return out, pos
                if n < 0:
                    n = -n
                    _, pos = _rd_long(buf, pos)
                for _ in range(n):
                    kl, pos = _rd_long(buf, pos)
                    k = bytes(buf[pos:pos + kl]).decode("utf-8")
                    pos += kl
                    v, pos = val(buf, pos)
                    out[k] = v
    elif isinstance(s, avro.schema.RecordSchema):
        fields = [(fl.name, _compile(fl.type, memo)) for fl in s.fields]

        def f(buf, pos, fields=fields):
            out = {}
            for name, fn in fields:
                out[name], pos = fn(buf, pos)
            return out, pos
    else:
        raise Unsupported("type %r" % t)
    memo[key] = f
    return f


class FastOcf:
    """One container file: records in order and problems (like pgcompare.OcfFile)."""

    CROSS = 50      # records of the first and the last block decoded twice

    def __init__(self, path):
        self.path = path
        self.schema_json = None
        self.records = []
        self.problems = []
        self.slow = False
        self._read()

    def _read(self):
        with open(self.path, "rb") as fh:
            buf = fh.read()
        if len(buf) < 4:
            self.problems.append(("torn-tail", "file shorter than the magic (%d bytes)" % len(buf)))
            return
        if buf[:4] != b"Obj\x01":
            self.problems.append(("header", "bad magic %r" % buf[:4]))
            return
        pos, meta = 4, {}
        rl = pgcompare._read_long
        try:
            while True:
                n, pos = rl(buf, pos)
                if n == 0:
                    break
                if n < 0:
                    n = -n
                    _, pos = rl(buf, pos)
                for _ in range(n):
                    kl, pos = rl(buf, pos)
                    k = buf[pos:pos + kl].decode()
                    pos += kl
                    vl, pos = rl(buf, pos)
                    if pos + vl > len(buf):
                        raise EOFError
                    meta[k] = buf[pos:pos + vl]
                    pos += vl
            if pos + 16 > len(buf):
                raise EOFError
            sync = buf[pos:pos + 16]
            pos += 16
        except EOFError:
            self.problems.append(("torn-tail", "header incomplete (%d bytes)" % len(buf)))
            return
        self.schema_json = meta.get("avro.schema", b"").decode()
        codec = meta.get("avro.codec", b"null").decode()
        try:
            schema = avro.schema.parse(self.schema_json)
        except Exception as e:  # noqa
            self.problems.append(("header", "python-avro cannot parse the header schema: %s" % e))
            return
        try:
            fast = _compile(schema, {})
        except Unsupported:
            fast = None
            self.slow = True
        blocks = []
        while pos < len(buf):
            start = pos
            try:
                count, pos = rl(buf, pos)
                size, pos = rl(buf, pos)
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
                break
            except ValueError as e:
                nxt = buf.find(sync, start)
                self.problems.append(("corrupt", "bad block at offset %d (%s)" % (start, e)))
                if nxt < 0:
                    break
                pos = nxt + 16
                continue
            try:
                blocks.append((start, count, pgcompare._decompress(codec, data)))
            except Exception as e:  # noqa
                self.problems.append(("corrupt", "block at offset %d: %r" % (start, e)))
        reader = avro.io.DatumReader(schema, schema)
        if fast is not None and blocks:
            for bi in {0, len(blocks) - 1}:
                start, count, raw = blocks[bi]
                dec = pgcompare.Decoder(io.BytesIO(raw))
                p = 0
                for _ in range(min(count, self.CROSS)):
                    a = reader.read(dec)
                    b, p = fast(raw, p)
                    if repr(a) != repr(b):
                        fast = None
                        self.slow = True
                        break
                if fast is None:
                    break
        for start, count, raw in blocks:
            try:
                got = []
                if fast is not None:
                    p = 0
                    for _ in range(count):
                        v, p = fast(raw, p)
                        got.append(v)
                    rest = len(raw) - p
                else:
                    dec = pgcompare.Decoder(io.BytesIO(raw))
                    for _ in range(count):
                        got.append(reader.read(dec))
                    rest = len(raw) - dec.reader.tell()
                if rest:
                    self.problems.append(("corrupt", "block at offset %d: %d bytes left after %d records" % (start, rest, count)))
                self.records.extend(got)
            except Exception as e:  # noqa
                self.problems.append(("corrupt", "block at offset %d (%d records): cannot decode: %r" % (start, count, e)))


class Events:
    """Every record of an output directory, in file order per topic
    (the interface of pgcompare.Events)."""

    def __init__(self, outdir):
        self.outdir = outdir
        self.by_topic = {}
        self.schemas = {}
        self.problems = []
        self.fallbacks = {}
        self.slow_files = []
        for topic, paths in sorted(pgcompare.list_files(outdir).items()):
            lst = self.by_topic.setdefault(topic, [])
            self.fallbacks[topic] = 0
            for p in paths:
                try:
                    f = FastOcf(p)
                except FileNotFoundError:
                    alt = p[:-5] if p.endswith(".part") else p
                    if not os.path.exists(alt):
                        continue
                    f = FastOcf(alt)
                if f.slow:
                    self.slow_files.append(f.path)
                for kind, msg in f.problems:
                    self.problems.append((f.path, kind, msg))
                if f.schema_json:
                    self.schemas.setdefault(topic, {}).setdefault(f.schema_json, []).append(f.path)
                for i, r in enumerate(f.records):
                    lst.append((f.path, i, r))

    def count(self, topic=None):
        if topic:
            return len(self.by_topic.get(topic, []))
        return sum(len(v) for v in self.by_topic.values())

    def records(self, topic):
        return [r for _, _, r in self.by_topic.get(topic, [])]

    def serious_problems(self, allow_torn_part=True):
        return [(p, k, m) for p, k, m in self.problems
                if not (k == "torn-tail" and allow_torn_part and p.endswith(".part"))]


# ----------------------------------------------------------------------
# Databases
# ----------------------------------------------------------------------

class Db:
    """psycopg2 (dsn) or pymysql (unix socket), autocommit off."""

    def __init__(self, dsn=None, socket=None, user="root"):
        self.pg = dsn is not None
        if self.pg:
            import psycopg2
            self.conn = psycopg2.connect(dsn)
        else:
            import pymysql
            self.conn = pymysql.connect(unix_socket=socket, user=user, database="cdc",
                                        autocommit=False, charset="utf8mb4")
        self.cur = self.conn.cursor()

    def q(self, table):
        """public.big -> public.big (PG) / cdc.big -> `cdc`.`big`."""
        if self.pg:
            return table
        return ".".join("`%s`" % p for p in table.split("."))

    def keys(self, table):
        self.cur.execute("SELECT id FROM %s" % self.q(table))
        ks = [r[0] for r in self.cur.fetchall()]
        self.conn.commit()
        return ks

    def pos_after(self):
        """The position a reader must pass to have everything committed so far."""
        if self.pg:
            self.cur.execute("SELECT pg_current_wal_insert_lsn()")
            return self.cur.fetchone()[0]
        self.cur.execute("SHOW MASTER STATUS")
        r = self.cur.fetchone()
        return "%s %s" % (r[0], r[1])


# ----------------------------------------------------------------------
# load
# ----------------------------------------------------------------------

class KeySet:
    """A set with O(1) random choice and removal."""

    def __init__(self, keys=()):
        self.lst = list(keys)
        self.idx = {k: i for i, k in enumerate(self.lst)}

    def __len__(self):
        return len(self.lst)

    def __contains__(self, k):
        return k in self.idx

    def add(self, k):
        if k not in self.idx:
            self.idx[k] = len(self.lst)
            self.lst.append(k)

    def remove(self, k):
        i = self.idx.pop(k)
        last = self.lst.pop()
        if i < len(self.lst):
            self.lst[i] = last
            self.idx[last] = i

    def choice(self, rnd):
        return self.lst[rnd.randrange(len(self.lst))]

    def clear(self):
        self.lst, self.idx = [], {}


def cmd_load(a):
    rnd = random.Random(a.seed)
    db = Db(a.dsn, a.socket)
    tables, weights = [], []
    for spec in a.table:
        name, _, w = spec.partition("=")
        tables.append(name)
        weights.append(float(w or 1))
    state = {}
    for t in tables:
        ks = db.keys(t)
        state[t] = {"live": KeySet(ks), "gone": KeySet(), "next": (max(ks) if ks else 0) + 1}
    truncs = []
    for spec in a.truncate or []:
        t, _, at = spec.partition("@")
        at, _, n = at.partition(":")
        truncs.append([t, float(at or 0), False, int(n or 50)])
    seq = a.phase * 1000000000
    log = open(a.log, "a")
    stats = collections.Counter()
    t0 = time.time()
    ntx = 0

    def ins(t, k, seq):
        db.cur.execute("INSERT INTO %s (id, name, amount, qty, note, seq) VALUES (%%s, %%s, %%s, %%s, %%s, %%s)"
                       % db.q(t), (k, "new %d" % k, decimal.Decimal(rnd.randrange(-10**6, 10**6)) / 100,
                                   rnd.randrange(1000), "n%d" % seq + "x" * rnd.randrange(0, 200), seq))

    def one_change(t):
        nonlocal seq
        st = state[t]
        live, gone = st["live"], st["gone"]
        seq += 1
        r = rnd.random()
        if len(live) < 20 or r < 0.22:
            k = st["next"]
            st["next"] += 1
            ins(t, k, seq)
            live.add(k)
            return [("c", t, k, seq)]
        if r < 0.32 and len(gone):
            k = gone.choice(rnd)
            gone.remove(k)
            ins(t, k, seq)
            live.add(k)
            return [("c", t, k, seq)]
        if r < 0.72:
            k = live.choice(rnd)
            db.cur.execute("UPDATE %s SET seq = %%s, qty = qty + 1, amount = %%s, note = %%s WHERE id = %%s" % db.q(t),
                           (seq, decimal.Decimal(rnd.randrange(-10**6, 10**6)) / 100,
                            "u%d" % seq + "y" * rnd.randrange(0, 300), k))
            return [("u", t, k, seq)]
        if r < 0.77:
            k = live.choice(rnd)
            nk = st["next"]
            st["next"] += 1
            db.cur.execute("UPDATE %s SET id = %%s, seq = %%s WHERE id = %%s" % db.q(t), (nk, seq, k))
            live.remove(k)
            gone.add(k)
            live.add(nk)
            return [("u", t, nk, seq)]
        k = live.choice(rnd)
        db.cur.execute("DELETE FROM %s WHERE id = %%s" % db.q(t), (k,))
        live.remove(k)
        gone.add(k)
        return [("d", t, k, None)]

    def commit(changes):
        db.conn.commit()
        for op, t, k, s in changes:
            log.write("%d %s %s %s %s\n" % (a.phase, op, t, "-" if k is None else k, "-" if s is None else s))
            stats[op] += 1
        log.flush()

    while True:
        el = time.time() - t0
        if (a.seconds and el >= a.seconds) or (a.until and os.path.exists(a.until)):
            if sum(stats.values()) >= a.min_changes:
                break
        changes = []
        for tr in truncs:
            if not tr[2] and el >= tr[1]:
                tr[2] = True
                t = tr[0]
                db.cur.execute("TRUNCATE %s" % db.q(t))
                changes.append(("t", t, None, None))
                st = state[t]
                for k in st["live"].lst:
                    st["gone"].add(k)
                st["live"].clear()
                first, n = st["next"], tr[3]
                st["next"] += n
                rows = []
                for k in range(first, first + n):
                    seq += 1
                    rows.append((k, "refill %d" % k, decimal.Decimal(k % 100000) / 100, k % 10, "r%d" % seq, seq))
                    st["live"].add(k)
                    changes.append(("c", t, k, seq))
                sql = "INSERT INTO %s (id, name, amount, qty, note, seq) VALUES " % db.q(t)
                if db.pg:
                    import psycopg2.extras
                    psycopg2.extras.execute_values(db.cur, sql + "%s", rows, page_size=1000)
                else:
                    db.cur.executemany(sql + "(%s, %s, %s, %s, %s, %s)", rows)
        for _ in range(rnd.randint(1, 10)):
            t = rnd.choices(tables, weights)[0]
            changes.extend(one_change(t))
        commit(changes)
        ntx += 1
        ahead = ntx / a.tps - (time.time() - t0)
        if ahead > 0:
            time.sleep(min(ahead, 0.5))
    # the marker: one more insert into the first table, and the position
    t = tables[0]
    st = state[t]
    seq += 1
    k = st["next"]
    st["next"] += 1
    ins(t, k, seq)
    pos = db.pos_after() if db.pg else None
    commit([("c", t, k, seq)])
    if not db.pg:
        pos = db.pos_after()
    if a.pos_out:
        with open(a.pos_out, "w") as fh:
            fh.write("%s\n" % pos)
    log.close()
    print("load phase %d: %d changes (%s) in %d transactions over %.1fs on %s; marker %s id %d, position %s" % (
        a.phase, sum(stats.values()), ", ".join("%s %d" % kv for kv in sorted(stats.items())),
        ntx + 1, time.time() - t0, ", ".join(tables), t, k, pos))
    return 0


# ----------------------------------------------------------------------
# ckpt
# ----------------------------------------------------------------------

def read_ckpt(path):
    """{table: (state, rows, cursor tuple or None)} from the snapshot lines."""
    out = {}
    try:
        with open(path) as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        k, sep, v = line.partition("=")
        if not sep or k.strip() != "snapshot":
            continue
        w = v.split()
        if len(w) < 2:
            continue
        state, table = w[0], urllib.parse.unquote(w[1])
        rows = int(w[2]) if len(w) > 2 and w[2].isdigit() else 0
        cur = None
        if len(w) > 3:
            cur = tuple(urllib.parse.unquote(x) for x in w[3].split(","))
        out[table] = (state, rows, cur)
    return out


def cmd_ckpt(a):
    c = read_ckpt(a.file)
    if c is None:
        return 1
    if a.done:
        return 0 if all(c.get(t, ("",))[0] == "done" for t in a.done.split(",")) else 1
    if a.table:
        if a.table not in c:
            return 1
        s, rows, cur = c[a.table]
        print("%s %d %s" % (s, rows, ",".join(cur) if cur else "-"))
        return 0
    for t, (s, rows, cur) in c.items():
        print("%s %s %d %s" % (s, t, rows, ",".join(cur) if cur else "-"))
    return 0


# ----------------------------------------------------------------------
# check
# ----------------------------------------------------------------------

class Report:
    def __init__(self):
        self.fails = 0

    def info(self, msg):
        print("    " + msg)

    def fail(self, msg):
        self.fails += 1
        print("FAIL: " + msg)

    def check(self, ok, msg):
        if not ok:
            self.fail(msg)
        return ok


def _key_of(img):
    return img.get("id") if img else None


class Run:
    def __init__(self, start):
        self.start = start          # index of the first r in the table's list
        self.end = None             # index of the "last" r
        self.rkeys = collections.Counter()
        self.first_r = {}           # key -> index of its first r in the run
        self.order_breaks = []      # (index, previous key, key)
        self.prev = None
        self.nlast = 0
        self.last_key = None
        self.max_key = None
        self.ts = []                # envelope ts_ms of its r events
        self.lastr = start          # index of its latest r
        self.lastflag = None
        self.unterminated = False   # no "last" row


def analyse_table(rep, recs, paths, topic, resume_cursor=None):
    """Flags and runs of one table's events (in order). A run ends at its
    "last" row; r events that go back to a lower key start a new run (the
    previous one never got its "last" row), except, in the first run, the
    step back to just above the resume cursor after a restart."""
    runs, cur = [], None
    bad_flag = collections.Counter()
    examples = {}
    for i, r in enumerate(recs):
        op = r.get("op")
        snap = (r.get("source") or {}).get("snapshot")
        if op == "r":
            if snap not in ("true", "last"):
                bad_flag["r with snapshot %r" % snap] += 1
                examples.setdefault("r with snapshot %r" % snap, i)
            if r.get("before") is not None or r.get("after") is None:
                bad_flag["r with a before image or without an after image"] += 1
                examples.setdefault("r with a before image or without an after image", i)
            k = _key_of(r.get("after"))
            if cur is not None and cur.prev is not None and k <= cur.prev:
                if len(runs) == 1 and resume_cursor is not None and k > resume_cursor \
                        and not cur.order_breaks:
                    cur.order_breaks.append((i, cur.prev, k))
                else:
                    rep.fail("%s: r events go back from key %r to key %r at event #%d (%s) without a \"last\" row before: "
                             "the snapshot run of events #%d..#%d (%d r events, keys %r..%r, final r flagged %r) never "
                             "ended with a \"last\" row (or the rows are not in key order)" % (
                                 topic, cur.prev, k, i, os.path.basename(paths[i]), cur.start, cur.lastr,
                                 sum(cur.rkeys.values()), min(cur.rkeys), cur.max_key, cur.lastflag))
                    cur.unterminated = True
                    cur = None
            if cur is None:
                cur = Run(i)
                runs.append(cur)
            cur.prev = k
            cur.lastr = i
            cur.lastflag = snap
            cur.rkeys[k] += 1
            cur.first_r.setdefault(k, i)
            cur.max_key = k if cur.max_key is None else max(cur.max_key, k)
            cur.ts.append(r.get("ts_ms"))
            if snap == "last":
                cur.nlast += 1
                cur.end = i
                cur.last_key = k
                cur = None
        else:
            if snap != "false":
                bad_flag["%s with snapshot %r" % (op, snap)] += 1
                examples.setdefault("%s with snapshot %r" % (op, snap), i)
    for what, n in bad_flag.items():
        rep.fail("%s: %d event(s) %s (first at event #%d, %s)" % (
            topic, n, what, examples.get(what, -1), os.path.basename(paths[examples.get(what, 0)])))
    if cur is not None:
        rep.fail("%s: the snapshot run that starts at event #%d (%d r events, keys %r..%r, final r #%d flagged %r) never ends with a \"last\" row" % (
            topic, cur.start, sum(cur.rkeys.values()), min(cur.rkeys), cur.max_key, cur.lastr, cur.lastflag))
        cur.unterminated = True
    for run in runs:
        if run.end is None:
            run.end = run.lastr
    return runs


def cmd_check(a):
    rep = Report()
    t0 = time.time()
    ev = Events(a.dir)
    tables = [t.strip() for t in a.tables.split(",") if t.strip()]
    rep.info("read %d records in %d topic(s) in %.1fs%s" % (
        ev.count(), len(ev.by_topic), time.time() - t0,
        "; %d file(s) decoded by python-avro alone (fast reader disagreed or unsupported)" % len(ev.slow_files)
        if ev.slow_files else ""))
    for p, k, m in ev.serious_problems(allow_torn_part=True):
        rep.fail("file %s: %s: %s" % (p, k, m))
    torn = [p for p, k, _ in ev.problems if k == "torn-tail"]
    if torn:
        rep.info("%d torn .part tail(s) (left by a SIGKILL; allowed)" % len(torn))

    # logged changes
    expected = collections.Counter()
    touched = {}            # table -> {key: last phase that touched it}
    for fn in a.changes or []:
        for line in open(fn):
            w = line.split()
            if len(w) != 5:
                continue
            ph, op, t, k, s = int(w[0]), w[1], w[2], w[3], w[4]
            kk = None if k == "-" else int(k)
            ss = None if s == "-" else int(s)
            if op == "d":
                ss = None
            expected[(op, t, kk, ss)] += 1
            if kk is not None:
                d = touched.setdefault(t, {})
                d[kk] = max(d.get(kk, 0), ph)
    runs_spec = {}
    for spec in (a.runs or "").split(","):
        if spec.strip():
            t, _, ph = spec.partition("=")
            runs_spec[t.strip()] = [int(x) for x in ph.split("+") if x]
    resume = {}
    for spec in a.resume or []:
        t, cur, lst = spec.split(":", 2)
        names = {ln.strip().replace(".avro.part", ".avro") for ln in open(lst) if ln.strip()}
        resume[t] = (tuple(int(x) for x in urllib.parse.unquote(cur).split(",")), names)

    db = Db(a.dsn, a.socket)
    delivered = collections.Counter()
    table_runs = {}
    table_events = {}
    for t in tables:
        schema, name = t.split(".", 1)
        topic = "%s.%s.%s" % (a.source, schema, name)
        lst = ev.by_topic.get(topic, [])
        recs = [r for _, _, r in lst]
        paths = [p for p, _, _ in lst]
        table_events[t] = (recs, paths)
        nr = sum(1 for r in recs if r["op"] == "r")
        rep.info("%s: %d events (%d r, %d c, %d u, %d d, %d t) in %d file(s)" % (
            topic, len(recs), nr, sum(1 for r in recs if r["op"] == "c"),
            sum(1 for r in recs if r["op"] == "u"), sum(1 for r in recs if r["op"] == "d"),
            sum(1 for r in recs if r["op"] == "t"), len(set(paths))))
        for r in recs:
            op = r["op"]
            if op == "r":
                continue
            if op == "t":
                delivered[("t", t, None, None)] += 1
            elif op == "d":
                delivered[("d", t, _key_of(r["before"]), None)] += 1
            else:
                img = r["after"]
                delivered[(op, t, img["id"], img.get("seq"))] += 1
        runs = analyse_table(rep, recs, paths, topic, resume[t][0][0] if t in resume else None)
        table_runs[t] = runs
        want = runs_spec.get(t)
        if want is not None and len(runs) != len(want):
            rep.fail("%s: %d snapshot run(s) in the output (%d closed by a \"last\" row), expected %d (phases %s)" % (
                topic, len(runs), sum(1 for r in runs if not r.unterminated), len(want), "+".join(map(str, want)) or "none"))
        if want is None:
            want = []
        dbkeys = set(db.keys(t))
        tch = touched.get(t, {})
        for ri, run in enumerate(runs):
            phase = want[ri] if ri < len(want) else 0
            label = "%s run %d%s" % (topic, ri + 1, " (phase %d)" % phase if phase else "")
            nkeys = len(run.rkeys)
            nr = sum(run.rkeys.values())
            rep.info("%s: %d r events of %d keys (%r..%r), events #%d..#%d" % (
                label, nr, nkeys, min(run.rkeys), run.max_key, run.start, run.end))
            if not run.unterminated:
                rep.check(run.last_key == run.max_key,
                          "%s: the \"last\" row has key %r, but the run's highest key is %r" % (label, run.last_key, run.max_key))
            res = resume.get(t) if ri == 0 else None
            cursor = res[0][0] if res else None
            dups = {k: n for k, n in run.rkeys.items() if n > 1}
            bad_dups = {k: n for k, n in dups.items() if cursor is None or k <= cursor}
            ok_dups = {k: n for k, n in dups.items() if k not in bad_dups}
            if bad_dups:
                ex = sorted(bad_dups.items())[:10]
                rep.fail("%s: %d key(s) read more than once%s, e.g. %s" % (
                    label, len(bad_dups), " at or below the resume cursor %r" % cursor if res else "",
                    ", ".join("%r x%d" % kv for kv in ex)))
            if ok_dups:
                rep.info("%s: %d key(s) above the resume cursor emitted twice (after the last checkpoint, before the kill: allowed)" % (
                    label, len(ok_dups)))
            # every key in the table now, untouched since this run's phase, read once
            untouched = [k for k in dbkeys if tch.get(k, 0) < (phase or 10**9)]
            missing = sorted(k for k in untouched if run.rkeys.get(k, 0) == 0)
            if phase:
                rep.info("%s: %d keys in the table that no change of phase >= %d touched; %d of them have no r event" % (
                    label, len(untouched), phase, len(missing)))
                if not untouched and ri == len(runs) - 1:
                    rep.fail("%s: no untouched key to check the run against (the test touched every row?)" % label)
                if missing:
                    rep.fail("%s: %d untouched row(s) in the table were never read by the snapshot, e.g. keys %r" % (
                        label, len(missing), missing[:10]))
            if res:
                check_resume(rep, label, run, recs, paths, res, untouched)
        for c in a.concurrent or []:
            check_concurrent(rep, c, t, topic, runs, recs, hard=True)
        for c in a.concurrent_soft or []:
            check_concurrent(rep, c, t, topic, runs, recs, hard=False)

    # --flowing
    for spec in a.flowing or []:
        t, _, others = spec.partition(":")
        runs = table_runs.get(t) or []
        if not runs:
            rep.fail("--flowing %s: the table has no snapshot run" % t)
            continue
        run = runs[-1]
        lo, hi = min(run.ts), max(run.ts)
        rep.info("%s: its last snapshot run was written between ts_ms %d and %d (%.1f s)" % (t, lo, hi, (hi - lo) / 1000.0))
        if hi - lo < 500:
            rep.fail("--flowing %s: the snapshot took %.2f s, too short to tell whether other tables' changes flowed meanwhile (throttle ignored?)" % (t, (hi - lo) / 1000.0))
            continue
        for o in others.split("+"):
            recs, _ = table_events.get(o, ([], []))
            inside = [r for r in recs if r["op"] != "r" and lo <= r["ts_ms"] <= hi]
            lag = max((r["ts_ms"] - r["source"]["ts_ms"] for r in inside), default=0)
            rep.info("%s: %d stream event(s) written while %s was snapshotted (max commit-to-write lag %.1f s)" % (
                o, len(inside), t, lag / 1000.0))
            rep.check(len(inside) > 0, "%s: no stream event written while %s was being snapshotted: did its stream stop?" % (o, t))

    # changes
    if a.changes:
        missing = expected - delivered
        phantom = [k for k in delivered if k not in expected]
        ndup = sum(max(0, delivered[k] - expected[k]) for k in expected)
        rep.info("changes: %d logged, %d stream events delivered, %d extra deliveries (replay after a restart)" % (
            sum(expected.values()), sum(delivered.values()), ndup))
        if missing:
            ex = sorted(missing.items(), key=lambda kv: str(kv))[:10]
            rep.fail("%d logged change(s) missing from the output, e.g. %s" % (
                sum(missing.values()), "; ".join("%r x%d" % kv for kv in ex)))
        if phantom:
            rep.fail("%d stream event(s) match no logged change, e.g. %r" % (len(phantom), phantom[:10]))

    # rebuild
    out = []
    if db.pg:
        conn = pgcompare.connect(a.dsn)
        for t in tables:
            if pgcompare.compare_table(conn, ev, a.source, t, False, set(), out):
                rep.fails += 1
    else:
        import mycompare
        conn = mycompare.connect(argparse.Namespace(socket=a.socket, user="root", password=""))
        for t in tables:
            if mycompare.compare_table(conn, ev, a.source, t, out):
                rep.fails += 1
    for line in out:
        if line.startswith("  NOTE"):
            continue        # the deletes counted below
        if line.startswith("  ") and not line.startswith("  ok"):
            print("FAIL: rebuild:" + line)
        else:
            rep.info("rebuild: " + line.strip())
    for t in tables:
        live, unseen = set(), 0
        for r in table_events[t][0]:
            op = r["op"]
            if op in ("r", "c", "u"):
                if op == "u" and r.get("before") and _key_of(r["before"]) != r["after"]["id"]:
                    live.discard(_key_of(r["before"]))
                live.add(r["after"]["id"])
            elif op == "d":
                k = _key_of(r["before"])
                if k not in live:
                    unseen += 1
                live.discard(k)
            elif op == "t":
                live.clear()
        if unseen:
            rep.info("rebuild: %s: %d delete(s) of a key with no earlier event (rows deleted before their chunk was read: fine)" % (t, unseen))
    rep.info("verdict: %s (%.1fs)" % ("ok" if not rep.fails else "%d problem(s)" % rep.fails, time.time() - t0))
    return 1 if rep.fails else 0


def check_resume(rep, label, run, recs, paths, res, untouched):
    (cursor, *_), names = res
    pre = collections.Counter()
    post = collections.Counter()
    for i in range(run.start, run.end + 1):
        r = recs[i]
        if r["op"] != "r":
            continue
        k = r["after"]["id"]
        if os.path.basename(paths[i]).replace(".avro.part", ".avro") in names:
            pre[k] += 1
        else:
            post[k] += 1
    again = sorted(k for k in post if k <= cursor)
    rep.info("%s: resume cursor %r: %d r events before the kill (%d keys <= cursor), %d after the restart (keys %r..%r)" % (
        label, cursor, sum(pre.values()), sum(1 for k in pre if k <= cursor), sum(post.values()),
        min(post) if post else None, max(post) if post else None))
    rep.check(sum(post.values()) > 0, "%s: no r event after the restart: the snapshot did not go on" % label)
    rep.check(sum(1 for k in pre if k <= cursor) > 0,
              "%s: no r event at or below the cursor %r before the kill: the kill was not mid-snapshot" % (label, cursor))
    if again:
        rep.fail("%s: the snapshot started over: %d key(s) <= the checkpoint cursor %r read again after the restart, e.g. %r" % (
            label, len(again), cursor, again[:10]))
    lost = sorted(k for k in untouched if k <= cursor and pre.get(k, 0) != 1)
    if lost:
        rep.fail("%s: %d untouched key(s) <= the cursor %r are not exactly once in the files written before the kill "
                 "(the checkpoint claimed rows that were not durable?), e.g. %r" % (
                     label, len(lost), cursor, [(k, pre.get(k, 0)) for k in lost[:10]]))


def check_concurrent(rep, spec, t, topic, runs, recs, hard):
    name, _, ri = spec.partition(":")
    if name != t:
        return
    ri = int(ri or 1)
    if ri > len(runs):
        rep.fail("--concurrent %s: no run %d" % (spec, ri))
        return
    run = runs[ri - 1]
    behind = ahead_read = ahead_never = 0
    for i in range(run.start, run.end + 1):
        r = recs[i]
        op = r["op"]
        if op == "r" or op == "t":
            continue
        keys = {_key_of(r.get("before")), _key_of(r.get("after"))} - {None}
        for k in keys:
            if k > run.max_key:
                continue
            fr = run.first_r.get(k)
            if fr is not None and fr < i:
                behind += 1
            elif fr is not None:
                ahead_read += 1
            else:
                ahead_never += 1
    msg = ("%s run %d: while it ran the stream changed %d row(s) already read (behind the snapshot), "
           "%d row(s) before their chunk was read, and %d row(s) in the key range that the run never read (deleted/moved/dropped)" % (
               topic, ri, behind, ahead_read, ahead_never))
    rep.info(msg)
    if hard:
        rep.check(behind > 0 and ahead_read + ahead_never > 0,
                  "%s run %d: the load did not change rows both behind and ahead of the snapshot while it ran: the test proves nothing about concurrency" % (topic, ri))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    ld = sub.add_parser("load")
    ld.add_argument("--dsn")
    ld.add_argument("--socket")
    ld.add_argument("--phase", type=int, required=True)
    ld.add_argument("--log", required=True)
    ld.add_argument("--table", action="append", required=True)
    ld.add_argument("--seconds", type=float, default=0)
    ld.add_argument("--until")
    ld.add_argument("--tps", type=float, default=40)
    ld.add_argument("--seed", type=int, default=1)
    ld.add_argument("--truncate", action="append")
    ld.add_argument("--pos-out")
    ld.add_argument("--min-changes", type=int, default=0)
    ck = sub.add_parser("ckpt")
    ck.add_argument("--file", required=True)
    ck.add_argument("--table")
    ck.add_argument("--done")
    c = sub.add_parser("check")
    c.add_argument("--dir", required=True)
    c.add_argument("--source", required=True)
    c.add_argument("--tables", required=True)
    c.add_argument("--dsn")
    c.add_argument("--socket")
    c.add_argument("--changes", action="append")
    c.add_argument("--runs")
    c.add_argument("--resume", action="append")
    c.add_argument("--concurrent", action="append")
    c.add_argument("--concurrent-soft", action="append")
    c.add_argument("--flowing", action="append")
    a = ap.parse_args(argv)
    if a.cmd in ("load", "check") and bool(a.dsn) == bool(a.socket):
        ap.error("give exactly one of --dsn and --socket")
    return {"load": cmd_load, "ckpt": cmd_ckpt, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
