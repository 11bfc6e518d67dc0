#!/bin/bash
# pg-drain.sh -- benchmark (not a test): how fast rowcast drains a backlog of
# row changes from a PostgreSQL slot, compared with pg_recvlogical writing
# the same pgoutput stream to /dev/null, and rowcast's peak memory.
#
#   tests/bench/pg-drain.sh [--sink file|kafka] [batched|single|both]
#     batched  1,000 transactions of 1,000 rows (default)
#     single   one transaction of 1,000,000 rows
#   --sink kafka (or BENCH_SINK=kafka): rowcast drains into a librdkafka
#     mock cluster (3 brokers, tests/lib/mockkafka via tests/lib/kafka.sh)
#     instead of the file sink. Nobody consumes: the benchmark needs every
#     message acknowledged, and rowcast confirms its slot only from delivery
#     reports, so "slot past the last commit" means "every event acked by
#     the mock brokers"; the topic's high watermarks are summed as a cross
#     check. BENCH_KAFKA_PARTITIONS (default 16) sets the customers topic's
#     partitions; BENCH_KAFKA_PROPS adds sink lines (e.g.
#     "kafka.linger.ms = 20"). The mock cluster runs on the same cores.
#     Each scenario runs twice with Kafka: without a registry (Avro
#     single-object encoding, schemas topic) and with the stand-in schema
#     registry tests/lib/registry.py (schema_registry set: Confluent wire
#     format), each on its own backlog; BENCH_KAFKA_MODES="plain" or
#     "registry" runs one of them.
#   BENCH_ROWS=N changes the number of rows (default 1000000).
#   BENCH_SOURCE_OPTION="binary = false" measures rowcast with text values.
#
# Both clients get a slot created before the backlog: pg_recvlogical its own
# pgoutput slot and publication, rowcast its rowcast_<source> slot (created by
# a first, empty run). pg_recvlogical runs with --endpos at the last commit
# and is timed until it exits; rowcast (file sink) is timed until its slot's
# confirmed_flush_lsn passes the last commit, i.e. until everything is
# durable in its files (kafka: acknowledged by the brokers). Peak RSS is
# VmHWM from /proc/PID/status just before rowcast is stopped. Targets: ratio
# rowcast/pg_recvlogical >= 1.0; RSS < 64 MiB (file sink), < 128 MiB (kafka
# sink, librdkafka's queue included).
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

SINK=${BENCH_SINK:-file}
MODE=batched
usage() { echo "usage: $0 [--sink file|kafka] [batched|single|both]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --sink) [ $# -ge 2 ] || usage; SINK=$2; shift 2 ;;
        --sink=*) SINK=${1#--sink=}; shift ;;
        batched|single|both) MODE=$1; shift ;;
        *) usage ;;
    esac
done
case "$SINK" in
    file) RSS_TARGET=64 ;;
    kafka) RSS_TARGET=128 ;;
    *) usage ;;
esac
ROWS=${BENCH_ROWS:-1000000}
BATCH=1000

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
rc_init pg-drain
if [ "$SINK" = kafka ]; then
    . "$top_srcdir/tests/lib/kafka.sh"
    kafka_init
    KPARTS=${BENCH_KAFKA_PARTITIONS:-16}
    step "start the mock Kafka cluster (3 brokers, $SOURCE_NAME.public.customers with $KPARTS partitions)"
    kafka_start 3 "$SOURCE_NAME.public.customers:$KPARTS" "$SOURCE_NAME._schemas:1"
    KMODES=${BENCH_KAFKA_MODES:-plain registry}
    case " $KMODES " in
        *" registry "*)
            step "start the stand-in schema registry (tests/lib/registry.py)"
            rm -f "$WORK/registry.port"
            $PY "$top_srcdir/tests/lib/registry.py" --port 0 --port-file "$WORK/registry.port" \
                >"$WORK/registry.log" 2>&1 &
            REG_PID=$!
            bg_track "$REG_PID"
            for _ in $(seq 1 100); do
                [ -s "$WORK/registry.port" ] && break
                sleep 0.05
            done
            [ -s "$WORK/registry.port" ] || fail "registry.py wrote no port file in 5s"
            REG_URL=http://127.0.0.1:$(cat "$WORK/registry.port")
            info "registry.py at $REG_URL (pid $REG_PID)"
            ;;
    esac
fi
pg_start
PGBIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$PGBIN/pg_recvlogical" ] || PGBIN=/usr/lib/postgresql/15/bin

step "create the table, the pg_recvlogical slot and publication"
psql_cdc -o /dev/null <<'SQL'
CREATE TABLE customers (id bigint PRIMARY KEY, name text, balance numeric(12,2),
                        created_at timestamptz, active boolean);
CREATE PUBLICATION bench_recv FOR TABLE customers;
SELECT 1 FROM pg_create_logical_replication_slot('bench_recv', 'pgoutput');
SELECT 1 FROM pg_create_logical_replication_slot('bench_recv2', 'pgoutput');
SQL


CONF=$WORK/rowcast.conf
# kafka_conf plain|registry: rowcast's configuration for one Kafka mode.
# BENCH_SOURCE_OPTION adds one line to rowcast's source, e.g. "binary = false"
kafka_conf() {
    local props=${BENCH_KAFKA_PROPS:-}
    if [ "$1" = registry ]; then
        props="schema_registry = $REG_URL${props:+
$props}"
    fi
    RC_KAFKA_PROPS=$props \
        rc_config_kafka "$CONF" "public.customers" "status_interval = 100ms" ${BENCH_SOURCE_OPTION:+"$BENCH_SOURCE_OPTION"}
}
if [ "$SINK" = kafka ]; then
    KMODE=${KMODES%% *}
    kafka_conf "$KMODE"
else
    rc_config "$CONF" "public.customers" "status_interval = 100ms" ${BENCH_SOURCE_OPTION:+"$BENCH_SOURCE_OPTION"}
fi

step "let rowcast create its slot and publication (empty run)"
rc_start "$CONF"
rc_wait_streaming 30
rc_stop
rm -rf "$RC_OUT"

# kafka_acked: the sum of the high watermarks of the customers topic, i.e.
# every message the mock brokers have acknowledged (retention drops old
# messages but never lowers a high watermark).
kafka_acked() {
    $PY - "$KAFKA_BS" "$SOURCE_NAME.public.customers" <<'EOF'
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "bench-wm", "log_level": 3})
md = c.list_topics(sys.argv[2], timeout=10)
n = 0
for p in md.topics[sys.argv[2]].partitions:
    n += c.get_watermark_offsets(TopicPartition(sys.argv[2], p), timeout=10)[1]
c.close()
print(n)
EOF
}

next_id=1
RESULTS=""

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

# build_backlog single|batched: insert $ROWS rows; sets TARGET to an LSN
# taken inside the last transaction, just before its COMMIT: a client has
# everything once it confirmed past TARGET; and ENDPOS to the insert
# position just after that COMMIT (at or past the commit's end), which is
# pg_recvlogical's --endpos (it stops before a message that starts past it).
build_backlog() {
    local kind=$1 first=$next_id last=$((next_id + ROWS - 1)) sql=$WORK/backlog.sql
    local cols="id, 'customer ' || id, (id % 1000000) / 100.0, timestamptz '2024-01-01 00:00:00+00' + id * interval '1 second', id % 2 = 0"
    if [ "$kind" = single ]; then
        {
            echo "BEGIN;"
            echo "INSERT INTO customers SELECT $cols FROM generate_series($first, $last) AS id;"
            echo "SELECT pg_current_wal_insert_lsn();"
            echo "COMMIT;"
            echo "SELECT pg_current_wal_insert_lsn();"
        } >"$sql"
    else
        local s=$first e
        : >"$sql"
        while [ $s -le $last ]; do
            e=$((s + BATCH - 1))
            [ $e -le $last ] || e=$last
            if [ $e -eq $last ]; then
                echo "BEGIN;" >>"$sql"
                echo "INSERT INTO customers SELECT $cols FROM generate_series($s, $e) AS id;" >>"$sql"
                echo "SELECT pg_current_wal_insert_lsn();" >>"$sql"
                echo "COMMIT;" >>"$sql"
                echo "SELECT pg_current_wal_insert_lsn();" >>"$sql"
            else
                echo "INSERT INTO customers SELECT $cols FROM generate_series($s, $e) AS id;" >>"$sql"
            fi
            s=$((e + 1))
        done
    fi
    local t0 t1 start_lsn
    start_lsn=$(psql_val "SELECT pg_current_wal_insert_lsn()")
    t0=$(now)
    psql_cdc -A -t -f "$sql" >"$WORK/backlog.out"
    t1=$(now)
    TARGET=$(sed -n 1p "$WORK/backlog.out")
    ENDPOS=$(sed -n 2p "$WORK/backlog.out")
    next_id=$((last + 1))
    info "backlog: $ROWS rows ($kind) in $(elapsed "$t0" "$t1")s, WAL $(psql_val "SELECT pg_size_pretty('$TARGET'::pg_lsn - '$start_lsn'::pg_lsn)"), last commit past $TARGET"
}

# drain_recvlogical SLOT: time pg_recvlogical on SLOT; sets RECV_S.
drain_recvlogical() {
    local slot=$1 t0 t1 rc=0
    t0=$(now)
    "$PGBIN/pg_recvlogical" -h 127.0.0.1 -p "$PGPORT" -U postgres -d cdc -S "$slot" \
        --start --no-loop -o proto_version=1 -o publication_names=bench_recv \
        --endpos="$ENDPOS" -F 1 -s 1 -f /dev/null 2>"$WORK/recvlogical.err" || rc=$?
    t1=$(now)
    [ $rc -eq 0 ] || { cat "$WORK/recvlogical.err" >&2; fail "pg_recvlogical exited with $rc"; }
    RECV_S=$(elapsed "$t0" "$t1")
    # it confirms its final position on exit; make sure the slot moved
    wait_for 30 "slot $slot to confirm past $TARGET" slot_past_named "$slot" "$TARGET"
    info "pg_recvlogical ($slot): ${RECV_S}s, $(rate "$ROWS" "$RECV_S") rows/s"
}

slot_past_named() {
    local c
    c=$(psql_val "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$1'")
    [ -n "$c" ] && lsn_gt "$c" "$2"
}

vm_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU seconds (user+system) a process has used so far.
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}

drain_rowcast() {
    local t0 t1 hwm=0 h deadline acked0=0 acked1
    [ "$SINK" != kafka ] || acked0=$(kafka_acked)
    t0=$(now)
    rc_start "$CONF"
    deadline=$(( $(date +%s) + 600 ))
    while :; do
        rc_check_alive "while draining"
        h=$(vm_hwm_kb "$RC_PID")
        [ "${h:-0}" -le "$hwm" ] || hwm=$h
        if slot_past "$TARGET"; then
            break
        fi
        [ "$(date +%s)" -lt "$deadline" ] || fail "rowcast did not drain the backlog within 600s (confirmed $(slot_confirmed))"
        sleep 0.05
    done
    t1=$(now)
    h=$(vm_hwm_kb "$RC_PID")
    [ "${h:-0}" -le "$hwm" ] || hwm=$h
    ROWCAST_CPU=$(cpu_s "$RC_PID")
    rc_stop 60
    ROWCAST_S=$(elapsed "$t0" "$t1")
    RSS_MIB=$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')
    if [ "$SINK" = kafka ]; then
        acked1=$(kafka_acked)
        ACKED=$((acked1 - acked0))
        MOCK_CPU=$(cpu_s "$KAFKA_PID")
        info "rowcast: ${ROWCAST_S}s, $(rate "$ROWS" "$ROWCAST_S") rows/s, ${ROWCAST_CPU}s CPU, peak RSS ${RSS_MIB} MiB, $ACKED messages acknowledged by the mock (its CPU so far ${MOCK_CPU}s)"
        [ "$ACKED" -ge "$ROWS" ] || fail "only $ACKED of $ROWS messages acknowledged by the mock brokers, yet the slot passed the last commit"
    else
        info "rowcast: ${ROWCAST_S}s, $(rate "$ROWS" "$ROWCAST_S") rows/s, ${ROWCAST_CPU}s CPU, peak RSS ${RSS_MIB} MiB, output $(du -sh "$RC_OUT" | cut -f1)"
    fi
    rm -rf "$RC_OUT"
}

run_scenario() {
    local kind=$1 desc
    if [ "$kind" = single ]; then desc="1 transaction x $ROWS rows"; else desc="$((ROWS / BATCH)) transactions x $BATCH rows"; fi
    if [ "$SINK" = kafka ]; then
        kafka_conf "$KMODE"
        if [ "$KMODE" = registry ]; then
            desc="$desc, schema registry"
        else
            desc="$desc, no registry"
        fi
    fi
    step "scenario $kind: build the backlog ($desc)"
    build_backlog "$kind"
    # pg_recvlogical drains once before rowcast and once after it, and the
    # faster of its two runs is the ceiling: whoever goes first pays for
    # cold caches, so the order must not decide the ratio.
    step "scenario $kind: drain with pg_recvlogical (before rowcast)"
    drain_recvlogical bench_recv
    local recv1=$RECV_S
    step "scenario $kind: drain with rowcast"
    drain_rowcast
    step "scenario $kind: drain with pg_recvlogical (after rowcast)"
    drain_recvlogical bench_recv2
    RECV_S=$(awk -v a="$recv1" -v b="$RECV_S" 'BEGIN { printf "%.2f", (a < b ? a : b) }')
    local rr ro ratio ok1 ok2
    rr=$(rate "$ROWS" "$RECV_S")
    ro=$(rate "$ROWS" "$ROWCAST_S")
    ratio=$(awk -v a="$ro" -v b="$rr" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
    ok1=$(awk -v r="$ratio" 'BEGIN { print (r >= 1.0 ? "met" : "MISSED") }')
    ok2=$(awk -v m="$RSS_MIB" -v t="$RSS_TARGET" 'BEGIN { print (m < t ? "met" : "MISSED") }')
    local sinkdesc="file sink        " extra=""
    if [ "$SINK" = kafka ]; then
        sinkdesc="Kafka (mock, 3)  "
        extra="
  acknowledged by the brokers : $ACKED messages (high watermarks; target >= $ROWS)"
    fi
    RESULTS="$RESULTS
scenario: $desc ($ROWS row changes)
  pg_recvlogical -> /dev/null : $(printf '%8s' "$RECV_S") s  $(printf '%10s' "$rr") rows/s  (best of two runs, before and after rowcast)
  rowcast -> $sinkdesc: $(printf '%8s' "$ROWCAST_S") s  $(printf '%10s' "$ro") rows/s  (rowcast CPU ${ROWCAST_CPU}s)
  ratio rowcast/pg_recvlogical: $ratio   (target >= 1.0: $ok1)
  rowcast peak RSS            : $RSS_MIB MiB   (target < $RSS_TARGET MiB: $ok2)$extra"
}

run_modes() {
    if [ "$SINK" = kafka ]; then
        for KMODE in $KMODES; do run_scenario "$1"; done
    else
        run_scenario "$1"
    fi
}
case "$MODE" in
    batched) run_modes batched ;;
    single) run_modes single ;;
    both) run_modes batched; run_modes single ;;
esac

echo
echo "==================== pg-drain results ===================="
echo "sink: $SINK$([ "$SINK" != kafka ] || echo " (librdkafka mock cluster, 3 brokers, $KPARTS partitions, in its own process on the same machine)")"
echo "machine: $(nproc) cores, $(uname -r), PostgreSQL $(psql_val 'SHOW server_version')"
echo "load average at start: $LOAD_START, now: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"
echo "$RESULTS"
echo "=========================================================="
