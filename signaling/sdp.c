/*
 * sdp.c - IP masking of SDP and ICE candidates (see sdp.h).
 *
 * RFC 8839 §5.1:
 *   candidate-attribute = "candidate" ":" foundation SP component-id SP
 *       transport SP priority SP connection-address SP port SP
 *       "typ" SP cand-type [SP "raddr" SP addr] [SP "rport" SP port]
 *       *(SP extension-att-name SP extension-att-value)
 * The text is read through struct rd and rebuilt token by token into a
 * struct wr, so what is forwarded is always what was checked.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/rdwr.h"
#include "signaling/sdp.h"

#define CAND_TOKENS_MAX	64

struct tok {
	const uint8_t	*p;
	size_t		 n;
};

static int
tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->n == n && memcmp(t->p, s, n) == 0;
}

static int
tok_digits(const struct tok *t, size_t max)
{
	struct rd r;

	if (t->n == 0 || t->n > max)
		return 0;
	rd_init(&r, t->p, t->n);
	while (r.left > 0)
		if (!isdigit(rd_u8(&r)))
			return 0;
	return 1;
}

/* Splits on spaces and tabs; -1 past CAND_TOKENS_MAX. */
static int
tokenize(struct rd *r, struct tok *t, size_t *n)
{
	const uint8_t *start;
	struct rd peek;
	uint8_t c;

	*n = 0;
	while (r->left > 0) {
		peek = *r;
		c = rd_u8(&peek);
		if (c == ' ' || c == '\t') {
			*r = peek;
			continue;
		}
		if (*n >= CAND_TOKENS_MAX)
			return -1;
		start = r->p;
		t[*n].p = start;
		t[*n].n = 0;
		while (r->left > 0) {
			peek = *r;
			c = rd_u8(&peek);
			if (c == ' ' || c == '\t')
				break;
			if (c < 0x21 || c > 0x7e)
				return -1;
			*r = peek;
			t[*n].n++;
		}
		(*n)++;
	}
	return 0;
}

/*
 * Checks a candidate attribute value ("candidate:..."); fills *type with
 * its cand-type token.  0 or -1.
 */
static int
cand_parse(struct tok *t, size_t n, struct tok *type)
{
	static const char pre[] = "candidate:";
	size_t i;

	if (n < 8 || t[0].n <= sizeof(pre) - 1 || t[0].n > 32 + sizeof(pre) ||
	    strncasecmp((const char *)t[0].p, pre, sizeof(pre) - 1) != 0)
		return -1;
	if (!tok_digits(&t[1], 3) || t[2].n == 0 || t[2].n > 16 ||
	    !tok_digits(&t[3], 10) || t[4].n == 0 || t[4].n > 255 ||
	    !tok_digits(&t[5], 5) || !tok_is(&t[6], "typ") || t[7].n == 0)
		return -1;
	/* Extensions come in name/value pairs. */
	if ((n - 8) % 2 != 0)
		return -1;
	for (i = 8; i < n; i += 2)
		if ((tok_is(&t[i], "rport") && !tok_digits(&t[i + 1], 5)))
			return -1;
	*type = t[7];
	return 0;
}

int
sdp_filter_candidate(const char *cand, size_t len, int relay_only,
    char **out)
{
	struct tok t[CAND_TOKENS_MAX], type;
	struct rd r;
	struct wr w;
	size_t n, i, cap;
	int prefixed = 0;
	char *buf;

	*out = NULL;
	if (len > SDP_CAND_MAX)
		return 0;		/* dropped: *out is NULL */
	rd_init(&r, cand, len);
	if (len >= 2 && strncmp(cand, "a=", 2) == 0) {
		rd_skip(&r, 2);
		prefixed = 1;
	}
	if (!relay_only || len == 0) {
		if ((*out = strndup(cand, len)) == NULL)
			return -1;
		return 0;
	}
	if (tokenize(&r, t, &n) != 0 || cand_parse(t, n, &type) != 0 ||
	    !tok_is(&type, "relay"))
		return 0;		/* dropped: *out is NULL */
	cap = len + 64;
	if ((buf = malloc(cap)) == NULL)
		return -1;
	wr_init(&w, buf, cap);
	if (prefixed)
		wr_bytes(&w, "a=", 2);
	for (i = 0; i < n; i++) {
		if (i > 0)
			wr_u8(&w, ' ');
		if (i >= 9 && i % 2 == 1 && tok_is(&t[i - 1], "raddr"))
			wr_bytes(&w, "0.0.0.0", 7);
		else if (i >= 9 && i % 2 == 1 && tok_is(&t[i - 1], "rport"))
			wr_u8(&w, '0');
		else
			wr_bytes(&w, t[i].p, t[i].n);
	}
	wr_u8(&w, 0);
	if (w.err) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

/* Where needle starts in (p, len), or NULL. */
static const char *
find_sub(const char *p, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(p + i, needle, n) == 0)
			return p + i;
	return NULL;
}

/* "c=IN IP4 x" / "a=rtcp:PORT IN IP6 x": the address becomes unspecified. */
static void
put_masked_conn(struct wr *w, const char *line, size_t len)
{
	const char *at;

	if ((at = find_sub(line, len, "IN IP4 ")) != NULL) {
		wr_bytes(w, line, (size_t)(at - line) + 7);
		wr_bytes(w, "0.0.0.0", 7);
	} else if ((at = find_sub(line, len, "IN IP6 ")) != NULL) {
		wr_bytes(w, line, (size_t)(at - line) + 7);
		wr_bytes(w, "::", 2);
	} else
		wr_bytes(w, line, len);
}

int
sdp_filter(const char *sdp, size_t len, int relay_only, char **out,
    size_t *outlen)
{
	struct rd r;
	struct wr w;
	const uint8_t *line;
	size_t n, cap;
	char *buf, *c;
	int crlf;

	*out = NULL;
	*outlen = 0;
	cap = len * 2 + 64;
	if ((buf = malloc(cap)) == NULL)
		return -1;
	wr_init(&w, buf, cap);
	if (!relay_only) {
		wr_bytes(&w, sdp, len);
		goto done;
	}
	rd_init(&r, sdp, len);
	while (r.left > 0) {
		struct rd peek;
		uint8_t ch = 0;
		int nl = 0;

		line = r.p;
		n = 0;
		while (r.left > 0) {
			peek = r;
			ch = rd_u8(&peek);
			r = peek;
			if (ch == '\n') {
				nl = 1;
				break;
			}
			n++;
		}
		crlf = n > 0 && line[n - 1] == '\r';
		if (crlf)
			n--;
		if (n >= 12 && memcmp(line, "a=candidate:", 12) == 0) {
			if (sdp_filter_candidate((const char *)line, n, 1,
			    &c) != 0) {
				free(buf);
				return -1;
			}
			if (c == NULL)
				continue;	/* dropped */
			wr_bytes(&w, c, strlen(c));
			free(c);
		} else if (n >= 20 &&
		    memcmp(line, "a=remote-candidates:", 20) == 0)
			continue;
		else if (n >= 2 && memcmp(line, "c=", 2) == 0)
			put_masked_conn(&w, (const char *)line, n);
		else if (n >= 7 && memcmp(line, "a=rtcp:", 7) == 0)
			put_masked_conn(&w, (const char *)line, n);
		else
			wr_bytes(&w, line, n);
		if (crlf)
			wr_u8(&w, '\r');
		if (nl)
			wr_u8(&w, '\n');
	}
done:
	*outlen = w.len;
	wr_u8(&w, 0);
	if (w.err) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}
