/* test_pctdecode.c - the one percent-decoder: escapes, controls and the
 * caller's refused characters. */
#include "config.h"

#include <string.h>

#include "common/pctdecode.h"
#include "tests/tap.h"

/* Decodes a NUL-terminated s with the given sets into a static buffer. */
static const char *
dec(const char *s, const char *raw, const char *any, size_t cap)
{
	static char out[64];
	size_t n;

	if (pct_decode(s, strlen(s), raw, any, out, cap, &n) != 0)
		return "(refused)";
	return n == strlen(out) ? out : "(bad length)";
}

static void
escapes_decode(void)
{
	is_str(dec("a%20b", NULL, NULL, 64), "a b", "%20 is a space");
	is_str(dec("%41%62%7e", NULL, NULL, 64), "Ab~", "upper and lower hex");
	is_str(dec("%2e%2E", NULL, NULL, 64), "..", "either case");
	is_str(dec("", NULL, NULL, 64), "", "empty");
	is_str(dec("%e2%82%ac", NULL, NULL, 64), "\xe2\x82\xac",
	    "bytes, not code points");
}

static void
bad_escapes_are_refused(void)
{
	is_str(dec("a%zz", NULL, NULL, 64), "(refused)", "%zz");
	is_str(dec("a%2", NULL, NULL, 64), "(refused)", "one digit at the end");
	is_str(dec("a%", NULL, NULL, 64), "(refused)", "a lone %");
	is_str(dec("%g0", NULL, NULL, 64), "(refused)", "%g0");
}

static void
span_is_respected(void)
{
	char out[16];

	ok(pct_decode("ab%41", 3, NULL, NULL, out, sizeof(out), NULL) == -1,
	    "an escape cut by the span end is refused");
	ok(pct_decode("abcd", 2, NULL, NULL, out, sizeof(out), NULL) == 0 &&
	    strcmp(out, "ab") == 0, "only n bytes are read");
}

static void
controls_are_refused_escaped_or_not(void)
{
	is_str(dec("a%00b", NULL, NULL, 64), "(refused)", "%00");
	is_str(dec("a%0ab", NULL, NULL, 64), "(refused)", "%0a");
	is_str(dec("a%7f", NULL, NULL, 64), "(refused)", "%7f");
	is_str(dec("a\tb", NULL, NULL, 64), "(refused)", "a raw tab");
	is_str(dec("a\x7f", NULL, NULL, 64), "(refused)", "a raw DEL");
}

static void
refused_sets_apply(void)
{
	is_str(dec("u@h", "@/:", NULL, 64), "(refused)", "raw '@' refused");
	is_str(dec("u:p", "@/:", NULL, 64), "(refused)", "raw ':' refused");
	is_str(dec("u%40h%3a%2f", "@/:", NULL, 64), "u@h:/",
	    "but escaped they decode");
	is_str(dec("a\\b", NULL, "\\", 64), "(refused)", "raw '\\' refused");
	is_str(dec("a%5cb", NULL, "\\", 64), "(refused)",
	    "escaped '\\' refused too");
	is_str(dec("a\\b", NULL, NULL, 64), "a\\b", "without a set it passes");
}

static void
output_is_bounded(void)
{
	char out[4];

	is_str(dec("abc", NULL, NULL, 4), "abc", "three and the NUL fit in 4");
	is_str(dec("abcd", NULL, NULL, 4), "(refused)", "four do not");
	is_str(dec("%41%41%41%41", NULL, NULL, 4), "(refused)",
	    "decoded length counts");
	is_int(pct_decode("", 0, NULL, NULL, out, 0, NULL), -1,
	    "no room for the NUL");
}

int
main(void)
{
	escapes_decode();
	bad_escapes_are_refused();
	span_is_respected();
	controls_are_refused_escaped_or_not();
	refused_sets_apply();
	output_is_bounded();
	return done_testing();
}
