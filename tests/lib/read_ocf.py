#!/usr/bin/python3
"""read_ocf.py DIR [--schema]: print the records of rowcast's Avro files.

Reads every *.avro file under DIR (the file sink's layout, DIR/<topic>/*.avro;
.part files are skipped), sorted by topic directory then file name, with an
independent Avro implementation (Debian's python3-avro: run it with
/usr/bin/python3). DataFileReader decodes with the schema in each file's
header, so logical types come back as Python objects; each record is printed
as one JSON line:

  {"topic": "<dir>", "file": "<name>", "record": <envelope>}

with Decimal -> string (positional notation), datetime/date/time -> ISO 8601
string, bytes -> hex, UUID -> string, NaN/Infinity -> "NaN"/"Infinity"/
"-Infinity". --schema prints {"topic", "file", "schema": <header schema>}
per file instead. Exit status 1 when a file cannot be read.
"""
import datetime
import decimal
import json
import math
import os
import sys
import uuid

import avro.datafile
import avro.io


def plain(v):
    """The JSON-ready form of one decoded Avro value."""
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def files(top):
    """(topic, name, path) of every *.avro under top, in order."""
    out = []
    for d, _, names in os.walk(top):
        for n in names:
            if n.endswith(".avro"):
                out.append((os.path.relpath(d, top), n, os.path.join(d, n)))
    out.sort(key=lambda t: (t[0], t[1]))
    return out


def main(argv):
    args = [a for a in argv[1:] if a != "--schema"]
    if len(args) != 1:
        sys.stderr.write("usage: read_ocf.py DIR [--schema]\n")
        return 2
    want_schema = "--schema" in argv[1:]
    for topic, name, path in files(args[0]):
        try:
            with open(path, "rb") as f, \
                    avro.datafile.DataFileReader(f, avro.io.DatumReader()) as r:
                if want_schema:
                    schema = json.loads(r.get_meta("avro.schema").decode("utf-8"))
                    print(json.dumps({"topic": topic, "file": name, "schema": schema},
                                     ensure_ascii=False, separators=(",", ":")))
                    continue
                for rec in r:
                    print(json.dumps({"topic": topic, "file": name, "record": plain(rec)},
                                     ensure_ascii=False, separators=(",", ":")))
        except Exception as e:  # name the file, then fail
            sys.stdout.flush()
            sys.stderr.write("read_ocf.py: %s: %s: %s\n" % (path, type(e).__name__, e))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
