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

/*
 * Whether a tag starts at r, just after a '<': a letter, '/', '!' or '?'
 * and, somewhere after it, a '>'.  If so, r moves past that '>'.
 */
static int
skip_tag(struct rd *r)
{
	struct rd peek = *r;
	uint32_t next;

	if (peek.left == 0 || utf8_next(&peek, &next) != 0 ||
	    !tag_start(next))
		return 0;
	peek = *r;
	while (peek.left > 0)
		if (utf8_next(&peek, &next) == 0 && next == '>') {
			*r = peek;
			return 1;
		}
	return 0;
}

/* Pass 1: text without controls and tags into clean (len + 1 bytes). */
static size_t
strip_controls_tags(const uint8_t *text, size_t len, uint8_t *clean)
{
	struct rd r;
	struct wr w;
	uint32_t cp;

	wr_init(&w, clean, len + 1);
	rd_init(&r, text, len);
	while (r.left > 0) {
		(void)utf8_next(&r, &cp);	/* valid: counted before */
		if (is_removed_control(cp))
			continue;
		if (cp == '<' && skip_tag(&r))
			continue;
		utf8_put(&w, cp);
	}
	return w.len;
}

/* Pass 2: clean with what HTML would read as markup escaped, and a NUL. */
static int
escape_html(const uint8_t *clean, size_t len, uint8_t *buf, size_t cap)
{
	struct rd r;
	struct wr w;

	wr_init(&w, buf, cap);
	rd_init(&r, clean, len);
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
	return w.err ? -1 : 0;
}

int
chat_sanitize(const uint8_t *text, size_t len, size_t maxcp, char **out)
{
	uint8_t *buf, *clean;
	size_t n, cleanlen, cap;
	int rc;

	*out = NULL;
	if (utf8_count(text, len, &n) != 0)
		return CHAT_INVALID;
	if (n > maxcp)
		return CHAT_TOOLONG;
	if (len > (SIZE_MAX - 1) / 6)
		return CHAT_NOMEM;
	if ((clean = malloc(len + 1)) == NULL)
		return CHAT_NOMEM;
	cleanlen = strip_controls_tags(text, len, clean);
	cap = cleanlen * 6 + 1;
	if ((buf = malloc(cap)) == NULL) {
		free(clean);
		return CHAT_NOMEM;
	}
	rc = escape_html(clean, cleanlen, buf, cap);
	free(clean);
	if (rc != 0) {
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
