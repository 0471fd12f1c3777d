/*
 * chat.c - chat validation, sanitising and rate limiting (see chat.h).
 *
 * The text is read through struct rd; the output is at most six bytes per
 * input byte ("&quot;"), so it is sized once before writing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/rdwr.h"
#include "signaling/chat.h"

/* Decodes one code point; -1 when the bytes are not UTF-8 (RFC 3629 §4). */
static long
utf8_next(struct rd *r)
{
	uint8_t c = rd_u8(r), c1;
	long cp, min;
	int n, i;

	if (r->err)
		return -1;
	if (c < 0x80)
		return c;
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return -1;
	for (i = 0; i < n; i++) {
		c1 = rd_u8(r);
		if (r->err || (c1 & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (c1 & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	return cp;
}

long
chat_utf8_count(const uint8_t *p, size_t len)
{
	struct rd r;
	long n = 0;

	rd_init(&r, p, len);
	while (r.left > 0) {
		if (utf8_next(&r) < 0)
			return -1;
		n++;
	}
	return n;
}

static int
is_removed_control(long cp)
{
	if (cp == '\n')
		return 0;
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 1;		/* Unicode Cc */
	/* Bidirectional embeddings, overrides and isolates. */
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void
put_cp(struct wr *w, long cp)
{
	if (cp < 0x80)
		wr_u8(w, (uint8_t)cp);
	else if (cp < 0x800) {
		wr_u8(w, (uint8_t)(0xc0 | cp >> 6));
		wr_u8(w, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		wr_u8(w, (uint8_t)(0xe0 | cp >> 12));
		wr_u8(w, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		wr_u8(w, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		wr_u8(w, (uint8_t)(0xf0 | cp >> 18));
		wr_u8(w, (uint8_t)(0x80 | (cp >> 12 & 0x3f)));
		wr_u8(w, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		wr_u8(w, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

static int
tag_start(long cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
	    cp == '/' || cp == '!' || cp == '?';
}

int
chat_sanitize(const uint8_t *text, size_t len, size_t maxcp, char **out)
{
	struct rd r, peek;
	struct wr w;
	long n, cp, next;
	uint8_t *buf, *clean;
	size_t cleanlen, cap;

	*out = NULL;
	if ((n = chat_utf8_count(text, len)) < 0)
		return CHAT_INVALID;
	if ((size_t)n > maxcp)
		return CHAT_TOOLONG;
	if (len > (SIZE_MAX - 1) / 6)
		return CHAT_NOMEM;

	/* Pass 1: controls and tags out. */
	if ((clean = malloc(len + 1)) == NULL)
		return CHAT_NOMEM;
	wr_init(&w, clean, len + 1);
	rd_init(&r, text, len);
	while (r.left > 0) {
		cp = utf8_next(&r);
		if (is_removed_control(cp))
			continue;
		if (cp == '<') {
			peek = r;
			next = peek.left > 0 ? utf8_next(&peek) : -1;
			if (next >= 0 && tag_start(next)) {
				/* Up to and with the next '>', if any. */
				int found = 0;

				peek = r;
				while (peek.left > 0)
					if (utf8_next(&peek) == '>') {
						found = 1;
						break;
					}
				if (found) {
					r = peek;
					continue;
				}
			}
		}
		put_cp(&w, cp);
	}
	cleanlen = w.len;

	/* Pass 2: escape what HTML would read as markup. */
	cap = cleanlen * 6 + 1;
	if ((buf = malloc(cap)) == NULL) {
		free(clean);
		return CHAT_NOMEM;
	}
	wr_init(&w, buf, cap);
	rd_init(&r, clean, cleanlen);
	while (r.left > 0) {
		uint8_t c = rd_u8(&r);

		switch (c) {
		case '&': wr_bytes(&w, "&amp;", 5); break;
		case '<': wr_bytes(&w, "&lt;", 4); break;
		case '>': wr_bytes(&w, "&gt;", 4); break;
		case '"': wr_bytes(&w, "&quot;", 6); break;
		case '\'': wr_bytes(&w, "&#39;", 5); break;
		default: wr_u8(&w, c); break;
		}
	}
	wr_u8(&w, 0);
	free(clean);
	if (w.err) {
		free(buf);
		return CHAT_NOMEM;
	}
	if (strspn((char *)buf, " \n") == strlen((char *)buf)) {
		free(buf);
		return CHAT_EMPTY;
	}
	*out = (char *)buf;
	return CHAT_OK;
}

void
chat_bucket_init(struct chat_bucket *b, long long per_minute, double now)
{
	b->cap = per_minute > 0 ? (double)per_minute : 1;
	b->rate = b->cap / 60.0;
	b->tokens = b->cap;
	b->last = now;
}

static void
refill(struct chat_bucket *b, double now)
{
	if (now > b->last) {
		b->tokens += (now - b->last) * b->rate;
		if (b->tokens > b->cap)
			b->tokens = b->cap;
	}
	b->last = now;
}

void
chat_bucket_rate(struct chat_bucket *b, long long per_minute, double now)
{
	refill(b, now);
	b->cap = per_minute > 0 ? (double)per_minute : 1;
	b->rate = b->cap / 60.0;
	if (b->tokens > b->cap)
		b->tokens = b->cap;
}

int
chat_bucket_take(struct chat_bucket *b, double now, int *retry_after)
{
	double wait;

	refill(b, now);
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		*retry_after = 0;
		return 0;
	}
	wait = (1.0 - b->tokens) / b->rate;
	*retry_after = (int)wait;
	if (wait - (double)*retry_after > 1e-6)	/* whole seconds, rounded up */
		(*retry_after)++;
	if (*retry_after < 1)
		*retry_after = 1;
	return -1;
}
