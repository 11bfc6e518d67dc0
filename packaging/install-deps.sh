#!/bin/sh
# Install everything rowcast needs to build, test and run its quick start on
# Debian 12 (prometheus: the metrics test scrapes rowcast with a real one), and to build and check its Debian package (dpkg-dev, debhelper,
# lintian; groff, man-db and mandoc check the man pages, systemd's
# systemd-analyze the unit). Idempotent: packages already present are left
# alone.
set -eu

PKGS="build-essential autoconf automake libtool pkg-config clang-format
      clang libclang-rt-14-dev
      libpq-dev postgresql-15 postgresql-client-15
      libmariadb-dev mariadb-server mariadb-client libzstd-dev zlib1g-dev
      librdkafka-dev kcat libcurl4-openssl-dev
      libavro-dev libjansson-dev
      libcunit1-dev libinih-dev libmicrohttpd-dev prometheus
      python3 python3-avro python3-psycopg2 python3-pymysql python3-confluent-kafka
      procps
      dpkg-dev debhelper lintian groff-base man-db mandoc systemd"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "rowcast: installing:$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
