#!/bin/bash
# pg_stop_bigtxn.sh -- SIGTERM in the middle of large work.
# 1. While rowcast receives one large transaction. The walsender goes on
#    sending a transaction after the client ends the COPY, for as long as
#    the transaction is; rowcast once waited for the end of that in
#    PQgetResult() and never exited. Now: it stops within a few seconds,
#    cleanly, and after a restart every row of the transaction arrives (it
#    was not acknowledged, so it is sent again).
# 2. During a first start's snapshot (one COPY for the table): rowcast
#    once read the whole table before it stopped. Now it stops at the next
#    chunk, the checkpoint says where, and the restart reads the rest: the
#    files then hold each row exactly once.
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/pg_stop_bigtxn.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

ROWS=${BIGTXN_ROWS:-300000}
rc_init pg_stop_bigtxn
pg_start
psql_cdc -qc "CREATE TABLE big (id bigint PRIMARY KEY, name text, v numeric(12,2))"
CONF=$WORK/rowcast.conf
rc_config "$CONF" "public.big" "snapshot = never"

step "the slot first, then one transaction of $ROWS rows"
rc_start "$CONF"
rc_wait_streaming
rc_stop
psql_cdc -qc "INSERT INTO big SELECT g, 'name ' || g, g / 100.0 FROM generate_series(1, $ROWS) g"
END_LSN=$(psql_val "SELECT pg_current_wal_lsn()")

step "SIGTERM once rowcast writes the transaction's events"
rc_start "$CONF"
_receiving() { # a block of the open transaction in a .part file
    rc_check_alive "receiving"
    local f
    for f in "$WORK"/out/*/*.avro.part; do
        [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt 200000 ] && return 0
    done
    return 1
}
wait_for 60 "rowcast to receive the large transaction" _receiving
slot_past "$END_LSN" && fail "the transaction was already acknowledged: make BIGTXN_ROWS larger"
kill -TERM "$RC_PID"
t0=$SECONDS
rc_wait_exit 15 || fail "rowcast did not exit within 15 s of SIGTERM in the middle of a large transaction"
[ "$RC_STATUS" = 0 ] || fail "rowcast exited with $RC_STATUS after SIGTERM"
info "stopped in $((SECONDS - t0)) s"

step "restart: the whole transaction arrives again, in new files"
# (when the transaction was received whole before the stop went through,
# it is durable already and nothing is sent again: then the files before
# the restart hold it)
if slot_past "$END_LSN"; then
    info "the transaction was received whole before the stop"
    : >"$WORK/files.before"
else
    ls "$WORK"/out/*/ >"$WORK/files.before"
fi
rc_start "$CONF"
_past() { rc_check_alive "draining"; slot_past "$END_LSN"; }
wait_for 180 "the slot past the transaction" _past
rc_stop
# records in the files the restart wrote (from the block headers; the
# events themselves are checked by the no-loss tests)
n=$(cd "$WORK/out" && $PY - "$WORK/files.before" <<'PY'
import glob, os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "lib"))
import pgcompare
before = set(open(sys.argv[1]).read().split())
print(sum(pgcompare.OcfFile(p, decode=False).nblock_records
          for p in glob.glob("*/*.avro") if os.path.basename(p) not in before))
PY
)
[ "$n" = "$ROWS" ] || fail "the restart wrote $n events, expected the $ROWS of the transaction"
info "the restart wrote $n events"

# ------------------------------------------------------------------
SNAP_ROWS=300000
step "a first start's snapshot of $SNAP_ROWS rows (100,000 rows/s), SIGTERM in the middle"
psql_cdc -qc "CREATE TABLE snap (id bigint PRIMARY KEY, name text)"
psql_cdc -qc "INSERT INTO snap SELECT g, 'name ' || g FROM generate_series(1, $SNAP_ROWS) g"
CONF2=$WORK/rowcast-snap.conf
SOURCE_NAME=snapshop RC_STATE=$WORK/state2 RC_OUT=$WORK/out2 \
    rc_config "$CONF2" "public.snap" "snapshot_max_rows_per_sec = 100000"
rc_start "$CONF2"
_snap_mid() {
    rc_check_alive "snapshotting"
    grep -Eq "^snapshot = running public.snap [0-9]{5,}" "$WORK/state2/snapshop.checkpoint" 2>/dev/null
}
wait_for 30 "the snapshot to be running" _snap_mid
kill -TERM "$RC_PID"
t0=$SECONDS
rc_wait_exit 10 || fail "rowcast did not exit within 10 s of SIGTERM during a snapshot"
[ "$RC_STATUS" = 0 ] || fail "rowcast exited with $RC_STATUS after SIGTERM"
line=$(grep "^snapshot = " "$WORK/state2/snapshop.checkpoint")
info "stopped in $((SECONDS - t0)) s; checkpoint: $line"
case "$line" in
    "snapshot = running public.snap "*) ;;
    *) fail "after the stop the checkpoint says '$line', expected the snapshot running" ;;
esac
step "restart: the snapshot resumes and completes"
rc_start "$CONF2"
_snap_done() { rc_check_alive "resuming"; grep -q "^snapshot = done public.snap" "$WORK/state2/snapshop.checkpoint"; }
wait_for 60 "the snapshot to be done" _snap_done
rc_stop
n=$($PY "$top_srcdir/tests/lib/mycompare.py" count --fast --dir "$WORK/out2")
[ "$n" = "$SNAP_ROWS" ] || fail "the files hold $n snapshot rows, expected $SNAP_ROWS (each once)"
info "$n rows, each once"
rc_finish
