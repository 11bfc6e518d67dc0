#!/bin/bash
# metrics.sh -- /metrics and /health against a real Prometheus.
#
# rowcast streams a PostgreSQL load with metrics_listen on a free loopback
# port; a throwaway Prometheus (Debian's package, its own config and data
# dir, scrape interval 1s) scrapes it. Through Prometheus' HTTP API:
# the target is up and the event counters per operation equal the rows
# written (1000 inserts, 200 updates, 100 deletes), the latency histogram
# counts every event. promtool check metrics accepts the exposition, no
# password appears in it, /health/ready is 200 while streaming, 503 while
# PostgreSQL is stopped and 200 again once it is back. When MariaDB is
# installed, a second source (MariaDB) runs in the same rowcast: its
# counters and its binlog lag in bytes are checked too.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/my.sh"

command -v prometheus >/dev/null || skip "prometheus is not installed (packaging/install-deps.sh)"
command -v promtool >/dev/null || skip "promtool is not installed (packaging/install-deps.sh)"

rc_init metrics
MARIA=0
if { command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; } &&
    command -v mariadb >/dev/null 2>&1 && [ -x "$MYDUMP" ]; then
    MARIA=1
    my_init metrics
fi
pg_start
BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$BIN/pg_ctl" ] || BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

SECRET='Metr1cs-test-Pa55word'

# http_get URL [status]: prints "STATUS CONTENT-TYPE" then the body, or
# only the status with "status" (connection refused: 000)
http_get() {
    $PY - "$1" "${2:-}" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        status, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
except urllib.error.HTTPError as e:
    status, body, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
except OSError:
    status, body, ctype = 0, b"", ""
if sys.argv[2] == "status":
    print("%03d" % status)
else:
    print("%03d %s" % (status, ctype))
    sys.stdout.write(body.decode("utf-8", "replace"))
PY
}
http_status() { http_get "$1" status; }

# prom_value EXPR: the value of an instant query with one result ("" when none)
prom_value() {
    $PY - "http://127.0.0.1:$PROM_PORT/api/v1/query" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + "?" + urllib.parse.urlencode({"query": sys.argv[2]})
try:
    with urllib.request.urlopen(url, timeout=5) as r:
        d = json.load(r)
except OSError:
    sys.exit(0)
res = d.get("data", {}).get("result", [])
if d.get("status") == "success" and len(res) == 1:
    print(res[0]["value"][1])
PY
}
prom_is() { [ "$(prom_value "$1")" = "$2" ]; }

step "a table, a role with a password, rowcast with metrics_listen"
psql_cdc -c "CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, qty int NOT NULL DEFAULT 0)"
M_PORT=$(pick_port)
rc_config "$WORK/rowcast.conf" "public.items" "password = $SECRET" "reconnect_max_backoff = 1s"
sed -i "s/^\[rowcast\]\$/[rowcast]\nmetrics_listen = 127.0.0.1:$M_PORT/" "$WORK/rowcast.conf"
grep -q "^metrics_listen = 127.0.0.1:$M_PORT" "$WORK/rowcast.conf" || fail "config not written"
if [ "$MARIA" = 1 ]; then
    my_start
    my_sql "CREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, n INT NOT NULL DEFAULT 0)"
    cat >>"$WORK/rowcast.conf" <<EOF

[source legacy]
type = mysql
host = 127.0.0.1
port = $MYPORT
user = $MYUSER
password = $MYPASSWORD
server_id = 4243
tables = cdc.accounts
EOF
    info "with a MariaDB source 'legacy' on port $MYPORT"
fi
M_URL=http://127.0.0.1:$M_PORT
rc_start "$WORK/rowcast.conf"
rc_wait_streaming
[ "$MARIA" = 0 ] || wait_for 30 "the MariaDB source to stream" eval 'grep -q "source legacy: streaming" "$RC_LOG.err"'
wait_for 20 "/health/ready to answer 200" eval '[ "$(http_status "$M_URL/health/ready")" = 200 ]'
[ "$(http_status "$M_URL/health/live")" = 200 ] || fail "/health/live is not 200"
[ "$(http_status "$M_URL/nope")" = 404 ] || fail "an unknown path is not 404"
info "ready: $(http_get "$M_URL/health" | tail -n +2)"
http_get "$M_URL/metrics" >"$WORK/first.txt"
head -n 1 "$WORK/first.txt" | grep -q '^200 text/plain; version=0.0.4' ||
    fail "/metrics does not answer in the text format 0.0.4"

step "Prometheus on a free port, scraping every second"
PROM_PORT=$(pick_port)
mkdir -p "$WORK/prom/data"
cat >"$WORK/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: rowcast
    static_configs:
      - targets: ['127.0.0.1:$M_PORT']
EOF
prometheus --config.file="$WORK/prom/prometheus.yml" \
    --storage.tsdb.path="$WORK/prom/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" \
    --log.level=warn >"$WORK/prom/prometheus.log" 2>&1 &
PROM_PID=$!
bg_track "$PROM_PID"
wait_for 30 "Prometheus to be ready" eval '[ "$(http_status "http://127.0.0.1:$PROM_PORT/-/ready")" = 200 ]'
wait_for 20 "Prometheus to scrape rowcast (up == 1)" prom_is 'up{job="rowcast"}' 1
info "up{job=\"rowcast\"} = 1"

step "the load: 1000 inserts, 200 updates, 100 deletes"
for b in 0 1 2 3 4 5 6 7 8 9; do
    psql_cdc -c "INSERT INTO items (id, label) SELECT g, 'row ' || g FROM generate_series($((b * 100 + 1)), $((b * 100 + 100))) g"
done
psql_cdc -c "UPDATE items SET qty = qty + 1 WHERE id <= 200"
psql_cdc -c "DELETE FROM items WHERE id > 900"
if [ "$MARIA" = 1 ]; then
    info "MariaDB: 100 inserts, 20 updates, 10 deletes"
    my_sql "INSERT INTO accounts (id, name) SELECT seq, CONCAT('a', seq) FROM seq_1_to_100"
    my_sql "UPDATE accounts SET n = n + 1 WHERE id <= 20"
    my_sql "DELETE FROM accounts WHERE id > 90"
fi
wait_for 60 "the events in the output" out_count_ge $((MARIA ? 1430 : 1300))

step "the counters in Prometheus equal the rows written"
q='sum by (op) (rowcast_events_total{job="rowcast",source="shop",table="public.items"'
wait_for 30 "create = 1000" prom_is "$q,op=\"create\"})" 1000
wait_for 10 "update = 200" prom_is "$q,op=\"update\"})" 200
wait_for 10 "delete = 100" prom_is "$q,op=\"delete\"})" 100
prom_is "$q,op=\"truncate\"})" 0 || fail "truncate is not 0"
prom_is "$q,op=\"read\"})" 0 || fail "read is not 0"
info "events: create 1000, update 200, delete 100, read 0, truncate 0"
wait_for 20 "every event durable (latency count 1300)" \
    prom_is 'rowcast_delivery_latency_seconds_count{source="shop"}' 1300
prom_is 'rowcast_delivery_latency_seconds_bucket{source="shop",le="+Inf"}' 1300 ||
    fail "the +Inf bucket is not the count"
wait_for 10 "nothing in flight" prom_is 'rowcast_events_in_flight{source="shop"}' 0
prom_is 'rowcast_transactions_total{source="shop"}' 12 || fail "transactions_total is not 12 but $(prom_value 'rowcast_transactions_total{source="shop"}')"
prom_is 'rowcast_source_state{source="shop",state="streaming"}' 1 || fail "the source is not streaming"
prom_is 'rowcast_sink_up{source="shop",sink="files"}' 1 || fail "the sink is not up"
prom_is "count(rowcast_build_info{version=~\".+\"})" 1 || fail "no build info"
bytes=$(prom_value 'sum(rowcast_event_bytes_total{source="shop"})')
[ -n "$bytes" ] && [ "$bytes" -gt 0 ] || fail "no event bytes counted"
wait_for 15 "the slot's lag in bytes to be measured" eval '[ -n "$(prom_value "rowcast_source_lag_bytes{source=\"shop\"}")" ]'
wait_for 15 "a checkpoint written" eval '[ -n "$(prom_value "rowcast_last_checkpoint_timestamp_seconds{source=\"shop\"}")" ]'
info "event bytes $bytes, lag $(prom_value 'rowcast_source_lag_bytes{source="shop"}') bytes, p99 latency $(prom_value 'histogram_quantile(0.99, rowcast_delivery_latency_seconds_bucket{source="shop"})')s"

if [ "$MARIA" = 1 ]; then
    ql='sum by (op) (rowcast_events_total{job="rowcast",source="legacy",table="cdc.accounts"'
    wait_for 30 "MariaDB create = 100" prom_is "$ql,op=\"create\"})" 100
    wait_for 10 "MariaDB update = 20" prom_is "$ql,op=\"update\"})" 20
    wait_for 10 "MariaDB delete = 10" prom_is "$ql,op=\"delete\"})" 10
    wait_for 20 "MariaDB: every event durable" \
        prom_is 'rowcast_delivery_latency_seconds_count{source="legacy"}' 130
    wait_for 20 "the binlog lag in bytes to be measured" eval '[ -n "$(prom_value "rowcast_source_lag_bytes{source=\"legacy\"}")" ]'
    info "MariaDB events: create 100, update 20, delete 10; binlog lag $(prom_value 'rowcast_source_lag_bytes{source="legacy"}') bytes"
fi

step "promtool check metrics on the exposition; no password in it"
http_get "$M_URL/metrics" | tail -n +2 >"$WORK/metrics.txt"
info "$(wc -l <"$WORK/metrics.txt") lines, $(grep -c '^# TYPE' "$WORK/metrics.txt") families"
if ! promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1; then
    cat "$WORK/promtool.out" >&2
    fail "promtool check metrics found problems"
fi
[ ! -s "$WORK/promtool.out" ] || { cat "$WORK/promtool.out" >&2; fail "promtool check metrics printed findings"; }
info "promtool: no problems"

step "stop PostgreSQL: /health/ready answers 503 and says why"
as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null
wait_for 20 "/health/ready to answer 503" eval '[ "$(http_status "$M_URL/health/ready")" = 503 ]'
http_get "$M_URL/health/ready" | tail -n +2 >"$WORK/health503.txt"
info "503: $(cat "$WORK/health503.txt")"
grep -Eq '"shop":\{"state":"(reconnecting|connecting)"' "$WORK/health503.txt" ||
    fail "the 503 body does not say the source is reconnecting"
[ "$MARIA" = 0 ] || grep -q '"legacy":{"state":"streaming"' "$WORK/health503.txt" ||
    fail "the 503 body does not say the MariaDB source still streams"
[ "$(http_status "$M_URL/health/live")" = 200 ] || fail "/health/live is not 200 during the outage"
wait_for 10 "Prometheus to see the reconnecting state" \
    prom_is 'sum(rowcast_source_state{source="shop",state=~"reconnecting|connecting"})' 1
http_get "$M_URL/metrics" | tail -n +2 >>"$WORK/metrics.txt"

step "start PostgreSQL again: 200 again, reconnects counted"
as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/pg.log" -w -t 30 start >/dev/null
wait_for 40 "/health/ready to answer 200 again" eval '[ "$(http_status "$M_URL/health/ready")" = 200 ]'
psql_cdc -c "INSERT INTO items (id, label) VALUES (5001, 'after')"
wait_for 30 "create = 1001" prom_is "$q,op=\"create\"})" 1001
r=$(prom_value 'rowcast_reconnects_total{source="shop"}')
[ -n "$r" ] && [ "$r" -ge 1 ] || fail "no reconnect counted (got '$r')"
e=$(prom_value 'rowcast_errors_total{source="shop",kind="connection"}')
[ -n "$e" ] && [ "$e" -ge 1 ] || fail "no connection error counted (got '$e')"
info "reconnects $r, connection errors $e"

step "no password in the metrics, the health answers or the logs"
http_get "$M_URL/metrics" | tail -n +2 >>"$WORK/metrics.txt"
http_get "$M_URL/health" >>"$WORK/health503.txt"
rc_stop
for f in "$WORK/metrics.txt" "$WORK/health503.txt" "$RC_LOG.err" "$RC_LOG.out"; do
    if grep -qF "$SECRET" "$f"; then
        fail "the test password appears in $f"
    fi
    if [ "$MARIA" = 1 ] && grep -qF "$MYPASSWORD" "$f"; then
        fail "the MariaDB password appears in $f"
    fi
done
info "the password appears nowhere"
rc_finish
