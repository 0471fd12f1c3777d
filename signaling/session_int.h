/*
 * session_int.h - what the files of the /ws sessions share among
 * themselves (session.c, session_pair.c, session_msg.c); the rest of
 * signaling sees sig.h only.
 */
#ifndef MEETOPIA_SIG_SESSION_INT_H
#define MEETOPIA_SIG_SESSION_INT_H

#include <event2/util.h>

#include "signaling/sig.h"

/* session.c */
void	 session_gauges(struct signaling *);
void	 session_error(struct hconn *, enum sig_err, const char *message,
	    int retry_after);
void	 session_send_type(struct session *, const char *type);
void	 session_flush_held(struct session *);
void	 session_undrop(struct session *);

/* session_pair.c */
void	 session_unpair(struct session *, const char *reason);
void	 session_try_match(struct session *);
void	 session_enqueue(struct session *);
void	 session_dequeue(struct session *);
void	 session_wait_cb(evutil_socket_t, short, void *);

#endif
