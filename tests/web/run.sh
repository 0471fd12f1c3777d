#!/bin/sh
# run.sh - the web client's pure modules (signaling/web/state.js,
# quality.js, text.js, call.js) under node's built-in test runner, outside
# any browser: tests/web/*.test.mjs, in about a second.  Prints TAP for
# automake's tap-driver, or skips saying why when node (18 or later) is
# missing.
#
# Environment: MTEST_SRCDIR (set by make check).
here=$(cd "$(dirname "$0")" && pwd)
: "${MTEST_SRCDIR:=$(cd "$here/../.." && pwd)}"

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

command -v node >/dev/null 2>&1 ||
	skip "no node (tools/install-deps.sh --test installs nodejs)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
[ "${major:-0}" -ge 18 ] 2>/dev/null ||
	skip "node ${major:-?} is older than 18 (no node --test)"
# TAP is node 18's default reporter; later ones print it when asked.
reporter=
node --test-reporter=tap -e 0 >/dev/null 2>&1 && reporter=--test-reporter=tap
exec node --test $reporter "$MTEST_SRCDIR"/tests/web/*.test.mjs
