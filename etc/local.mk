# etc/: the sample configuration (every key commented out), the systemd
# unit, logrotate, and the container files.
meetopiaconfdir = $(sysconfdir)/meetopia
dist_meetopiaconf_DATA = etc/meetopia.conf

logrotatedir = $(sysconfdir)/logrotate.d
logrotate_DATA = etc/logrotate.d/meetopia

systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = etc/meetopiad.service
etc/meetopiad.service: $(top_srcdir)/etc/meetopiad.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && sed -e 's|[@]sbindir[@]|$(sbindir)|g' \
	    -e 's|[@]sysconfdir[@]|$(sysconfdir)|g' \
	    $(top_srcdir)/etc/meetopiad.service.in > $@.tmp && mv $@.tmp $@
CLEANFILES += etc/meetopiad.service

EXTRA_DIST += etc/meetopiad.service.in etc/logrotate.d/meetopia \
	etc/Dockerfile etc/docker-compose.yml

# The example 3-node cluster (README "Running a cluster"): docker-compose
# with Redis, the nodes' configurations and a systemd drop-in, installed as
# documentation; tests/integration/test_cluster_examples.py checks them.
clusterexdir = $(docdir)/examples/cluster
dist_clusterex_DATA = etc/cluster/docker-compose.yml etc/cluster/node1.conf \
	etc/cluster/node2.conf etc/cluster/node3.conf
clusterexunitdir = $(clusterexdir)/meetopiad.service.d
dist_clusterexunit_DATA = etc/cluster/meetopiad.service.d/cluster.conf
TESTS += tests/integration/test_cluster_examples.py
EXTRA_DIST += tests/integration/test_cluster_examples.py
