# signaling/web/: the browser client, served at / and installed to
# $(pkgdatadir)/web.  Every regular file in the folder ships and installs.
webdir = $(pkgdatadir)/web
EXTRA_DIST += signaling/web

install-data-local: install-web
install-web:
	$(MKDIR_P) '$(DESTDIR)$(webdir)'
	for f in $(top_srcdir)/signaling/web/*; do \
	  case $$f in *.mk) continue;; esac; \
	  test -f "$$f" && $(INSTALL_DATA) "$$f" '$(DESTDIR)$(webdir)/' || :; \
	done
uninstall-local: uninstall-web
uninstall-web:
	for f in $(top_srcdir)/signaling/web/*; do \
	  rm -f '$(DESTDIR)$(webdir)/'`basename "$$f"`; \
	done
	-rmdir '$(DESTDIR)$(webdir)' 2>/dev/null
.PHONY: install-web uninstall-web
