#!/bin/sh
# rowcast quick start: install, build, start a throwaway PostgreSQL, capture
# a `customers` table with the file and stdout sinks, make a few changes and
# show the events as they arrive. Everything runs under one temporary
# directory that is removed at the end (KEEP=1 keeps it).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

sh packaging/install-deps.sh

echo "== building rowcast"
if [ -f config.status ]; then
    bld=.                       # a developer's in-tree build
else
    bld=build
    if [ ! -f build/Makefile ]; then
        autoreconf -fi >/dev/null
        mkdir -p build
        (cd build && ../configure -q CFLAGS="-O2 -g")
    fi
fi
(cd "$bld" && make -s -j"$(nproc 2>/dev/null || echo 2)" rowcast)

tmp=$(mktemp -d /tmp/rowcast-quickstart.XXXXXX)
chmod 755 "$tmp"
port=${PORT:-55433}
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    sh packaging/pg-sandbox.sh stop "$tmp/pg" >/dev/null 2>&1 || true
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM

echo "== starting a throwaway PostgreSQL 15 on port $port"
sh packaging/pg-sandbox.sh start "$tmp/pg" "$port"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d cdc "$@"; }
psql -c "CREATE TABLE customers (
            id         bigserial PRIMARY KEY,
            name       text NOT NULL,
            email      text,
            balance    numeric(12,2) NOT NULL DEFAULT 0,
            vip        boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now())"

cat >"$tmp/rowcast.conf" <<CONF
[rowcast]
state_dir = $tmp/state

[source shop]
type     = postgresql
conninfo = host=127.0.0.1 port=$port dbname=cdc user=postgres
tables   = public.customers

[sink files]
type           = file
path           = $tmp/out
flush_interval = 100ms

[sink console]
type = stdout
CONF
echo "== configuration ($tmp/rowcast.conf)"
cat "$tmp/rowcast.conf"

echo "== running rowcast; events appear below as JSON lines"
"$bld/rowcast" -c "$tmp/rowcast.conf" 2>"$tmp/rowcast.log" &
pid=$!
i=0
until grep -q "streaming from slot" "$tmp/rowcast.log"; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
        cat "$tmp/rowcast.log"; echo "rowcast did not start" >&2; exit 1
    fi
    sleep 0.1
done

echo "-- INSERT two customers, UPDATE one, DELETE one"
psql -c "INSERT INTO customers (name, email, balance) VALUES
           ('Ada Lovelace', 'ada@example.com', 1815.12),
           ('Alan Turing', 'alan@example.com', 1912.23)"
psql -c "UPDATE customers SET vip = true, balance = balance + 100 WHERE name = 'Ada Lovelace'"
psql -c "DELETE FROM customers WHERE name = 'Alan Turing'"
sleep 2

echo "== stopping rowcast (SIGTERM: drain, flush, checkpoint)"
kill -TERM "$pid"; wait "$pid" || true; pid=""
echo "-- rowcast's log:"
cat "$tmp/rowcast.log"
echo "-- checkpoint:"
cat "$tmp/state/shop.checkpoint"
echo "== Avro container files written by the file sink"
find "$tmp/out" -type f -name "*.avro" | sed "s|$tmp/||"
echo "== the same events decoded from the Avro files by Python's avro (an independent reader)"
/usr/bin/python3 tests/lib/read_ocf.py "$tmp/out"
