/*
 * test_chat.c - SPEC's chat rules (signaling/chat.c): UTF-8 validation,
 * the limit in code points with multi-byte text (500 accepted, 501
 * refused, never truncated), control characters, an XSS corpus, and the
 * token bucket of message-rate-limit.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "signaling/chat.h"
#include "tests/tap.h"

static char *
san(const char *in, size_t max, int *rc)
{
	char *out = NULL;

	*rc = chat_sanitize((const uint8_t *)in, strlen(in), max, &out);
	return out;
}

static void
check(const char *in, const char *want, const char *name)
{
	int rc;
	char *out = san(in, 500, &rc);

	if (!ok(rc == CHAT_OK && out != NULL && strcmp(out, want) == 0,
	    "%s", name))
		printf("#   got rc %d '%s', expected '%s'\n", rc,
		    out != NULL ? out : "(null)", want);
	free(out);
}

/* Whatever the input, the output has no '<', '>' or unescaped quote. */
static int
inert(const char *s)
{
	return strpbrk(s, "<>\"'") == NULL;
}

static void
test_length(void)
{
	/* "é" is 2 bytes, "😀" is 4 bytes: limits count code points. */
	char buf[501 * 4 + 1], *out;
	int i, rc;

	buf[0] = '\0';
	for (i = 0; i < 500; i++)
		strlcat(buf, i % 2 ? "\xc3\xa9" : "\xf0\x9f\x98\x80", sizeof(buf));
	out = san(buf, 500, &rc);
	ok(rc == CHAT_OK && out != NULL && strcmp(out, buf) == 0,
	    "500 multi-byte code points: accepted unchanged");
	free(out);
	strlcat(buf, "\xc3\xa9", sizeof(buf));
	out = san(buf, 500, &rc);
	ok(rc == CHAT_TOOLONG && out == NULL,
	    "501 code points: too_long, nothing returned (never truncated)");
	out = san("abcdef", 5, &rc);
	is_int(rc, CHAT_TOOLONG, "ASCII past the limit");
	out = san("\xc3\x28", 500, &rc);
	ok(rc == CHAT_INVALID && out == NULL, "invalid UTF-8: refused");
	out = san("<b></b>", 500, &rc);
	ok(rc == CHAT_EMPTY && out == NULL, "nothing left: refused as empty");
	out = san("\x01\x02", 500, &rc);
	is_int(rc, CHAT_EMPTY, "only controls: empty");
}

static void
test_sanitize(void)
{
	static const char *const xss[] = {
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"<svg/onload=alert(1)>",
		"\"><script>alert(document.cookie)</script>",
		"'><img src=x onerror=alert(1)>",
		"<scr<script>ipt>alert(1)</scr</script>ipt>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<iframe src=\"data:text/html,<script>alert(1)</script>\">",
		"<<script>>alert(1)<</script>>",
		"<!--<script>-->alert(1)",
		"<?xml version=\"1.0\"?><x/>",
		"<b onmouseover='alert(1)'>hover</b>",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"<div style=\"background:url(javascript:alert(1))\">",
		"<ScRiPt >alert(1)</sCrIpT>",
		"<img src=`x` onerror=alert(1)",
		"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
		"\xef\xbc\x9cscript\xef\xbc\x9e",	/* fullwidth < > */
		"<\x00script>",
	};
	size_t i;
	int rc, all = 1;
	char *out;

	check("hello", "hello", "plain text unchanged");
	check("caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80",
	    "multi-byte text unchanged");
	check("a\nb", "a\nb", "newline kept");
	check("a\r\nb\tc\x07\x1b[31md\x7f", "a\nbc[31md",
	    "other controls removed (CR, tab, bell, escape, DEL)");
	check("a\xc2\x85" "b", "ab", "C1 controls removed");
	check("x\xe2\x80\xaegnp.exe", "xgnp.exe",
	    "a right-to-left override removed");
	check("<b>bold</b>", "bold", "tags removed");
	check("<script>alert(1)</script>", "alert(1)", "script tags removed");
	check("1 < 2 > 0", "1 &lt; 2 &gt; 0", "comparisons escaped, kept");
	check("Tom & \"Jerry\" 'n'", "Tom &amp; &quot;Jerry&quot; &#39;n&#39;",
	    "& \" ' escaped");
	check("a <b", "a &lt;b", "an unterminated tag is escaped");
	check("&amp;", "&amp;amp;", "entities are escaped again, not decoded");
	for (i = 0; i < sizeof(xss) / sizeof(xss[0]); i++) {
		out = san(xss[i], 500, &rc);
		if (rc == CHAT_OK && !inert(out)) {
			all = 0;
			printf("#   not inert: '%s'\n", out);
		}
		free(out);
	}
	ok(all, "an XSS corpus leaves no < > \" ' in any output");
	check("<img src=x onerror=alert(1)>hi", "hi", "attribute payloads go "
	    "with their tag");
}

static void
test_bucket(void)
{
	struct chat_bucket b;
	int i, retry, fails = 0;

	chat_bucket_init(&b, 20, 1000000);
	for (i = 0; i < 20; i++)
		fails += chat_bucket_take(&b, 1000000, &retry) != 0;
	is_int(fails, 0, "a burst of message-rate-limit messages passes");
	is_int(chat_bucket_take(&b, 1000000, &retry), -1, "the next is limited");
	is_int(retry, 3, "retryAfter: 60/20 = 3 s to the next token");
	is_int(chat_bucket_take(&b, 1002000, &retry), -1, "still limited at 2 s");
	is_int(retry, 1, "with 1 s left");
	is_int(chat_bucket_take(&b, 1003010, &retry), 0, "a token after 3 s");
	is_int(chat_bucket_take(&b, 1003010, &retry), -1, "one only");
	chat_bucket_init(&b, 20, 0);
	chat_bucket_take(&b, 0, &retry);
	is_int(chat_bucket_take(&b, 1000000000, &retry), 0,
	    "refills after a long time");
	for (i = 0, fails = 0; i < 20; i++)
		fails += chat_bucket_take(&b, 1000000000, &retry) != 0;
	is_int(fails, 1, "but never past its capacity");
	chat_bucket_rate(&b, 600, 1000000000);
	is_int(chat_bucket_take(&b, 1000000200, &retry), 0,
	    "a new rate refills at the new speed");
}

int
main(void)
{
	test_length();
	test_sanitize();
	test_bucket();
	return done_testing();
}
