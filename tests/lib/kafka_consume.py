#!/usr/bin/python3
"""kafka_consume.py -- read rowcast's Kafka output and check it independently.

Reads topics from the beginning with confluent_kafka (Debian's
python3-confluent-kafka), maps Avro fingerprints to schemas from the schemas
topic (key = 16 lower-case hex digits, value = schema JSON), and decodes
keys and values written in Avro single-object encoding (0xC3 0x01, 8-byte
little-endian CRC-64-AVRO fingerprint of the schema's Parsing Canonical
Form, Avro binary) with Debian's python3-avro. Everything that could hide a
sink bug is recomputed here, independently of rowcast:

  * CRC-64-AVRO (Rabin) of the parsed schema's canonical form must equal the
    fingerprint in the message and the schemas topic's key;
  * Java's murmur2 partitioner: partition == (murmur2(raw key) & 0x7fffffff)
    % partitions for every message with a key;
  * the whole payload is consumed by the decoder (no trailing bytes);
  * a schema message is produced no later (CreateTime) than the first event
    that uses it.

Usage (always /usr/bin/python3):
  kafka_consume.py consume -b BOOTSTRAP [--prefix shop | -t TOPIC ...]
        [--schemas-topic T] [--count N] [--idle SEC] [--timeout SEC]
        [--follow] [--out FILE]
      One JSON line per event message:
        {topic, partition, offset, key, value, headers, fingerprint, ts}
      (value null for a tombstone). Stops when N event messages arrived, or
      after SEC seconds without a message (--idle, default 5), or at
      --timeout. --follow runs until SIGTERM, picks up new topics, and
      flushes every line (for counting while a load runs). Violations go to
      stderr as "VIOLATION: ..."; exit 1 if any, 2 if --count was not
      reached, else 0.
  kafka_consume.py compare -b BOOTSTRAP --prefix shop --dsn DSN
        --tables public.a,public.b [--count N] [--timeout SEC] [--idle-stop --idle SEC]
      Reads every partition to its end (the high watermark; --idle-stop:
      until --idle seconds pass without a message instead), replays each
      table's events like pgcompare.py and compares the result with
      PostgreSQL value by value (pgcompare's rules).
  kafka_consume.py selftest      murmur2 and CRC-64-AVRO against known vectors

  --registry URL [--registry-auth USER:PASSWORD] (consume, compare): the
      messages are in the Confluent wire format instead (0x00, 4-byte
      big-endian schema id, Avro binary); each id is resolved with
      GET URL/schemas/ids/{id} and no schemas topic is read. The "fingerprint"
      of an output line is then the schema id (as 16 hex digits).

Importable: collect(...) returns decoded messages (Python values) and the
list of violations; murmur2(), crc64_avro().
"""

import argparse
import base64
import io
import json
import os
import signal
import struct
import sys
import time
import urllib.request
import warnings

warnings.simplefilter("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import avro.io  # noqa: E402
import avro.schema  # noqa: E402

import pgcompare  # noqa: E402  (its Decoder: dates beyond python's range)

# ----------------------------------------------------------------------
# CRC-64-AVRO (the Avro specification's Rabin fingerprint)
# ----------------------------------------------------------------------

CRC64_EMPTY = 0xC15D213AA4D7A795
_CRC64_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (CRC64_EMPTY & -(_fp & 1))
    _CRC64_TABLE.append(_fp)


def crc64_avro(data):
    fp = CRC64_EMPTY
    for b in data:
        fp = (fp >> 8) ^ _CRC64_TABLE[(fp ^ b) & 0xFF]
    return fp


# ----------------------------------------------------------------------
# Parsing Canonical Form (Avro specification), written here from the spec:
# python-avro 1.11.1's Schema.canonical_form keeps a primitive with a
# logicalType as {"type":"int"}, where [PRIMITIVES] requires "int", so its
# fingerprints differ from Java's SchemaNormalization for logical types.
# ----------------------------------------------------------------------

PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


def _fullname(name, ns):
    if "." in name or not ns:
        return name
    return ns + "." + name


def _pcf(node, ns):
    if isinstance(node, str):
        return node if node in PRIMITIVES else _fullname(node, ns)
    if isinstance(node, list):
        return [_pcf(x, ns) for x in node]
    t = node["type"]
    if not isinstance(t, str):
        return _pcf(t, ns)
    if t in PRIMITIVES:
        return t
    if t in ("record", "error", "enum", "fixed"):
        name = node["name"]
        if "." not in name and node.get("namespace"):
            name = node["namespace"] + "." + name
        else:
            name = _fullname(name, ns)
        inner = name.rsplit(".", 1)[0] if "." in name else ""
        out = {"name": name, "type": "record" if t == "error" else t}
        if t in ("record", "error"):
            out["fields"] = [{"name": f["name"], "type": _pcf(f["type"], inner)} for f in node["fields"]]
        elif t == "enum":
            out["symbols"] = node["symbols"]
        else:
            out["size"] = node["size"]
        return out
    if t == "array":
        return {"type": "array", "items": _pcf(node["items"], ns)}
    if t == "map":
        return {"type": "map", "values": _pcf(node["values"], ns)}
    return _fullname(t, ns)      # {"type": "SomeNamedType"}


def canonical_form(schema_json):
    """Parsing Canonical Form of a schema's JSON text, as UTF-8 bytes."""
    return json.dumps(_pcf(json.loads(schema_json), ""), separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


# ----------------------------------------------------------------------
# Java's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as int32
# ----------------------------------------------------------------------

def murmur2(data):
    m32 = 0xFFFFFFFF
    length = len(data)
    m = 0x5BD1E995
    h = (0x9747B28C ^ length) & m32
    for i in range(length // 4):
        k = data[4 * i] | (data[4 * i + 1] << 8) | (data[4 * i + 2] << 16) | (data[4 * i + 3] << 24)
        k = (k * m) & m32
        k ^= k >> 24
        k = (k * m) & m32
        h = (h * m) & m32
        h ^= k
    tail = length & ~3
    rem = length % 4
    if rem == 3:
        h ^= data[tail + 2] << 16
    if rem >= 2:
        h ^= data[tail + 1] << 8
    if rem >= 1:
        h ^= data[tail]
        h = (h * m) & m32
    h ^= h >> 13
    h = (h * m) & m32
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def java_partition(key, partitions):
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def selftest():
    # Kafka's UtilsTest.testMurmur2
    cases = {b"21": -973932308, b"foobar": -790332482,
             b"a-little-bit-long-string": -985981536,
             b"a-little-bit-longer-string": -1486304829,
             b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
             b"abc": 479470107}
    bad = 0
    for k, v in cases.items():
        if murmur2(k) != v:
            print("murmur2(%r) = %d, expected %d" % (k, murmur2(k), v))
            bad += 1
    # Avro spec / Java SchemaNormalization: fingerprint64 of "null" and "int"
    for text, fp in (('"null"', 0x63DD24E7CC258F8A), ('"int"', 0x7275D51A3F395C8F)):
        got = crc64_avro(text.encode())
        if got != fp:
            print("crc64(%s) = %016x, expected %016x" % (text, got, fp))
            bad += 1
    print("selftest: %s" % ("ok" if not bad else "%d failure(s)" % bad))
    return 1 if bad else 0


# ----------------------------------------------------------------------
# Consuming
# ----------------------------------------------------------------------

def _headers(m):
    out = {}
    for k, v in m.headers() or []:
        out[k] = None if v is None else v.decode("utf-8", "replace")
    return out


class Collector:
    """Decodes event messages as their schemas become known."""

    def __init__(self, schemas_topic, registry=None, registry_auth=None):
        self.schemas_topic = schemas_topic
        self.registry = registry.rstrip("/") if registry else None
        self.registry_auth = registry_auth
        self.schemas = {}        # fingerprint int -> (schema, json text, ts ms)
        self.first_use = {}      # fingerprint -> ts ms of the first event using it
        self.pending = []        # raw messages waiting for a schema
        self.messages = []       # decoded event messages, in arrival order
        self.schema_msgs = []
        self.violations = []
        self.partitions = {}     # topic -> partition count

    def violation(self, msg):
        self.violations.append(msg)

    def add_schema(self, raw):
        where = "%s[%d]@%d" % (raw["topic"], raw["partition"], raw["offset"])
        self.schema_msgs.append(raw)
        k = raw["key"]
        try:
            ks = k.decode()
            if len(ks) != 16 or ks != ks.lower() or any(c not in "0123456789abcdef" for c in ks):
                raise ValueError
            fp = int(ks, 16)
        except (AttributeError, ValueError, UnicodeDecodeError):
            self.violation("schemas topic %s: key %r is not 16 lower-case hex digits" % (where, k))
            return
        if raw["value"] is None:
            self.violation("schemas topic %s: null value for fingerprint %s" % (where, ks))
            return
        text = raw["value"].decode()
        try:
            s = avro.schema.parse(text)
        except Exception as e:  # noqa: any parse failure is a finding
            self.violation("schemas topic %s: python-avro cannot parse the schema of %s: %s" % (where, ks, e))
            return
        canon = canonical_form(text)
        got = crc64_avro(canon)
        if got != fp:
            self.violation("schemas topic %s: key %s but CRC-64-AVRO of the canonical form is %016x (canonical: %s)"
                           % (where, ks, got, canon[:300].decode()))
        if fp not in self.schemas:
            self.schemas[fp] = (s, text, raw["ts"])

    def registry_schema(self, sid):
        """The parsed schema of registry id sid (cached), or raises."""
        ent = self.schemas.get(sid)
        if ent is None:
            req = urllib.request.Request("%s/schemas/ids/%d" % (self.registry, sid))
            if self.registry_auth:
                req.add_header("Authorization", "Basic " + base64.b64encode(
                    self.registry_auth.encode()).decode())
            with urllib.request.urlopen(req, timeout=10) as r:
                text = json.load(r)["schema"]
            ent = (avro.schema.parse(text), text, None)
            self.schemas[sid] = ent
        return ent[0]

    def _decode_confluent(self, blob, what, where):
        if len(blob) < 5 or blob[0] != 0:
            raise ValueError("%s of %s: no Confluent header (starts %s)" % (what, where, blob[:5].hex()))
        sid = struct.unpack(">I", blob[1:5])[0]
        try:
            s = self.registry_schema(sid)
        except Exception as e:  # noqa: an unknown id is a finding
            raise ValueError("%s of %s: schema id %d: %s" % (what, where, sid, e))
        bio = io.BytesIO(blob[5:])
        v = avro.io.DatumReader(s, s).read(pgcompare.Decoder(bio))
        left = len(blob) - 5 - bio.tell()
        if left:
            raise ValueError("%s of %s: %d byte(s) left after the Avro datum" % (what, where, left))
        return v, sid

    def _decode(self, blob, what, where):
        """(value, fingerprint) or raises ValueError."""
        if self.registry:
            return self._decode_confluent(blob, what, where)
        if len(blob) < 10 or blob[0] != 0xC3 or blob[1] != 0x01:
            raise ValueError("%s of %s: no single-object header (starts %s)" % (what, where, blob[:10].hex()))
        fp = struct.unpack("<Q", blob[2:10])[0]
        ent = self.schemas.get(fp)
        if ent is None:
            return None, fp
        s = ent[0]
        bio = io.BytesIO(blob[10:])
        v = avro.io.DatumReader(s, s).read(pgcompare.Decoder(bio))
        left = len(blob) - 10 - bio.tell()
        if left:
            raise ValueError("%s of %s: %d byte(s) left after the Avro datum" % (what, where, left))
        return v, fp

    def add_event(self, raw):
        n = self.partitions.get(raw["topic"])
        if raw["key"] is not None and n:
            want = java_partition(raw["key"], n)
            if want != raw["partition"]:
                self.violation("%s[%d]@%d: key %s in partition %d, Java's murmur2 says %d of %d" % (
                    raw["topic"], raw["partition"], raw["offset"], raw["key"].hex(), raw["partition"], want, n))
        if not self._try(raw):
            self.pending.append(raw)

    def retry(self):
        """Decode the messages that wait for a schema. Called when a schema
        arrives, never per event message: with a big backlog the event
        partitions come in long before the schemas topic, and rescanning
        every waiting message for every new one is quadratic (at 80,000
        messages the old per-message rescan ran into --timeout with every
        message still waiting, and `compare` saw 0 events)."""
        self.pending = [raw for raw in self.pending if not self._try(raw)]

    def _try(self, raw):
        """Decode and emit raw; False when a schema is not known yet."""
        where = "%s[%d]@%d" % (raw["topic"], raw["partition"], raw["offset"])
        try:
            key = kfp = None
            if raw["key"] is not None:
                key, kfp = self._decode(raw["key"], "key", where)
                if key is None:
                    return False
            value = vfp = None
            if raw["value"] is not None:
                value, vfp = self._decode(raw["value"], "value", where)
                if value is None:
                    return False
        except Exception as e:  # noqa: decoding failures are findings
            self.violation("cannot decode %s: %s" % (where, e))
            return True
        for fp in (kfp, vfp):
            if fp is not None:
                self.first_use[fp] = min(self.first_use.get(fp, raw["ts"]), raw["ts"])
        d = dict(raw)
        d["raw_key"] = raw["key"]
        d["key"] = key
        d["value"] = value
        d["key_fp"] = kfp
        d["value_fp"] = vfp
        self.messages.append(d)
        self.emit(d)
        return True

    def emit(self, d):
        pass

    def finish(self):
        for raw in self.pending:
            fps = []
            for blob in (raw["key"], raw["value"]):
                if blob is not None and len(blob) >= 10:
                    fps.append("%016x" % struct.unpack("<Q", blob[2:10])[0])
            self.violation("%s[%d]@%d: fingerprint(s) %s not found in %s" % (
                raw["topic"], raw["partition"], raw["offset"],
                ", ".join(f for f in fps if int(f, 16) not in self.schemas), self.schemas_topic))
        self.pending = []
        for fp, ts in self.first_use.items():
            sts = self.schemas[fp][2]
            if sts is not None and ts is not None and sts > ts:
                self.violation("schema %016x produced at %d ms, after the first event that uses it (%d ms)"
                               % (fp, sts, ts))


def _raw(m):
    tstype, ts = m.timestamp()
    return {"topic": m.topic(), "partition": m.partition(), "offset": m.offset(),
            "key": m.key(), "value": m.value(), "headers": _headers(m),
            "ts": ts if tstype != 0 else None}


def collect(bootstrap, prefix=None, topics=None, schemas_topic=None, count=None,
            idle=5.0, timeout=120.0, follow=False, collector=None, stop=None,
            registry=None, registry_auth=None, to_end=False):
    """Consume from the beginning; return the Collector (messages, violations).

    to_end: stop once every partition has been read to its end (the
    partition EOF librdkafka reports at the high watermark) instead of after
    `idle` seconds without a message. For reading back what is already on
    the brokers (compare): an idle limit ends a read early when the machine
    is busy (a fetch of a big backlog can take longer than a few seconds),
    and the end offsets say exactly when everything has been read."""
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, KafkaError

    if schemas_topic is None and not registry:
        schemas_topic = (prefix + "._schemas") if prefix else None
    col = collector or Collector(schemas_topic)
    col.schemas_topic = schemas_topic
    if registry:
        col.registry = registry.rstrip("/")
        col.registry_auth = registry_auth
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kafka_consume-%d" % os.getpid(),
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "enable.partition.eof": bool(to_end), "log_level": 3,
                  "reconnect.backoff.ms": 100, "reconnect.backoff.max.ms": 1000,
                  "error_cb": lambda e: None})
    assigned = set()
    at_end = set()           # (topic, partition) read to the high watermark

    def refresh():
        md = c.list_topics(timeout=5)
        new = []
        for name, t in md.topics.items():
            if t.error is not None and not t.partitions:
                continue
            want = (topics and name in topics) or (prefix and name.startswith(prefix + ".")) or \
                (schemas_topic and name == schemas_topic)
            if prefix and name == prefix + "._dead_letter" and not (topics and name in topics):
                want = False     # dead letters are not events: read them with -t
            if registry and prefix and name == prefix + "._schemas":
                if (name, -1) not in assigned:
                    assigned.add((name, -1))
                    col.violation("registry mode, but a schemas topic %s exists" % name)
                want = False
            if not want:
                continue
            col.partitions[name] = len(t.partitions)
            for p in t.partitions:
                if (name, p) not in assigned:
                    assigned.add((name, p))
                    new.append(TopicPartition(name, p, OFFSET_BEGINNING))
        if new:
            c.incremental_assign(new)
        return bool(new)

    start = time.time()
    last_msg = time.time()
    last_refresh = 0.0
    try:
        while True:
            now = time.time()
            if stop is not None and stop():
                break
            if now - last_refresh >= 1.0:
                try:
                    if refresh():
                        last_msg = now
                except Exception:  # noqa: brokers may be down in follow mode
                    pass
                last_refresh = now
            if not follow:
                if count is not None and len(col.messages) >= count and not col.pending:
                    break
                if now - start >= timeout:
                    if to_end:
                        col.violation("timed out after %.0fs with %d of %d partition(s) read to the end" % (
                            timeout, len(at_end), len([a for a in assigned if a[1] >= 0])))
                    break
                if to_end:
                    parts = {a for a in assigned if a[1] >= 0}
                    if parts and parts <= at_end:
                        break
                elif now - last_msg >= idle:
                    break
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add((m.topic(), m.partition()))
                else:
                    col.violation("consumer error: %s" % m.error())
                continue
            at_end.discard((m.topic(), m.partition()))
            last_msg = time.time()
            raw = _raw(m)
            if raw["topic"] == schemas_topic:
                col.add_schema(raw)
                col.retry()
            else:
                col.add_event(raw)
    finally:
        c.close()
    col.finish()
    return col


# ----------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------

def jsonable(v):
    if isinstance(v, bytes):
        return v.hex()
    return pgcompare.jsonable(v)


def line(d):
    return json.dumps({"topic": d["topic"], "partition": d["partition"], "offset": d["offset"],
                       "key": jsonable(d["key"]), "value": jsonable(d["value"]),
                       "headers": d["headers"], "raw_key": jsonable(d["raw_key"]),
                       "fingerprint": "%016x" % d["value_fp"] if d["value_fp"] is not None else None,
                       "ts": d["ts"]}, sort_keys=True)


class StreamCollector(Collector):
    def __init__(self, schemas_topic, out):
        super().__init__(schemas_topic)
        self.out = out

    def emit(self, d):
        self.out.write(line(d) + "\n")
        self.out.flush()


class KafkaEvents:
    """Duck-types pgcompare.Events for compare_table()."""

    def __init__(self, col):
        self.by_topic = {}
        self.schemas = {}
        self.fallbacks = {}
        self.problems = []
        for d in sorted(col.messages, key=lambda d: (d["topic"], d["partition"], d["offset"])):
            if d["value"] is None:
                continue        # tombstone
            part = "%s[%d]" % (d["topic"], d["partition"])
            self.by_topic.setdefault(d["topic"], []).append((part, d["offset"], d["value"]))
            parts = self.schemas.setdefault(d["topic"], {}).setdefault(col.schemas[d["value_fp"]][1], [])
            if part not in parts:
                parts.append(part)       # pgcompare prints these as "file(s)": here partitions
        # events of one table may sit in several partitions: replay them in
        # source order (lsn, then order within the transaction)
        for t, lst in self.by_topic.items():
            lst.sort(key=lambda e: (e[2]["source"]["lsn"] or 0,
                                    (e[2].get("transaction") or {}).get("total_order") or 0))

    def records(self, topic):
        return [r for _, _, r in self.by_topic.get(topic, [])]


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("consume", "compare"):
        p = sub.add_parser(name)
        p.add_argument("-b", "--bootstrap", required=True)
        p.add_argument("--prefix")
        p.add_argument("-t", "--topic", action="append")
        p.add_argument("--schemas-topic")
        p.add_argument("--count", type=int)
        p.add_argument("--idle", type=float, default=5.0)
        p.add_argument("--timeout", type=float, default=120.0)
        p.add_argument("--registry")
        p.add_argument("--registry-auth")
        if name == "consume":
            p.add_argument("--follow", action="store_true")
            p.add_argument("--out")
        else:
            p.add_argument("--dsn", required=True)
            p.add_argument("--tables", required=True)
            p.add_argument("--source")
            p.add_argument("--schema-check", action="store_true")
            p.add_argument("--idle-stop", action="store_true",
                           help="stop after --idle seconds without a message instead of at the "
                                "partitions' ends (for topics still being written)")
    sub.add_parser("selftest")
    a = ap.parse_args(argv)
    if a.cmd == "selftest":
        return selftest()
    if not a.prefix and not a.topic:
        ap.error("--prefix or --topic is required")

    if a.cmd == "consume":
        out = open(a.out, "a") if a.out else sys.stdout
        col = StreamCollector(a.schemas_topic, out)
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
        col = collect(a.bootstrap, a.prefix, a.topic, a.schemas_topic, a.count, a.idle,
                      a.timeout, a.follow, col, stop=lambda: bool(stopping),
                      registry=a.registry, registry_auth=a.registry_auth)
        for v in col.violations:
            print("VIOLATION: %s" % v, file=sys.stderr)
        print("kafka_consume: %d event message(s), %d schema message(s), %d violation(s)" % (
            len(col.messages), len(col.schema_msgs), len(col.violations)), file=sys.stderr)
        if col.violations:
            return 1
        if a.count is not None and len(col.messages) < a.count:
            print("kafka_consume: only %d of %d messages" % (len(col.messages), a.count), file=sys.stderr)
            return 2
        return 0

    col = collect(a.bootstrap, a.prefix, a.topic, a.schemas_topic, a.count, a.idle, a.timeout,
                  registry=a.registry, registry_auth=a.registry_auth, to_end=not a.idle_stop)
    fails = 0
    for v in col.violations:
        print("VIOLATION: %s" % v)
        fails += 1
    ev = KafkaEvents(col)
    conn = pgcompare.connect(a.dsn)
    out = []
    for qname in [t.strip() for t in a.tables.split(",") if t.strip()]:
        fails += pgcompare.compare_table(conn, ev, a.source or a.prefix, qname, a.schema_check, set(), out)
    print("\n".join(out))
    if fails:
        print("kafka_consume compare: %d difference(s)" % fails)
        return 1
    print("kafka_consume compare: all equal")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
