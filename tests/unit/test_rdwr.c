/* test_rdwr.c - the bounds-checked reader and writer never overrun. */
#include "config.h"

#include <stdint.h>

#include "common/rdwr.h"
#include "tests/tap.h"

static void
reader_reads_big_endian(void)
{
	static const uint8_t b[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	    13, 14, 15 };
	struct rd r;

	rd_init(&r, b, sizeof(b));
	is_int(rd_u8(&r), 1, "u8");
	is_int(rd_u16(&r), 0x0203, "u16 big endian");
	is_int(rd_u32(&r), 0x04050607, "u32 big endian");
	ok(rd_u64(&r) == 0x08090a0b0c0d0e0fULL, "u64 big endian");
	ok(!r.err && r.left == 0, "all consumed, no error");
}

static void
reader_stops_at_the_end(void)
{
	static const uint8_t b[] = { 0xff, 0xee, 0xdd };
	const uint8_t *p;
	struct rd r, sub;

	rd_init(&r, b, sizeof(b));
	is_int(rd_u32(&r), 0, "short u32 reads zero");
	ok(r.err, "short u32 sets err");
	is_int(r.left, 3, "short read consumes nothing");
	is_int(rd_u8(&r), 0, "after an error every getter reads zero");

	rd_init(&r, b, sizeof(b));
	ok(rd_bytes(&r, &p, 4) == -1 && p == NULL, "rd_bytes past the end");
	rd_init(&r, b, sizeof(b));
	ok(rd_bytes(&r, &p, 2) == 0 && p == b && r.left == 1, "rd_bytes");
	ok(rd_sub(&r, &sub, 2) == -1 && sub.err, "rd_sub past the end");
	rd_init(&r, b, sizeof(b));
	ok(rd_sub(&r, &sub, 2) == 0 && sub.left == 2 && r.left == 1,
	    "rd_sub carves a sub-reader");
	is_int(rd_u16(&sub), 0xffee, "sub-reader reads its bytes");
	ok(rd_skip(&r, (size_t)-1) == -1, "a huge skip fails, no wrap");
}

static void
writer_stops_at_capacity(void)
{
	uint8_t b[6];
	struct wr w;

	wr_init(&w, b, sizeof(b));
	wr_u16(&w, 0x0102);
	wr_u32(&w, 0x03040506);
	ok(!w.err && w.len == 6, "writes fill the buffer");
	ok(b[0] == 1 && b[5] == 6, "big endian out");
	wr_u8(&w, 7);
	ok(w.err && w.len == 6, "a put past capacity sets err, writes nothing");
	wr_init(&w, b, sizeof(b));
	wr_u32(&w, 0);
	wr_patch_u16(&w, 2, 0xabcd);
	ok(!w.err && b[2] == 0xab && b[3] == 0xcd, "patch inside");
	wr_patch_u16(&w, 3, 1);
	ok(w.err, "patch past what was written fails");
}

int
main(void)
{
	reader_reads_big_endian();
	reader_stops_at_the_end();
	writer_stops_at_capacity();
	return done_testing();
}
