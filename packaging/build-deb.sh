#!/bin/sh
# Build the Debian package of rowcast from this tree:
#
#   packaging/build-deb.sh [OUTDIR]        (default OUTDIR: build-deb/)
#
# Copies the tree (the files git tracks or would track, so no build
# output; every file when it is not a git work tree) into a scratch
# directory, puts packaging/debian at debian/, runs
# `dpkg-buildpackage -us -uc -b` there, and leaves the .deb files (rowcast
# and its -dbgsym), the .buildinfo, the .changes and the build log in
# OUTDIR. Needs dpkg-dev, debhelper and the Build-Depends of
# packaging/debian/control (packaging/install-deps.sh installs them all).
# JOBS= sets the build's parallelism (default 2). Exit status: 0 built,
# 1 the build failed (the log's end is printed), 3 a tool is missing.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build-deb}
jobs=${JOBS:-2}

for tool in dpkg-buildpackage dh dpkg-parsechangelog; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build-deb: $tool is missing (apt-get install dpkg-dev debhelper)" >&2
        exit 3
    fi
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/rowcast-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
version=$(dpkg-parsechangelog -l "$here/packaging/debian/changelog" -S Version)
src=$scratch/rowcast-$version
mkdir "$src"

echo "build-deb: copying the tree to $src"
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # tracked files and new ones not yet added, never ignored build output;
    # a tracked file deleted in the work tree is skipped
    (cd "$here" && git ls-files -z --cached --others --exclude-standard |
        tar --null --no-recursion --ignore-failed-read -T - -cf - 2>/dev/null) |
        tar -C "$src" -xf -
else
    (cd "$here" && tar --exclude='./build*' --exclude=./debian --exclude=./.git \
        --exclude=./autom4te.cache -cf - .) | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$src/packaging/debian" "$src/debian"

echo "build-deb: dpkg-buildpackage -us -uc -b (parallel=$jobs), log in $out/build-deb.log"
if ! (cd "$src" &&
      DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
      dpkg-buildpackage -us -uc -b) >"$out/build-deb.log" 2>&1; then
    tail -n 60 "$out/build-deb.log" >&2
    echo "build-deb: dpkg-buildpackage failed (whole log: $out/build-deb.log)" >&2
    exit 1
fi

rm -f "$out"/rowcast*.deb "$out"/rowcast*.ddeb "$out"/rowcast_*.buildinfo "$out"/rowcast_*.changes
for f in "$scratch"/*.deb "$scratch"/*.ddeb "$scratch"/*.buildinfo "$scratch"/*.changes; do
    [ -e "$f" ] || continue
    cp "$f" "$out/"
    echo "build-deb: $out/$(basename "$f")"
done
