# tests/e2e/: the web client in Debian's headless Chromium, driven by
# playwright-core (pinned in package-lock.json; `npm ci` here installs it),
# against meetopiad on loopback.  run.sh prints TAP, or skips saying why
# when chromium, node or node_modules is missing.  The screenshot of the
# connected page goes to tests/e2e/artifacts/ in the build dir.
TESTS += tests/e2e/run.sh
EXTRA_DIST += tests/e2e/run.sh tests/e2e/e2e.test.mjs tests/e2e/lib.mjs \
	tests/e2e/package.json tests/e2e/package-lock.json
CLEANFILES += tests/e2e/artifacts/connected.png
