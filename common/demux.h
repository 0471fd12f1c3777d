/*
 * demux.h - which protocol a connection on a shared port speaks (SPEC,
 * Configuration: https-port = tls-port, http-port = turn-port), decided
 * from its ALPN (RFC 7301) or its first bytes.  Pure functions over
 * untrusted bytes: common/portshare.c calls them, the unit test and the
 * fuzzer (tests/fuzz/fuzz_demux.c) too.
 */
#ifndef MEETOPIA_COMMON_DEMUX_H
#define MEETOPIA_COMMON_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum demux_proto {
	DEMUX_MORE = 0,		/* too few bytes to tell */
	DEMUX_TURN,		/* STUN/TURN: the relay */
	DEMUX_HTTP,		/* HTTP/1.1 (and WebSocket): signaling */
	DEMUX_TLS,		/* a TLS ClientHello: handshake, then again */
	DEMUX_NONE		/* neither: close */
};

/* Bytes that always suffice to decide (demux_first() says MORE no longer). */
#define DEMUX_PEEK_MAX	24

/*
 * From the first n bytes of a stream: a TLS record carrying a ClientHello
 * (RFC 8446 §5.1, §4: type 22, version 3.x, a length of at most 2^14, then
 * handshake type 1), a STUN header (top two bits 0 and the magic cookie at
 * offset 4, RFC 8489 §5), ChannelData (first byte 0x40-0x7F, RFC 8656
 * §12), or an HTTP method token and a space (RFC 9110 §9, RFC 9112 §3).
 * DEMUX_TLS is for the caller to take or refuse: only a port that is both
 * plain and TLS (turn-port = tls-port = https-port) takes it.  0, with
 * *out set.
 */
int	demux_first(const uint8_t *p, size_t n, enum demux_proto *out);

/*
 * An ALPN protocol id the server agreed on (RFC 7301): "http/1.1" is HTTP,
 * "stun.turn" and "stun.nat-discovery" (RFC 7443) are TURN; anything else,
 * or none (len 0), is DEMUX_MORE: the first bytes decide.  0.
 */
int	demux_alpn(const uint8_t *p, size_t len, enum demux_proto *out);

/*
 * The server's choice from a ClientHello's ALPN list (RFC 7301 §3.1: a
 * sequence of 1-byte length-prefixed ids): its first TURN id, else
 * http/1.1 (a client that offers a STUN id is a TURN client).  0 with *sel
 * and *sellen pointing into in, or -1 when the list is malformed or names
 * none of ours (no ALPN then).
 */
int	demux_alpn_select(const uint8_t *in, size_t inlen,
	    const uint8_t **sel, uint8_t *sellen);

#endif
