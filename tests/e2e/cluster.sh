#!/bin/sh
# cluster.sh - the browser test of a cluster (cluster.test.mjs, TAP) for
# make check: two Chromium pages on two of three meetopiad nodes of one
# cluster (one redis-server) connect relay-only through the pair's relay
# node, decode video, chat; the relay node is killed (kill -9), its page's
# /ws moves to the third node and resumes, and the call comes back
# through a live node, the time it took printed (issue 17).
#
# Skips, saying why, only when what it drives is missing: Debian's
# chromium, redis-server, node, or tests/e2e/node_modules (playwright-core
# from package-lock.json).  tools/install-deps.sh --test installs them
# (.ci/run calls it).  Takes the browser suites' lock (run.sh,
# firefox.sh) in the build dir.
#
# Environment: MTEST_BUILDDIR / MTEST_SRCDIR (set by make check), CHROMIUM
# (default /usr/bin/chromium), E2E_TIMEOUT (seconds before the watchdog
# ends the run, default 120), E2E_VERBOSE=1 (the pages' console),
# E2E_KEEP=1 (keep the nodes' directories, stderr.log included).
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
command -v redis-server >/dev/null 2>&1 ||
	skip "no redis-server (tools/install-deps.sh --test installs it)"
command -v node >/dev/null 2>&1 ||
	skip "no node (tools/install-deps.sh --test installs nodejs)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
[ "${major:-0}" -ge 18 ] 2>/dev/null ||
	skip "node ${major:-?} is older than 18"
[ -f "$here/node_modules/playwright-core/package.json" ] ||
	skip "no tests/e2e/node_modules (tools/install-deps.sh --test, or: cd tests/e2e && npm ci)"
[ -x "$MTEST_BUILDDIR/meetopiad" ] || {
	echo "1..1"
	echo "not ok 1 - meetopiad is built in $MTEST_BUILDDIR"
	exit 1
}
mkdir -p "$E2E_ARTIFACTS" || exit 1
# One browser suite at a time (run.sh and firefox.sh take the same lock);
# the lock waits at most 10 minutes, so that a stuck holder cannot hang CI.
exec flock -w 600 "$E2E_ARTIFACTS/.browsers.lock" node "$here/cluster.test.mjs"
