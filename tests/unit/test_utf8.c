/* test_utf8.c - the one UTF-8 decoder accepts exactly RFC 3629 §4 and the
 * encoder writes it back. */
#include "config.h"

#include <string.h>

#include "common/rdwr.h"
#include "common/utf8.h"
#include "tests/tap.h"

/* The code point count of s[0..n), or -1 when utf8_count refuses it. */
static long
count(const char *s, size_t n)
{
	size_t c = 99;

	if (utf8_count(s, n, &c) != 0)
		return c == 0 ? -1 : -2;	/* -2: count set on failure */
	return (long)c;
}

static void
count_accepts_well_formed_only(void)
{
	is_int(count("", 0), 0, "empty");
	is_int(count("abc", 3), 3, "ASCII");
	is_int(count("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), 3,
	    "2, 3 and 4-byte sequences");
	is_int(count("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 10), 4,
	    "the edges of the 2 and 3-byte ranges");
	is_int(count("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8), 2,
	    "U+10000 and U+10FFFF");
	is_int(count("\xc0\xaf", 2), -1, "overlong '/': refused");
	is_int(count("\xc1\xbf", 2), -1, "overlong 2-byte: refused");
	is_int(count("\xe0\x80\xaf", 3), -1, "overlong 3-byte: refused");
	is_int(count("\xf0\x8f\xbf\xbf", 4), -1, "overlong 4-byte: refused");
	is_int(count("\xed\xa0\x80", 3), -1, "a surrogate: refused");
	is_int(count("\xed\xbf\xbf", 3), -1, "the last surrogate: refused");
	is_int(count("\xf4\x90\x80\x80", 4), -1, "past U+10FFFF: refused");
	is_int(count("\xf5\x80\x80\x80", 4), -1, "0xf5 lead: refused");
	is_int(count("\xe2\x82", 2), -1, "a truncated sequence: refused");
	is_int(count("ab\xe2\x82", 4), -1, "truncated at the end: refused");
	is_int(count("\x80", 1), -1, "a lone continuation byte: refused");
	is_int(count("\xc3\x28", 2), -1, "a bad continuation: refused");
	is_int(count("\xff", 1), -1, "0xff: refused");
	is_int(count("\xf8\x88\x80\x80\x80", 5), -1, "5-byte form: refused");
	is_int(count("a\0b", 3), 3, "NUL is a code point");
}

static void
next_decodes_and_advances(void)
{
	struct rd r;
	uint32_t cp = 7;

	rd_init(&r, "\xe2\x82\xac" "x", 4);
	ok(utf8_next(&r, &cp) == 0 && cp == 0x20ac && r.left == 1,
	    "U+20AC, three bytes consumed");
	ok(utf8_next(&r, &cp) == 0 && cp == 'x' && r.left == 0, "then 'x'");
	ok(utf8_next(&r, &cp) == -1 && cp == 0, "past the end: -1, cp 0");
}

static void
put_round_trips(void)
{
	static const uint32_t cps[] = { 0, 0x41, 0x7f, 0x80, 0x7ff, 0x800,
	    0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff };
	uint8_t buf[8];
	struct wr w;
	struct rd r;
	uint32_t got;
	size_t i;
	int good = 1;

	for (i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		wr_init(&w, buf, sizeof(buf));
		utf8_put(&w, cps[i]);
		rd_init(&r, buf, w.len);
		if (w.err || utf8_next(&r, &got) != 0 || got != cps[i] ||
		    r.left != 0)
			good = 0;
	}
	ok(good, "every edge code point round-trips");
	wr_init(&w, buf, sizeof(buf));
	utf8_put(&w, 0x20ac);
	ok(w.len == 3 && memcmp(buf, "\xe2\x82\xac", 3) == 0,
	    "U+20AC is e2 82 ac");
	wr_init(&w, buf, 2);
	utf8_put(&w, 0x20ac);
	ok(w.err, "a short writer sets err");
}

int
main(void)
{
	count_accepts_well_formed_only();
	next_decodes_and_advances();
	put_round_trips();
	return done_testing();
}
