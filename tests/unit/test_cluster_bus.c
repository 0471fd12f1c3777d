/*
 * test_cluster_bus.c - the string fields of cluster bus messages
 * (signaling/cluster_glue.c's remote_bus_str): a field that is missing,
 * not a string, holds a NUL or is out of its kind's bounds reads as NULL,
 * so that every handler ignores such a message.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "signaling/cluster_int.h"
#include "tests/tap.h"

/* A string of n bytes of c, in buf. */
static const char *
rep(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* Whether {"f": v} (v stolen) reads as a field of kind. */
static int
reads(json_t *v, enum bus_field kind)
{
	json_t *j = json_object();
	int ok;

	json_object_set_new(j, "f", v);
	ok = remote_bus_str(j, "f", kind) != NULL;
	json_decref(j);
	return ok;
}

static void
test_missing_and_types(void)
{
	json_t *j = json_object();

	ok(remote_bus_str(j, "f", BUS_NODE) == NULL, "a missing field: NULL");
	json_decref(j);
	ok(!reads(json_integer(5), BUS_NODE), "a number: NULL");
	ok(!reads(json_null(), BUS_NODE), "null: NULL");
	ok(!reads(json_true(), BUS_WORD), "true: NULL");
	ok(!reads(json_pack("[s]", "n1"), BUS_NODE), "an array: NULL");
	ok(!reads(json_pack("{s:s}", "a", "n1"), BUS_NODE), "an object: NULL");
	ok(!reads(json_stringn("n1\0x", 4), BUS_NODE),
	    "a string with a NUL inside: NULL");
	ok(reads(json_string("n1"), BUS_NODE), "a node name reads");
}

static void
test_bounds(void)
{
	static char buf[BUS_SEALED_MAX + 2];
	json_t *j;

	ok(reads(json_string(rep(buf, 'a', PAIR_ID_LEN)), BUS_ID),
	    "an id of PAIR_ID_LEN reads");
	ok(!reads(json_string(rep(buf, 'a', PAIR_ID_LEN - 1)), BUS_ID),
	    "one byte short: NULL");
	ok(!reads(json_string(rep(buf, 'a', PAIR_ID_LEN + 1)), BUS_ID),
	    "one byte over: NULL");
	ok(!reads(json_string(""), BUS_ID), "an empty id: NULL");
	ok(reads(json_string(rep(buf, 'n', SIG_NODE_MAX)), BUS_NODE),
	    "a node name of SIG_NODE_MAX reads");
	ok(!reads(json_string(rep(buf, 'n', SIG_NODE_MAX + 1)), BUS_NODE),
	    "one byte over: NULL");
	ok(reads(json_string(""), BUS_NODE),
	    "an empty node name reads (as before: bounded already)");
	ok(reads(json_string(rep(buf, 'w', 32)), BUS_WORD), "a word of 32");
	ok(!reads(json_string(rep(buf, 'w', 33)), BUS_WORD), "33: NULL");
	ok(reads(json_string(rep(buf, '1', ADDR_STRLEN - 1)), BUS_ADDR),
	    "an address of ADDR_STRLEN - 1 reads");
	ok(!reads(json_string(rep(buf, '1', ADDR_STRLEN)), BUS_ADDR),
	    "ADDR_STRLEN: NULL");
	ok(reads(json_string(rep(buf, 'A', 63)), BUS_MAC), "a MAC of 63");
	ok(!reads(json_string(rep(buf, 'A', 64)), BUS_MAC), "64: NULL");
	ok(reads(json_string(rep(buf, 'A', BUS_SEALED_MAX)), BUS_SEALED),
	    "a sealed text of BUS_SEALED_MAX reads");
	ok(!reads(json_string(rep(buf, 'A', BUS_SEALED_MAX + 1)),
	    BUS_SEALED), "one byte over: NULL");
	j = json_pack("{s:s}", "f", "n1");
	ok(strcmp(remote_bus_str(j, "f", BUS_NODE), "n1") == 0,
	    "the value is the field's own");
	json_decref(j);
}

int
main(void)
{
	test_missing_and_types();
	test_bounds();
	return done_testing();
}
