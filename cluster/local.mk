# cluster/local.mk
# cluster/: the Redis side of a multi-node deployment (hiredis on the
# daemon's event base).  Depends on common and auth only.
CLUSTER_LIB = libmeetopia_cluster.a
noinst_LIBRARIES += libmeetopia_cluster.a
libmeetopia_cluster_a_SOURCES = \
	cluster/redis.c cluster/redis.h \
	cluster/queue.c cluster/queue.h \
	cluster/node.c cluster/node.h \
	cluster/cluster.c cluster/cluster.h \
	cluster/modlog.c cluster/modlog.h \
	cluster/limits.c cluster/limits.h \
	cluster/registry.c cluster/registry.h
libmeetopia_cluster_a_CPPFLAGS = $(AM_CPPFLAGS) $(HIREDIS_CFLAGS)

# The queue and the link against a real redis-server: run by
# tests/integration/test_cluster_queue.py, which starts one on a free
# loopback port (MTEST_REDIS_PORT); skipped without redis-server.
check_PROGRAMS += tests/unit/test_cluster_queue
tests_unit_test_cluster_queue_SOURCES = tests/unit/test_cluster_queue.c
tests_unit_test_cluster_queue_CPPFLAGS = $(AM_CPPFLAGS) $(HIREDIS_CFLAGS)
tests_unit_test_cluster_queue_LDADD = $(ALL_LIBS)
TESTS += tests/integration/test_cluster_queue.py \
	tests/integration/test_cluster_link.py \
	tests/integration/test_cluster_moderation.py \
	tests/integration/test_cluster_signaling.py \
	tests/integration/test_cluster_drain.py \
	tests/integration/test_cluster_two_nodes.py
EXTRA_DIST += tests/integration/test_cluster_queue.py \
	tests/integration/test_cluster_link.py \
	tests/integration/test_cluster_moderation.py \
	tests/integration/test_cluster_signaling.py \
	tests/integration/test_cluster_drain.py \
	tests/integration/test_cluster_two_nodes.py \
	tests/integration/cluster_nodes.py \
	tests/integration/redis_server.py

check_PROGRAMS += tests/unit/test_redis_url
tests_unit_test_redis_url_SOURCES = tests/unit/test_redis_url.c
tests_unit_test_redis_url_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_redis_url

