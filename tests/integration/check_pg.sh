#!/bin/bash
# check_pg.sh -- `rowcast check` against a PostgreSQL set up wrongly on
# purpose: wal_level=replica, a table without primary key under REPLICA
# IDENTITY DEFAULT, a table with TOASTable columns, a role without the
# REPLICATION right that owns nothing, a file sink path that cannot be a
# directory, and (when Kafka is built in) a Kafka sink on a dead port. Every
# finding comes with its fix, the exit status is 2, and the password of the
# conninfo is printed as ***. Then the same setup corrected passes (exit 0,
# warnings allowed) and rowcast really runs from it; a check next to the
# running rowcast says the slot is in use; a checkpoint whose slot was
# dropped, and a corrupt checkpoint, fail.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

rc_init check_pg
pg_start wal_level=replica
CONF=$WORK/rowcast.conf
PW='Pw-check-4711'
BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$BIN/pg_ctl" ] || BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

KAFKA=0
if "$ROWCAST" --help | grep -q '^  kafka' && [ -x "$top_builddir/tests/lib/mockkafka" ]; then
    KAFKA=1
    MOCKKAFKA=$top_builddir/tests/lib/mockkafka
    . "$top_srcdir/tests/lib/kafka.sh"
    MOCKKAFKA=$top_builddir/tests/lib/mockkafka
fi

psql_cdc <<SQL
CREATE TABLE nopk (a int, b int);
CREATE TABLE notes (id int PRIMARY KEY, body text);
CREATE ROLE norepl LOGIN PASSWORD '$PW';
GRANT SELECT ON nopk, notes TO norepl;
SQL
printf 'not a directory\n' >"$WORK/afile"

# conf BROKERS OUTPATH
conf() {
    {
        echo "[rowcast]"
        echo "state_dir = $WORK/state"
        echo
        echo "[source $SOURCE_NAME]"
        echo "type = postgresql"
        echo "conninfo = host=127.0.0.1 port=$PGPORT dbname=cdc user=norepl password=$PW"
        echo "tables = public.nopk, public.notes"
        echo
        echo "[sink files]"
        echo "type = file"
        echo "path = $2"
        echo "flush_interval = 50ms"
        if [ "$KAFKA" = 1 ]; then
            echo
            echo "[sink k]"
            echo "type = kafka"
            echo "brokers = $1"
        fi
    } >"$CONF"
}

# run_check EXPECTED_STATUS: rowcast check on $CONF into $WORK/check.N.out
CHK_N=0
run_check() {
    local rc=0
    CHK_N=$((CHK_N + 1))
    CHK=$WORK/check.$CHK_N
    timeout 60 "$ROWCAST" check -c "$CONF" >"$CHK.out" 2>"$CHK.err" || rc=$?
    sed 's/^/    | /' "$CHK.out"
    [ "$rc" -eq "$1" ] || { cat "$CHK.err" >&2; fail "rowcast check exited $rc, expected $1"; }
    if grep -q -- "$PW" "$CHK.out" "$CHK.err"; then
        fail "the password appears in rowcast check's output"
    fi
}
# has PATTERN...: every ERE matches a line of the last check's output
has() {
    local p
    for p in "$@"; do
        grep -Eq -- "$p" "$CHK.out" || check_fail "check #$CHK_N: no line matches /$p/"
    done
}
hasnt() {
    local p
    for p in "$@"; do
        ! grep -Eq -- "$p" "$CHK.out" || check_fail "check #$CHK_N: a line matches /$p/"
    done
}

step "a wrong setup: every finding with its fix, exit 2"
conf "127.0.0.1:$(pick_port)" "$WORK/afile/out"
run_check 2
has '^FAIL  source shop: the server runs with wal_level=replica.*\(fix: set wal_level = logical in postgresql.conf.*restart PostgreSQL\)$' \
    '^FAIL  source shop: role norepl has no REPLICATION right.*\(fix: ALTER ROLE norepl REPLICATION\)$' \
    '^FAIL  source shop: table public\.nopk has no primary key, so PostgreSQL cannot publish its UPDATEs and DELETEs.*\(fix: ALTER TABLE public\.nopk REPLICA IDENTITY FULL; or add a primary key\)$' \
    '^WARN  source shop: table public\.notes has TOASTable columns \(body\) and REPLICA IDENTITY DEFAULT.*\(fix: ALTER TABLE public\.notes REPLICA IDENTITY FULL' \
    '^FAIL  source shop: publication rowcast_shop does not exist, and role norepl may not create it.*\(fix: GRANT CREATE ON DATABASE cdc TO norepl' \
    '^WARN  source shop: max_slot_wal_keep_size = -1.*\(fix: set max_slot_wal_keep_size' \
    '^OK    source shop: connected as norepl .*password=\*\*\*' \
    "^FAIL  sink files: $WORK/afile/out: Not a directory \\(fix: create $WORK/afile/out .*rowcast.conf:[0-9]+\\)\\)\$" \
    '^rowcast check: [0-9]+ failed, .*rowcast cannot run'
if [ "$KAFKA" = 1 ]; then
    has '^FAIL  sink k: brokers 127\.0\.0\.1:[0-9]+ do not answer in 5 s: .*\(fix: check brokers \(.*rowcast.conf:[0-9]+\).*kafka\.sasl\.\* properties\)$'
fi

step "the setup corrected: exit 0 (warnings allowed)"
psql_cdc -c "ALTER SYSTEM SET wal_level = logical" >/dev/null
as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast -w restart -l "$PGDIR/pg.log" >/dev/null
psql_cdc <<'SQL'
ALTER ROLE norepl REPLICATION;
ALTER TABLE nopk OWNER TO norepl;
ALTER TABLE notes OWNER TO norepl;
ALTER TABLE nopk REPLICA IDENTITY FULL;
ALTER TABLE notes REPLICA IDENTITY FULL;
GRANT CREATE ON DATABASE cdc TO norepl;
SQL
if [ "$KAFKA" = 1 ]; then
    kafka_start 1 "$SOURCE_NAME.public.notes:1" "$SOURCE_NAME.public.nopk:1"
    conf "$KAFKA_BS" "$WORK/out"
else
    conf "" "$WORK/out"
fi
run_check 0
has '^OK    source shop: wal_level = logical$' \
    '^OK    source shop: role norepl has the REPLICATION right$' \
    '^OK    source shop: replication slots: 0 of 10 in use' \
    '^OK    source shop: publication rowcast_shop does not exist yet: rowcast creates it' \
    '^OK    source shop: table public\.notes: primary key \(id\), replica identity full$' \
    '^WARN  source shop: table public\.nopk has no primary key: its events have no key.*\(fix: add a primary key' \
    '^OK    source shop: replication slot rowcast_shop does not exist yet' \
    '^OK    source shop: a replication connection opens$' \
    "^OK    sink files: $WORK/out does not exist yet; rowcast creates it" \
    '^OK    state_dir: ' \
    '^rowcast check: 0 failed, .*rowcast can run$'
hasnt '^FAIL'
if [ "$KAFKA" = 1 ]; then
    has '^OK    sink k: brokers .* answer \(1 broker\(s\)' '^OK    sink k: the 2 topic\(s\) exist$'
fi

step "rowcast runs from it; a check next to it sees the slot in use"
rc_start "$CONF"
rc_wait_streaming 30
psql_cdc -c "INSERT INTO notes VALUES (1, 'hello')"
RC_OUT=$WORK/out wait_for 30 "1 event" out_count_ge 1
run_check 0
has '^WARN  source shop: replication slot rowcast_shop is in use by process [0-9]+' \
    '^OK    source shop: checkpoint .*shop\.checkpoint: lsn = [0-9A-F]+/[0-9A-F]+$' \
    '^OK    source shop: publication rowcast_shop exists with 2 of the 2 table\(s\)$'
rc_stop

step "a checkpoint whose slot was dropped: FAIL with the fix"
psql_cdc -c "SELECT pg_drop_replication_slot('rowcast_shop')" >/dev/null
run_check 2
has '^FAIL  source shop: replication slot rowcast_shop does not exist, but the checkpoint says rowcast confirmed up to [0-9A-F/]+.*\(fix: to start over from now .*remove .*/state/shop\.checkpoint\)$'

step "a corrupt checkpoint: FAIL"
printf 'format = 1\nsource = shop\ntype = postgresql\nlsn = junk\n' >"$WORK/state/shop.checkpoint"
run_check 2
has '^FAIL  source shop: the checkpoint cannot be read: .*shop\.checkpoint:4.*bad lsn.*\(fix: restore the file'

step "a server that is down: FAIL, and the conninfo's password stays hidden"
"$SANDBOX" stop "$PGDIR" >/dev/null 2>&1
PGDIR=""
run_check 2
has '^FAIL  source shop: cannot connect: .*conninfo host=127\.0\.0\.1 .*password=\*\*\* \(fix: check that the server runs'
rc_finish
