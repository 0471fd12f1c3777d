/*
 * fake_turn_io.c - the recording transport of the relay's tests (see
 * fake_turn_io.h).
 */
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "tests/unit/fake_turn_io.h"

/* Reads every byte of p, so that a bad pointer or length shows. */
static void
fake_touch(struct fake_io *f, const uint8_t *p, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++)
		f->sink ^= p[k];
}

/* A message to a client: kept whole when it fits. */
static void
fake_to_client(void *arg, const struct turn_tuple *t, const struct iovec *iov,
    int n)
{
	struct fake_io *f = arg;
	struct fake_sent *s = NULL;
	int i, fits = 1;

	if (f->nout < FAKE_MAXOUT) {
		s = &f->out[f->nout++];
		s->t = *t;
		s->len = 0;
	}
	for (i = 0; i < n; i++) {
		fake_touch(f, iov[i].iov_base, iov[i].iov_len);
		if (s == NULL || !fits)
			continue;
		if (s->len + iov[i].iov_len > sizeof(s->b)) {
			fits = 0;
			continue;
		}
		memcpy(s->b + s->len, iov[i].iov_base, iov[i].iov_len);
		s->len += iov[i].iov_len;
	}
}

/* A datagram from a relayed socket to a peer. */
static void
fake_to_peer(void *arg, void *sock, const struct maddr *peer,
    const uint8_t *p, size_t len)
{
	struct fake_io *f = arg;
	struct fake_sock *fs = sock;
	struct fake_sent *s;

	fake_touch(f, p, len);
	if (f->npeer == FAKE_MAXOUT || len > sizeof(s->b))
		return;
	s = &f->peer[f->npeer++];
	memset(&s->t, 0, sizeof(s->t));
	s->t.client = *peer;
	s->t.server = fs->addr;
	memcpy(s->b, p, len);
	s->len = len;
}

/* Opens an rsock: fails for the busy port, an address already open or a
 * full table; a closed entry is used again. */
static int
fake_rsock_open(void *arg, const struct maddr *addr, int df,
    struct turn_relayed *tr, void **sock)
{
	struct fake_io *f = arg;
	struct fake_sock *fs = NULL;
	int i;

	if (addr->port == f->busy_port)
		return -1;
	for (i = 0; i < f->nsocks; i++) {
		if (!f->socks[i].open) {
			if (fs == NULL)
				fs = &f->socks[i];
		} else if (addr_eq(&f->socks[i].addr, addr))
			return -1;
	}
	if (fs == NULL) {
		if (f->nsocks == FAKE_MAXSOCKS)
			return -1;
		fs = &f->socks[f->nsocks++];
	}
	fs->addr = *addr;
	fs->tr = tr;
	fs->open = 1;
	fs->df = df;
	f->opens++;
	*sock = fs;
	return 0;
}

static void
fake_rsock_close(void *arg, void *sock)
{
	struct fake_sock *fs = sock;

	fs->open = 0;
}

/* A reserved port's socket leaves the loop: a real descriptor stands for
 * it, so that its life (kept, handed over, closed) can be followed. */
static int
fake_rsock_detach(void *arg, void *sock)
{
	struct fake_io *f = arg;
	struct fake_sock *fs = sock;

	fs->open = 0;
	f->detached++;
	f->detached_fd = socket(AF_INET, SOCK_DGRAM, 0);
	return f->detached_fd;
}

static int
fake_rsock_adopt(void *arg, int fd, const struct maddr *addr, int df,
    struct turn_relayed *tr, void **sock)
{
	struct fake_io *f = arg;

	f->adopted++;
	f->adopted_fd = fd;
	close(fd);
	return fake_rsock_open(arg, addr, df, tr, sock);
}

static int
fake_is_banned(void *arg, const struct maddr *client)
{
	struct fake_io *f = arg;

	return f->banned;
}

static void
fake_event(void *arg, enum turn_event ev, const struct maddr *client,
    const char *user, size_t ulen, const char *what)
{
	struct fake_io *f = arg;

	if ((unsigned)ev < FAKE_NEVENTS)
		f->events[ev]++;
}

/* Hand-off to another loop: delivered there at once. */
static void
fake_handoff(void *arg, int loop, const struct turn_handoff *h,
    const uint8_t *p, size_t len)
{
	struct fake_io *f = arg;

	f->handoffs++;
	fake_touch(f, p, len);
	if (f->other != NULL && f->other->ctx != NULL)
		turn_handle_handoff(f->other->ctx, h, p, len);
}

void
fake_io_init(struct fake_io *f, struct turn_io *io, int detach)
{
	memset(f, 0, sizeof(*f));
	f->detached_fd = f->adopted_fd = -1;
	memset(io, 0, sizeof(*io));
	io->arg = f;
	io->to_client = fake_to_client;
	io->to_peer = fake_to_peer;
	io->rsock_open = fake_rsock_open;
	io->rsock_close = fake_rsock_close;
	io->is_banned = fake_is_banned;
	io->event = fake_event;
	io->handoff = fake_handoff;
	if (detach) {
		io->rsock_detach = fake_rsock_detach;
		io->rsock_adopt = fake_rsock_adopt;
	}
}

struct fake_sock *
fake_io_sock(struct fake_io *f, const struct maddr *relayed)
{
	int i;

	for (i = f->nsocks - 1; i >= 0; i--)
		if (f->socks[i].open && f->socks[i].addr.port ==
		    relayed->port && f->socks[i].addr.family ==
		    relayed->family)
			return &f->socks[i];
	return NULL;
}
