#!/usr/bin/python3
"""registry.py -- a stand-in Confluent Schema Registry for rowcast's tests.

Standard library only (http.server). Implements the part of Confluent's
documented REST API that rowcast and its test consumers use:

  POST /subjects/{subject}/versions   {"schema": "<text>"[, "schemaType": "AVRO"]}
        -> {"id": N}. The same schema text again (in any subject) gets the
        same id; a new text gets a new id and a new version of the subject.
  GET  /schemas/ids/{id}               -> {"schema": "<text>"}
  GET  /subjects                       -> ["subject", ...]
  GET  /subjects/{subject}/versions    -> [1, 2, ...]
  GET  /subjects/{subject}/versions/{version|latest}
                                       -> {subject, version, id, schema}
  POST/PUT /config/{subject}           {"compatibility": "REJECT_ALL"}
        (extension: REJECT_ALL makes every later POST of a *new* schema to
        that subject answer 409; anything else turns it off) -> {"compatibility": ...}

Errors are Confluent's: {"error_code": N, "message": "..."} with HTTP
status N // 100 (40401 subject not found, 40403 schema not found, 409
incompatible, 42201 invalid schema (the schema text is not JSON), 401).

Test hooks (not Confluent's):
  GET  /stats                          -> {"requests": N, "registers": N}
        (every request counted except /stats itself; registers = POSTs to
        /subjects/*/versions)
  --incompatible SUBJECT (repeatable)  REJECT_ALL from the start
  --user U --password P                require HTTP basic auth (401 otherwise)
  --port N                             bind 127.0.0.1:N (default 0 = any)
  --port-file FILE                     write the port there once listening
  --state FILE                         keep schemas across restarts (JSON)

Usage: registry.py --port-file /tmp/reg.port [--user u --password p]
"""

import argparse
import base64
import json
import os
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CT = "application/vnd.schemaregistry.v1+json"
MAX_BODY = 16 * 1024 * 1024


class Registry:
    def __init__(self, state=None):
        self.lock = threading.Lock()
        self.by_id = {}          # id -> schema text
        self.by_text = {}        # schema text -> id
        self.subjects = {}       # subject -> [id of version 1, 2, ...]
        self.reject = set()      # subjects in REJECT_ALL
        self.requests = 0
        self.registers = 0
        self.state = state
        if state and os.path.exists(state):
            with open(state) as f:
                d = json.load(f)
            self.by_id = {int(k): v for k, v in d["by_id"].items()}
            self.by_text = {v: k for k, v in self.by_id.items()}
            self.subjects = d["subjects"]

    def save(self):
        if not self.state:
            return
        tmp = self.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"by_id": self.by_id, "subjects": self.subjects}, f)
        os.replace(tmp, self.state)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "registry.py"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("registry: " + (fmt % args) + "\n")

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", CT)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, code, message):
        self.reply(code // 100 if code >= 1000 else code,
                   {"error_code": code, "message": message})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n) if n else b""

    def authorised(self):
        user, pw = self.server.user, self.server.password
        if user is None:
            return True
        h = self.headers.get("Authorization") or ""
        if h.startswith("Basic "):
            try:
                u, _, p = base64.b64decode(h[6:]).decode().partition(":")
                if u == user and p == pw:
                    return True
            except Exception:  # noqa: a bad header is a 401
                pass
        body = json.dumps({"error_code": 401, "message": "Unauthorized"}).encode()
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="registry"')
        self.send_header("Content-Type", CT)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return False

    def parts(self):
        path = urllib.parse.urlsplit(self.path).path
        return [urllib.parse.unquote(p) for p in path.strip("/").split("/") if p]

    def do_GET(self):
        reg = self.server.reg
        p = self.parts()
        if p == ["stats"]:
            with reg.lock:
                return self.reply(200, {"requests": reg.requests, "registers": reg.registers})
        with reg.lock:
            reg.requests += 1
        if not self.authorised():
            return
        with reg.lock:
            if p == ["subjects"]:
                return self.reply(200, sorted(reg.subjects))
            if len(p) == 3 and p[:2] == ["schemas", "ids"]:
                try:
                    sid = int(p[2])
                except ValueError:
                    sid = -1
                if sid not in reg.by_id:
                    return self.error(40403, "Schema %s not found" % p[2])
                return self.reply(200, {"schema": reg.by_id[sid]})
            if len(p) in (3, 4) and p[0] == "subjects" and p[2] == "versions":
                vers = reg.subjects.get(p[1])
                if vers is None:
                    return self.error(40401, "Subject '%s' not found." % p[1])
                if len(p) == 3:
                    return self.reply(200, list(range(1, len(vers) + 1)))
                if p[3] == "latest":
                    v = len(vers)
                else:
                    try:
                        v = int(p[3])
                    except ValueError:
                        v = 0
                if not 1 <= v <= len(vers):
                    return self.error(40402, "Version %s not found." % p[3])
                sid = vers[v - 1]
                return self.reply(200, {"subject": p[1], "version": v, "id": sid,
                                        "schema": reg.by_id[sid]})
        return self.error(404, "Not found: %s" % self.path)

    def do_PUT(self):
        self.do_POST()

    def do_POST(self):
        reg = self.server.reg
        p = self.parts()
        with reg.lock:
            reg.requests += 1
        try:
            raw = self.body()
        except ValueError:
            return self.error(413, "request too large")
        if not self.authorised():
            return
        try:
            req = json.loads(raw or b"{}")
        except ValueError as e:
            return self.error(50005, "Unrecognized request body: %s" % e)
        if len(p) == 2 and p[0] == "config":
            c = req.get("compatibility")
            with reg.lock:
                if c == "REJECT_ALL":
                    reg.reject.add(p[1])
                else:
                    reg.reject.discard(p[1])
            return self.reply(200, {"compatibility": c})
        if len(p) == 3 and p[0] == "subjects" and p[2] == "versions":
            subj = p[1]
            text = req.get("schema")
            with reg.lock:
                reg.registers += 1
            if not isinstance(text, str):
                return self.error(42201, "Either the input schema or one of its references is invalid")
            if req.get("schemaType", "AVRO") != "AVRO":
                return self.error(42201, "Only AVRO schemas here")
            try:
                json.loads(text)
            except ValueError as e:
                return self.error(42201, "Input schema is an invalid Avro schema: %s" % e)
            with reg.lock:
                vers = reg.subjects.get(subj, [])
                sid = reg.by_text.get(text)
                if sid is not None and sid in vers:
                    return self.reply(200, {"id": sid})
                if subj in reg.reject:
                    return self.error(409, "Schema being registered is incompatible with an "
                                      "earlier schema for subject \"%s\"" % subj)
                if sid is None:
                    sid = max(reg.by_id, default=0) + 1
                    reg.by_id[sid] = text
                    reg.by_text[text] = sid
                reg.subjects[subj] = vers + [sid]
                reg.save()
            return self.reply(200, {"id": sid})
        return self.error(404, "Not found: %s" % self.path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--incompatible", action="append", default=[])
    ap.add_argument("--state")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.reg = Registry(a.state)
    srv.reg.reject.update(a.incompatible)
    srv.user = a.user
    srv.password = a.password or ""
    srv.verbose = a.verbose
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
