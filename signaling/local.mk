# signaling/local.mk
# signaling/: the HTTP/1.1 server (static web client, /healthz, /metrics,
# /api/ice-servers, /admin/v1/ route), WebSocket /ws, JSON messages, the
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
	signaling/session.c

# Unit tests of the pure parts.
SIG_UNIT = tests/unit/test_http tests/unit/test_ws tests/unit/test_chat \
	tests/unit/test_sdp tests/unit/test_json_msg tests/unit/test_jwt \
	tests/unit/test_pair
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
tests_unit_test_json_msg_SOURCES = tests/unit/test_json_msg.c
tests_unit_test_json_msg_LDADD = $(ALL_LIBS)
tests_unit_test_jwt_SOURCES = tests/unit/test_jwt.c
tests_unit_test_jwt_LDADD = $(ALL_LIBS)
tests_unit_test_pair_SOURCES = tests/unit/test_pair.c
tests_unit_test_pair_LDADD = $(ALL_LIBS)
