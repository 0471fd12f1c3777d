# tests/e2e/: the web client in Debian's headless Chromium and Firefox ESR
# (WebDriver BiDi), driven by playwright-core (pinned in package-lock.json;
# `npm ci` here installs it), against meetopiad on loopback.  run.sh
# (Chromium), firefox.sh (Firefox, Chromium-Firefox, TLS only by name)
# and cluster.sh (a call across three nodes and one redis-server, the
# relay node killed) print TAP, or skip saying why when a browser,
# certutil, redis-server, node or node_modules is missing; they take turns (a lock in the build dir).  The
# screenshot of the connected page goes to tests/e2e/artifacts/ in the
# build dir.
TESTS += tests/e2e/run.sh tests/e2e/firefox.sh tests/e2e/cluster.sh
EXTRA_DIST += tests/e2e/run.sh tests/e2e/e2e.test.mjs tests/e2e/lib.mjs \
	tests/e2e/firefox.sh tests/e2e/firefox.test.mjs \
	tests/e2e/cluster.sh tests/e2e/cluster.test.mjs \
	tests/e2e/package.json tests/e2e/package-lock.json
CLEANFILES += tests/e2e/artifacts/connected.png tests/e2e/artifacts/.browsers.lock
