#!/bin/sh
# Install what rowcast needs, build it, and run every test:
#   1. a normal build (-Wall -Wextra, warnings are errors) and `make check`:
#      the CUnit unit tests and the integration tests against a real
#      PostgreSQL 15 that the tests start and stop themselves;
#   2. a second build with AddressSanitizer and UndefinedBehaviorSanitizer
#      that runs the unit tests again.
# Build trees go to build/ and build-asan/ (out of tree).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

sh packaging/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)

echo "== autoreconf"
autoreconf -fi >/dev/null

echo "== build"
mkdir -p build
(cd build && ../configure -q CFLAGS="-O2 -g -Werror" && make -s -j"$jobs")

echo "== make check (unit + integration tests)"
if ! (cd build && make -s check -j1); then
    for f in build/tests/unit/*.log build/tests/integration/*.log; do
        [ -f "$f" ] || continue
        if grep -qE "^(FAIL|ERROR)" "${f%.log}.trs" 2>/dev/null; then
            echo "---- $f"; tail -n 80 "$f"
        fi
    done
    exit 1
fi

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
mkdir -p build-asan
(cd build-asan && ../configure -q --enable-sanitizers --disable-integration-tests \
    CFLAGS="-O1 -g" && make -s -j"$jobs")
if ! (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 make -s check -j"$jobs"); then
    for f in build-asan/tests/unit/*.log; do
        if grep -qE "^(FAIL|ERROR)" "${f%.log}.trs" 2>/dev/null; then
            echo "---- $f"; tail -n 80 "$f"
        fi
    done
    exit 1
fi

echo "== fuzzing the server-message parsers and type converters (pgoutput, binlog) for 30 s each"
if command -v clang >/dev/null 2>&1; then
    if ! (cd build && make -s tests/fuzz/fuzz_pgoutput tests/fuzz/fuzz_binlog &&
          FUZZ_SECONDS=30 make -s fuzz >fuzz.log 2>&1); then
        tail -n 60 build/fuzz.log
        echo "fuzzing found a problem (see above)"; exit 1
    fi
    tail -n 1 build/fuzz.log
else
    echo "clang is missing: fuzzing skipped"
fi

# One closing line that CI can read.
pass=$(cat build/tests/unit/*.trs build/tests/integration/*.trs build-asan/tests/unit/*.trs 2>/dev/null | grep -c '^:test-result: PASS' || true)
fail=$(cat build/tests/unit/*.trs build/tests/integration/*.trs build-asan/tests/unit/*.trs 2>/dev/null | grep -c '^:test-result: FAIL' || true)
skip=$(cat build/tests/unit/*.trs build/tests/integration/*.trs build-asan/tests/unit/*.trs 2>/dev/null | grep -c '^:test-result: SKIP' || true)
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || exit 1
# In CI every test must really run: a skip there means a server could not
# start, which would hide the integration tests.
if [ "${CI:-}" = true ] && [ "$skip" -gt 0 ]; then
    echo "CI: $skip test(s) skipped; every test must run in CI" >&2
    exit 1
fi
