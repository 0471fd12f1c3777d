/*
 * utf8.h - the one UTF-8 decoder and encoder (RFC 3629).
 *
 * The decoder reads through struct rd and accepts exactly the well-formed
 * sequences of RFC 3629 §4: no overlong forms, no surrogates (U+D800 to
 * U+DFFF), nothing past U+10FFFF, no truncated sequence.
 */
#ifndef MEETOPIA_UTF8_H
#define MEETOPIA_UTF8_H

#include <stddef.h>
#include <stdint.h>

struct rd;
struct wr;

/* Decodes one code point into *cp: 0, or -1 when the bytes are not UTF-8. */
int		 utf8_next(struct rd *, uint32_t *cp);
/* Counts the code points of p[0..len): 0, or -1 when it is not UTF-8. */
int		 utf8_count(const void *p, size_t len, size_t *count);
/* Appends the encoding of a code point (at most U+10FFFF) to w. */
void		 utf8_put(struct wr *, uint32_t cp);

#endif
