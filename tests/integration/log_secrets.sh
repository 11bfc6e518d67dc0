#!/bin/bash
# log_secrets.sh -- no secret in any log line: rowcast starts, streams,
# reconnects after a PostgreSQL restart, fails on a missing table and runs
# `rowcast check`, with known passwords in the conninfo, in password_file,
# in a schema registry URL and in a kafka.sasl.* property (the Kafka parts
# when Kafka is built in), once with text logs and once with JSON logs; no
# captured line holds any of them. Every line of the JSON run parses
# (json.loads) and carries the source, and the table where there is one.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

rc_init log_secrets
pg_start
CONF=$WORK/rowcast.conf
BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$BIN/pg_ctl" ] || BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

PW_CONNINFO='Conninfo-Pw-1111'
PW_FILE='File-Pw-2222'
PW_REGISTRY='Registry-Pw-3333'
PW_SASL='Sasl-Pw-4444'
PW_WRONG='Wrong-Reg-Pw-5555'
printf '%s\n' "$PW_FILE" >"$WORK/pgpw"

KAFKA=0
if "$ROWCAST" --help | grep -q '^  kafka' && [ -x "$top_builddir/tests/lib/mockkafka" ]; then
    KAFKA=1
    . "$top_srcdir/tests/lib/kafka.sh"
    MOCKKAFKA=$top_builddir/tests/lib/mockkafka
    kafka_start 1 "$SOURCE_NAME.public.t:1"
    pf=$WORK/registry.port
    $PY "$top_srcdir/tests/lib/registry.py" --port 0 --port-file "$pf" \
        --user reguser --password "$PW_REGISTRY" >"$WORK/registry.log" 2>&1 &
    bg_track $!
    for _ in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.05; done
    [ -s "$pf" ] || fail "registry.py did not start"
    REG_PORT=$(cat "$pf")
fi

psql_cdc -c "CREATE TABLE t (id int PRIMARY KEY, v text)"

# conf FORMAT TABLES [REGISTRY LINES...]
conf() {
    local format=$1 tables=$2
    shift 2
    {
        echo "[rowcast]"
        echo "state_dir = $WORK/state"
        echo "log_format = $format"
        echo
        echo "[source $SOURCE_NAME]"
        echo "type = postgresql"
        echo "conninfo = host=127.0.0.1 port=$PGPORT dbname=cdc user=postgres password=$PW_CONNINFO"
        echo "password_file = $WORK/pgpw"
        echo "tables = $tables"
        echo "reconnect_max_backoff = 2s"
        echo
        echo "[sink files]"
        echo "type = file"
        echo "path = $WORK/out"
        echo "flush_interval = 50ms"
        if [ "$KAFKA" = 1 ]; then
            echo
            echo "[sink k]"
            echo "type = kafka"
            echo "brokers = $KAFKA_BS"
            echo "kafka.sasl.password = $PW_SASL"
            local l
            for l in "$@"; do echo "$l"; done
        fi
    } >"$CONF"
}
REG_OK="schema_registry = http://reguser:$PW_REGISTRY@127.0.0.1:${REG_PORT:-1}"

restart_pg() {
    as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast -w restart -l "$PGDIR/pg.log" >/dev/null
    info "PostgreSQL restarted"
}
_reconnected() { rc_check_alive "after the restart"; grep -q "reconnecting in" "$RC_LOG.err"; }

# one_run FORMAT: start, stream, a schema change, a restart, stop; then a
# start-up error and a check, all captured under $WORK.
N=0
one_run() {
    local format=$1 rc
    N=$((N + 1))
    conf "$format" "public.t" "$REG_OK"
    rc_start "$CONF"
    rc_wait_streaming 30
    psql_cdc -c "INSERT INTO t VALUES ($N * 10 + 1, 'a'), ($N * 10 + 2, 'b')"
    wait_for 30 "the first rows" out_count_ge $((N * 3 - 1))
    psql_cdc -c "ALTER TABLE t ADD COLUMN c$N int; INSERT INTO t VALUES ($N * 10 + 3, 'c', 1)"
    wait_for 30 "the row after the schema change" out_count_ge $((N * 3))
    restart_pg
    wait_for 30 "a reconnect in the log" _reconnected
    rc_wait_streaming 30
    rc_stop

    step "$format: a start-up error (missing table)"
    conf "$format" "public.t, public.ghost" "$REG_OK"
    rc=0
    timeout 30 "$ROWCAST" -c "$CONF" >"$WORK/error.$format.out" 2>"$WORK/error.$format.err" || rc=$?
    [ "$rc" -eq 2 ] || fail "missing table: exit $rc, expected 2"
    grep -q "public.ghost" "$WORK/error.$format.err" || fail "missing table: not logged"

    step "$format: rowcast check (registry credentials in the URL, then a wrong password)"
    conf "$format" "public.t" "$REG_OK"
    "$ROWCAST" check -c "$CONF" >"$WORK/check.$format.ok.out" 2>"$WORK/check.$format.ok.err" ||
        { cat "$WORK/check.$format.ok.out"; fail "check failed on a good setup"; }
    if [ "$KAFKA" = 1 ]; then
        grep -q "^OK    sink k: schema registry http://reguser:\*\*\*@127.0.0.1:$REG_PORT answers" "$WORK/check.$format.ok.out" ||
            { cat "$WORK/check.$format.ok.out"; fail "the check does not show the registry redacted"; }
        conf "$format" "public.t" "schema_registry = http://127.0.0.1:$REG_PORT" \
            "schema_registry_user = reguser" "schema_registry_password = $PW_WRONG"
        rc=0
        "$ROWCAST" check -c "$CONF" >"$WORK/check.$format.bad.out" 2>"$WORK/check.$format.bad.err" || rc=$?
        [ "$rc" -eq 2 ] || fail "a wrong registry password: check exit $rc, expected 2"
        grep -q "^FAIL  sink k: schema registry .*401.*(fix: check schema_registry_user and schema_registry_password" \
            "$WORK/check.$format.bad.out" || { cat "$WORK/check.$format.bad.out"; fail "no FAIL for the registry's 401"; }
    fi
}

step "text logs"
one_run text
step "JSON logs"
one_run json

step "no password in any captured line"
files=$(ls "$WORK"/rowcast.*.err "$WORK"/rowcast.*.out "$WORK"/error.* "$WORK"/check.*)
for pw in "$PW_CONNINFO" "$PW_FILE" "$PW_REGISTRY" "$PW_SASL" "$PW_WRONG"; do
    if grep -l -- "$pw" $files; then
        grep -h -- "$pw" $files | head -n 3 >&2
        check_fail "a password ($pw) appears in the logs above"
    fi
done
grep -q 'password=\*\*\*' $files || check_fail "no redacted conninfo anywhere (expected in the check output)"
info "$(cat $files | wc -l) lines searched"

step "the JSON run: every line parses, with source and table"
$PY - "$WORK/rowcast.2.err" "$WORK/error.json.err" <<'EOF_PY' || check_fail "the JSON log lines"
import json, sys
bad = 0
seen = {"source": 0, "streaming": 0, "table": 0, "reconnect": 0, "error": 0}
for path in sys.argv[1:]:
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            print("%s:%d: not JSON (%s): %r" % (path, n, e, line[:200]))
            bad += 1
            continue
        for k in ("ts", "level", "component", "msg"):
            if k not in o:
                print("%s:%d: no %s: %r" % (path, n, k, line[:200]))
                bad += 1
        if o.get("source") == "shop":
            seen["source"] += 1
        if "streaming from slot" in o["msg"] and o.get("source") == "shop":
            seen["streaming"] += 1
        if "changed shape" in o["msg"] and o.get("table") == "public.t" and o.get("source") == "shop":
            seen["table"] += 1
        if "reconnecting in" in o["msg"] and o.get("source") == "shop":
            seen["reconnect"] += 1
        if o["level"] == "error" and o.get("source") == "shop" and "public.ghost" in o["msg"]:
            seen["error"] += 1
print("    JSON lines:", seen)
missing = [k for k, v in seen.items() if v == 0]
if missing:
    print("no line with:", missing)
sys.exit(1 if bad or missing else 0)
EOF_PY
rc_finish
