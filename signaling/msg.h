/*
 * msg.h - the client-to-server messages of SPEC's /ws protocol: one JSON
 * object with a string "type" per text frame, decoded and checked as a
 * pure function (the server, the unit tests and the fuzzer share it).
 *
 * A message is refused as a whole (bad_request) when the frame is not
 * UTF-8, not JSON, not an object, has no known type, or when a field of its
 * type has the wrong JSON type or is out of range.  Unknown fields are
 * ignored.  Strings never hold NUL (jansson refuses \u0000).
 */
#ifndef MEETOPIA_SIG_MSG_H
#define MEETOPIA_SIG_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MSG_INTERESTS_MAX	16
#define MSG_INTEREST_LEN	64	/* bytes */
#define MSG_TOKEN_MAX		1024
#define MSG_MID_MAX		64
#define MSG_STATE_MAX		32

enum msg_type {
	MSG_NONE = 0,
	MSG_FIND,
	MSG_RESUME,
	MSG_OFFER,
	MSG_ANSWER,
	MSG_CANDIDATE,
	MSG_CHAT,
	MSG_TYPING,
	MSG_NEXT,
	MSG_LEAVE,
	MSG_REPORT,
	MSG_STATS,
	MSG_PING
};

struct msg {
	enum msg_type	 type;
	json_t		*root;		/* owns every string below */

	const char	*interests[MSG_INTERESTS_MAX];	/* find */
	size_t		 ninterests;
	const char	*token;				/* resume */
	const char	*sdp;				/* offer, answer */
	size_t		 sdp_len;
	const char	*candidate;			/* candidate */
	size_t		 candidate_len;
	json_t		*sdp_mid;	/* string or null (borrowed) */
	json_t		*sdp_mline;	/* integer or null (borrowed) */
	const char	*text;				/* chat */
	size_t		 text_len;
	const char	*reason;			/* report */
	const char	*detail;			/* or NULL */
	const char	*state;				/* stats */
	double		 rtt, loss, connect_ms;		/* -1 when absent */
};

/* 0, or -1 with *why (a static, one-line reason for the error message). */
int		 msg_decode(const uint8_t *, size_t, struct msg *,
		    const char **why);
void		 msg_clear(struct msg *);
const char	*msg_type_name(enum msg_type);

#endif
