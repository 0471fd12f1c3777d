# auth/local.mk
# auth/: TURN credentials, nonces, pseudonyms, admin tokens, TLS contexts.
AUTH_LIB = libmeetopia_auth.a
noinst_LIBRARIES += libmeetopia_auth.a
libmeetopia_auth_a_SOURCES = \
	auth/pseudonym.c auth/pseudonym.h \
	auth/admin_token.c auth/admin_token.h \
	auth/tls.c auth/tls.h \
	auth/cred.c auth/cred.h
# relay helper: add cred/nonce sources here
libmeetopia_auth_a_SOURCES += auth/nonce.c auth/nonce.h auth/ltkey.c auth/ltkey.h
libmeetopia_auth_a_SOURCES += auth/ctlmac.c auth/ctlmac.h
libmeetopia_auth_a_SOURCES += auth/mac.c auth/mac.h

check_PROGRAMS += tests/unit/test_pseudonym tests/unit/test_admin_token
tests_unit_test_pseudonym_SOURCES = tests/unit/test_pseudonym.c
tests_unit_test_pseudonym_LDADD = $(ALL_LIBS)
tests_unit_test_admin_token_SOURCES = tests/unit/test_admin_token.c
tests_unit_test_admin_token_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_pseudonym tests/unit/test_admin_token

check_PROGRAMS += tests/unit/test_tls
tests_unit_test_tls_SOURCES = tests/unit/test_tls.c
tests_unit_test_tls_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_tls

check_PROGRAMS += tests/unit/test_cred
tests_unit_test_cred_SOURCES = tests/unit/test_cred.c
tests_unit_test_cred_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_cred

check_PROGRAMS += tests/unit/test_nonce
tests_unit_test_nonce_SOURCES = tests/unit/test_nonce.c
tests_unit_test_nonce_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_nonce

check_PROGRAMS += tests/unit/test_mac
tests_unit_test_mac_SOURCES = tests/unit/test_mac.c
tests_unit_test_mac_LDADD = $(ALL_LIBS)
TESTS += tests/unit/test_mac
