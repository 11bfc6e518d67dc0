#!/usr/bin/python3
"""Decode rowcast's Avro bytes with an independent implementation.

Usage: /usr/bin/python3 avro_check.py SCHEMA DATA EXPECT

SCHEMA is the schema JSON text rowcast published, DATA one datum in Avro
binary (no framing), EXPECT a JSON object:
  {"canonical": "<Parsing Canonical Form>",          (optional)
   "values": {"after.amount": "Decimal:123.45", ...}} (dotted paths)
Each value is checked as "<python type name>:<str(value)>". The datum must
use every byte of DATA. Prints what differs and exits 1; exits 0 when all
matches. Needs Debian's python3-avro: run it with /usr/bin/python3, not the
pyenv python3 on PATH.
"""
import io
import json
import re
import sys
import warnings

import avro.errors
import avro.io
import avro.schema

# Python's avro 1.11 writes a primitive with a logicalType as {"type":"bytes"}
# in the canonical form; the specification's PRIMITIVES rule and the Java
# implementation (SchemaNormalization), whose fingerprints are the reference,
# write "bytes". Undo that one difference before comparing.
PRIMITIVE_OBJECT = re.compile(
    r'\{"type":"(null|boolean|int|long|float|double|bytes|string)"\}')


def lookup(datum, path):
    for part in path.split("."):
        if isinstance(datum, list):
            datum = datum[int(part)]
        else:
            datum = datum[part]
    return datum


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        text = f.read()
    with open(argv[2], "rb") as f:
        raw = f.read()
    with open(argv[3]) as f:
        expect = json.load(f)

    # local-timestamp-micros is unknown to avro 1.11: it reads as a long
    warnings.simplefilter("ignore", avro.errors.IgnoredLogicalType)
    schema = avro.schema.parse(text)
    buf = io.BytesIO(raw)
    datum = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(buf))
    bad = 0
    if buf.tell() != len(raw):
        print(f"decoded {buf.tell()} of {len(raw)} bytes")
        bad += 1
    canonical = PRIMITIVE_OBJECT.sub(r'"\1"', schema.canonical_form)
    if "canonical" in expect and canonical != expect["canonical"]:
        print(f"canonical form differs:\n python: {canonical}\n"
              f" rowcast: {expect['canonical']}")
        bad += 1
    for path, want in expect.get("values", {}).items():
        try:
            v = lookup(datum, path)
            got = f"{type(v).__name__}:{v}"
        except (KeyError, IndexError, TypeError) as e:
            got = f"missing ({e!r})"
        if got != want:
            print(f"{path}: got {got!r}, want {want!r}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
