# tools/local.mk
# tools/: meetopia-bench, the TURN load and media client (libevent, libsrtp2,
# OpenSSL), the raw loopback forwarder that gives the comparison its
# ceiling, and the side-by-side comparison with coturn (not run by make check).
bin_PROGRAMS += meetopia-bench
meetopia_bench_SOURCES = tools/meetopia-bench.c tools/bench.h \
	tools/bench_stun.c tools/bench_media.c tools/bench_turn.c \
	tools/bench_report.c tools/bench_srtp.c
meetopia_bench_LDADD = $(AUTH_LIB) libmeetopia_common.a $(DEPS_LIBS) \
	$(SRTP_LIBS)
dist_man_MANS += doc/meetopia-bench.1

noinst_PROGRAMS += tools/raw-loopback
tools_raw_loopback_SOURCES = tools/raw-loopback.c
tools_raw_loopback_LDADD = libmeetopia_common.a $(DEPS_LIBS)

dist_noinst_SCRIPTS += tools/compare-coturn.py tools/soak.py tools/perf-relay.sh \
	tools/cluster-bench.py tools/warm-pool-cost.mjs

# Integration tests (Python, TAP): the command line, and real runs against
# coturn's turnserver and against meetopiad on loopback.
TESTS += tests/integration/test_bench_cli.py \
	tests/integration/test_bench_coturn.py \
	tests/integration/test_bench_meetopiad.py
EXTRA_DIST += tests/integration/test_bench_cli.py \
	tests/integration/test_bench_coturn.py \
	tests/integration/test_bench_meetopiad.py

# make sizes: the product functions over ~80 lines and files over ~900
# lines that issue 16's size limits leave to split (exit 1 while any).
dist_noinst_SCRIPTS += tools/fnlen.py
sizes:
	@$(top_srcdir)/tools/fnlen.py $(top_srcdir)
.PHONY: sizes
