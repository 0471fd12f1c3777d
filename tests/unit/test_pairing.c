/*
 * test_pairing.c - the waiting queue and the pair table
 * (signaling/pairing.c): never oneself, never the partner just left,
 * shared interests first, the fall-back after the wait, dropped sessions
 * skipped; the pair table from several threads.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "signaling/pairing.h"
#include "signaling/sig.h"
#include "tests/tap.h"

static struct pair_node n[6];

static void
mk(struct pair_node *p, const char *id, const char *i1, const char *i2)
{
	const char *v[2] = { i1, i2 };

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%-22s", id);
	p->eligible = 1;
	pair_set_interests(p, v, i2 != NULL ? 2 : i1 != NULL ? 1 : 0);
}

static struct pair_table *pt;
static char ida[PAIR_ID_LEN + 1], idb[PAIR_ID_LEN + 1];
static int reader_bad;

static void *
reader(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 20000; i++)
		if (pair_table_are(pt, ida, "zzzzzzzzzzzzzzzzzzzzzz"))
			reader_bad = 1;
	return NULL;
}

int
main(void)
{
	struct pair_queue q;
	pthread_t th[2];
	int i;

	pair_queue_init(&q, 3000);
	mk(&n[0], "a", NULL, NULL);
	pair_enqueue(&q, &n[0], 0);
	ok(pair_match(&q, &n[0], 0) == NULL, "alone: no match (never oneself)");
	mk(&n[1], "b", NULL, NULL);
	pair_enqueue(&q, &n[1], 1000);
	ok(pair_match(&q, &n[1], 1000) == &n[0], "two without interests match");
	pair_dequeue(&q, &n[0]);
	pair_dequeue(&q, &n[1]);
	is_int(q.n, 0, "queue empty");

	/* b just left a: they never meet again right away */
	strlcpy(n[1].last, n[0].id, sizeof(n[1].last));
	pair_enqueue(&q, &n[0], 2000);
	pair_enqueue(&q, &n[1], 2000);
	ok(pair_match(&q, &n[1], 2000) == NULL, "not with the partner just left");
	ok(pair_match(&q, &n[0], 2000) == NULL, "from either side");
	mk(&n[2], "c", NULL, NULL);
	pair_enqueue(&q, &n[2], 3000);
	ok(pair_match(&q, &n[2], 3000) == &n[0], "a third one takes the oldest");
	pair_dequeue(&q, &n[0]);
	pair_dequeue(&q, &n[1]);
	pair_dequeue(&q, &n[2]);

	/* interests */
	mk(&n[0], "a", "music", NULL);
	mk(&n[1], "b", NULL, NULL);
	mk(&n[2], "c", "Go", " MUSIC ");
	ok(n[2].ninterests == 2 && strcmp(n[2].interests[1], "music") == 0,
	    "interests trimmed and folded to lower case");
	pair_enqueue(&q, &n[0], 10000);
	pair_enqueue(&q, &n[1], 10000);
	ok(pair_match(&q, &n[1], 10000) == NULL,
	    "a fresh session with interests waits for a shared one");
	pair_enqueue(&q, &n[2], 11000);
	ok(pair_match(&q, &n[2], 11000) == &n[0], "shared interest preferred "
	    "over the older b");
	pair_dequeue(&q, &n[2]);
	ok(pair_match(&q, &n[0], 12900) == NULL, "before the wait: nothing");
	ok(pair_match(&q, &n[0], 13000) == &n[1], "after it, anyone");
	ok(pair_shared(&n[0], &n[2]) && !pair_shared(&n[0], &n[1]),
	    "pair_shared");

	/* a dropped session keeps its place but is not matched */
	n[0].eligible = 0;
	ok(pair_match(&q, &n[1], 20000) == NULL, "dropped sessions are skipped");
	ok(pair_match(&q, &n[0], 20000) == NULL, "and do not match themselves");
	n[0].eligible = 1;
	ok(pair_match(&q, &n[1], 20000) == &n[0], "until they are back");
	for (i = 0; i < 3; i++) {
		pair_dequeue(&q, &n[i]);
		pair_clear_interests(&n[i]);
	}

	pt = pair_table_new();
	strlcpy(ida, "AAAAAAAAAAAAAAAAAAAAAA", sizeof(ida));
	strlcpy(idb, "BBBBBBBBBBBBBBBBBBBBBB", sizeof(idb));
	ok(!pair_table_are(pt, ida, idb), "not partners yet");
	is_int(pair_table_set(pt, ida, idb), 0, "pair");
	ok(pair_table_are(pt, ida, idb) && pair_table_are(pt, idb, ida),
	    "partners, both ways");
	ok(!pair_table_are(pt, ida, ida), "not with oneself");
	is_int(pair_table_set(pt, ida, ida), -1, "self pairs refused");
	is_int(pair_table_set(pt, ida, "short"), -1, "bad ids refused");
	pthread_create(&th[0], NULL, reader, NULL);
	pthread_create(&th[1], NULL, reader, NULL);
	for (i = 0; i < 2000; i++) {
		pair_table_clear(pt, ida);
		pair_table_set(pt, ida, idb);
	}
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	ok(!reader_bad, "readers on other threads see no wrong pair");
	pair_table_clear(pt, ida);
	ok(!pair_table_are(pt, ida, idb) && !pair_table_are(pt, idb, ida),
	    "after one side is cleared, not partners");
	pair_table_clear(pt, idb);
	is_int(pair_table_size(pt), 0, "empty");

	/* the relay's hook, on TURN usernames */
	{
		struct signaling sig;
		char ua[64], ub[64], uc[64];

		memset(&sig, 0, sizeof(sig));
		sig.pairs = pt;
		snprintf(ua, sizeof(ua), "1900000000:s-%s", ida);
		snprintf(ub, sizeof(ub), "1900000000:s-%s", idb);
		snprintf(uc, sizeof(uc), "1900000000:s-%s",
		    "CCCCCCCCCCCCCCCCCCCCCC");
		ok(!sig_peer_hook(&sig, ua, ub), "hook: not partners, 0");
		pair_table_set(pt, ida, idb);
		ok(sig_peer_hook(&sig, ua, ub) && sig_peer_hook(&sig, ub, ua),
		    "hook: current partners allowed both ways");
		ok(!sig_peer_hook(&sig, ua, uc), "hook: anyone else refused");
		ok(!sig_peer_hook(&sig, ua, "1900000000") &&
		    !sig_peer_hook(&sig, ua, "1900000000:alice"),
		    "hook: a session may not reach a credential without one");
		ok(sig_peer_hook(&sig, "1900000000:alice", ua) &&
		    sig_peer_hook(&sig, "1900000000", uc),
		    "hook: a credential without a session is not restricted");
		pair_table_clear(pt, ida);
		pair_table_clear(pt, idb);
		pair_table_set(pt, ida, "CCCCCCCCCCCCCCCCCCCCCC");
		ok(!sig_peer_hook(&sig, ua, ub) && sig_peer_hook(&sig, ua, uc),
		    "hook: after next, the former partner is refused");
		pair_table_clear(pt, ida);
		pair_table_clear(pt, "CCCCCCCCCCCCCCCCCCCCCC");
	}
	pair_table_free(pt);
	return done_testing();
}
