# signaling/local.mk
# signaling/: the HTTP/1.1 server (static web client, /healthz, /metrics,
# /api/ice-servers, /admin/v1/ route) on common/listener.h's connection
# server, WebSocket /ws, JSON messages, the
# pairing queue, chat rules and the SDP candidate filter.
SIGNALING_LIB = libmeetopia_signaling.a
noinst_LIBRARIES += libmeetopia_signaling.a
libmeetopia_signaling_a_SOURCES = \
	signaling/signaling.h \
	signaling/http.c signaling/http.h \
	signaling/chat.c signaling/chat.h \
	signaling/sdp.c signaling/sdp.h \
	signaling/jwt.c signaling/jwt.h \
	signaling/msg.c signaling/msg.h \
	signaling/ws.c signaling/ws.h \
	signaling/pairing.c signaling/pairing.h \
	signaling/sig.h \
	signaling/server.c \
	signaling/cluster_glue.c signaling/cluster_int.h \
	signaling/cluster_pair.c signaling/cluster_resume.c \
	signaling/cluster_dead.c \
	signaling/hconn.c \
	signaling/routes.c \
	signaling/ice.c \
	signaling/session.c signaling/session_int.h \
	signaling/session_pair.c \
	signaling/session_msg.c

# Unit tests of the pure parts.
SIG_UNIT = tests/unit/test_http tests/unit/test_ws tests/unit/test_chat \
	tests/unit/test_sdp tests/unit/test_msg tests/unit/test_jwt \
	tests/unit/test_pairing tests/unit/test_cluster_bus
check_PROGRAMS += $(SIG_UNIT)
TESTS += $(SIG_UNIT)
tests_unit_test_http_SOURCES = tests/unit/test_http.c
tests_unit_test_http_LDADD = $(ALL_LIBS)
tests_unit_test_ws_SOURCES = tests/unit/test_ws.c
tests_unit_test_ws_LDADD = $(ALL_LIBS)
tests_unit_test_chat_SOURCES = tests/unit/test_chat.c
tests_unit_test_chat_LDADD = $(ALL_LIBS)
tests_unit_test_sdp_SOURCES = tests/unit/test_sdp.c
tests_unit_test_sdp_LDADD = $(ALL_LIBS)
tests_unit_test_msg_SOURCES = tests/unit/test_msg.c
tests_unit_test_msg_LDADD = $(ALL_LIBS)
tests_unit_test_jwt_SOURCES = tests/unit/test_jwt.c
tests_unit_test_jwt_LDADD = $(ALL_LIBS)
tests_unit_test_pairing_SOURCES = tests/unit/test_pairing.c
tests_unit_test_pairing_LDADD = $(ALL_LIBS)
tests_unit_test_cluster_bus_SOURCES = tests/unit/test_cluster_bus.c
tests_unit_test_cluster_bus_LDADD = $(ALL_LIBS)

# Fuzz targets (tests/fuzz/fuzz.mk): the HTTP request parser, WebSocket
# frame handling, the JSON message decoder and the SDP filter.  `make
# check` replays their corpora (tests/fuzz/corpus/NAME/).
check_PROGRAMS += tests/fuzz/replay_http tests/fuzz/replay_ws \
	tests/fuzz/replay_json tests/fuzz/replay_sdp
TESTS += tests/fuzz/replay_http.sh tests/fuzz/replay_ws.sh \
	tests/fuzz/replay_json.sh tests/fuzz/replay_sdp.sh
tests_fuzz_replay_http_SOURCES = tests/fuzz/fuzz_http.c tests/fuzz/replay_main.c
tests_fuzz_replay_http_LDADD = $(ALL_LIBS)
tests_fuzz_replay_ws_SOURCES = tests/fuzz/fuzz_ws.c tests/fuzz/replay_main.c
tests_fuzz_replay_ws_LDADD = $(ALL_LIBS)
tests_fuzz_replay_json_SOURCES = tests/fuzz/fuzz_json.c tests/fuzz/replay_main.c
tests_fuzz_replay_json_LDADD = $(ALL_LIBS)
tests_fuzz_replay_sdp_SOURCES = tests/fuzz/fuzz_sdp.c tests/fuzz/replay_main.c
tests_fuzz_replay_sdp_LDADD = $(ALL_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_http tests/fuzz/fuzz_ws \
	tests/fuzz/fuzz_json tests/fuzz/fuzz_sdp
tests_fuzz_fuzz_http_SOURCES = tests/fuzz/fuzz_http.c
tests_fuzz_fuzz_http_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_http_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_http_LDADD = $(ALL_LIBS)
tests_fuzz_fuzz_ws_SOURCES = tests/fuzz/fuzz_ws.c
tests_fuzz_fuzz_ws_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_ws_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_ws_LDADD = $(ALL_LIBS)
tests_fuzz_fuzz_json_SOURCES = tests/fuzz/fuzz_json.c
tests_fuzz_fuzz_json_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_json_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_json_LDADD = $(ALL_LIBS)
tests_fuzz_fuzz_sdp_SOURCES = tests/fuzz/fuzz_sdp.c
tests_fuzz_fuzz_sdp_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_sdp_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_sdp_LDADD = $(ALL_LIBS)
endif
fuzz-smoke: fuzz-smoke-http fuzz-smoke-ws fuzz-smoke-json fuzz-smoke-sdp

# Integration tests (Python, TAP): the daemon on loopback, driven with raw
# sockets, http.client and python3-websockets.
SIG_INTEGRATION = \
	tests/integration/test_http_server.py \
	tests/integration/test_http_timeouts.py \
	tests/integration/test_http_api.py \
	tests/integration/test_http_tls.py \
	tests/integration/test_server_name.py \
	tests/integration/test_metrics.py \
	tests/integration/test_ws_protocol.py \
	tests/integration/test_signal_pairing.py \
	tests/integration/test_signal_chat.py \
	tests/integration/test_signal_resume.py \
	tests/integration/test_signal_report.py \
	tests/integration/test_session_allocations.py \
	tests/integration/test_per_ip_limits.py \
	tests/integration/test_ws_nodelay.py
TESTS += $(SIG_INTEGRATION)
EXTRA_DIST += $(SIG_INTEGRATION) tools/ws-bench.py

# UNITTEST (common/unittest.h): test_pairing calls pairing.c's own
# pair_shared(), so it compiles pairing.c itself.
tests_unit_test_pairing_SOURCES += signaling/pairing.c
tests_unit_test_pairing_CPPFLAGS = $(UNITTEST_CPPFLAGS)
