#!/bin/bash
# packaging_systemd.sh -- the Debian package's unit under a real systemd:
# a Debian 12 container (debootstrap, booted with systemd-nspawn) gets the
# package, and rowcast runs as the hardened rowcast.service against a
# PostgreSQL sandbox on this machine's loopback:
#   - systemctl enable --now starts it; row changes arrive as Avro events
#     in /var/lib/rowcast/out (the only writable place);
#   - systemctl stop drains it: exit 0, Result=success;
#   - a bad configuration exits 2 and is not restarted
#     (RestartPreventExitStatus=2); a SIGKILL is restarted (on-failure);
#   - dpkg --purge of the enabled, running service removes it all.
#
# Run by hand (not in `make check`): it downloads a Debian base system from
# the Debian mirror with debootstrap (about 3 minutes) and, where /run is
# not a tmpfs, mounts one on /run/systemd/nspawn for the time of the test.
#
#   tests/integration/packaging_systemd.sh [path/to/rowcast_*.deb]
#
# Without a .deb it builds one with packaging/build-deb.sh. Needs root,
# debootstrap, systemd-container and PostgreSQL 15 (skips, 77, without).
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
SANDBOX=$top_srcdir/packaging/pg-sandbox.sh
PORT=${PORT:-55491}

T_START=$(date +%s)
step() { printf '==> [%3ds] %s\n' "$(( $(date +%s) - T_START ))" "$*"; }
info() { printf '    %s\n' "$*"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v debootstrap >/dev/null 2>&1 || skip "debootstrap is missing (apt-get install debootstrap)"
command -v systemd-nspawn >/dev/null 2>&1 || skip "systemd-nspawn is missing (apt-get install systemd-container)"
/usr/bin/python3 -c 'import avro.datafile' 2>/dev/null || skip "python3-avro is missing"

WORK=$(mktemp -d /var/tmp/rowcast-systemd.XXXXXX)
chmod 0755 "$WORK"
ROOT=$WORK/root
NSPAWN_PID=""
LEADER=""
MOUNTED=0
PG_STARTED=0

cleanup() {
    local rc=$?
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        [ -z "$LEADER" ] || in_ct systemctl poweroff >/dev/null 2>&1 || true
        for _ in $(seq 1 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$NSPAWN_PID" 2>/dev/null || true
        wait "$NSPAWN_PID" 2>/dev/null || true
    fi
    [ "$PG_STARTED" = 0 ] || sh "$SANDBOX" stop "$WORK/pg" >/dev/null 2>&1 || true
    if [ "$MOUNTED" = 1 ]; then
        umount /run/systemd/nspawn 2>/dev/null || true
        rmdir /run/systemd/nspawn 2>/dev/null || true
    fi
    if [ "${ROWCAST_KEEP_WORK:-}" = 1 ]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# a command in the (not booted) container, and in the booted one
run_ct() { systemd-nspawn -q -D "$ROOT" --register=no --keep-unit --pipe -- "$@"; }
in_ct() { nsenter -t "$LEADER" -a -- "$@"; }

DEB=${1:-}
if [ -z "$DEB" ]; then
    step "build the package"
    "$top_srcdir/packaging/build-deb.sh" "$WORK/deb" | sed 's/^/    /'
    DEB=$(ls "$WORK"/deb/rowcast_*.deb | head -n 1)
fi
[ -s "$DEB" ] || fail "no package at $DEB"

step "a Debian 12 base system with rowcast's libraries (debootstrap)"
libs=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' |
    grep -v '^$' | tr '\n' ',')
debootstrap --variant=minbase --include="systemd,systemd-sysv,dbus,${libs%,}" \
    bookworm "$ROOT" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 20 "$WORK/debootstrap.log" >&2
    fail "debootstrap failed"
}
# systemd-nspawn needs /run/systemd/nspawn on a tmpfs
if [ "$(stat -f -c %T /run)" != tmpfs ] && ! mountpoint -q /run/systemd/nspawn; then
    mkdir -p /run/systemd/nspawn
    mount -t tmpfs tmpfs /run/systemd/nspawn
    MOUNTED=1
fi

step "dpkg -i in the container"
cp "$DEB" "$ROOT/root/rowcast.deb"
run_ct dpkg -i /root/rowcast.deb 2>&1 | sed 's/^/    /'
run_ct sh -c 'getent passwd rowcast && stat -c "%U:%G %a %n" /var/lib/rowcast /etc/rowcast/rowcast.conf' |
    sed 's/^/    /'

step "PostgreSQL on 127.0.0.1:$PORT, the configuration"
sh "$SANDBOX" start "$WORK/pg" "$PORT" >"$WORK/pg.log" 2>&1 || {
    rc=$?; [ $rc -eq 3 ] && skip "PostgreSQL 15 is not installed"; cat "$WORK/pg.log" >&2; fail "no sandbox"; }
PG_STARTED=1
psql_cdc() { psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d cdc "$@"; }
psql_cdc -c "CREATE TABLE customers (id int PRIMARY KEY, name text)"
cat >"$ROOT/etc/rowcast/rowcast.conf" <<EOF
[source shop]
type     = postgresql
conninfo = host=127.0.0.1 port=$PORT dbname=cdc user=postgres
tables   = public.customers

[sink files]
type = file
path = /var/lib/rowcast/out
flush_interval = 50ms
EOF

step "boot the container"
systemd-nspawn -q -D "$ROOT" --register=no --keep-unit -b --console=read-only >"$WORK/boot.log" 2>&1 &
NSPAWN_PID=$!
for _ in $(seq 1 100); do
    LEADER=$(ps -o pid= --ppid "$NSPAWN_PID" 2>/dev/null | tr -d ' ' | head -n 1)
    if [ -n "$LEADER" ]; then
        state=$(in_ct systemctl is-system-running 2>/dev/null || true)
        case $state in running|degraded) break ;; esac
    fi
    sleep 0.3
done
info "systemd in the container: ${state:-?}"
case ${state:-} in running|degraded) ;; *) tail -n 20 "$WORK/boot.log" >&2; fail "the container did not boot" ;; esac

step "systemctl enable --now rowcast; row changes become Avro events"
in_ct systemctl enable --now rowcast 2>&1 | sed 's/^/    /'
for _ in $(seq 1 50); do
    in_ct journalctl -u rowcast --no-pager 2>/dev/null | grep -q 'streaming from slot' && break
    sleep 0.2
done
psql_cdc -c "INSERT INTO customers VALUES (1, 'ada'), (2, 'bob');
             UPDATE customers SET name = 'eve' WHERE id = 2;
             DELETE FROM customers WHERE id = 1"
count_events() {
    /usr/bin/python3 - "$ROOT/var/lib/rowcast/out" <<'PY'
import avro.datafile, avro.io, glob, sys
n = 0
for f in glob.glob(sys.argv[1] + "/*/*.avro*"):
    try:
        for _ in avro.datafile.DataFileReader(open(f, "rb"), avro.io.DatumReader()):
            n += 1
    except Exception:
        pass
print(n)
PY
}
n=0
for _ in $(seq 1 50); do n=$(count_events); [ "$n" -ge 4 ] && break; sleep 0.2; done
info "$n events in /var/lib/rowcast/out"
[ "$n" -ge 4 ] || { in_ct journalctl -u rowcast --no-pager | tail -n 20 >&2; fail "expected 4 events"; }

step "systemctl stop drains and exits 0"
in_ct systemctl stop rowcast
props=$(in_ct systemctl show rowcast -p Result -p ExecMainStatus | tr '\n' ' ')
info "$props"
case $props in *Result=success*ExecMainStatus=0*|*ExecMainStatus=0*Result=success*) ;;
    *) fail "stop: $props" ;; esac
in_ct journalctl -u rowcast --no-pager | grep -q 'stopped cleanly' || fail "no 'stopped cleanly' in the journal"

step "a bad configuration exits 2 and is not restarted"
echo "no_such_key = 1" >>"$ROOT/etc/rowcast/rowcast.conf"
in_ct systemctl start rowcast || true
sleep 7 # RestartSec=5s
props=$(in_ct systemctl show rowcast -p ActiveState -p ExecMainStatus -p NRestarts | tr '\n' ' ')
info "$props"
case $props in *ActiveState=failed*) ;; *) fail "bad configuration: $props" ;; esac
case $props in *ExecMainStatus=2*) ;; *) fail "bad configuration: $props" ;; esac
case $props in *NRestarts=0*) ;; *) fail "exit 2 was restarted: $props" ;; esac

step "a SIGKILL is restarted"
sed -i '/^no_such_key/d' "$ROOT/etc/rowcast/rowcast.conf"
in_ct systemctl reset-failed rowcast
in_ct systemctl start rowcast
sleep 1
in_ct systemctl kill -s KILL rowcast
sleep 7
props=$(in_ct systemctl show rowcast -p ActiveState -p NRestarts | tr '\n' ' ')
info "$props"
case $props in *ActiveState=active*NRestarts=1*|*NRestarts=1*ActiveState=active*) ;;
    *) fail "after SIGKILL: $props" ;; esac
info "$(in_ct systemd-analyze security rowcast --no-pager 2>&1 | tail -n 1)"

step "dpkg --purge of the enabled, running service"
in_ct dpkg --purge rowcast 2>&1 | sed 's/^/    /'
for p in /etc/rowcast /var/lib/rowcast /lib/systemd/system/rowcast.service \
    /etc/systemd/system/multi-user.target.wants/rowcast.service; do
    [ ! -e "$ROOT$p" ] || fail "$p is still there after the purge"
done
! in_ct systemctl is-active --quiet rowcast || fail "rowcast still runs after the purge"

step "packaging_systemd: all checks passed"
