/*
 * msg.c - decoding of client messages (see msg.h).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "common/utf8.h"
#include "signaling/msg.h"

static const struct {
	const char	*name;
	enum msg_type	 type;
} types[] = {
	{ "find", MSG_FIND },
	{ "resume", MSG_RESUME },
	{ "offer", MSG_OFFER },
	{ "answer", MSG_ANSWER },
	{ "candidate", MSG_CANDIDATE },
	{ "chat", MSG_CHAT },
	{ "typing", MSG_TYPING },
	{ "next", MSG_NEXT },
	{ "leave", MSG_LEAVE },
	{ "report", MSG_REPORT },
	{ "stats", MSG_STATS },
	{ "ping", MSG_PING },
};

static const char *const reasons[] = {
	"spam", "abuse", "nudity", "underage", "other"
};

const char *
msg_type_name(enum msg_type t)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == t)
			return types[i].name;
	return "none";
}

void
msg_clear(struct msg *m)
{
	if (m->root != NULL)
		json_decref(m->root);
	memset(m, 0, sizeof(*m));
}

/* A required (or optional) string field; -1 when present but not one. */
static int
get_str(json_t *o, const char *key, int required, size_t max,
    const char **out, size_t *len)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (v == NULL || (!required && json_is_null(v)))
		return required ? -1 : 0;
	if (!json_is_string(v) || json_string_length(v) > max)
		return -1;
	*out = json_string_value(v);
	if (len != NULL)
		*len = json_string_length(v);
	return 0;
}

/* An optional non-negative finite number; -1 when absent. */
static int
get_num(json_t *o, const char *key, double max, double *out)
{
	json_t *v = json_object_get(o, key);
	double d;

	*out = -1;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	if (!isfinite(d) || d < 0 || d > max)
		return -1;
	*out = d;
	return 0;
}

/* find: the optional interests, an array of short strings. */
static int
decode_find(struct msg *m, const char **why)
{
	json_t *v = json_object_get(m->root, "interests"), *e;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > MSG_INTERESTS_MAX) {
		*why = "interests: an array of at most 16 strings";
		return -1;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > MSG_INTEREST_LEN) {
			*why = "interests: strings of 1 to 64 bytes";
			return -1;
		}
		m->interests[m->ninterests++] = json_string_value(e);
	}
	return 0;
}

/* candidate: the line, and sdpMid and sdpMLineIndex (each may be null). */
static int
decode_candidate(struct msg *m, const char **why)
{
	json_t *o = m->root, *v;

	if (get_str(o, "candidate", 1, 1024, &m->candidate,
	    &m->candidate_len) != 0) {
		*why = "candidate must be a string of at most 1024 bytes";
		return -1;
	}
	v = json_object_get(o, "sdpMid");
	if (v != NULL && !json_is_null(v) && (!json_is_string(v) ||
	    json_string_length(v) > MSG_MID_MAX)) {
		*why = "sdpMid must be a string or null";
		return -1;
	}
	m->sdp_mid = v;
	v = json_object_get(o, "sdpMLineIndex");
	if (v != NULL && !json_is_null(v) && (!json_is_integer(v) ||
	    json_integer_value(v) < 0 || json_integer_value(v) > 65535)) {
		*why = "sdpMLineIndex must be an integer or null";
		return -1;
	}
	m->sdp_mline = v;
	return 0;
}

/* report: one of the reasons, and an optional detail. */
static int
decode_report(struct msg *m, const char **why)
{
	size_t i, n = sizeof(reasons) / sizeof(reasons[0]);

	if (get_str(m->root, "reason", 1, 16, &m->reason, NULL) != 0) {
		*why = "report: reason must be a string";
		return -1;
	}
	for (i = 0; i < n; i++)
		if (strcmp(m->reason, reasons[i]) == 0)
			break;
	if (i == n) {
		*why = "report: reason must be spam, abuse, nudity, underage "
		    "or other";
		return -1;
	}
	if (get_str(m->root, "detail", 0, SIZE_MAX, &m->detail, NULL) != 0) {
		*why = "report: detail must be a string";
		return -1;
	}
	return 0;
}

/* The fields of the message's type; *why says what is wrong. */
static int
decode_fields(struct msg *m, const char **why)
{
	json_t *o = m->root;

	switch (m->type) {
	case MSG_FIND:
		return decode_find(m, why);
	case MSG_RESUME:
		if (get_str(o, "token", 1, MSG_TOKEN_MAX, &m->token, NULL) !=
		    0) {
			*why = "resume: token must be a string";
			return -1;
		}
		return 0;
	case MSG_OFFER:
	case MSG_ANSWER:
		if (get_str(o, "sdp", 1, SIZE_MAX, &m->sdp, &m->sdp_len) != 0) {
			*why = "sdp must be a string";
			return -1;
		}
		return 0;
	case MSG_CANDIDATE:
		return decode_candidate(m, why);
	case MSG_CHAT:
		if (get_str(o, "text", 1, SIZE_MAX, &m->text, &m->text_len) !=
		    0) {
			*why = "chat: text must be a string";
			return -1;
		}
		return 0;
	case MSG_REPORT:
		return decode_report(m, why);
	case MSG_STATS:
		if (get_str(o, "state", 1, MSG_STATE_MAX, &m->state, NULL) !=
		    0 || get_num(o, "rtt", 600000, &m->rtt) != 0 ||
		    get_num(o, "loss", 1e12, &m->loss) != 0 ||
		    get_num(o, "connectMs", 3600000, &m->connect_ms) != 0) {
			*why = "stats: state a string; rtt, loss, connectMs "
			    "non-negative numbers";
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

int
msg_decode(const uint8_t *buf, size_t len, struct msg *m, const char **why)
{
	json_error_t jerr;
	const char *t;
	size_t i, ncp;

	memset(m, 0, sizeof(*m));
	m->rtt = m->loss = m->connect_ms = -1;
	*why = NULL;
	if (utf8_count(buf, len, &ncp) != 0) {
		*why = "invalid UTF-8";
		return -1;
	}
	if ((m->root = json_loadb((const char *)buf, len,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		*why = "invalid JSON";
		return -1;
	}
	if (!json_is_object(m->root)) {
		*why = "a message is a JSON object";
		goto bad;
	}
	if ((t = json_string_value(json_object_get(m->root, "type"))) ==
	    NULL) {
		*why = "type must be a string";
		goto bad;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(t, types[i].name) == 0)
			m->type = types[i].type;
	if (m->type == MSG_NONE) {
		*why = "unknown type";
		goto bad;
	}
	if (decode_fields(m, why) != 0)
		goto bad;
	return 0;
bad:
	msg_clear(m);
	return -1;
}
