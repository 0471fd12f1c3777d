# signaling/local.mk
