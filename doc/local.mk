# doc/: man pages.
dist_man_MANS += doc/meetopiad.8 doc/meetopia.conf.5
dist_man_MANS += doc/meetopiactl.8
