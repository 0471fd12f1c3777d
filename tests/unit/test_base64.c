/* test_base64.c - the one base64 codec: RFC 4648 §10 vectors, both
 * alphabets, and the strict decoder. */
#include "config.h"

#include <string.h>

#include "common/base64.h"
#include "tests/tap.h"

static const struct {
	const char	*in, *std_pad, *std_nopad;
} rfc4648_10[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static void
encode_matches_rfc4648_vectors(void)
{
	char out[16];
	size_t i, n;

	for (i = 0; i < sizeof(rfc4648_10) / sizeof(rfc4648_10[0]); i++) {
		const char *in = rfc4648_10[i].in;

		ok(b64_encode(in, strlen(in), B64_PAD, out, sizeof(out), &n) ==
		    0 && n == strlen(rfc4648_10[i].std_pad), "padded length");
		is_str(out, rfc4648_10[i].std_pad, "BASE64(\"%s\")", in);
		ok(b64_encode(in, strlen(in), 0, out, sizeof(out), &n) == 0 &&
		    n == strlen(rfc4648_10[i].std_nopad), "unpadded length");
		is_str(out, rfc4648_10[i].std_nopad, "unpadded \"%s\"", in);
		is_int(B64_LEN(strlen(in), B64_PAD),
		    (long long)strlen(rfc4648_10[i].std_pad), "B64_LEN padded");
	}
}

static void
decode_matches_rfc4648_vectors(void)
{
	uint8_t out[16];
	size_t i, n;

	for (i = 0; i < sizeof(rfc4648_10) / sizeof(rfc4648_10[0]); i++) {
		const char *e = rfc4648_10[i].std_nopad;

		ok(b64_decode(e, strlen(e), 0, out, sizeof(out), &n) == 0 &&
		    n == strlen(rfc4648_10[i].in) &&
		    memcmp(out, rfc4648_10[i].in, n) == 0, "decodes \"%s\"", e);
	}
}

static void
url_alphabet_differs_in_two_characters(void)
{
	static const uint8_t b[] = { 0xfb, 0xff, 0xbf };
	char out[16];
	uint8_t bin[16];
	size_t n;

	b64_encode(b, 3, B64_PAD, out, sizeof(out), NULL);
	is_str(out, "+/+/", "standard: '+' and '/'");
	b64_encode(b, 3, B64_URL, out, sizeof(out), NULL);
	is_str(out, "-_-_", "base64url: '-' and '_' (§5)");
	b64_encode(b, 2, B64_URL, out, sizeof(out), NULL);
	is_str(out, "-_8", "base64url, unpadded");
	ok(b64_decode("-_8", 3, B64_URL, bin, sizeof(bin), &n) == 0 &&
	    n == 2 && bin[0] == 0xfb && bin[1] == 0xff, "base64url decodes");
	is_int(b64_decode("a+b", 3, B64_URL, bin, sizeof(bin), &n), -1,
	    "'+' is not base64url");
	is_int(b64_decode("a-b", 3, 0, bin, sizeof(bin), &n), -1,
	    "'-' is not standard base64");
	ok(b64_decode("+/+/", 4, 0, bin, sizeof(bin), &n) == 0 && n == 3 &&
	    memcmp(bin, b, 3) == 0, "standard decodes '+' and '/'");
}

static void
decoder_is_strict(void)
{
	uint8_t bin[16];
	size_t n = 99;

	is_int(b64_decode("-_9", 3, B64_URL, bin, sizeof(bin), &n), -1,
	    "non-canonical trailing bits refused (§3.5)");
	ok(n == 0, "and no length is reported");
	is_int(b64_decode("Zh", 2, 0, bin, sizeof(bin), &n), -1,
	    "\"Zh\": trailing bits refused");
	is_int(b64_decode("Zm9vY", 5, 0, bin, sizeof(bin), &n), -1,
	    "a lone trailing character refused");
	is_int(b64_decode("Zg==", 4, 0, bin, sizeof(bin), &n), -1,
	    "padding is not accepted by the decoder");
	is_int(b64_decode("Zm 9v", 5, 0, bin, sizeof(bin), &n), -1,
	    "whitespace refused");
	is_int(b64_decode("Zm9v\0Zm9v", 9, 0, bin, sizeof(bin), &n), -1,
	    "NUL refused");
	is_int(b64_decode("Zm9vYmFy", 8, 0, bin, 5, &n), -1,
	    "output longer than the buffer refused");
	ok(b64_decode("Zm9vYmFy", 8, 0, bin, 6, &n) == 0 && n == 6,
	    "exactly the buffer fits");
	ok(b64_decode("", 0, 0, bin, 0, &n) == 0 && n == 0, "empty input");
}

static void
encoder_refuses_short_output(void)
{
	char out[16];

	is_int(b64_encode("foobar", 6, B64_PAD, out, 8, NULL), -1,
	    "no room for the NUL: refused");
	is_int(b64_encode("foobar", 6, B64_PAD, out, 9, NULL), 0,
	    "room for eight and the NUL");
	is_int(b64_encode("f", 1, B64_PAD, out, 4, NULL), -1,
	    "padding counts");
	is_int(b64_encode("f", 1, 0, out, 3, NULL), 0,
	    "unpadded needs less");
}

int
main(void)
{
	encode_matches_rfc4648_vectors();
	decode_matches_rfc4648_vectors();
	url_alphabet_differs_in_two_characters();
	decoder_is_strict();
	encoder_refuses_short_output();
	return done_testing();
}
