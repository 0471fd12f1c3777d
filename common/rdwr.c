/*
 * rdwr.c - bounds-checked reader and writer (see rdwr.h).
 *
 * Invariant: r->left never wraps and r->p never moves past the end of the
 * buffer handed to rd_init(); once r->err is set every getter returns zero
 * and consumes nothing.
 */
#include <string.h>

#include "rdwr.h"

void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->err = 0;
}

static const uint8_t *
rd_take(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->left) {
		r->err = 1;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t
rd_u8(struct rd *r)
{
	const uint8_t *p = rd_take(r, 1);

	return p == NULL ? 0 : p[0];
}

uint16_t
rd_u16(struct rd *r)
{
	const uint8_t *p = rd_take(r, 2);

	return p == NULL ? 0 : (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t
rd_u32(struct rd *r)
{
	const uint8_t *p = rd_take(r, 4);

	if (p == NULL)
		return 0;
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

uint64_t
rd_u64(struct rd *r)
{
	uint64_t hi = rd_u32(r);

	return (hi << 32) | rd_u32(r);
}

int
rd_bytes(struct rd *r, const uint8_t **out, size_t n)
{
	const uint8_t *p = rd_take(r, n);

	*out = p;
	return p == NULL ? -1 : 0;
}

int
rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p = rd_take(r, n);

	if (p == NULL)
		return -1;
	if (n > 0)
		memcpy(dst, p, n);
	return 0;
}

int
rd_skip(struct rd *r, size_t n)
{
	return rd_take(r, n) == NULL ? -1 : 0;
}

int
rd_sub(struct rd *r, struct rd *sub, size_t n)
{
	const uint8_t *p = rd_take(r, n);

	if (p == NULL) {
		rd_init(sub, NULL, 0);
		sub->err = 1;
		return -1;
	}
	rd_init(sub, p, n);
	return 0;
}

void
wr_init(struct wr *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

static uint8_t *
wr_room(struct wr *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > w->cap - w->len) {
		w->err = 1;
		return NULL;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

void
wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *p = wr_room(w, 1);

	if (p != NULL)
		p[0] = v;
}

void
wr_u16(struct wr *w, uint16_t v)
{
	uint8_t *p = wr_room(w, 2);

	if (p != NULL) {
		p[0] = v >> 8;
		p[1] = v & 0xff;
	}
}

void
wr_u32(struct wr *w, uint32_t v)
{
	uint8_t *p = wr_room(w, 4);

	if (p != NULL) {
		p[0] = v >> 24;
		p[1] = (v >> 16) & 0xff;
		p[2] = (v >> 8) & 0xff;
		p[3] = v & 0xff;
	}
}

void
wr_u64(struct wr *w, uint64_t v)
{
	wr_u32(w, (uint32_t)(v >> 32));
	wr_u32(w, (uint32_t)v);
}

void
wr_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *p = wr_room(w, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

void
wr_zero(struct wr *w, size_t n)
{
	uint8_t *p = wr_room(w, n);

	if (p != NULL && n > 0)
		memset(p, 0, n);
}

void
wr_patch_u16(struct wr *w, size_t off, uint16_t v)
{
	if (w->err || off > w->len || w->len - off < 2) {
		w->err = 1;
		return;
	}
	w->p[off] = v >> 8;
	w->p[off + 1] = v & 0xff;
}
