/*
 * test_msg.c - the client message decoder (signaling/msg.c): every
 * type of SPEC's table with its fields, and the refusals (invalid UTF-8,
 * invalid JSON, not an object, unknown type, wrong field types).
 */
#include "config.h"

#include <string.h>

#include "signaling/msg.h"
#include "tests/tap.h"

static struct msg m;
static const char *why;

static int
dec(const char *s)
{
	msg_clear(&m);
	return msg_decode((const uint8_t *)s, strlen(s), &m, &why);
}

static int
refused(const char *s, const char *reason)
{
	int rc = dec(s);

	return rc == -1 && why != NULL && strstr(why, reason) != NULL &&
	    m.root == NULL;
}

int
main(void)
{
	is_int(dec("{\"type\":\"ping\"}"), 0, "ping");
	is_int(m.type, MSG_PING, "its type");
	is_int(dec("{\"type\":\"find\"}"), 0, "find without interests");
	is_int(m.ninterests, 0, "none");
	is_int(dec("{\"type\":\"find\",\"interests\":[\"music\",\"go\"]}"), 0,
	    "find with interests");
	ok(m.ninterests == 2 && strcmp(m.interests[1], "go") == 0, "both");
	ok(refused("{\"type\":\"find\",\"interests\":\"music\"}", "interests"),
	    "interests not an array");
	ok(refused("{\"type\":\"find\",\"interests\":[1]}", "interests"),
	    "an interest not a string");
	ok(refused("{\"type\":\"find\",\"interests\":[\"a\",\"b\",\"c\",\"d\","
	    "\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\","
	    "\"p\",\"q\"]}", "interests"), "17 interests");
	is_int(dec("{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}"), 0, "offer");
	ok(m.type == MSG_OFFER && m.sdp_len == 5, "sdp");
	ok(refused("{\"type\":\"answer\"}", "sdp"), "answer without sdp");
	is_int(dec("{\"type\":\"candidate\",\"candidate\":\"candidate:1 1 udp "
	    "1 1.2.3.4 5 typ relay\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}"), 0,
	    "candidate");
	ok(m.sdp_mid != NULL && json_is_string(m.sdp_mid) &&
	    json_integer_value(m.sdp_mline) == 0, "sdpMid, sdpMLineIndex");
	is_int(dec("{\"type\":\"candidate\",\"candidate\":\"\",\"sdpMid\":null,"
	    "\"sdpMLineIndex\":null}"), 0, "end-of-candidates with nulls");
	ok(refused("{\"type\":\"candidate\",\"candidate\":\"x\","
	    "\"sdpMLineIndex\":\"0\"}", "sdpMLineIndex"), "index as a string");
	ok(refused("{\"type\":\"candidate\",\"candidate\":\"x\",\"sdpMid\":5}",
	    "sdpMid"), "sdpMid as a number");
	is_int(dec("{\"type\":\"chat\",\"text\":\"h\\u00e9\\n\"}"), 0, "chat");
	ok(m.text_len == 4 && strcmp(m.text, "h\xc3\xa9\n") == 0,
	    "text decoded from JSON escapes");
	ok(refused("{\"type\":\"chat\",\"text\":\"a\\u0000b\"}", "JSON"),
	    "a NUL in a string: refused");
	ok(refused("{\"type\":\"chat\",\"text\":5}", "text"), "text not a string");
	is_int(dec("{\"type\":\"report\",\"reason\":\"abuse\",\"detail\":\"x\"}"),
	    0, "report");
	ok(strcmp(m.reason, "abuse") == 0 && strcmp(m.detail, "x") == 0,
	    "reason, detail");
	ok(refused("{\"type\":\"report\",\"reason\":\"boring\"}", "reason"),
	    "an unknown reason");
	is_int(dec("{\"type\":\"stats\",\"state\":\"connected\",\"rtt\":12.5,"
	    "\"loss\":0,\"connectMs\":850}"), 0, "stats");
	ok(m.connect_ms == 850 && m.rtt == 12.5 && m.loss == 0, "figures");
	ok(refused("{\"type\":\"stats\",\"state\":\"connected\","
	    "\"connectMs\":-1}", "stats"), "a negative figure");
	is_int(dec("{\"type\":\"resume\",\"token\":\"a.b.c\"}"), 0, "resume");
	ok(refused("{\"type\":\"resume\"}", "token"), "resume without token");
	ok(dec("{\"type\":\"typing\",\"extra\":[1,2]}") == 0 &&
	    m.type == MSG_TYPING, "unknown fields are ignored");
	ok(dec("{\"type\":\"next\"}") == 0 && m.type == MSG_NEXT, "next");
	ok(dec("{\"type\":\"leave\"}") == 0 && m.type == MSG_LEAVE, "leave");

	ok(refused("not json", "invalid JSON"), "invalid JSON");
	ok(refused("{\"type\":\"ping\"", "invalid JSON"), "truncated JSON");
	ok(refused("{\"type\":\"ping\"} {}", "invalid JSON"), "trailing data");
	ok(refused("[\"ping\"]", "object"), "an array");
	ok(refused("{\"type\":1}", "type"), "type not a string");
	ok(refused("{}", "type"), "no type");
	ok(refused("{\"type\":\"launch\"}", "unknown type"), "an unknown type");
	ok(refused("{\"type\":\"ping\",\"type\":\"find\"}", "invalid JSON"),
	    "duplicate keys");
	{
		const uint8_t bad[] = "{\"type\":\"chat\",\"text\":\"\xc3\x28\"}";

		msg_clear(&m);
		ok(msg_decode(bad, sizeof(bad) - 1, &m, &why) == -1 &&
		    strcmp(why, "invalid UTF-8") == 0, "invalid UTF-8");
	}
	is_str(msg_type_name(MSG_CANDIDATE), "candidate", "type names");
	msg_clear(&m);
	return done_testing();
}
