# kafka.sh -- helpers for integration tests of the Kafka sink, on top of
# pg.sh. No Kafka broker is packaged: a librdkafka mock cluster runs in its
# own process (tests/lib/mockkafka.c, LAB.md section 3) and the output is
# read back with Debian's confluent_kafka + avro (tests/lib/kafka_consume.py).
#
#   . "$top_srcdir/tests/lib/pg.sh"
#   . "$top_srcdir/tests/lib/kafka.sh"
#   rc_init pg_kafka
#   kafka_init                      # skip (77) without confluent_kafka / the mock
#   kafka_start 3 [topic:partitions ...]   # $KAFKA_BS, $KAFKA_PID
#   pg_start
#   rc_config_kafka "$WORK/rowcast.conf" "public.a, public.b"
#   rc_start "$WORK/rowcast.conf"
#   kconsume consume --count 10     # JSON lines of the decoded messages
#   kafka_down; ...; kafka_up       # all brokers down / up (port kept)
#
# The mock is registered with bg_track, so pg.sh's EXIT trap stops it.

# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # used by the sourcing tests; top_srcdir etc. come from pg.sh

KCONSUME=$top_srcdir/tests/lib/kafka_consume.py
KAFKA_BS=""
KAFKA_PID=""
KAFKA_LOG=""
MOCKKAFKA=""
_KAFKA_FOLLOW_PID=""

# kafka_init: skip unless confluent_kafka and the mock cluster are usable.
# Uses the mockkafka that `make check` built, else compiles one into $WORK.
kafka_init() {
    $PY -c 'import confluent_kafka' 2>/dev/null ||
        skip "python3-confluent-kafka is missing for /usr/bin/python3 (apt-get install python3-confluent-kafka)"
    if [ -x "$top_builddir/tests/lib/mockkafka" ]; then
        MOCKKAFKA=$top_builddir/tests/lib/mockkafka
    else
        if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists rdkafka 2>/dev/null; then
            skip "librdkafka (pkg-config rdkafka) is missing: no mock cluster"
        fi
        local inc
        inc=$(pkg-config --variable=includedir rdkafka)
        [ -f "$inc/librdkafka/rdkafka_mock.h" ] ||
            skip "librdkafka's mock cluster header (rdkafka_mock.h) is missing"
        MOCKKAFKA=$WORK/mockkafka
        # shellcheck disable=SC2046
        ${CC:-cc} -O1 -Wall -Wextra -o "$MOCKKAFKA" "$top_srcdir/tests/lib/mockkafka.c" \
            $(pkg-config --cflags --libs rdkafka) >"$WORK/mockkafka.build" 2>&1 || {
            cat "$WORK/mockkafka.build" >&2
            skip "cannot build the librdkafka mock cluster (tests/lib/mockkafka.c)"
        }
    fi
}

# kafka_start N [topic:partitions ...]: start the mock cluster with N
# brokers; waits for its bootstrap file. Sets KAFKA_BS, KAFKA_PID, KAFKA_LOG.
kafka_start() {
    local n=${1:-3}
    shift || true
    local bsfile=$WORK/kafka.bootstrap
    KAFKA_LOG=$WORK/mockkafka.log
    rm -f "$bsfile"
    "$MOCKKAFKA" "$n" "$bsfile" "$@" >"$WORK/mockkafka.out" 2>"$KAFKA_LOG" &
    KAFKA_PID=$!
    bg_track "$KAFKA_PID"
    local i
    for i in $(seq 1 100); do
        [ -s "$bsfile" ] && break
        kill -0 "$KAFKA_PID" 2>/dev/null || {
            cat "$KAFKA_LOG" >&2
            fail "the mock Kafka cluster exited at start-up"
        }
        sleep 0.05
    done
    [ -s "$bsfile" ] || fail "the mock Kafka cluster wrote no bootstrap file in 5s"
    KAFKA_BS=$(cat "$bsfile")
    info "mock Kafka: $n broker(s) at $KAFKA_BS (pid $KAFKA_PID)"
}

# _kafka_signal SIG WORD: signal the mock and wait for its log line.
_kafka_signal() {
    local sig=$1 word=$2 before
    before=$(grep -c "all brokers $word" "$KAFKA_LOG" 2>/dev/null || true)
    kill -"$sig" "$KAFKA_PID" || fail "the mock Kafka cluster is gone"
    local i
    for i in $(seq 1 100); do
        [ "$(grep -c "all brokers $word" "$KAFKA_LOG" 2>/dev/null || true)" -gt "$before" ] && return 0
        sleep 0.05
    done
    fail "the mock Kafka cluster did not report 'all brokers $word'"
}
kafka_down() { _kafka_signal USR1 down; info "all mock brokers down"; }
kafka_up() { _kafka_signal USR2 up; info "all mock brokers up"; }

kafka_stop() {
    [ -n "$KAFKA_PID" ] || return 0
    kill -TERM "$KAFKA_PID" 2>/dev/null || true
    wait "$KAFKA_PID" 2>/dev/null || true
    KAFKA_PID=""
}

# rc_config_kafka FILE TABLES [extra lines for the source section...]
# A rowcast configuration with a kafka sink [sink k] on $KAFKA_BS.
#   RC_KAFKA_PROPS   extra lines for the sink section (newline-separated,
#                    e.g. "kafka.linger.ms = 5")
#   RC_KAFKA_FILE=1  add the file sink too (path $RC_OUT)
#   RC_QUEUE_MAX_BYTES  the [rowcast] queue_max_bytes (default: rowcast's)
#   RC_STATE, RC_LOG_LEVEL as in rc_config.
rc_config_kafka() {
    local file=$1 tables=$2
    shift 2
    : "${RC_STATE:=$WORK/state}"
    : "${RC_OUT:=$WORK/out}"
    {
        echo "[rowcast]"
        echo "state_dir = $RC_STATE"
        echo "log_level = ${RC_LOG_LEVEL:-info}"
        [ -z "${RC_QUEUE_MAX_BYTES:-}" ] || echo "queue_max_bytes = $RC_QUEUE_MAX_BYTES"
        echo
        echo "[source $SOURCE_NAME]"
        echo "type = postgresql"
        echo "conninfo = $CONNINFO"
        echo "tables = $tables"
        local l
        for l in "$@"; do echo "$l"; done
        echo
        echo "[sink k]"
        echo "type = kafka"
        echo "brokers = $KAFKA_BS"
        # reconnect quickly after an outage (librdkafka's default backs off to 10s)
        echo "kafka.reconnect.backoff.ms = 100"
        echo "kafka.reconnect.backoff.max.ms = 1000"
        [ -z "${RC_KAFKA_PROPS:-}" ] || printf '%s\n' "$RC_KAFKA_PROPS"
        if [ "${RC_KAFKA_FILE:-0}" = 1 ]; then
            echo
            echo "[sink files]"
            echo "type = file"
            echo "path = $RC_OUT"
            echo "flush_interval = ${RC_FLUSH:-50ms}"
        fi
    } >"$file"
}

# kconsume ARGS...: kafka_consume.py on $KAFKA_BS with --prefix $SOURCE_NAME,
# e.g. `kconsume consume --count 10 --idle 5` or `kconsume compare --dsn ...`.
kconsume() {
    local cmd=$1
    shift
    $PY "$KCONSUME" "$cmd" -b "$KAFKA_BS" --prefix "$SOURCE_NAME" "$@"
}

# kafka_follow_start FILE: a background consumer that appends one JSON line
# per event message to FILE as they arrive (from the beginning), until
# kafka_follow_stop. Counting while a load runs beats the mock's retention.
kafka_follow_start() {
    KAFKA_FOLLOW_OUT=$1
    : >"$KAFKA_FOLLOW_OUT"
    $PY "$KCONSUME" consume -b "$KAFKA_BS" --prefix "$SOURCE_NAME" --follow \
        --out "$KAFKA_FOLLOW_OUT" 2>"$KAFKA_FOLLOW_OUT.err" &
    _KAFKA_FOLLOW_PID=$!
    bg_track "$_KAFKA_FOLLOW_PID"
}

# kafka_follow_stop: stop the follower; returns its exit status (1 on
# violations, listed in $KAFKA_FOLLOW_OUT.err).
kafka_follow_stop() {
    local rc=0
    [ -n "$_KAFKA_FOLLOW_PID" ] || return 0
    kill -TERM "$_KAFKA_FOLLOW_PID" 2>/dev/null || true
    wait "$_KAFKA_FOLLOW_PID" || rc=$?
    _KAFKA_FOLLOW_PID=""
    return "$rc"
}

# kafka_follow_count [TOPIC]: event messages the follower has seen so far.
kafka_follow_count() {
    if [ -n "${1:-}" ]; then
        grep -c "\"topic\": \"$1\"" "$KAFKA_FOLLOW_OUT" || true
    else
        wc -l <"$KAFKA_FOLLOW_OUT"
    fi
}
kafka_follow_count_ge() { [ "$(kafka_follow_count "${2:-}")" -ge "$1" ]; }

# rc_rss_kib: resident set size of rowcast in KiB (0 if it is gone).
rc_rss_kib() {
    awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$RC_PID/status" 2>/dev/null || echo 0
}
