# common/: what every module shares (the ground floor: it includes only
# common/ headers).
noinst_LIBRARIES += libmeetopia_common.a
libmeetopia_common_a_SOURCES = \
	common/rdwr.c common/rdwr.h \
	common/log.c common/log.h \
	common/addr.c common/addr.h \
	common/config.c common/config.h common/config_int.h \
	common/config_keys.c common/config_value.c common/config_dump.c \
	common/redis_url.c common/redis_url.h \
	common/statedir.c common/statedir.h \
	common/metrics.c common/metrics.h \
	common/secevent.c common/secevent.h \
	common/privdrop.c common/privdrop.h \
	common/listener.c common/listener.h \
	common/base64.c common/base64.h \
	common/utf8.c common/utf8.h \
	common/pctdecode.c common/pctdecode.h \
	common/clock.c common/clock.h \
	common/ratelimit.c common/ratelimit.h \
	common/demux.c common/demux.h \
	common/portshare.c common/portshare.h

check_PROGRAMS += tests/unit/test_rdwr tests/unit/test_addr tests/unit/test_config \
	tests/unit/test_metrics tests/unit/test_listener tests/unit/test_base64 \
	tests/unit/test_utf8 tests/unit/test_pctdecode tests/unit/test_ratelimit
tests_unit_test_rdwr_SOURCES = tests/unit/test_rdwr.c
tests_unit_test_rdwr_LDADD = $(ALL_LIBS)
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c
tests_unit_test_addr_LDADD = $(ALL_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_LDADD = $(ALL_LIBS)
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c
tests_unit_test_metrics_LDADD = $(ALL_LIBS)
tests_unit_test_listener_SOURCES = tests/unit/test_listener.c
tests_unit_test_listener_LDADD = $(ALL_LIBS)
tests_unit_test_base64_SOURCES = tests/unit/test_base64.c
tests_unit_test_base64_LDADD = $(ALL_LIBS)
tests_unit_test_utf8_SOURCES = tests/unit/test_utf8.c
tests_unit_test_utf8_LDADD = $(ALL_LIBS)
tests_unit_test_pctdecode_SOURCES = tests/unit/test_pctdecode.c
tests_unit_test_pctdecode_LDADD = $(ALL_LIBS)
tests_unit_test_ratelimit_SOURCES = tests/unit/test_ratelimit.c
tests_unit_test_ratelimit_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_rdwr tests/unit/test_addr tests/unit/test_config \
	tests/unit/test_metrics tests/unit/test_listener tests/unit/test_base64 \
	tests/unit/test_utf8 tests/unit/test_pctdecode tests/unit/test_ratelimit

# UNITTEST (common/unittest.h): a test that calls helpers private to a
# file compiles that file itself with -DMEETOPIA_UNITTEST.
libmeetopia_common_a_SOURCES += common/unittest.h
UNITTEST_CPPFLAGS = $(AM_CPPFLAGS) -DMEETOPIA_UNITTEST
tests_unit_test_listener_SOURCES += common/listener.c
tests_unit_test_listener_CPPFLAGS = $(UNITTEST_CPPFLAGS)

# The shared port's demultiplexer (common/demux.c): its unit test, and its
# fuzz target (see tests/fuzz/fuzz.mk; FUZZ_NAMES is set after this file is
# read, so the target joins fuzz-smoke here).
check_PROGRAMS += tests/unit/test_demux
tests_unit_test_demux_SOURCES = tests/unit/test_demux.c
tests_unit_test_demux_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_demux
fuzz-smoke: fuzz-smoke-demux
check_PROGRAMS += tests/fuzz/replay_demux
tests_fuzz_replay_demux_SOURCES = tests/fuzz/fuzz_demux.c tests/fuzz/replay_main.c
tests_fuzz_replay_demux_LDADD = libmeetopia_common.a $(DEPS_LIBS)
TESTS += tests/fuzz/replay_demux.sh
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_demux
tests_fuzz_fuzz_demux_SOURCES = tests/fuzz/fuzz_demux.c
tests_fuzz_fuzz_demux_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_demux_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_demux_LDADD = libmeetopia_common.a $(DEPS_LIBS)
endif
