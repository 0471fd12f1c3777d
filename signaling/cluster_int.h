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

/* cluster_glue.c: the sealed bus */
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
