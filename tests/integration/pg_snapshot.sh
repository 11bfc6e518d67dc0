#!/bin/bash
# pg_snapshot.sh -- snapshots against a real PostgreSQL 15.
#
# Phase 1: rowcast starts on two tables that already hold rows, small
#   (20,000 rows, REPLICA IDENTITY FULL) and big (200,000 rows), with
#   snapshot left at its default (initial), 5,000-row chunks and a throttle
#   of SNAP_RATE rows/s so that the snapshot lasts long enough to be hit.
#   A load (tests/lib/snapcheck.py load) keeps updating, deleting,
#   inserting, re-inserting and moving (primary-key update) rows of both
#   tables all along. Once big's checkpoint line is `running` with at least
#   60,000 rows, rowcast is SIGKILLed; the checkpoint's cursor is noted and
#   rowcast restarted: its log must say the snapshot resumes after those
#   rows, and no row at or below the cursor may be read again. When the
#   load is over and rowcast has caught up (every table done, the slot past
#   the load's final marker), rowcast stops and the output is checked:
#   every r event is flagged snapshot true/last, one "last" per run, in key
#   order; each untouched row read exactly once (keys above the cursor may
#   repeat); every committed change is there; the load changed rows both
#   behind and ahead of the snapshot while it ran; and the events replayed
#   in order equal a SELECT of each table.
# Phase 2: rowcast runs again (no snapshot may start), a load changes big
#   and small (and truncates small), and a third table with 30,000 rows is
#   added to the running agent's configuration + SIGHUP: it must be
#   snapshotted and streamed while big's and small's changes keep flowing.
# Phase 3: `rowcast snapshot -c CONF public.small` on the running agent,
#   under load: a second complete run of r events for small.
# The final check covers the three phases (rebuild of every table, every
# logged change, the runs per table).
#
# Knobs: SNAP_RATE (throttle, default 10000 rows/s), SNAP_SEED.
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/pg_snapshot.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

RATE=${SNAP_RATE:-10000}
SEED=${SNAP_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
BIG_ROWS=200000
SMALL_ROWS=20000     # 4 chunks exactly: the table's last chunk is full
THIRD_ROWS=30000
SNAPCHECK=$top_srcdir/tests/lib/snapcheck.py

rc_init pg_snapshot
info "seed $SEED (rerun with SNAP_SEED=$SEED), throttle $RATE rows/s"
RANDOM=$((SEED % 32768))
pg_start

RC_STATE=$WORK/state
RC_OUT=$WORK/out
CKPT=$RC_STATE/$SOURCE_NAME.checkpoint
CONF=$WORK/rowcast.conf

# snap_of TABLE: "STATE ROWS CURSOR" from the checkpoint (fails when no line).
snap_of() { $PY "$SNAPCHECK" ckpt --file "$CKPT" --table "$1" 2>/dev/null; }
snap_done() { $PY "$SNAPCHECK" ckpt --file "$CKPT" --done "$1" 2>/dev/null; }
# rc_log_has ERE: the current rowcast's stderr matches.
rc_log_has() { grep -Eq -- "$1" "$RC_LOG.err"; }
snap_conf() {
    rc_config "$CONF" "$1" \
        "snapshot_chunk_size = 5000" \
        "snapshot_max_rows_per_sec = $RATE" \
        "snapshot_progress_interval = 1s"
}
# load PHASE NAME ARGS...: snapcheck.py load in the background; LOAD_PID.
load() {
    local phase=$1 name=$2
    shift 2
    $PY "$SNAPCHECK" load --dsn "$DSN" --phase "$phase" --log "$WORK/changes.$name.log" \
        --pos-out "$WORK/pos.$name" --seed "$((SEED + phase))" "$@" >"$WORK/load.$name.out" 2>&1 &
    LOAD_PID=$!
    bg_track $LOAD_PID
}
# load_wait PID NAME: wait for a load; fail if it failed.
load_wait() {
    local rc=0
    wait "$1" || rc=$?
    sed 's/^/    /' "$WORK/load.$2.out"
    [ $rc -eq 0 ] || fail "the load $2 failed (exit $rc)"
}
# caught_up NAME...: wait until every table of the checkpoint is done and
# the slot confirmed past each named load's final marker.
caught_up() {
    local n lsns=""
    for n in "$@"; do lsns="$lsns $(cat "$WORK/pos.$n")"; done
    _caught() {
        rc_check_alive "while catching up"
        local l
        [ -f "$CKPT" ] || return 1
        ! grep -q '^snapshot *= *\(running\|pending\)' "$CKPT" || return 1
        for l in $lsns; do slot_past "$l" || return 1; done
    }
    wait_for 120 "rowcast to finish its snapshots and confirm past$lsns" _caught
}

step "create big ($BIG_ROWS rows), small ($SMALL_ROWS rows, REPLICA IDENTITY FULL), third ($THIRD_ROWS rows, not configured yet)"
for t in big small third; do
    psql_cdc -c "CREATE TABLE $t (id int PRIMARY KEY, name text NOT NULL, amount numeric(12,2),
                 qty int, note text, seq bigint NOT NULL DEFAULT 0)"
done
psql_cdc <<SQL
INSERT INTO big SELECT g, 'customer ' || g, (g % 100000) / 100.0 - 300, g % 1000,
  CASE WHEN g % 7 = 0 THEN NULL ELSE 'né ' || repeat(chr(97 + g % 26), g % 40) END, 0
  FROM generate_series(1, $BIG_ROWS) g;
INSERT INTO small SELECT g, 'small ' || g, g / 7.0, g % 10, 'row ' || g, 0 FROM generate_series(1, $SMALL_ROWS) g;
INSERT INTO third SELECT g, 'third ' || g, g / 3.0, g % 5, NULL, 0 FROM generate_series(1, $THIRD_ROWS) g;
ALTER TABLE small REPLICA IDENTITY FULL;
ANALYZE;
SQL

# ------------------------------------------------------------------
step "phase 1: start rowcast on small and big (snapshot = initial by default)"
snap_conf "public.small, public.big"
rc_start "$CONF"
_slot() { rc_check_alive "starting"; slot_exists; }
wait_for 30 "the slot $(slot_name)" _slot
load 1 p1 --table public.big=3 --table public.small=1 --tps 40 --until "$WORK/stop1" --seconds 150
LOAD1=$LOAD_PID

step "phase 1: wait for the snapshot of public.big to be running with >= 60000 rows, then SIGKILL"
_big_mid() {
    rc_check_alive "during the snapshot"
    local s
    s=$(snap_of public.big) || return 1
    set -- $s
    [ "$1" != done ] || fail "the snapshot of public.big finished before it could be killed (checkpoint: $s); is snapshot_max_rows_per_sec = $RATE ignored?"
    [ "$1" = running ] && [ "$2" -ge 60000 ]
}
wait_for 90 "public.big running with >= 60000 rows in $CKPT" _big_mid
# a moment later, so that rows past the checkpoint may be in the files
sleep "0.$((RANDOM % 9 + 1))"
kill -0 $LOAD1 2>/dev/null || fail "the load ended before the kill"
rc_kill
cp "$CKPT" "$WORK/checkpoint.at-kill"
KILL_LINE=$(snap_of public.big) || fail "no snapshot line for public.big in the checkpoint after the kill"
read -r KILL_STATE KILL_ROWS KILL_CURSOR <<<"$KILL_LINE"
info "killed: checkpoint says public.big $KILL_STATE, $KILL_ROWS rows, cursor $KILL_CURSOR; small: $(snap_of public.small || echo none)"
[ "$KILL_STATE" = running ] || fail "after the kill public.big is '$KILL_STATE', expected running"
[ "$KILL_ROWS" -gt 0 ] && [ "$KILL_ROWS" -lt $((BIG_ROWS - 20000)) ] ||
    fail "the kill was not mid-snapshot: $KILL_ROWS rows of $BIG_ROWS"
[ "$KILL_CURSOR" != - ] || fail "the checkpoint of a running snapshot has no cursor: $(grep snapshot "$CKPT")"
snap_done public.small || check_fail "public.small is not done in the checkpoint at the kill: $(snap_of public.small || echo no line)"
rc_log_has "snapshot of public\.big started \(~[0-9]+ rows\)" ||
    check_fail "rowcast #1 did not log 'snapshot of public.big started (~N rows)'"
rc_log_has "snapshot of public\.big: [0-9]+ of ~[0-9]+ rows \([0-9]+%\), [0-9]+ rows/s" ||
    check_fail "rowcast #1 logged no progress line 'snapshot of public.big: N of ~M rows (P%), R rows/s' (snapshot_progress_interval = 1s)"
ls "$RC_OUT/$SOURCE_NAME.public.big" >"$WORK/prekill.files"
info "$(wc -l <"$WORK/prekill.files") file(s) of public.big before the restart"

step "phase 1: restart; the snapshot must resume after $KILL_ROWS rows"
rc_start "$CONF"
_resumed() { rc_check_alive "restarting"; rc_log_has "snapshot of public\.big (resumes|started)"; }
wait_for 30 "rowcast #2 to log the snapshot of public.big" _resumed
if rc_log_has "snapshot of public\.big resumes after $KILL_ROWS rows"; then
    info "$(grep -o "snapshot of public.big resumes.*" "$RC_LOG.err" | head -n 1)"
else
    check_fail "rowcast #2 did not log 'snapshot of public.big resumes after $KILL_ROWS rows': $(grep -o 'snapshot of public.big.*' "$RC_LOG.err" | head -n 2)"
fi
! rc_log_has "snapshot of public\.small (resumes|started)" ||
    check_fail "rowcast #2 snapshots public.small again, which was done: $(grep -o 'snapshot of public.small.*' "$RC_LOG.err" | head -n 1)"
_big_done() { rc_check_alive "during the resumed snapshot"; snap_done public.big; }
wait_for 120 "public.big done in the checkpoint" _big_done
info "snapshot done: $(grep -o 'snapshot of public.big finished.*' "$RC_LOG.err" | head -n 1)"
rc_log_has "snapshot of public\.big finished: [0-9]+ rows" ||
    check_fail "rowcast #2 did not log 'snapshot of public.big finished: N rows ...'"
sleep 2
touch "$WORK/stop1"
load_wait $LOAD1 p1
caught_up p1
rc_stop 60

step "phase 1: check the output"
$PY "$SNAPCHECK" check --dir "$RC_OUT" --source "$SOURCE_NAME" --dsn "$DSN" \
    --tables public.small,public.big --changes "$WORK/changes.p1.log" \
    --runs public.small=1,public.big=1 \
    --resume "public.big:$KILL_CURSOR:$WORK/prekill.files" \
    --concurrent public.big ||
    check_fail "phase 1 (initial snapshot, SIGKILL and resume under load): see the FAIL lines above"

# ------------------------------------------------------------------
step "phase 2: restart (nothing to snapshot), load big and small, add public.third + SIGHUP"
rc_start "$CONF"
rc_wait_streaming 30
load 2 p2 --table public.big=1 --table public.small=1 --tps 30 --truncate public.small@3:20000 \
    --until "$WORK/stop2" --seconds 120
LOAD2=$LOAD_PID
sleep 2
snap_conf "public.small, public.big, public.third"
kill -HUP "$RC_PID"
info "SIGHUP sent to $RC_PID with public.third added"
_third_started() {
    rc_check_alive "after SIGHUP"
    local s
    s=$(snap_of public.third) || return 1
    set -- $s
    [ "$1" = done ] || { [ "$1" = running ] && [ "$2" -gt 0 ]; }
}
wait_for 30 "a snapshot line of public.third with rows (running or done)" _third_started
info "public.third: $(snap_of public.third)"
load 2 p2third --table public.third=1 --tps 20 --until "$WORK/stop2" --seconds 120
LOAD2B=$LOAD_PID
_third_done() { rc_check_alive "while public.third is snapshotted"; snap_done public.third; }
wait_for 90 "public.third done in the checkpoint" _third_done
sleep 2
touch "$WORK/stop2"
load_wait $LOAD2 p2
load_wait $LOAD2B p2third
caught_up p2 p2third
! rc_log_has "snapshot of public\.(big|small) (resumes|started)" ||
    check_fail "rowcast #3 snapshotted an old table again on its restart or on SIGHUP: $(grep -Eo 'snapshot of public\.(big|small).*' "$RC_LOG.err" | head -n 1)"
rc_log_has "snapshot of public\.third started" || check_fail "rowcast #3 did not log 'snapshot of public.third started'"

# ------------------------------------------------------------------
step "phase 3: rowcast snapshot -c CONF public.small, under load"
load 3 p3 --table public.small=3 --table public.big=1 --tps 40 --until "$WORK/stop3" --seconds 120
LOAD3=$LOAD_PID
sleep 1
rc=0
"$ROWCAST" snapshot -c "$CONF" public.small >"$WORK/snapcmd.out" 2>&1 || rc=$?
info "rowcast snapshot: exit $rc: $(head -c 300 "$WORK/snapcmd.out")"
[ $rc -eq 0 ] || fail "rowcast snapshot -c CONF public.small exited with $rc"
_small_again() { rc_check_alive "after the snapshot request"; rc_log_has "snapshot of public\.small started"; }
wait_for 15 "the running agent to start the requested snapshot of public.small" _small_again
_small_finished() { rc_check_alive "during the requested snapshot"; rc_log_has "snapshot of public\.small finished" && snap_done public.small; }
wait_for 60 "the requested snapshot of public.small to finish" _small_finished
sleep 1
touch "$WORK/stop3"
load_wait $LOAD3 p3
caught_up p3
rc_stop 60

step "final check: all phases"
$PY "$SNAPCHECK" check --dir "$RC_OUT" --source "$SOURCE_NAME" --dsn "$DSN" \
    --tables public.small,public.big,public.third \
    --changes "$WORK/changes.p1.log" --changes "$WORK/changes.p2.log" \
    --changes "$WORK/changes.p2third.log" --changes "$WORK/changes.p3.log" \
    --runs public.small=1+3,public.big=1,public.third=2 \
    --resume "public.big:$KILL_CURSOR:$WORK/prekill.files" \
    --concurrent public.big --concurrent-soft public.third --concurrent-soft public.small:2 \
    --flowing public.third:public.big+public.small ||
    check_fail "phases 2 and 3 (table added by SIGHUP, requested snapshot): see the FAIL lines above"
rc_finish
