#!/bin/bash
# snap-bench.sh -- benchmark (not a test): how fast rowcast snapshots a
# 1,000,000-row customers table into the file sink, against the plain read
# of the same table in the same run, and rowcast's peak memory.
#
#   tests/bench/snap-bench.sh [pg|my|both]      (default both)
#
#   pg: rowcast's first start (the slot's exported snapshot, read in
#       snapshot_chunk_size chunks before streaming) against
#       psql -c "COPY (SELECT * FROM customers) TO STDOUT" >/dev/null;
#       then the same table snapshotted online (`rowcast snapshot` on the
#       running agent: chunks bracketed by watermarks in the WAL).
#   my: rowcast's first start (MariaDB: chunks in consistent snapshots,
#       each at its binlog position) against
#       mariadb --quick -e "SELECT * FROM customers" >/dev/null.
#
# rowcast is timed from its start until the checkpoint says the table is
# done (every row durable in the files); the online run from the request to
# the same point. Peak RSS is VmHWM of /proc/PID/status. Targets: ratio
# rowcast/plain read >= 0.7, peak RSS < 64 MiB.
#   BENCH_ROWS=N (default 1000000), BENCH_CHUNK=N (snapshot_chunk_size,
#   default rowcast's 10000).
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/my.sh"

WHICH=${1:-both}
case "$WHICH" in pg | my | both) ;; *) echo "usage: $0 [pg|my|both]" >&2; exit 2 ;; esac
ROWS=${BENCH_ROWS:-1000000}
CHUNK=${BENCH_CHUNK:-}
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
rc_init snap-bench

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
vm_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
RESULTS=""

# wait_done CKPT TABLE: until the checkpoint says TABLE's snapshot is done
# (watching rowcast's peak memory meanwhile).
wait_done() {
    local ckpt=$1 table=$2
    while ! grep -q "^snapshot = done $table\$" "$ckpt" 2>/dev/null; do
        rc_check_alive "while snapshotting $table"
        sleep 0.05
    done
}

# rowcast_snapshot LABEL CONF TABLE PLAIN_RATE: time a first start.
rowcast_snapshot() {
    local label=$1 conf=$2 table=$3 plain=$4 t0 t1 s hwm r
    t0=$(now)
    rc_start "$conf"
    wait_done "$WORK/state/$SOURCE_NAME.checkpoint" "$table"
    t1=$(now)
    hwm=$(vm_hwm_kb "$RC_PID")
    s=$(elapsed "$t0" "$t1")
    r=$(rate "$ROWS" "$s")
    info "rowcast: $ROWS rows in ${s}s = $r rows/s, peak RSS $((hwm / 1024)) MiB"
    RESULTS="$RESULTS
$(printf '%-34s %9s rows/s  plain %9s rows/s  ratio %s  peak RSS %3d MiB' "$label" "$r" "$plain" "$(ratio "$r" "$plain")" $((hwm / 1024)))"
    LAST_RATE=$r
}

if [ "$WHICH" != my ]; then
    pg_start
    step "PostgreSQL: $ROWS customers"
    psql_cdc -o /dev/null <<SQL
CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text,
  balance numeric(12,2), created_at timestamptz, active boolean);
INSERT INTO customers SELECT id, 'customer ' || id, 'c' || id || '@example.com',
  (id % 1000000) / 100.0, timestamptz '2024-01-01 00:00:00+00' + id * interval '1 second',
  id % 2 = 0 FROM generate_series(1, $ROWS) AS id;
VACUUM ANALYZE customers;
SQL
    step "plain read: COPY (SELECT * FROM customers) TO STDOUT through psql"
    psql_cdc -c "COPY (SELECT * FROM customers) TO STDOUT" >/dev/null # warm the cache
    t0=$(now)
    psql_cdc -c "COPY (SELECT * FROM customers) TO STDOUT" >/dev/null
    t1=$(now)
    PLAIN=$(rate "$ROWS" "$(elapsed "$t0" "$t1")")
    info "COPY: $(elapsed "$t0" "$t1")s = $PLAIN rows/s"

    step "rowcast: first start, the slot's exported snapshot"
    CONF=$WORK/rowcast-pg.conf
    RC_STATE=$WORK/state RC_OUT=$WORK/out-pg rc_config "$CONF" "public.customers" \
        ${CHUNK:+"snapshot_chunk_size = $CHUNK"}
    rowcast_snapshot "PostgreSQL initial (exported)" "$CONF" public.customers "$PLAIN"

    step "rowcast: the same table again, online (rowcast snapshot)"
    before=$(grep -c 'snapshot of public.customers finished' "$RC_LOG.err" || true)
    t0=$(now)
    "$ROWCAST" snapshot -c "$CONF" public.customers >/dev/null
    # done when a second "finished" is logged and the checkpoint agrees
    while [ "$(grep -c 'snapshot of public.customers finished' "$RC_LOG.err" || true)" -le "$before" ]; do
        rc_check_alive "while snapshotting public.customers again"
        sleep 0.05
    done
    wait_done "$WORK/state/$SOURCE_NAME.checkpoint" public.customers
    t1=$(now)
    hwm=$(vm_hwm_kb "$RC_PID")
    r=$(rate "$ROWS" "$(elapsed "$t0" "$t1")")
    info "online: $(elapsed "$t0" "$t1")s = $r rows/s"
    RESULTS="$RESULTS
$(printf '%-34s %9s rows/s  plain %9s rows/s  ratio %s  peak RSS %3d MiB' "PostgreSQL online (watermarks)" "$r" "$PLAIN" "$(ratio "$r" "$PLAIN")" $((hwm / 1024)))"
    rc_stop
fi

if [ "$WHICH" != pg ]; then
    my_init snap-bench
    my_start
    step "MariaDB: $ROWS customers"
    my_sql "CREATE TABLE customers (id BIGINT PRIMARY KEY, name VARCHAR(100), email VARCHAR(100),
      balance DECIMAL(12,2), created_at DATETIME(6), active BOOLEAN) DEFAULT CHARSET utf8mb4;"
    my_sql "INSERT INTO customers SELECT seq, CONCAT('customer ', seq), CONCAT('c', seq, '@example.com'),
      (seq % 1000000) / 100.0, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, seq % 2 = 0
      FROM seq_1_to_$ROWS; ANALYZE TABLE customers;" >/dev/null
    step "plain read: mariadb --quick -e 'SELECT * FROM customers'"
    mariadb --no-defaults -S "$MYSOCK" -uroot --quick cdc -e "SELECT * FROM customers" >/dev/null
    t0=$(now)
    mariadb --no-defaults -S "$MYSOCK" -uroot --quick cdc -e "SELECT * FROM customers" >/dev/null
    t1=$(now)
    PLAIN=$(rate "$ROWS" "$(elapsed "$t0" "$t1")")
    info "mariadb --quick: $(elapsed "$t0" "$t1")s = $PLAIN rows/s"

    step "rowcast: first start, chunks at their binlog positions"
    CONF=$WORK/rowcast-my.conf
    rm -rf "$WORK/state"
    cat >"$CONF" <<EOF
[rowcast]
state_dir = $WORK/state

[source $SOURCE_NAME]
type = mysql
host = 127.0.0.1
port = $MYPORT
user = repl
password = replpw
server_id = 4251
tables = cdc.customers
${CHUNK:+snapshot_chunk_size = $CHUNK}

[sink files]
type = file
path = $WORK/out-my
EOF
    rowcast_snapshot "MariaDB initial (consistent chunks)" "$CONF" cdc.customers "$PLAIN"
    rc_stop
fi

step "results ($ROWS rows; load average at start $LOAD_START)"
echo "$RESULTS" | sed '/^$/d'
echo "targets: ratio >= 0.7 (rowcast / plain read), peak RSS < 64 MiB"
