#!/bin/sh
# run.sh - the browser end-to-end tests (e2e.test.mjs, TAP) for make check.
#
# Skips, saying why, only when what they drive is missing: Debian's
# chromium, node, or tests/e2e/node_modules (playwright-core from
# package-lock.json).  tools/install-deps.sh --test installs chromium, nodejs
# and npm, then runs `npm ci` here (.ci/run calls it).
#
# Environment: MTEST_BUILDDIR / MTEST_SRCDIR (set by make check), CHROMIUM
# (default /usr/bin/chromium), E2E_ARTIFACTS (default
# $MTEST_BUILDDIR/tests/e2e/artifacts: the screenshot), E2E_REPS (runs per
# timing figure, default 1), E2E_VERBOSE=1 (the pages' console); for
# looking into a failure: E2E_RELAY_THREADS=N (the daemons' relay-threads),
# E2E_LOG_DEBUG=1 (their log-level debug), E2E_KEEP=1 (keep their
# directories, stderr.log included), E2E_CALLS=N (only the all-transports
# call, N times, with the default relay threads), E2E_CHROME_ARGS (more Chromium flags,
# e.g. "--enable-logging=stderr --vmodule=turn_port=1" with
# DEBUG=pw:browser).
here=$(cd "$(dirname "$0")" && pwd)
: "${MTEST_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${MTEST_BUILDDIR:=$MTEST_SRCDIR}"
: "${CHROMIUM:=/usr/bin/chromium}"
: "${E2E_ARTIFACTS:=$MTEST_BUILDDIR/tests/e2e/artifacts}"
export MTEST_SRCDIR MTEST_BUILDDIR CHROMIUM E2E_ARTIFACTS

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

[ -x "$CHROMIUM" ] ||
	skip "no $CHROMIUM (tools/install-deps.sh --test installs chromium)"
command -v node >/dev/null 2>&1 ||
	skip "no node (tools/install-deps.sh --test installs nodejs)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
[ "${major:-0}" -ge 18 ] 2>/dev/null ||
	skip "node ${major:-?} is older than 18"
[ -f "$here/node_modules/playwright-core/package.json" ] ||
	skip "no tests/e2e/node_modules (tools/install-deps.sh --test, or: cd tests/e2e && npm ci)"
[ -x "$MTEST_BUILDDIR/meetopiad" ] && [ -x "$MTEST_BUILDDIR/meetopiactl" ] || {
	echo "1..1"
	echo "not ok 1 - meetopiad and meetopiactl are built in $MTEST_BUILDDIR"
	exit 1
}
mkdir -p "$E2E_ARTIFACTS" || exit 1
# One browser suite at a time (firefox.sh takes the same lock).
exec flock "$E2E_ARTIFACTS/.browsers.lock" node "$here/e2e.test.mjs"
