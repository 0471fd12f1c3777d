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
