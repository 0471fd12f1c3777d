#!/bin/sh
# firefox.sh - the Firefox ESR end-to-end tests (firefox.test.mjs, TAP) for
# make check: Firefox-Firefox and Chromium-Firefox calls through the relay,
# the web client's whole flow in Firefox, and the TLS-only call by name
# with a test CA in both browsers' profiles (issue 18).
#
# Skips, saying why, only when what they drive is missing: Debian's
# firefox-esr, chromium, certutil (libnss3-tools), node, or
# tests/e2e/node_modules (playwright-core from package-lock.json, which
# drives a stock Firefox over WebDriver BiDi).  tools/install-deps.sh
# --test installs them all (.ci/run calls it).  The browser tests take a
# lock in the build dir (tests/e2e/artifacts/), so that make -j2 check
# never runs two browser suites at once on a small machine.
#
# Environment: MTEST_BUILDDIR / MTEST_SRCDIR (set by make check), FIREFOX
# (default /usr/bin/firefox-esr), CHROMIUM (default /usr/bin/chromium),
# E2E_REPS (runs per figure, default 1), E2E_FIGURES=1 (matched →
# connected over UDP, TCP and TLS only for Chromium-Chromium,
# Firefox-Firefox and Chromium-Firefox), E2E_FF_TIMEOUT (seconds before
# the watchdog ends the run), E2E_VERBOSE=1 (the pages' console),
# E2E_FF_ONLY=tls (the TLS-only call by name alone, on the one port).
here=$(cd "$(dirname "$0")" && pwd)
: "${MTEST_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${MTEST_BUILDDIR:=$MTEST_SRCDIR}"
: "${FIREFOX:=/usr/bin/firefox-esr}"
: "${CHROMIUM:=/usr/bin/chromium}"
export MTEST_SRCDIR MTEST_BUILDDIR FIREFOX CHROMIUM

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

[ -x "$FIREFOX" ] ||
	skip "no $FIREFOX (tools/install-deps.sh --test installs firefox-esr)"
[ -x "$CHROMIUM" ] ||
	skip "no $CHROMIUM (tools/install-deps.sh --test installs chromium)"
command -v certutil >/dev/null 2>&1 ||
	skip "no certutil (tools/install-deps.sh --test installs libnss3-tools)"
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
# The lock run.sh takes too, in the artifacts folder it makes.
: "${E2E_ARTIFACTS:=$MTEST_BUILDDIR/tests/e2e/artifacts}"
mkdir -p "$E2E_ARTIFACTS" || exit 1
exec flock "$E2E_ARTIFACTS/.browsers.lock" node "$here/firefox.test.mjs"
