/*
 * relay.c - the relay module's life cycle and its wiring to the daemon
 * (see relay.h): the protocol context of relay/turn.h with the UDP
 * transport of relay/udp.c and the TCP and TLS transports of relay/tcp.c,
 * the one-second expiry tick, ban lookups in the
 * moderation store and security events with pseudonyms.
 *
 * Everything runs on the daemon's loop thread.  relay-threads is read but
 * the relay serves from that one thread for now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "auth/cred.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/secevent.h"
#include "db/db.h"
#include "relay/relay.h"
#include "relay/relay_int.h"

void
relay_clock(struct relay *rl)
{
	struct timespec mono, wall;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	turn_set_time(rl->ctx, (uint64_t)mono.tv_sec * 1000 +
	    (uint64_t)mono.tv_nsec / 1000000, (long long)wall.tv_sec);
}

static int
relay_is_banned(void *arg, const struct maddr *client)
{
	struct relay *rl = arg;

	return rl->d->db != NULL && mdb_is_banned(rl->d->db, client);
}

static void
relay_event(void *arg, enum turn_event ev, const struct maddr *client,
    const char *user, size_t ulen, const char *what)
{
	static const struct {
		enum secev_type		 type;
		enum secev_severity	 sev;
		const char		*name;
	} evs[] = {
		[TURN_EV_AUTH_FAILED] = { SECEV_AUTH, SECEV_MEDIUM,
		    "turn_auth_failed" },
		[TURN_EV_AUTH_EXPIRED] = { SECEV_AUTH, SECEV_MEDIUM,
		    "turn_auth_expired" },
		[TURN_EV_AUTH_MALFORMED] = { SECEV_AUTH, SECEV_MEDIUM,
		    "turn_auth_malformed" },
		[TURN_EV_PEER_DENIED] = { SECEV_VIOLATION, SECEV_MEDIUM,
		    "turn_peer_denied" },
		[TURN_EV_PAIR_DENIED] = { SECEV_VIOLATION, SECEV_MEDIUM,
		    "turn_pair_denied" },
		[TURN_EV_BANNED] = { SECEV_VIOLATION, SECEV_HIGH,
		    "turn_banned" },
	};
	struct relay *rl = arg;
	char pseudo[PSEUDONYM_LEN + 1], session[CRED_ID_MAX + 1];
	const char *sp = NULL, *cp = NULL;

	if ((unsigned)ev >= sizeof(evs) / sizeof(evs[0]))
		return;
	if (user != NULL && cred_session_of(user, ulen, session,
	    sizeof(session)) == 0)
		sp = session;
	if (rl->d->db != NULL) {
		mdb_pseudonym(rl->d->db, client, pseudo);
		cp = pseudo;
	}
	secevent_emit(rl->d->seclog, evs[ev].type, evs[ev].sev, sp, cp,
	    evs[ev].name, json_pack("{s:s, s:s}", "transport",
	    rl->cur_proto == TURN_TLS ? "tls" : rl->cur_proto == TURN_TCP ?
	    "tcp" : "udp", "why", what));
}

static void
relay_to_client(void *arg, const struct turn_tuple *t,
    const struct iovec *iov, int iovcnt)
{
	if (t->proto == TURN_UDP)
		udp_to_client(arg, t, iov, iovcnt);
	else
		tcp_to_client(arg, t, iov, iovcnt);
}

static void
relay_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *rl = arg;

	relay_clock(rl);
	turn_tick(rl->ctx);
}

struct relay *
relay_new(struct daemon *d, char *err, size_t errlen)
{
	const struct config *cfg = d->cfg;
	struct turn_io io;
	struct relay *rl;
	size_t i;

	if ((rl = calloc(1, sizeof(*rl))) == NULL ||
	    (rl->bufs = malloc((size_t)RELAY_BATCH * TURN_BUF_MAX)) == NULL ||
	    (rl->out = calloc(RELAY_SENDQ, sizeof(*rl->out))) == NULL) {
		if (rl != NULL)
			free(rl->bufs);
		free(rl);
		snprintf(err, errlen, "relay: out of memory");
		return NULL;
	}
	rl->d = d;
	memset(&io, 0, sizeof(io));
	io.arg = rl;
	io.to_client = relay_to_client;
	io.to_peer = udp_to_peer;
	io.relay_open = udp_relay_open;
	io.relay_close = udp_relay_close;
	io.is_banned = relay_is_banned;
	io.event = relay_event;
	if ((rl->ctx = turn_new(cfg, &io, &d->metrics, err, errlen)) == NULL) {
		relay_free(rl);
		return NULL;
	}
	relay_clock(rl);
	for (i = 0; i < cfg->listen.n; i++) {
		char e[256];

		if (udp_listen(rl, &cfg->listen.v[i], cfg->turn_port, e,
		    sizeof(e)) != 0) {
			snprintf(err, errlen, "relay: turn-port: %s", e);
			relay_free(rl);
			return NULL;
		}
	}
	if (tcp_listen(rl, cfg, err, errlen) != 0) {
		relay_free(rl);
		return NULL;
	}
	if ((rl->tick = event_new(d->base, -1, EV_PERSIST, relay_tick_cb,
	    rl)) == NULL) {
		snprintf(err, errlen, "relay: cannot create the expiry timer");
		relay_free(rl);
		return NULL;
	}
	if (cfg->relay_threads != 1)
		log_info("relay: relay-threads = %lld: this version serves "
		    "the relay from the main loop", cfg->relay_threads);
	return rl;
}

int
relay_start(struct relay *rl)
{
	struct timeval one = { 1, 0 };
	struct maddr b, a;
	char bs[ADDR_STRLEN], as[ADDR_STRLEN];
	int f;

	if (rl == NULL)
		return -1;
	if (udp_start(rl) != 0 || tcp_start(rl) != 0 ||
	    event_add(rl->tick, &one) != 0)
		return -1;
	rl->started = 1;
	for (f = 0; f < 2; f++) {
		if (!turn_relay_addr(rl->ctx, f == 0 ? AF_INET : AF_INET6, &b,
		    &a))
			continue;
		addr_ntop(&b, bs, sizeof(bs));
		addr_ntop(&a, as, sizeof(as));
		if (strcmp(bs, as) == 0)
			log_info("relay: %s relays on %s", f == 0 ? "IPv4" :
			    "IPv6", bs);
		else
			log_info("relay: %s relays on %s, advertised as %s",
			    f == 0 ? "IPv4" : "IPv6", bs, as);
	}
	log_info("relay: STUN/TURN on UDP port %d, %zu address%s",
	    rl->d->cfg->turn_port, rl->nudp, rl->nudp == 1 ? "" : "es");
	return 0;
}

void
relay_stop(struct relay *rl)
{
	if (rl == NULL)
		return;
	/* Drain: no new TCP/TLS connections, no new allocations; UDP stays
	 * open for the allocations there are (their refreshes, permissions
	 * and media), and so do their TCP/TLS connections. */
	turn_drain(rl->ctx);
	tcp_stop(rl);
}

void
relay_reload(struct relay *rl, const struct config *cfg)
{
	if (rl == NULL)
		return;
	if (turn_reload(rl->ctx, cfg) != 0)
		log_err("relay: cannot apply the new configuration; keeping "
		    "the running one");
	tcp_reload(rl, cfg);
}

void
relay_free(struct relay *rl)
{
	if (rl == NULL)
		return;
	/* TCP/TLS connections with their allocations, then the other
	 * allocations' sockets (they use the loop), then ours. */
	tcp_close(rl);
	turn_free(rl->ctx);
	udp_close(rl);
	if (rl->tick != NULL)
		event_free(rl->tick);
	free(rl->bufs);
	free(rl->out);
	free(rl);
}

void
relay_set_peer_hook(struct relay *rl,
    int (*fn)(void *, const char *, const char *), void *arg)
{
	turn_set_peer_hook(rl->ctx, fn, arg);
}

void
relay_pairs_changed(struct relay *rl)
{
	if (rl != NULL)
		turn_pairs_changed(rl->ctx);
}

size_t
relay_allocations(struct relay *rl)
{
	return rl != NULL ? turn_alloc_count(rl->ctx) : 0;
}
