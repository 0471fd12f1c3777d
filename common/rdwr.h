/*
 * rdwr.h - the one bounds-checked reader and writer for untrusted bytes.
 *
 * Every byte that comes from the network, a file or argv is read through a
 * struct rd: a cursor over (ptr, len) whose getters never read past the end.
 * A short read sets the sticky r->err and returns zero, so a parser is a
 * straight sequence of getters followed by one check of r->err.  Writers
 * mirror it with struct wr: a put past the capacity sets w->err and writes
 * nothing.  Multi-byte integers are network byte order (big endian).
 */
#ifndef MEETOPIA_RDWR_H
#define MEETOPIA_RDWR_H

#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t	*p;	/* next unread byte */
	size_t		 left;	/* bytes left */
	int		 err;	/* sticky: set once a getter came up short */
};

struct wr {
	uint8_t		*p;	/* start of the buffer */
	size_t		 cap;	/* its capacity */
	size_t		 len;	/* bytes written so far */
	int		 err;	/* sticky: set once a put did not fit */
};

void		 rd_init(struct rd *, const void *, size_t);
uint8_t		 rd_u8(struct rd *);
uint16_t	 rd_u16(struct rd *);
uint32_t	 rd_u32(struct rd *);
uint64_t	 rd_u64(struct rd *);
/* Points *out at the next n bytes and consumes them; -1 (and err) if short. */
int		 rd_bytes(struct rd *, const uint8_t **, size_t);
/* Copies the next n bytes out; -1 (and err) if short. */
int		 rd_copy(struct rd *, void *, size_t);
int		 rd_skip(struct rd *, size_t);
/* A sub-reader over the next n bytes, consumed from r. */
int		 rd_sub(struct rd *, struct rd *, size_t);

void		 wr_init(struct wr *, void *, size_t);
void		 wr_u8(struct wr *, uint8_t);
void		 wr_u16(struct wr *, uint16_t);
void		 wr_u32(struct wr *, uint32_t);
void		 wr_u64(struct wr *, uint64_t);
void		 wr_bytes(struct wr *, const void *, size_t);
void		 wr_zero(struct wr *, size_t);
/* Overwrites a big-endian u16 at an offset already written. */
void		 wr_patch_u16(struct wr *, size_t, uint16_t);

#endif
