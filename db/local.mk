# db/local.mk
# db/: the moderation store (sqlite: bans, reports, admin tokens), the
# daemon's ban cache and writer thread, the admin API handler and the admin
# CLI's parser (ctl.c); meetopiactl.c at the top level is a thin front over it.
DB_LIB = libmeetopia_db.a
noinst_LIBRARIES += libmeetopia_db.a
libmeetopia_db_a_SOURCES = \
	db/db.h \
	db/store.c db/store_int.h db/store_bans.c db/store_reports.c \
	db/store_admins.c db/store_modlog.c \
	db/mdb.c db/mdb_int.h db/mdb_cache.c db/mdb_modlog.c \
	db/admin_api.c \
	db/ctl.c db/ctl.h

check_PROGRAMS += tests/unit/test_store tests/unit/test_mdb \
	tests/unit/test_admin_api tests/unit/test_ctl
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_LDADD = $(ALL_LIBS)
tests_unit_test_mdb_SOURCES = tests/unit/test_mdb.c
tests_unit_test_mdb_LDADD = $(ALL_LIBS)
tests_unit_test_admin_api_SOURCES = tests/unit/test_admin_api.c
tests_unit_test_admin_api_LDADD = $(ALL_LIBS)
tests_unit_test_ctl_SOURCES = tests/unit/test_ctl.c
tests_unit_test_ctl_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_store tests/unit/test_mdb \
	tests/unit/test_admin_api tests/unit/test_ctl

# The store's side of the cluster's moderation log.
check_PROGRAMS += tests/unit/test_db_modlog
tests_unit_test_db_modlog_SOURCES = tests/unit/test_db_modlog.c
tests_unit_test_db_modlog_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_db_modlog

# meetopiactl's argument parser as a fuzz target; `make check` replays its
# corpus (tests/fuzz/corpus/ctl/) under the sanitizers.
check_PROGRAMS += tests/fuzz/replay_ctl
tests_fuzz_replay_ctl_SOURCES = tests/fuzz/fuzz_ctl.c tests/fuzz/replay_main.c
tests_fuzz_replay_ctl_LDADD = $(ALL_LIBS)
TESTS += tests/fuzz/replay_ctl.sh
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_ctl
tests_fuzz_fuzz_ctl_SOURCES = tests/fuzz/fuzz_ctl.c
tests_fuzz_fuzz_ctl_CFLAGS = $(AM_CFLAGS) $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_ctl_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_ctl_LDADD = $(ALL_LIBS)
endif
fuzz-smoke: fuzz-smoke-ctl

# Integration tests (Python, TAP): meetopiactl and the running daemon.
TESTS += tests/integration/test_ctl_commands.py
EXTRA_DIST += tests/integration/test_ctl_commands.py
TESTS += tests/integration/test_ban_reaches_daemon.py
EXTRA_DIST += tests/integration/test_ban_reaches_daemon.py
TESTS += tests/integration/test_db_concurrent_writes.py
EXTRA_DIST += tests/integration/test_db_concurrent_writes.py
TESTS += tests/integration/test_ban_by_report.py
EXTRA_DIST += tests/integration/test_ban_by_report.py
TESTS += tests/integration/test_ctl_credential.py
EXTRA_DIST += tests/integration/test_ctl_credential.py
TESTS += tests/integration/test_report_kill9.py
TESTS += tests/integration/test_db_faults.py
EXTRA_DIST += tests/integration/test_db_faults.py
EXTRA_DIST += tests/integration/test_report_kill9.py
TESTS += tests/integration/test_admin_api.py
EXTRA_DIST += tests/integration/test_admin_api.py
