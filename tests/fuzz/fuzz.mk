# tests/fuzz/: libFuzzer targets for every parser of untrusted input.
#
# Each target NAME is tests/fuzz/fuzz_NAME.c with a seed corpus in
# tests/fuzz/corpus/NAME/.  Modules add their targets to FUZZ_NAMES and
# define tests_fuzz_replay_NAME (the target linked with replay_main.c, run
# over its corpus by `make check`) and, under --enable-fuzzing,
# tests/fuzz/fuzz_NAME (the libFuzzer binary).
#
#   make fuzz-smoke                   each target for FUZZ_SECONDS (60)
#   make fuzz-smoke FUZZ_SECONDS=600  longer
FUZZ_SECONDS = 60
FUZZ_NAMES =
EXTRA_DIST += tests/fuzz/replay_main.c tests/fuzz/corpus

FUZZ_COMPILEFLAGS = -fsanitize=fuzzer
FUZZ_LINKFLAGS = -fsanitize=fuzzer,address,undefined

# The configuration file parser (common/config.c).
FUZZ_NAMES += config
check_PROGRAMS += tests/fuzz/replay_config
tests_fuzz_replay_config_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/replay_main.c
tests_fuzz_replay_config_LDADD = $(ALL_LIBS)
TESTS += tests/fuzz/replay_config.sh
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_config_LDADD = $(ALL_LIBS)
endif

# tests/fuzz/replay_NAME.sh: `make check` runs replay_NAME over the corpus.
tests/fuzz/replay_%.sh: Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/fuzz && \
	printf '#!/bin/sh\nexec "%s/tests/fuzz/replay_%s" "%s/tests/fuzz/corpus/%s"\n' \
	    '$(abs_top_builddir)' '$*' '$(abs_top_srcdir)' '$*' > $@ && chmod +x $@
CLEANFILES += tests/fuzz/replay_*.sh

# One rule per target, so that `make -j2 fuzz-smoke` runs two at a time.
fuzz-smoke: $(FUZZ_NAMES:%=fuzz-smoke-%)
fuzz-smoke-%:
if FUZZING
	@mkdir -p tests/fuzz/work/$*; \
	if ./tests/fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=tests/fuzz/work/$*- -max_len=4096 -timeout=10 \
	    tests/fuzz/work/$* $(top_srcdir)/tests/fuzz/corpus/$* \
	    > tests/fuzz/work/$*.log 2>&1; then \
	  echo "fuzz-smoke: $* ok, `grep -E 'stat::number_of_executed_units' tests/fuzz/work/$*.log | awk '{print $$2}'` runs in $(FUZZ_SECONDS)s"; \
	else \
	  echo "fuzz-smoke: $* FAILED"; tail -40 tests/fuzz/work/$*.log; exit 1; \
	fi
else
	@echo "fuzz-smoke: configure with CC=clang --enable-fuzzing"; exit 1
endif
.PHONY: fuzz-smoke
clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/work
.PHONY: clean-fuzz

# The redis URL parser (common/redis_url.c), fuzzed (see tests/fuzz/fuzz.mk).
FUZZ_NAMES += redis_url
check_PROGRAMS += tests/fuzz/replay_redis_url
tests_fuzz_replay_redis_url_SOURCES = tests/fuzz/fuzz_redis_url.c tests/fuzz/replay_main.c
tests_fuzz_replay_redis_url_LDADD = $(ALL_LIBS)
TESTS += tests/fuzz/replay_redis_url.sh
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_redis_url
tests_fuzz_fuzz_redis_url_SOURCES = tests/fuzz/fuzz_redis_url.c
tests_fuzz_fuzz_redis_url_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_redis_url_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_redis_url_LDADD = $(ALL_LIBS)
endif
