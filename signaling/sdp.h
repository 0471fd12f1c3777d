/*
 * sdp.h - IP masking of SDP and trickled ICE candidates (SPEC relay-only).
 *
 * With relay-only set, a peer must never learn the other's address: every
 * candidate that is not "typ relay" is removed (RFC 8839 §5.1 grammar),
 * the related address of a relay candidate is blanked to "raddr 0.0.0.0
 * rport 0", the connection address of c= and a=rtcp lines becomes the
 * unspecified address (ICE does not use them, RFC 8839 §4.2.1), and
 * a=remote-candidates lines are removed.  A candidate that does not parse
 * is removed too.  Without relay-only everything passes unchanged.
 */
#ifndef MEETOPIA_SIG_SDP_H
#define MEETOPIA_SIG_SDP_H

#include <stddef.h>

#define SDP_CAND_MAX	1024	/* bytes of one candidate attribute */

/*
 * One trickled candidate ("candidate:..." with or without "a=", or "" for
 * end-of-candidates).  0 with *out the text to forward (malloc'ed), or
 * with *out NULL when the candidate is dropped; -1 when out of memory.
 */
int		 sdp_filter_candidate(const char *cand, size_t len,
		    int relay_only, char **out);

/* A whole SDP: 0 with *out (malloc'ed, NUL-terminated), or -1 when out
 * of memory. */
int		 sdp_filter(const char *sdp, size_t len, int relay_only,
		    char **out, size_t *outlen);

#endif
