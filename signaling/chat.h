/*
 * chat.h - SPEC's chat rules as pure functions: UTF-8 validation, the
 * length limit in code points, sanitising, and the token bucket that rate
 * limits chat and signaling messages.
 *
 * Sanitising, in order: the text must be valid UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF) of at most maxcp
 * code points, counted on the text as sent (refused, never truncated);
 * control characters other than newline are removed (Unicode Cc, and the
 * bidirectional embedding, override and isolate controls, which let a
 * message display as something else); HTML tags are removed ('<' followed
 * by a letter, '/', '!' or '?', up to the next '>'); then & < > " ' are
 * escaped as &amp; &lt; &gt; &quot; &#39;.  Nothing here logs or keeps the
 * text.
 */
#ifndef MEETOPIA_SIG_CHAT_H
#define MEETOPIA_SIG_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ratelimit.h"

#define CHAT_OK		0
#define CHAT_INVALID	(-1)	/* not UTF-8 */
#define CHAT_TOOLONG	(-2)	/* more than maxcp code points */
#define CHAT_EMPTY	(-3)	/* nothing left after sanitising */
#define CHAT_NOMEM	(-4)

/*
 * Sanitises text into *out (malloc'ed, NUL-terminated; the caller frees)
 * and returns CHAT_OK, or one of the errors above with *out NULL.
 */
int		 chat_sanitize(const uint8_t *text, size_t len, size_t maxcp,
		    char **out);

/*
 * A token bucket of `per_minute` tokens that refills continuously: a burst
 * of per_minute messages, then one every 60/per_minute seconds.
 */
struct chat_bucket {
	struct rl_bucket b;		/* common/ratelimit.h, per minute */
	int64_t		 cap;
};

/* Times are clock_mono_ms(). */
void		 chat_bucket_init(struct chat_bucket *, long long per_minute,
		    uint64_t now);
/* Changes the rate (SIGHUP), keeping the tokens earned so far. */
void		 chat_bucket_rate(struct chat_bucket *, long long per_minute,
		    uint64_t now);
/*
 * Takes one token: 0, or -1 with *retry_after set to the whole seconds
 * (at least 1) until one is there.
 */
int		 chat_bucket_take(struct chat_bucket *, uint64_t now,
		    int *retry_after);

#endif
