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
#include "common/utf8.h"
#include "signaling/chat.h"

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
	uint32_t cp, next;
	uint8_t *buf, *clean;
	size_t n, cleanlen, cap;

	*out = NULL;
	if (utf8_count(text, len, &n) != 0)
		return CHAT_INVALID;
	if (n > maxcp)
		return CHAT_TOOLONG;
	if (len > (SIZE_MAX - 1) / 6)
		return CHAT_NOMEM;

	/* Pass 1: controls and tags out. */
	if ((clean = malloc(len + 1)) == NULL)
		return CHAT_NOMEM;
	wr_init(&w, clean, len + 1);
	rd_init(&r, text, len);
	while (r.left > 0) {
		(void)utf8_next(&r, &cp);	/* valid: counted above */
		if (is_removed_control(cp))
			continue;
		if (cp == '<') {
			peek = r;
			if (peek.left > 0 && utf8_next(&peek, &next) == 0 &&
			    tag_start(next)) {
				/* Up to and with the next '>', if any. */
				int found = 0;

				peek = r;
				while (peek.left > 0)
					if (utf8_next(&peek, &next) == 0 &&
					    next == '>') {
						found = 1;
						break;
					}
				if (found) {
					r = peek;
					continue;
				}
			}
		}
		utf8_put(&w, cp);
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

#define CHAT_PERIOD_MS	60000	/* the rates are per minute */

void
chat_bucket_init(struct chat_bucket *b, long long per_minute, uint64_t now)
{
	b->cap = per_minute > 0 ? per_minute : 1;
	rl_bucket_init(&b->b, b->cap, CHAT_PERIOD_MS, now);
}

void
chat_bucket_rate(struct chat_bucket *b, long long per_minute, uint64_t now)
{
	int64_t cap = per_minute > 0 ? per_minute : 1;

	rl_bucket_resize(&b->b, b->cap, cap, CHAT_PERIOD_MS, now);
	b->cap = cap;
}

int
chat_bucket_take(struct chat_bucket *b, uint64_t now, int *retry_after)
{
	uint64_t wait;

	*retry_after = 0;
	if (rl_bucket_take(&b->b, b->cap, CHAT_PERIOD_MS, 1, now, &wait) == 0)
		return 0;
	/* whole seconds, rounded up, at least one */
	*retry_after = (int)((wait + 999) / 1000);
	if (*retry_after < 1)
		*retry_after = 1;
	return -1;
}
