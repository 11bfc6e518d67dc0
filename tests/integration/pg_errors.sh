#!/bin/bash
# pg_errors.sh -- problems only the user can fix stop rowcast at start-up
# with exit status 2 and a message that names the problem and the fix, and
# they never make it skip changes: a missing table, REPLICA IDENTITY
# NOTHING, a corrupt checkpoint, a slot dropped behind rowcast's back, a
# role without the REPLICATION right, and a server with wal_level=replica.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/pg.sh"

rc_init pg_errors
pg_start
CONF=$WORK/rowcast.conf
BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$BIN/pg_ctl" ] || BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

psql_cdc <<'SQL'
CREATE TABLE accounts (id int PRIMARY KEY, owner text);
CREATE TABLE silent (a int, b text);
ALTER TABLE silent REPLICA IDENTITY NOTHING;
SQL

step "a table that does not exist"
rc_config "$CONF" "public.accounts, public.ghost"
expect_exit2 "missing table" "public\.ghost" "does not exist"

step "REPLICA IDENTITY NOTHING is refused with the fix"
rc_config "$CONF" "public.silent"
expect_exit2 "replica identity nothing" "public\.silent" "REPLICA IDENTITY NOTHING" \
    "ALTER TABLE public\.silent REPLICA IDENTITY FULL"

step "a [table] key naming no column points at its line"
rc_config "$CONF" "public.accounts"
printf '\n[table public.accounts]\nkey = nosuch\n' >>"$CONF"
line=$(grep -n '^key = nosuch' "$CONF" | cut -d: -f1)
expect_exit2 "bad key column" "rowcast.conf:$line: key = nosuch" "has no such column"

step "a first good run makes the slot and the checkpoint"
rm -rf "$WORK/state" "$WORK/out"
rc_config "$CONF" "public.accounts"
rc_start "$CONF"
rc_wait_streaming 30
psql_cdc -c "INSERT INTO accounts VALUES (1, 'ada')"
wait_for 30 "1 event" out_count_ge 1
rc_stop
ckpt=$WORK/state/shop.checkpoint
[ -s "$ckpt" ] || fail "no checkpoint after a clean stop"
cp "$ckpt" "$WORK/good.checkpoint"
confirmed=$(slot_confirmed)
info "checkpoint: $(grep '^lsn' "$ckpt"), slot confirmed $confirmed"

step "a corrupt checkpoint stops rowcast (no silent fresh start)"
psql_cdc -c "INSERT INTO accounts VALUES (2, 'bob')"
printf 'format = 1\nsource = shop\ntype = postgresql\nlsn = not-an-lsn\n' >"$ckpt"
expect_exit2 "corrupt checkpoint" "shop\.checkpoint:4" "bad lsn"
[ "$(slot_confirmed)" = "$confirmed" ] || fail "the slot moved although rowcast refused to start"

step "a slot dropped behind rowcast's back is an error, not a new start"
cp "$WORK/good.checkpoint" "$ckpt"
psql_cdc -c "SELECT pg_drop_replication_slot('$(slot_name)')" >/dev/null
expect_exit2 "missing slot" "replication slot rowcast_shop does not exist" "remove .*/state/shop.checkpoint"
slot_exists && fail "rowcast created a new slot although its checkpoint needs the old one"
info "no new slot was created"

step "a role without REPLICATION"
psql_cdc <<'SQL'
CREATE ROLE norepl LOGIN;
GRANT SELECT ON accounts TO norepl;
CREATE PUBLICATION rowcast_weak FOR TABLE accounts;
SQL
rm -rf "$WORK/state"
rc_config "$CONF" "public.accounts" "slot = rowcast_weak" "publication = rowcast_weak"
sed -i "s/user=postgres/user=norepl/" "$CONF"
expect_exit2 "no REPLICATION right" "replication role" "ALTER ROLE norepl REPLICATION"

step "wal_level=replica"
psql_cdc -c "ALTER SYSTEM SET wal_level = replica" >/dev/null
as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast -w restart -l "$PGDIR/pg.log" >/dev/null
rm -rf "$WORK/state"
rc_config "$CONF" "public.accounts"
expect_exit2 "wal_level" "wal_level=replica" "wal_level = logical"
rc_finish
