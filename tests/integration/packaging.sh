#!/bin/bash
# packaging.sh -- the Debian package: it builds from the tree
# (packaging/build-deb.sh), lintian finds no error in it, it installs with
# dpkg -i on this machine, and then:
#   - /usr/bin/rowcast --version runs and matches the package's version;
#   - the system user and group rowcast exist (sysusers.d), /var/lib/rowcast
#     is rowcast:rowcast 0750 (tmpfiles.d), /etc/rowcast/rowcast.conf is a
#     conffile, root:rowcast 0640 (dpkg-statoverride);
#   - man finds rowcast.conf(5) and rowcast(8), they render without a
#     warning, and rowcast.conf(5) documents every key `rowcast --help` lists;
#   - systemd-analyze verify accepts the unit, its hardening exposure stays
#     low (systemd-analyze security), and it has the settings rowcast needs;
#   - the installed example configuration passes `rowcast -n` as the user
#     rowcast, also with its commented-out sinks switched on, and the agent
#     started on it runs past the configuration (it retries the unreachable
#     database) and stops cleanly on SIGTERM; a bad file exits 2;
# and dpkg --purge removes it all again. The system is left as it was: the
# package purged, and the user rowcast removed when this test created it.
#
# Needs root (dpkg -i), dpkg-dev and debhelper (else it skips, exit 77),
# lintian, man-db, groff and systemd's systemd-analyze (else it fails:
# packaging/install-deps.sh installs them). About a minute: the package
# build compiles the tree once. Set ROWCAST_KEEP_WORK=1 to keep the work
# directory (the .deb and the build log).
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

T_START=$(date +%s)
step() { printf '==> [%3ds] %s\n' "$(( $(date +%s) - T_START ))" "$*"; }
info() { printf '    %s\n' "$*"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
_CHECK_FAILS=""
check_fail() {
    echo "FAIL: $*" >&2
    _CHECK_FAILS="$_CHECK_FAILS
  - $*"
}

# ------------------------------------------------------------------
# What the test needs
# ------------------------------------------------------------------
command -v dpkg-buildpackage >/dev/null 2>&1 || skip "dpkg-buildpackage is missing (apt-get install dpkg-dev)"
command -v dh >/dev/null 2>&1 || skip "debhelper is missing (apt-get install debhelper)"
[ "$(id -u)" -eq 0 ] || skip "installing the package needs root"
for tool in lintian man groff systemd-analyze setpriv; do
    command -v "$tool" >/dev/null 2>&1 ||
        fail "$tool is missing (packaging/install-deps.sh installs it)"
done
if dpkg-query -W -f='${Status}' rowcast 2>/dev/null | grep -q "ok installed"; then
    # a CI machine is throwaway; elsewhere, do not replace what someone installed
    [ "${CI:-}" = true ] ||
        skip "the rowcast package is installed on this machine already; this test would replace and purge it"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rowcast-packaging.XXXXXX")
chmod 0755 "$WORK"
USER_EXISTED=0
getent passwd rowcast >/dev/null 2>&1 && USER_EXISTED=1
INSTALLED=0
RC_PID=""

cleanup() {
    local rc=$?
    if [ -n "$RC_PID" ] && kill -0 "$RC_PID" 2>/dev/null; then
        kill -KILL "$RC_PID" 2>/dev/null || true
        wait "$RC_PID" 2>/dev/null || true
    fi
    if [ "$INSTALLED" = 1 ]; then
        dpkg --purge rowcast >/dev/null 2>&1 || echo "cleanup: dpkg --purge rowcast failed" >&2
    fi
    if [ "$USER_EXISTED" = 0 ] && getent passwd rowcast >/dev/null 2>&1; then
        userdel rowcast 2>/dev/null || echo "cleanup: userdel rowcast failed" >&2
    fi
    if [ "$USER_EXISTED" = 0 ] && getent group rowcast >/dev/null 2>&1; then
        groupdel rowcast 2>/dev/null || true
    fi
    if [ "${ROWCAST_KEEP_WORK:-}" = 1 ]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ------------------------------------------------------------------
# Build
# ------------------------------------------------------------------
step "build the package (packaging/build-deb.sh)"
JOBS=${JOBS:-2} "$top_srcdir/packaging/build-deb.sh" "$WORK/deb" | sed 's/^/    /'
DEB=$(ls "$WORK"/deb/rowcast_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] && [ -s "$DEB" ] || fail "no rowcast_*.deb in $WORK/deb"
VERSION=$(dpkg-deb -f "$DEB" Version)
UPSTREAM=$(sed -n 's/^AC_INIT(\[rowcast\], *\[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
info "$(basename "$DEB"), $(stat -c %s "$DEB") bytes; configure.ac says $UPSTREAM"
[ "${VERSION%%-*}" = "$UPSTREAM" ] ||
    check_fail "packaging/debian/changelog is at $VERSION but configure.ac at $UPSTREAM: add a changelog entry"
if grep -qiE '^[^ ]*: *warning:' "$WORK/deb/build-deb.log"; then
    grep -iE '^[^ ]*: *warning:' "$WORK/deb/build-deb.log" | head -n 20 >&2
    check_fail "the package build printed compiler warnings"
fi

step "contents"
contents=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's#^\./#/#')
for f in /usr/bin/rowcast /usr/share/man/man5/rowcast.conf.5.gz \
    /usr/share/man/man8/rowcast.8.gz /lib/systemd/system/rowcast.service \
    /etc/rowcast/rowcast.conf /usr/lib/sysusers.d/rowcast.conf \
    /usr/lib/tmpfiles.d/rowcast.conf \
    /usr/share/doc/rowcast/examples/rowcast.conf.example \
    /usr/share/doc/rowcast/copyright; do
    printf '%s\n' "$contents" | grep -qx "$f" || check_fail "the package lacks $f"
done
dpkg-deb -f "$DEB" Depends | grep -q 'systemd-sysusers' ||
    check_fail "Depends lacks systemd-sysusers (dh_installsysusers did not run)"
info "Depends: $(dpkg-deb -f "$DEB" Depends)"

step "lintian"
lintian --pedantic --display-info "$DEB" >"$WORK/lintian.txt" 2>&1 || true
grep -E '^[EWIPX]: ' "$WORK/lintian.txt" | sed 's/^/    /' || true
nerr=$(grep -c '^E: ' "$WORK/lintian.txt" || true)
nwarn=$(grep -c '^W: ' "$WORK/lintian.txt" || true)
info "lintian: $nerr error(s), $nwarn warning(s)"
[ "$nerr" -eq 0 ] || check_fail "lintian reports $nerr error(s)"

# ------------------------------------------------------------------
# Install
# ------------------------------------------------------------------
step "dpkg -i"
INSTALLED=1
dpkg -i "$DEB" >"$WORK/dpkg-i.log" 2>&1 || {
    cat "$WORK/dpkg-i.log" >&2
    fail "dpkg -i failed"
}

step "the binary runs from /usr/bin"
out=$(/usr/bin/rowcast --version) || check_fail "/usr/bin/rowcast --version failed"
info "$out"
[ "$out" = "rowcast ${VERSION%%-*}" ] || check_fail "--version says '$out', the package is $VERSION"

step "the user, the state directory, the configuration"
pw=$(getent passwd rowcast) || fail "no user rowcast after dpkg -i"
info "$pw"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ "$uid" -lt 1000 ] || check_fail "rowcast is not a system user (uid $uid)"
[ "$home" = /var/lib/rowcast ] || check_fail "rowcast's home is $home"
case $shell in */nologin|/bin/false) ;; *) check_fail "rowcast's shell is $shell" ;; esac
[ "$(getent group rowcast | cut -d: -f3)" = "$gid" ] || check_fail "no group rowcast as the user's group"
st=$(stat -c '%U:%G %a' /var/lib/rowcast 2>/dev/null) || check_fail "/var/lib/rowcast is missing"
info "/var/lib/rowcast: $st"
[ "$st" = "rowcast:rowcast 750" ] || check_fail "/var/lib/rowcast is $st, expected rowcast:rowcast 750"
st=$(stat -c '%U:%G %a' /etc/rowcast/rowcast.conf)
info "/etc/rowcast/rowcast.conf: $st"
[ "$st" = "root:rowcast 640" ] || check_fail "/etc/rowcast/rowcast.conf is $st, expected root:rowcast 640"
dpkg-query -W -f='${Conffiles}\n' rowcast | grep -q '^ */etc/rowcast/rowcast.conf ' ||
    check_fail "/etc/rowcast/rowcast.conf is not a conffile"
cmp -s /etc/rowcast/rowcast.conf /usr/share/doc/rowcast/examples/rowcast.conf.example ||
    check_fail "the installed configuration differs from the shipped example"
[ "$(systemctl is-enabled rowcast.service 2>/dev/null || true)" != enabled ] ||
    check_fail "the unit was enabled on install; it must wait for a configuration"

step "man pages"
for page in rowcast.conf:5 rowcast:8; do
    path=$(man -w "${page#*:}" "${page%:*}" 2>/dev/null) || { check_fail "man -w finds no ${page%:*}(${page#*:})"; continue; }
    info "${page%:*}(${page#*:}): $path"
    warn=$(zcat "$path" | groff -ww -z -man 2>&1 || true)
    [ -z "$warn" ] || check_fail "groff warns about ${page%:*}(${page#*:}): $warn"
    if command -v mandoc >/dev/null 2>&1; then
        warn=$(zcat "$path" | mandoc -T lint -W warning 2>&1 || true)
        [ -z "$warn" ] || check_fail "mandoc -T lint warns about ${page%:*}(${page#*:}): $warn"
    fi
    warn=$(MANWIDTH=80 man --warnings "${page#*:}" "${page%:*}" 2>&1 >/dev/null || true)
    [ -z "$warn" ] || check_fail "man --warnings ${page%:*}: $warn"
done
# the page as a reader sees it, overstrike bold and underline removed;
# rendered from the installed file (-l), not through man's cache of
# formatted pages, which can hold an older build's page (the package's
# files carry the changelog's date, older than a cached page)
MANWIDTH=80 man -P cat -l "$(man -w 5 rowcast.conf)" 2>/dev/null | sed 's/.\x08//g' >"$WORK/rowcast.conf.5.txt"
head -n 8 "$WORK/rowcast.conf.5.txt" | sed 's/^/    | /'

step "rowcast.conf(5) documents every key of rowcast --help"
# a key line of --help: two blanks, the name, blanks up to column 24 (or the
# name alone on its line when it is longer)
/usr/bin/rowcast --help | awk '
    /^  [^ ]/ {
        name = $1
        rest = substr($0, 3 + length(name))
        if (rest == "" || (length(name) < 22 && rest ~ /^ +[^ ]/ && match(rest, /[^ ]/) == 23 - length(name)))
            if (name !~ /^\(/) print name
    }' | sort -u >"$WORK/help-keys.txt"
nkeys=$(wc -l <"$WORK/help-keys.txt")
info "$nkeys keys in --help"
[ "$nkeys" -ge 20 ] || check_fail "only $nkeys keys read from --help"
missing=""
while read -r key; do
    re=$(printf '%s' "$key" | sed 's/[.[\*^$]/\\&/g')
    grep -qE "^ +$re(<property>)? =( |$)" "$WORK/rowcast.conf.5.txt" || missing="$missing $key"
done <"$WORK/help-keys.txt"
[ -z "$missing" ] || check_fail "keys of --help missing from rowcast.conf(5):$missing"
grep -q '_file = PATH' "$WORK/rowcast.conf.5.txt" || check_fail "rowcast.conf(5) lacks the KEY_file form of secrets"
grep -q 'kafka\.<property>' "$WORK/rowcast.conf.5.txt" || check_fail "rowcast.conf(5) lacks the kafka. prefix"

step "systemd-analyze verify, security"
UNIT=/lib/systemd/system/rowcast.service
if ! systemd-analyze verify "$UNIT" >"$WORK/verify.txt" 2>&1; then
    cat "$WORK/verify.txt" >&2
    check_fail "systemd-analyze verify rejects $UNIT"
elif [ -s "$WORK/verify.txt" ]; then
    sed 's/^/    verify: /' "$WORK/verify.txt"
    check_fail "systemd-analyze verify warns about $UNIT"
fi
systemd-analyze security --offline=true --no-pager "$UNIT" >"$WORK/security.txt" 2>&1 || true
grep '✗' "$WORK/security.txt" | awk '{print "    not set: " $2}' || true
exposure=$(sed -n 's/.*Overall exposure level for rowcast.service: \([0-9.]*\).*/\1/p' "$WORK/security.txt")
info "exposure level: ${exposure:-?} (0 best, 10 worst)"
if [ -z "$exposure" ] || ! awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
    tail -n 5 "$WORK/security.txt" >&2
    check_fail "the unit's exposure level is ${exposure:-unknown}, above 2.0"
fi
for want in User=rowcast 'ExecStart=/usr/bin/rowcast -c /etc/rowcast/rowcast.conf' \
    Restart=on-failure RestartPreventExitStatus=2 KillSignal=SIGTERM \
    ProtectSystem=strict ReadWritePaths=/var/lib/rowcast StateDirectory=rowcast \
    NoNewPrivileges=yes CapabilityBoundingSet=; do
    grep -qx "$want" "$UNIT" || check_fail "the unit lacks $want"
done
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s*$/\1/p' "$UNIT")
[ -n "$stop" ] && [ "$stop" -gt 30 ] ||
    check_fail "TimeoutStopSec (${stop:-unset}) must be above shutdown_timeout's default 30s"

# ------------------------------------------------------------------
# The installed configuration
# ------------------------------------------------------------------
as_rowcast() { setpriv --reuid=rowcast --regid=rowcast --init-groups -- "$@"; }

step "the installed example passes rowcast -n as the user rowcast"
out=$(as_rowcast /usr/bin/rowcast -n -c /etc/rowcast/rowcast.conf 2>&1) ||
    check_fail "rowcast -n rejects the installed configuration: $out"
info "$out"

step "... and with its commented-out sinks switched on"
sed -e '/^;\[sink /,/^$/ s/^;//' /etc/rowcast/rowcast.conf >"$WORK/all-sinks.conf"
info "sinks: $(grep '^\[sink ' "$WORK/all-sinks.conf" | tr '\n' ' ')"
[ "$(grep -c '^\[sink ' "$WORK/all-sinks.conf")" -ge 4 ] ||
    check_fail "expected the file sink and three commented-out sinks in the example"
chmod 0644 "$WORK/all-sinks.conf"
out=$(ROWCAST_REGISTRY_PASSWORD=x as_rowcast /usr/bin/rowcast -n -c "$WORK/all-sinks.conf" 2>&1) ||
    check_fail "rowcast -n rejects the example with every sink: $out"

step "a bad file exits 2 with its line"
printf '[rowcast]\nno_such_key = 1\n' >"$WORK/bad.conf"
chmod 0644 "$WORK/bad.conf"
set +e
out=$(as_rowcast /usr/bin/rowcast -n -c "$WORK/bad.conf" 2>&1)
rc=$?
set -e
info "exit $rc: $out"
[ "$rc" -eq 2 ] || check_fail "rowcast -n on a bad file exited $rc, expected 2"
case $out in *bad.conf:2:*no_such_key*) ;; *) check_fail "the message lacks FILE:LINE and the key: $out" ;; esac

step "the agent runs past the configuration and stops on SIGTERM"
# the installed file with its state and output in the work directory and the
# database on a port where nothing listens
mkdir -p "$WORK/run"
chown rowcast:rowcast "$WORK/run"
sed -e "s#^state_dir = .*#state_dir = $WORK/run/state#" \
    -e "s#^path = .*#path = $WORK/run/out#" \
    -e 's#port=5432#port=1#' /etc/rowcast/rowcast.conf >"$WORK/run.conf"
chmod 0644 "$WORK/run.conf"
# setpriv execs rowcast, so $! is rowcast itself (not a subshell)
setpriv --reuid=rowcast --regid=rowcast --init-groups -- \
    /usr/bin/rowcast -c "$WORK/run.conf" >"$WORK/run.log" 2>&1 &
RC_PID=$!
for _ in $(seq 1 100); do
    grep -q 'cannot connect' "$WORK/run.log" && break
    kill -0 "$RC_PID" 2>/dev/null || break
    sleep 0.1
done
sed 's/^/    | /' "$WORK/run.log"
if ! kill -0 "$RC_PID" 2>/dev/null; then
    check_fail "rowcast exited on the installed configuration instead of retrying the database"
    RC_PID=""
else
    grep -q 'cannot connect' "$WORK/run.log" ||
        check_fail "no 'cannot connect' retry in 10 s"
    kill -TERM "$RC_PID"
    set +e
    for _ in $(seq 1 100); do kill -0 "$RC_PID" 2>/dev/null || break; sleep 0.1; done
    wait "$RC_PID"
    rc=$?
    set -e
    RC_PID=""
    info "exit status after SIGTERM: $rc"
    [ "$rc" -eq 0 ] || check_fail "rowcast exited $rc after SIGTERM, expected 0"
fi

# ------------------------------------------------------------------
# Purge
# ------------------------------------------------------------------
step "dpkg --purge"
dpkg --purge rowcast >"$WORK/dpkg-purge.log" 2>&1 || {
    cat "$WORK/dpkg-purge.log" >&2
    fail "dpkg --purge failed"
}
INSTALLED=0
for p in /usr/bin/rowcast /etc/rowcast /var/lib/rowcast /lib/systemd/system/rowcast.service; do
    [ ! -e "$p" ] || check_fail "$p is still there after the purge"
done
! dpkg-statoverride --list /etc/rowcast/rowcast.conf >/dev/null 2>&1 ||
    check_fail "the statoverride of /etc/rowcast/rowcast.conf outlived the purge"

if [ -n "$_CHECK_FAILS" ]; then
    echo "failed checks:$_CHECK_FAILS" >&2
    exit 1
fi
step "packaging: all checks passed"
