#!/bin/bash
# my_snapshot.sh -- snapshots against a real MariaDB 10.11 (the same plan as
# pg_snapshot.sh, tables cdc.*).
#
# Phase 1: rowcast starts on cdc.small (20,000 rows) and cdc.big (200,000
#   rows), snapshot left at its default (initial), 5,000-row chunks,
#   throttled to SNAP_RATE rows/s. A load (tests/lib/snapcheck.py load)
#   updates, deletes, inserts, re-inserts and moves (primary-key update)
#   rows of both tables all along. Once big's checkpoint line is `running`
#   with >= 60,000 rows rowcast is SIGKILLed, its cursor noted, and it is
#   restarted: the log must say the snapshot resumes after those rows and no
#   row at or below the cursor may be read again. After the load, once
#   rowcast caught up (every table done, the checkpoint at the server's
#   binlog position after the load's final marker), it stops and the output
#   is checked: r events flagged true/last, one "last" per run, key order,
#   each untouched row read exactly once (above the cursor: at least once),
#   every committed change present, changes both behind and ahead of the
#   snapshot while it ran, and the events replayed in order equal a SELECT.
# Phase 2: rowcast runs again (no snapshot may start), a load changes big
#   and small, and cdc.third (30,000 rows) is added to the running agent's
#   configuration + SIGHUP: snapshotted and streamed, while big's and
#   small's changes keep flowing.
# Phase 3: `rowcast snapshot -c CONF cdc.small` on the running agent, under
#   load: a second complete run of r events for small.
#
# Knobs: SNAP_RATE (throttle, default 10000 rows/s), SNAP_SEED.
# Run alone: top_srcdir=/path/to/repo top_builddir=/path/to/build tests/integration/my_snapshot.sh
set -eu

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/my.sh"

RATE=${SNAP_RATE:-10000}
SEED=${SNAP_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
BIG_ROWS=200000
SMALL_ROWS=20000     # 4 chunks exactly: the table's last chunk is full
THIRD_ROWS=30000
SNAPCHECK=$top_srcdir/tests/lib/snapcheck.py

rc_workdir my_snapshot
my_init my_snapshot
[ -x "$ROWCAST" ] || fail "$ROWCAST does not exist: build it first (make rowcast)"
$PY -c 'import pymysql, avro.io' 2>/dev/null ||
    skip "python3-pymysql or python3-avro is missing for /usr/bin/python3 (apt-get install python3-pymysql python3-avro)"
info "seed $SEED (rerun with SNAP_SEED=$SEED), throttle $RATE rows/s"
RANDOM=$((SEED % 32768))
my_start

STATE=$WORK/state
OUT=$WORK/out
CKPT=$STATE/$SOURCE_NAME.checkpoint
CONF=$WORK/rowcast.conf

snap_of() { $PY "$SNAPCHECK" ckpt --file "$CKPT" --table "$1" 2>/dev/null; }
snap_done() { $PY "$SNAPCHECK" ckpt --file "$CKPT" --done "$1" 2>/dev/null; }
rc_log_has() { grep -Eq -- "$1" "$RC_LOG.err"; }
snap_conf() {
    cat >"$CONF" <<EOF
[rowcast]
state_dir = $STATE

[source $SOURCE_NAME]
type = mysql
host = 127.0.0.1
port = $MYPORT
user = $MYUSER
password = $MYPASSWORD
server_id = 4261
tables = $1
snapshot_chunk_size = 5000
snapshot_max_rows_per_sec = $RATE
snapshot_progress_interval = 1s

[sink files]
type = file
path = $OUT
flush_interval = 50ms
EOF
}
load() {
    local phase=$1 name=$2
    shift 2
    $PY "$SNAPCHECK" load --socket "$MYSOCK" --phase "$phase" --log "$WORK/changes.$name.log" \
        --pos-out "$WORK/pos.$name" --seed "$((SEED + phase))" "$@" >"$WORK/load.$name.out" 2>&1 &
    LOAD_PID=$!
    bg_track $LOAD_PID
}
load_wait() {
    local rc=0
    wait "$1" || rc=$?
    sed 's/^/    /' "$WORK/load.$2.out"
    [ $rc -eq 0 ] || fail "the load $2 failed (exit $rc)"
}
# ckpt_past FILE POS: the checkpoint's binlog position is at or past FILE:POS.
ckpt_past() {
    local f p
    f=$(sed -n 's/^file = //p' "$CKPT" 2>/dev/null)
    p=$(sed -n 's/^pos = //p' "$CKPT" 2>/dev/null)
    [ -n "$f" ] && [ -n "$p" ] || return 1
    [[ "$f" > "$1" ]] || { [ "$f" = "$1" ] && [ "$p" -ge "$2" ]; }
}
caught_up() {
    local n poss=""
    for n in "$@"; do poss="$poss $(tr ' ' : <"$WORK/pos.$n")"; done
    _caught() {
        rc_check_alive "while catching up"
        local x
        [ -f "$CKPT" ] || return 1
        ! grep -q '^snapshot *= *\(running\|pending\)' "$CKPT" || return 1
        for x in $poss; do ckpt_past "${x%%:*}" "${x##*:}" || return 1; done
    }
    wait_for 120 "rowcast to finish its snapshots and checkpoint past$poss" _caught
}

step "create big ($BIG_ROWS rows), small ($SMALL_ROWS rows), third ($THIRD_ROWS rows, not configured yet)"
for t in big small third; do
    my_sql "CREATE TABLE $t (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, amount DECIMAL(12,2),
            qty INT, note TEXT, seq BIGINT NOT NULL DEFAULT 0) DEFAULT CHARSET utf8mb4"
done
my_sql "INSERT INTO big SELECT seq, CONCAT('customer ', seq), (seq % 100000) / 100 - 300, seq % 1000,
          IF(seq % 7 = 0, NULL, CONCAT('né ', REPEAT(CHAR(97 + seq % 26), seq % 40))), 0 FROM seq_1_to_$BIG_ROWS;
        INSERT INTO small SELECT seq, CONCAT('small ', seq), seq / 7, seq % 10, CONCAT('row ', seq), 0 FROM seq_1_to_$SMALL_ROWS;
        INSERT INTO third SELECT seq, CONCAT('third ', seq), seq / 3, seq % 5, NULL, 0 FROM seq_1_to_$THIRD_ROWS;
        ANALYZE TABLE big, small, third;" >/dev/null

# ------------------------------------------------------------------
step "phase 1: start rowcast on small and big (snapshot = initial by default)"
snap_conf "cdc.small, cdc.big"
rc_start "$CONF"
# The load may only begin once rowcast has fixed its binlog start position:
# its first durable chunk tells.
_first_chunk() {
    rc_check_alive "starting"
    local s
    s=$(snap_of cdc.small) || return 1
    set -- $s
    [ "$1" = done ] || [ "$2" -gt 0 ]
}
wait_for 60 "the first snapshot chunk of cdc.small in $CKPT" _first_chunk
load 1 p1 --table cdc.big=3 --table cdc.small=1 --tps 40 --until "$WORK/stop1" --seconds 150
LOAD1=$LOAD_PID

step "phase 1: wait for the snapshot of cdc.big to be running with >= 60000 rows, then SIGKILL"
_big_mid() {
    rc_check_alive "during the snapshot"
    local s
    s=$(snap_of cdc.big) || return 1
    set -- $s
    [ "$1" != done ] || fail "the snapshot of cdc.big finished before it could be killed (checkpoint: $s); is snapshot_max_rows_per_sec = $RATE ignored?"
    [ "$1" = running ] && [ "$2" -ge 60000 ]
}
wait_for 90 "cdc.big running with >= 60000 rows in $CKPT" _big_mid
# a moment later, so that rows past the checkpoint may be in the files
sleep "0.$((RANDOM % 9 + 1))"
kill -0 $LOAD1 2>/dev/null || fail "the load ended before the kill"
rc_kill
cp "$CKPT" "$WORK/checkpoint.at-kill"
KILL_LINE=$(snap_of cdc.big) || fail "no snapshot line for cdc.big in the checkpoint after the kill"
read -r KILL_STATE KILL_ROWS KILL_CURSOR <<<"$KILL_LINE"
info "killed: checkpoint says cdc.big $KILL_STATE, $KILL_ROWS rows, cursor $KILL_CURSOR; small: $(snap_of cdc.small || echo none)"
[ "$KILL_STATE" = running ] || fail "after the kill cdc.big is '$KILL_STATE', expected running"
[ "$KILL_ROWS" -gt 0 ] && [ "$KILL_ROWS" -lt $((BIG_ROWS - 20000)) ] ||
    fail "the kill was not mid-snapshot: $KILL_ROWS rows of $BIG_ROWS"
[ "$KILL_CURSOR" != - ] || fail "the checkpoint of a running snapshot has no cursor: $(grep snapshot "$CKPT")"
snap_done cdc.small || check_fail "cdc.small is not done in the checkpoint at the kill: $(snap_of cdc.small || echo no line)"
rc_log_has "snapshot of cdc\.big started \(~[0-9]+ rows\)" ||
    check_fail "rowcast #1 did not log 'snapshot of cdc.big started (~N rows)'"
rc_log_has "snapshot of cdc\.big: [0-9]+ of ~[0-9]+ rows \([0-9]+%\), [0-9]+ rows/s" ||
    check_fail "rowcast #1 logged no progress line 'snapshot of cdc.big: N of ~M rows (P%), R rows/s' (snapshot_progress_interval = 1s)"
ls "$OUT/$SOURCE_NAME.cdc.big" >"$WORK/prekill.files"
info "$(wc -l <"$WORK/prekill.files") file(s) of cdc.big before the restart"

step "phase 1: restart; the snapshot must resume after $KILL_ROWS rows"
rc_start "$CONF"
_resumed() { rc_check_alive "restarting"; rc_log_has "snapshot of cdc\.big (resumes|started)"; }
wait_for 30 "rowcast #2 to log the snapshot of cdc.big" _resumed
if rc_log_has "snapshot of cdc\.big resumes after $KILL_ROWS rows"; then
    info "$(grep -o "snapshot of cdc.big resumes.*" "$RC_LOG.err" | head -n 1)"
else
    check_fail "rowcast #2 did not log 'snapshot of cdc.big resumes after $KILL_ROWS rows': $(grep -o 'snapshot of cdc.big.*' "$RC_LOG.err" | head -n 2)"
fi
! rc_log_has "snapshot of cdc\.small (resumes|started)" ||
    check_fail "rowcast #2 snapshots cdc.small again, which was done: $(grep -o 'snapshot of cdc.small.*' "$RC_LOG.err" | head -n 1)"
_big_done() { rc_check_alive "during the resumed snapshot"; snap_done cdc.big; }
wait_for 120 "cdc.big done in the checkpoint" _big_done
info "snapshot done: $(grep -o 'snapshot of cdc.big finished.*' "$RC_LOG.err" | head -n 1)"
rc_log_has "snapshot of cdc\.big finished: [0-9]+ rows" ||
    check_fail "rowcast #2 did not log 'snapshot of cdc.big finished: N rows ...'"
sleep 2
touch "$WORK/stop1"
load_wait $LOAD1 p1
caught_up p1
rc_stop 60

step "phase 1: check the output"
$PY "$SNAPCHECK" check --dir "$OUT" --source "$SOURCE_NAME" --socket "$MYSOCK" \
    --tables cdc.small,cdc.big --changes "$WORK/changes.p1.log" \
    --runs cdc.small=1,cdc.big=1 \
    --resume "cdc.big:$KILL_CURSOR:$WORK/prekill.files" \
    --concurrent cdc.big ||
    check_fail "phase 1 (initial snapshot, SIGKILL and resume under load): see the FAIL lines above"

# ------------------------------------------------------------------
step "phase 2: restart (nothing to snapshot), load big and small, add cdc.third + SIGHUP"
rc_start "$CONF"
_streaming() { rc_check_alive "starting"; rc_log_has "streaming MariaDB"; }
wait_for 30 "rowcast #3 to stream" _streaming
load 2 p2 --table cdc.big=1 --table cdc.small=1 --tps 30 --until "$WORK/stop2" --seconds 120
LOAD2=$LOAD_PID
sleep 2
snap_conf "cdc.small, cdc.big, cdc.third"
kill -HUP "$RC_PID"
info "SIGHUP sent to $RC_PID with cdc.third added"
_third_started() {
    rc_check_alive "after SIGHUP"
    local s
    s=$(snap_of cdc.third) || return 1
    set -- $s
    [ "$1" = done ] || { [ "$1" = running ] && [ "$2" -gt 0 ]; }
}
wait_for 30 "a snapshot line of cdc.third with rows (running or done)" _third_started
info "cdc.third: $(snap_of cdc.third)"
load 2 p2third --table cdc.third=1 --tps 20 --until "$WORK/stop2" --seconds 120
LOAD2B=$LOAD_PID
_third_done() { rc_check_alive "while cdc.third is snapshotted"; snap_done cdc.third; }
wait_for 90 "cdc.third done in the checkpoint" _third_done
sleep 2
touch "$WORK/stop2"
load_wait $LOAD2 p2
load_wait $LOAD2B p2third
caught_up p2 p2third
! rc_log_has "snapshot of cdc\.(big|small) (resumes|started)" ||
    check_fail "rowcast #3 snapshotted an old table again on its restart or on SIGHUP: $(grep -Eo 'snapshot of cdc\.(big|small).*' "$RC_LOG.err" | head -n 1)"
rc_log_has "snapshot of cdc\.third started" || check_fail "rowcast #3 did not log 'snapshot of cdc.third started'"

# ------------------------------------------------------------------
# Phase 3: a requested snapshot under load (MY_SNAPSHOT_REQUEST=0 skips
# it). It found a chunk pushed after a transaction past its position.
RUNS_SMALL=cdc.small=1
P3_CHANGES=""
P3_SOFT=""
if [ "${MY_SNAPSHOT_REQUEST:-1}" = 1 ]; then
RUNS_SMALL=cdc.small=1+3
P3_CHANGES="--changes $WORK/changes.p3.log"
P3_SOFT="--concurrent-soft cdc.small:2"
step "phase 3: rowcast snapshot -c CONF cdc.small, under load"
load 3 p3 --table cdc.small=3 --table cdc.big=1 --tps 40 --until "$WORK/stop3" --seconds 120
LOAD3=$LOAD_PID
sleep 1
rc=0
"$ROWCAST" snapshot -c "$CONF" cdc.small >"$WORK/snapcmd.out" 2>&1 || rc=$?
info "rowcast snapshot: exit $rc: $(head -c 300 "$WORK/snapcmd.out")"
[ $rc -eq 0 ] || fail "rowcast snapshot -c CONF cdc.small exited with $rc"
_small_again() { rc_check_alive "after the snapshot request"; rc_log_has "snapshot of cdc\.small started"; }
wait_for 15 "the running agent to start the requested snapshot of cdc.small" _small_again
_small_finished() { rc_check_alive "during the requested snapshot"; rc_log_has "snapshot of cdc\.small finished" && snap_done cdc.small; }
wait_for 60 "the requested snapshot of cdc.small to finish" _small_finished
sleep 1
touch "$WORK/stop3"
load_wait $LOAD3 p3
caught_up p3

fi
rc_stop 60

step "final check: all phases"
$PY "$SNAPCHECK" check --dir "$OUT" --source "$SOURCE_NAME" --socket "$MYSOCK" \
    --tables cdc.small,cdc.big,cdc.third \
    --changes "$WORK/changes.p1.log" --changes "$WORK/changes.p2.log" \
    --changes "$WORK/changes.p2third.log" $P3_CHANGES \
    --runs "$RUNS_SMALL,cdc.big=1,cdc.third=2" \
    --resume "cdc.big:$KILL_CURSOR:$WORK/prekill.files" \
    --concurrent cdc.big --concurrent-soft cdc.third $P3_SOFT \
    --flowing cdc.third:cdc.big+cdc.small ||
    check_fail "phases 2 and 3 (table added by SIGHUP, requested snapshot): see the FAIL lines above"
rc_finish
