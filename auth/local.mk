# auth/local.mk
