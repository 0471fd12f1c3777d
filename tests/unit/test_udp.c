/*
 * test_udp.c - relay/udp.c's send queue: udp_flush() sends a batch of
 * datagrams with sendmmsg() on real loopback sockets.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "relay/relay_int.h"
#include "tests/tap.h"

/* Queues a datagram on lp as udp.c does while a batch is handled. */
static void
queue_dgram(struct relay_loop *lp, int fd, const struct maddr *to,
    const void *p, size_t len)
{
	struct relay_out *o = &lp->out[lp->nout++];

	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->tolen = addr_to_sockaddr(to, &o->to);
	o->iov[0].iov_base = (void *)p;
	o->iov[0].iov_len = len;
	o->iovcnt = 1;
}

/*
 * udp_flush(): one sendmmsg() per run of datagrams for a socket.  A
 * datagram that fails alone (a port 0 destination: EINVAL; larger than
 * UDP allows: EMSGSIZE) is dropped and counted; the rest of the run is
 * still sent.
 */
static void
test_sendmmsg_errors(void)
{
	struct relay_loop lp;
	struct maddr lo, bad;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	static uint8_t big[70000];
	char buf[64];
	int rx, tx, got = 0, order = 1;
	ssize_t n;

	memset(&lp, 0, sizeof(lp));
	lp.out = calloc(RELAY_SENDQ, sizeof(*lp.out));
	addr_parse("127.0.0.1", &lo);
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	addr_to_sockaddr(&lo, &ss);
	ok(lp.out != NULL && rx >= 0 && tx >= 0 &&
	    bind(rx, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == 0 &&
	    getsockname(rx, (struct sockaddr *)&ss, &sl) == 0,
	    "a receiving socket on 127.0.0.1");
	addr_from_sockaddr(&lo, (struct sockaddr *)&ss);
	bad = lo;
	bad.port = 0;
	queue_dgram(&lp, tx, &lo, "first", 5);
	queue_dgram(&lp, tx, &bad, "to port 0", 9);
	queue_dgram(&lp, tx, &lo, big, sizeof(big));
	queue_dgram(&lp, tx, &lo, "second", 6);
	queue_dgram(&lp, tx, &lo, "third", 5);
	udp_flush(&lp);
	is_int(lp.nout, 0, "the queue is flushed");
	while ((n = recv(rx, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		got++;
		if ((got == 1 && strcmp(buf, "first") != 0) ||
		    (got == 2 && strcmp(buf, "second") != 0) ||
		    (got == 3 && strcmp(buf, "third") != 0))
			order = 0;
	}
	is_int(got, 3, "a datagram that fails (EINVAL, EMSGSIZE) is skipped: "
	    "the three good ones of the run are sent");
	ok(order, "in order");
	is_int((int)lp.send_drops, 2, "the two failed ones are counted");
	close(rx);
	close(tx);
	free(lp.out);
}

int
main(void)
{
	test_sendmmsg_errors();
	return done_testing();
}
