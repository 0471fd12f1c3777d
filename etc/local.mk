# etc/: the sample configuration, installed with every key commented out.
meetopiaconfdir = $(sysconfdir)/meetopia
dist_meetopiaconf_DATA = etc/meetopia.conf
