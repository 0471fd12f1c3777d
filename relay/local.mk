# relay/local.mk
# relay/: the STUN/TURN relay: the STUN codec, the TURN protocol logic
# (allocations, permissions, channels, peer policy) as pure functions, and
# the libevent transports around it (UDP, TCP and TLS).
RELAY_LIB = libmeetopia_relay.a
noinst_LIBRARIES += libmeetopia_relay.a
libmeetopia_relay_a_SOURCES = \
	relay/relay.h relay/relay_int.h relay/relay.c relay/steer.c \
	relay/udp.c relay/udp_steer.c relay/tcp.c \
	relay/stun_codec.c relay/stun_codec.h \
	relay/peer_policy.c relay/peer_policy.h \
	relay/turn.c relay/turn.h relay/turn_int.h relay/turn_allocate.c \
	relay/turn_peer.c relay/allocation.c \
	relay/shared.c relay/ring.c relay/ring.h

# Unit tests of the pure parts (codec, peer policy, the protocol, the
# hand-off rings, udp.c's send queue).  The protocol's tests are split by
# behaviour (test_turn_BEHAVIOUR.c) and share one fake transport
# (fake_turn_io.[ch], which the fuzz targets use too) and one context and
# client (turn_fixture.[ch]).
FAKE_TURN_IO = tests/unit/fake_turn_io.c tests/unit/fake_turn_io.h
TURN_FIXTURE = tests/unit/turn_fixture.c tests/unit/turn_fixture.h \
	$(FAKE_TURN_IO)
TURN_UNIT = tests/unit/test_turn_auth tests/unit/test_turn_allocate \
	tests/unit/test_turn_permission tests/unit/test_turn_channel \
	tests/unit/test_turn_internal tests/unit/test_turn_self \
	tests/unit/test_turn_shared
RELAY_UNIT = tests/unit/test_stun_codec tests/unit/test_peer_policy \
	$(TURN_UNIT) tests/unit/test_udp tests/unit/test_ring
check_PROGRAMS += $(RELAY_UNIT)
TESTS += $(RELAY_UNIT)
# UNITTEST (common/unittest.h): test_stun_codec calls stun_codec.c's own
# helpers (CRC-32, HMAC, type bits) and the framing fuzz target tcp.c's,
# so they compile those files themselves.
tests_unit_test_stun_codec_SOURCES = tests/unit/test_stun_codec.c \
	relay/stun_codec.c
tests_unit_test_stun_codec_CPPFLAGS = $(UNITTEST_CPPFLAGS)
tests_unit_test_stun_codec_LDADD = $(ALL_LIBS)
tests_unit_test_peer_policy_SOURCES = tests/unit/test_peer_policy.c
tests_unit_test_peer_policy_LDADD = $(ALL_LIBS)
tests_unit_test_turn_auth_SOURCES = tests/unit/test_turn_auth.c \
	$(TURN_FIXTURE)
tests_unit_test_turn_auth_LDADD = $(ALL_LIBS)
tests_unit_test_turn_allocate_SOURCES = tests/unit/test_turn_allocate.c \
	$(TURN_FIXTURE)
tests_unit_test_turn_allocate_LDADD = $(ALL_LIBS)
tests_unit_test_turn_permission_SOURCES = tests/unit/test_turn_permission.c \
	$(TURN_FIXTURE)
tests_unit_test_turn_permission_LDADD = $(ALL_LIBS)
tests_unit_test_turn_channel_SOURCES = tests/unit/test_turn_channel.c \
	$(TURN_FIXTURE)
tests_unit_test_turn_channel_LDADD = $(ALL_LIBS)
tests_unit_test_turn_internal_SOURCES = tests/unit/test_turn_internal.c \
	$(TURN_FIXTURE)
tests_unit_test_turn_internal_LDADD = $(ALL_LIBS)
tests_unit_test_turn_self_SOURCES = tests/unit/test_turn_self.c \
	$(TURN_FIXTURE)
tests_unit_test_turn_self_LDADD = $(ALL_LIBS)
tests_unit_test_turn_shared_SOURCES = tests/unit/test_turn_shared.c \
	$(TURN_FIXTURE)
tests_unit_test_turn_shared_LDADD = $(ALL_LIBS)
tests_unit_test_udp_SOURCES = tests/unit/test_udp.c
tests_unit_test_udp_LDADD = $(ALL_LIBS)
tests_unit_test_ring_SOURCES = tests/unit/test_ring.c
tests_unit_test_ring_LDADD = $(ALL_LIBS)

# Fuzz targets (see tests/fuzz/fuzz.mk): the STUN codec with the request
# path behind it, and the data path (ChannelData, Send, peer datagrams).
# (tests/fuzz/fuzz.mk sets FUZZ_NAMES after this file is read, so the
# targets join fuzz-smoke here.)
fuzz-smoke: fuzz-smoke-stun fuzz-smoke-channeldata fuzz-smoke-stream
check_PROGRAMS += tests/fuzz/replay_stun tests/fuzz/replay_channeldata \
	tests/fuzz/replay_stream
tests_fuzz_replay_stun_SOURCES = tests/fuzz/fuzz_stun.c tests/fuzz/replay_main.c \
	$(FAKE_TURN_IO)
tests_fuzz_replay_stun_LDADD = $(ALL_LIBS)
tests_fuzz_replay_channeldata_SOURCES = tests/fuzz/fuzz_channeldata.c \
	tests/fuzz/replay_main.c $(FAKE_TURN_IO)
tests_fuzz_replay_channeldata_LDADD = $(ALL_LIBS)
# The stream framing of TCP/TLS (tcp_drain), split at random points.
tests_fuzz_replay_stream_SOURCES = tests/fuzz/fuzz_stream.c \
	tests/fuzz/replay_main.c $(FAKE_TURN_IO) relay/tcp.c
tests_fuzz_replay_stream_CPPFLAGS = $(UNITTEST_CPPFLAGS)
tests_fuzz_replay_stream_LDADD = $(ALL_LIBS)
TESTS += tests/fuzz/replay_stun.sh tests/fuzz/replay_channeldata.sh \
	tests/fuzz/replay_stream.sh
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_stun tests/fuzz/fuzz_channeldata \
	tests/fuzz/fuzz_stream
tests_fuzz_fuzz_stream_SOURCES = tests/fuzz/fuzz_stream.c $(FAKE_TURN_IO) \
	relay/tcp.c
tests_fuzz_fuzz_stream_CPPFLAGS = $(UNITTEST_CPPFLAGS)
tests_fuzz_fuzz_stream_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_stream_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_stream_LDADD = $(ALL_LIBS)
tests_fuzz_fuzz_stun_SOURCES = tests/fuzz/fuzz_stun.c $(FAKE_TURN_IO)
tests_fuzz_fuzz_stun_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_stun_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_stun_LDADD = $(ALL_LIBS)
tests_fuzz_fuzz_channeldata_SOURCES = tests/fuzz/fuzz_channeldata.c \
	$(FAKE_TURN_IO)
tests_fuzz_fuzz_channeldata_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_channeldata_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_channeldata_LDADD = $(ALL_LIBS)
endif

# Integration tests: real clients on loopback (coturn's turnutils,
# python3-aioice) and an independent STUN client for auth and policy.
RELAY_IT = tests/integration/test_stun_client.py \
	tests/integration/test_turn_uclient.py \
	tests/integration/test_turn_aioice.py \
	tests/integration/test_turn_policy.py \
	tests/integration/test_turn_security.py \
	tests/integration/test_turn_batching.py \
	tests/integration/test_relay_gso.py \
	tests/integration/test_pair_permissions.py \
	tests/integration/test_relay_threads.py \
	tests/integration/test_relay_steering.py \
	tests/integration/test_steer_close.py \
	tests/integration/test_turn_tcp.py \
	tests/integration/test_turn_stream.py \
	tests/integration/test_turn_hangup.py
TESTS += $(RELAY_IT)
EXTRA_DIST += $(RELAY_IT)
