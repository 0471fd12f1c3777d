# tests/: integration tests (Python, TAP) that start meetopiad on free
# loopback ports; unit tests are listed in each module's local.mk.
EXTRA_DIST += tests/integration/harness.py tests/integration/tap.py \
	tests/integration/stun.py tests/integration/coturn.py \
	tests/integration/wsclient.py tests/integration/turnclient.py

TESTS += tests/integration/test_daemon_lifecycle.py \
	tests/integration/test_daemon_drain.py \
	tests/integration/test_daemon_reload.py
EXTRA_DIST += tests/integration/test_daemon_lifecycle.py \
	tests/integration/test_daemon_drain.py \
	tests/integration/test_daemon_reload.py
TESTS += tests/integration/test_sample_config.py
EXTRA_DIST += tests/integration/test_sample_config.py
TESTS += tests/integration/test_man_pages.py
EXTRA_DIST += tests/integration/test_man_pages.py
TESTS += tests/integration/test_privdrop.py
EXTRA_DIST += tests/integration/test_privdrop.py
TESTS += tests/integration/test_install.py
EXTRA_DIST += tests/integration/test_install.py

include tests/fuzz/fuzz.mk
TESTS += tests/integration/test_daemon_healthz.py
TESTS += tests/integration/test_halfopen.py
EXTRA_DIST += tests/integration/test_halfopen.py
EXTRA_DIST += tests/integration/test_daemon_healthz.py
# The relay never reaches this host itself (issue 15).
TESTS += tests/integration/test_turn_selfrelay.py
EXTRA_DIST += tests/integration/test_turn_selfrelay.py
TESTS += tests/integration/test_shutdown_race.py
EXTRA_DIST += tests/integration/test_shutdown_race.py
TESTS += tests/integration/test_log_privacy.py
EXTRA_DIST += tests/integration/test_log_privacy.py
TESTS += tests/integration/test_config_secret_mode.py
EXTRA_DIST += tests/integration/test_config_secret_mode.py
TESTS += tests/integration/test_even_port_hold.py
EXTRA_DIST += tests/integration/test_even_port_hold.py
# The web client's pure modules under node --test, outside the browser.
TESTS += tests/web/run.sh
EXTRA_DIST += tests/web/run.sh tests/web/state.test.mjs \
	tests/web/quality.test.mjs tests/web/text.test.mjs \
	tests/web/call.test.mjs tests/web/signal.test.mjs
# One port for HTTP(S) and TURN (issue 18).
TESTS += tests/integration/test_shared_ports.py
EXTRA_DIST += tests/integration/test_shared_ports.py
