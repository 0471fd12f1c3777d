/*
 * cluster_int.h - what the files of signaling's cluster side share among
 * themselves: cluster_glue.c (the sealed bus, control-message MACs, the
 * channel's dispatch, drain), cluster_pair.c (pairing across nodes, the
 * relay node's ICE servers, partner messages), cluster_resume.c (take,
 * taken, adopt and moved: resume on another node) and cluster_dead.c
 * (Redis up and down, nodes dying).  The rest of signaling sees sig.h.
 */
#ifndef MEETOPIA_SIG_CLUSTER_INT_H
#define MEETOPIA_SIG_CLUSTER_INT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>
#include <jansson.h>

#include "signaling/sig.h"

/*
 * The string fields of a bus message (and of the sealed state a "taken"
 * carries) by kind, each with its bounds in bytes, so that every handler
 * reads them one way: remote_bus_str() gives NULL for a field that is
 * missing, not a string, holds a NUL, or is out of its kind's bounds.
 */
enum bus_field {
	BUS_ID,		/* a session id: exactly PAIR_ID_LEN */
	BUS_NODE,	/* a node name: up to SIG_NODE_MAX, may be "" */
	BUS_WORD,	/* a keyword (a type, state, reason): up to 32 */
	BUS_ADDR,	/* a client address: shorter than ADDR_STRLEN */
	BUS_SEALED,	/* remote_seal()'s text: up to BUS_SEALED_MAX */
	BUS_MAC		/* a control message's MAC: up to 63 */
};

/* Sealed texts hold one client message (64 KiB at most, SPEC) or the
 * messages held for a dropped session (SIG_PENDING_MAX), escaped and in
 * base64: a few hundred KiB at the very most. */
#define BUS_SEALED_MAX	(1024 * 1024)

/* cluster_glue.c: the sealed bus */
const char *remote_bus_str(json_t *, const char *key, enum bus_field);
void	 remote_aad(char *aad, size_t len, const char *to, const char *from,
	    uint64_t n);
char	*remote_seal(struct signaling *, const char *aad, const char *pt,
	    size_t len);
char	*remote_seal_json(struct signaling *, const char *aad, json_t *);
char	*remote_open(struct signaling *, const char *aad, const char *c,
	    size_t *ptlen);
void	 remote_bus_send(struct signaling *, const char *node, json_t *);
void	 remote_bus_sealed(struct signaling *, const char *node,
	    const char *to, const char *from, uint64_t n, json_t *msg);

/* cluster_pair.c */
void	 remote_gauges(struct signaling *);
void	 remote_end(struct session *, const char *reason, int tell);
void	 remote_on_pair(struct signaling *, json_t *);
void	 remote_on_matched(struct signaling *, json_t *);
void	 remote_on_message(struct signaling *, json_t *);
void	 remote_on_relay(struct signaling *, json_t *);
void	 remote_on_unrelay(struct signaling *, json_t *);
void	 remote_tell_relay(struct signaling *, const char *relay,
	    const char *a, const char *b);

/* cluster_resume.c */
void	 remote_adopt(struct session *);
void	 remote_on_adopt(struct signaling *, json_t *);
void	 remote_on_take(struct signaling *, json_t *);
void	 remote_on_taken(struct signaling *, json_t *);
void	 remote_on_moved(struct signaling *, json_t *);

/* cluster_dead.c */
void	 remote_bad_token(struct session *);
void	 remote_dead_cb(evutil_socket_t, short, void *);

#endif
