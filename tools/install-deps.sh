#!/bin/sh
# install-deps.sh - the Debian 12 packages Meetopia builds and tests with.
#   tools/install-deps.sh          build dependencies only
#   tools/install-deps.sh --test   and what the test suite drives (coturn's
#                                  tools, python3-aioice/-websockets, chromium,
#                                  firefox-esr, libnss3-tools (certutil: the
#                                  e2e test CA), nodejs and npm, and
#                                  tests/e2e's pinned playwright-core through
#                                  `npm ci`)
# Runs apt-get as root (through sudo when not root).
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
BUILD="build-essential autoconf automake libtool pkg-config
	libevent-dev libssl-dev libsqlite3-dev libargon2-dev libsrtp2-dev
	libjansson-dev libwslay-dev libbsd-dev libhiredis-dev sqlite3 openssl
	python3"
TEST="clang libclang-rt-14-dev coturn python3-aioice python3-aiortc
	python3-websockets redis-server curl procps man-db groff-base valgrind strace iproute2
	chromium firefox-esr libnss3-tools"
# Debian's nodejs 18 and npm, unless a node with npm is there already (a
# newer one from elsewhere: installing Debian's npm would fight it).
command -v npm >/dev/null 2>&1 || TEST="$TEST nodejs npm"
PKGS=$BUILD
[ "${1:-}" = "--test" ] && PKGS="$BUILD $TEST"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $PKGS
# The browser tests drive Debian's chromium and firefox-esr (WebDriver BiDi)
# through playwright-core, pinned in tests/e2e/package-lock.json (no
# browser is downloaded).
if [ "${1:-}" = "--test" ]; then
	cd "$(dirname "$0")/../tests/e2e"
	npm ci --ignore-scripts --no-audit --no-fund
fi
