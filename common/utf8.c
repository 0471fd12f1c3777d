/*
 * utf8.c - the one UTF-8 decoder and encoder, RFC 3629 (see utf8.h).
 */
#include "config.h"

#include "common/rdwr.h"
#include "common/utf8.h"

/* Decodes one code point; -1 when the bytes are not UTF-8 (RFC 3629 §4). */
int
utf8_next(struct rd *r, uint32_t *out)
{
	uint8_t c = rd_u8(r), c1;
	uint32_t cp, min;
	int n, i;

	*out = 0;
	if (r->err)
		return -1;
	if (c < 0x80) {
		*out = c;
		return 0;
	}
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
	*out = cp;
	return 0;
}

/* Counts the code points of a UTF-8 string, refusing anything else. */
int
utf8_count(const void *p, size_t len, size_t *count)
{
	struct rd r;
	uint32_t cp;
	size_t n = 0;

	*count = 0;
	rd_init(&r, p, len);
	while (r.left > 0) {
		if (utf8_next(&r, &cp) != 0)
			return -1;
		n++;
	}
	*count = n;
	return 0;
}

/* Appends one code point in UTF-8. */
void
utf8_put(struct wr *w, uint32_t cp)
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
