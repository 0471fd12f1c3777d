# relay/local.mk
