/*
 * test_cluster_queue.c - cluster/redis.c and cluster/queue.c against a real
 * redis-server, started by tests/integration/test_cluster_queue.py, which
 * passes its URL in MTEST_REDIS_URL (with a password and a DB number) and
 * kills and restarts it when this program prints "# kill-redis" and
 * "# start-redis".  Three links on one event base are three nodes.
 *
 * Proves: the pairing rules of signaling/pairing.c across nodes (oldest
 * compatible waiter, interests, never yourself, never the partner just
 * left, held sessions, retry of a matched session), cancel and purge; no
 * double match with 500 concurrent finds over three nodes; the waiter's
 * node hears of its match; AUTH and SELECT from the URL; a wrong password
 * never comes up; and a Redis killed and restarted: down and up fire, and
 * commands (the script too, after Redis forgot it) work again without a
 * restart.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "cluster/queue.h"
#include "cluster/redis.h"
#include "common/log.h"
#include "tests/tap.h"

#define NODES	3
#define NSESS	500
#define PFX	"mtest:"

struct node {
	struct cluster_redis	*r;
	struct cluster_queue	*q;
	char			 name[16];
	int			 ups, downs;
	int			 notes;		/* matched notifications */
};

static struct event_base *base;
static struct node nodes[NODES];
static int total_ups, total_downs;

/* notification: waiter -> finder, as heard on the waiter's node */
static char note_partner[NSESS + 64][32];
static int note_node[NSESS + 64];
static int note_count;

static int
sess_index(const char *id)
{
	int i;

	if (sscanf(id, "s%d", &i) != 1 || i < 0 || i >= NSESS + 64)
		return -1;
	return i;
}

static void
up_cb(void *arg)
{
	((struct node *)arg)->ups++;
	total_ups++;
}

static void
down_cb(void *arg, const char *why)
{
	((struct node *)arg)->downs++;
	total_downs++;
	printf("# down: %s\n", why);
}

static void
msg_cb(void *arg, const char *channel, const char *data, size_t len)
{
	struct node *n = arg;
	json_t *j = json_loadb(data, len, 0, NULL);
	const char *s = NULL, *p = NULL, *type = NULL;
	int i;

	if (j != NULL && json_unpack(j, "{s:s, s:s, s:s}", "type", &type,
	    "session", &s, "partner", &p) == 0 &&
	    strcmp(type, "matched") == 0 && (i = sess_index(s)) >= 0) {
		strlcpy(note_partner[i], p, sizeof(note_partner[i]));
		note_node[i] = (int)(n - nodes);
		note_count++;
	}
	n->notes++;
	json_decref(j);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs the loop until *flag reaches want or timeout seconds pass. */
static int
run_until(int *flag, int want, double timeout)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (*flag < want) {
		event_base_loop(base, EVLOOP_ONCE);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) +
		    (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > timeout)
			return -1;
	}
	return 0;
}

static void
run_for(double secs)
{
	int never = 0;

	run_until(&never, 1, secs);
}

/* One find, waited for. */
struct fres {
	int				 done;
	int				 err;
	struct cluster_find_reply	 r;
};

static void
find_cb(void *arg, int err, const struct cluster_find_reply *r)
{
	struct fres *f = arg;

	f->done = 1;
	f->err = err;
	if (r != NULL)
		f->r = *r;
}

static struct fres
find(int node, const char *id, const char *last, const char *i1,
    const char *i2, long long wait_ms, int retry)
{
	struct fres f;
	const char *in[2];
	struct cluster_find cf;
	size_t ni = 0;

	memset(&f, 0, sizeof(f));
	if (i1 != NULL)
		in[ni++] = i1;
	if (i2 != NULL)
		in[ni++] = i2;
	memset(&cf, 0, sizeof(cf));
	cf.session = id;
	cf.node = nodes[node].name;
	cf.last = last;
	cf.interests = in;
	cf.ninterests = ni;
	cf.retry = retry;
	cf.wait_ms = wait_ms;
	if (cluster_queue_find(nodes[node].q, &cf, find_cb, &f) != 0) {
		f.err = -2;
		return f;
	}
	if (run_until(&f.done, 1, 5) != 0)
		f.err = -3;
	return f;
}

struct dres {
	int		done, err;
	long long	n;
};

static void
done_cb(void *arg, int err, long long n)
{
	struct dres *d = arg;

	d->done = 1;
	d->err = err;
	d->n = n;
}

static long long
cancel(const char *id)
{
	struct dres d = { 0, 0, -1 };

	if (cluster_queue_cancel(nodes[0].q, id, done_cb, &d) != 0 ||
	    run_until(&d.done, 1, 5) != 0 || d.err != 0)
		return -1;
	return d.n;
}

static long long
hold(const char *id, int elig)
{
	struct dres d = { 0, 0, -1 };

	if (cluster_queue_hold(nodes[1].q, id, elig, done_cb, &d) != 0 ||
	    run_until(&d.done, 1, 5) != 0 || d.err != 0)
		return -1;
	return d.n;
}

/* A raw command on node 0; the integer or string answer. */
struct rres {
	int		done;
	long long	n;
	char		s[64];
	int		type;
};

static void
raw_cb(void *arg, const redisReply *rep)
{
	struct rres *r = arg;

	r->done = 1;
	if (rep == NULL)
		return;
	r->type = rep->type;
	r->n = rep->integer;
	if (rep->str != NULL)
		strlcpy(r->s, rep->str, sizeof(r->s));
}

static struct rres
raw(int argc, const char **argv)
{
	struct rres r;

	memset(&r, 0, sizeof(r));
	if (cluster_redis_command(nodes[0].r, raw_cb, &r, argc,
	    (const char *const *)argv, NULL) != 0 ||
	    run_until(&r.done, 1, 5) != 0)
		r.type = -1;
	return r;
}

static long long
queue_len(void)
{
	const char *argv[] = { "ZCARD", PFX "queue" };

	return raw(2, argv).n;
}

#define IS_WAITING(f)	((f).err == 0 && (f).r.what == CLUSTER_FIND_WAITING)
#define IS_MATCHED(f, who) ((f).err == 0 && \
	(f).r.what == CLUSTER_FIND_MATCHED && strcmp((f).r.partner, who) == 0)

static void
rules(void)
{
	struct fres a, b, c, d;

	/* cross-node match; the waiter's node hears of it */
	note_count = 0;
	a = find(0, "s1", NULL, NULL, NULL, 3000, 0);
	ok(IS_WAITING(a) && a.r.since_ms > 0, "first find waits");
	b = find(1, "s2", NULL, NULL, NULL, 3000, 0);
	ok(IS_MATCHED(b, "s1") && strcmp(b.r.partner_node, "n1") == 0,
	    "a find on node 2 matches the session waiting on node 1");
	run_until(&note_count, 1, 5);
	ok(note_count == 1 && note_node[1] == 0 &&
	    strcmp(note_partner[1], "s2") == 0,
	    "node 1 hears that s1 was matched with s2");
	is_int(queue_len(), 0, "both left the queue");

	/* a match on one node: its node has the answer, no note */
	note_count = 0;
	a = find(0, "s30", NULL, NULL, NULL, 3000, 0);
	b = find(0, "s31", NULL, NULL, NULL, 3000, 0);
	ok(IS_WAITING(a) && IS_MATCHED(b, "s30"), "two finds on node 1 match");
	a = find(1, "s32", NULL, NULL, NULL, 3000, 0);
	b = find(2, "s33", NULL, NULL, NULL, 3000, 0);
	ok(IS_WAITING(a) && IS_MATCHED(b, "s32"), "and two across nodes");
	run_until(&note_count, 1, 5);
	run_until(&note_count, 2, 0.5);	/* a second would come by now */
	ok(note_count == 1 && note_node[sess_index("s32")] == 1,
	    "only the pair across nodes makes a note");

	/* the oldest compatible waiter */
	a = find(0, "s3", "s4", NULL, NULL, 3000, 0);
	b = find(1, "s4", "s3", NULL, NULL, 3000, 0);
	ok(IS_WAITING(a) && IS_WAITING(b), "two waiters that just parted "
	    "are not matched together");
	c = find(2, "s5", NULL, NULL, NULL, 3000, 0);
	ok(IS_MATCHED(c, "s3"), "a newcomer gets the oldest waiter");
	is_int(cancel("s4"), 1, "cancel removes a waiter");
	is_int(cancel("s4"), 0, "cancel of a session not queued says so");
	is_int(queue_len(), 0, "queue empty");

	/* interests */
	a = find(0, "s6", NULL, "cats", NULL, 3000, 0);
	b = find(1, "s7", NULL, "dogs", NULL, 3000, 0);
	ok(IS_WAITING(a) && IS_WAITING(b), "no shared interest: both wait");
	c = find(2, "s8", NULL, "birds", "dogs", 3000, 0);
	ok(IS_MATCHED(c, "s7"), "a shared interest beats an older waiter");
	d = find(2, "s9", NULL, NULL, NULL, 3000, 0);
	ok(IS_WAITING(d), "no interests: not matched with one that has "
	    "interests before its wait is over");
	c = find(1, "s10", NULL, NULL, NULL, 0, 0);
	ok(IS_MATCHED(c, "s6"), "after the interest wait, the oldest "
	    "waiter will take anyone");
	is_int(cancel("s9"), 1, "cancel");

	/* never yourself */
	a = find(0, "s11", NULL, NULL, NULL, 3000, 0);
	b = find(2, "s11", NULL, NULL, NULL, 3000, 0);
	ok(IS_WAITING(b) && b.r.since_ms == a.r.since_ms,
	    "a second find of a waiting session keeps its place, unmatched");
	is_int(queue_len(), 1, "and it is queued once");

	/* never the partner just left, both directions */
	b = find(1, "s12", "s11", NULL, NULL, 3000, 0);
	ok(IS_WAITING(b), "never the partner just left (finder's last)");
	c = find(2, "s13", NULL, NULL, NULL, 3000, 0);
	ok(IS_MATCHED(c, "s11"), "someone else gets it");
	a = find(0, "s14", "s12", NULL, NULL, 3000, 0);
	ok(IS_WAITING(a), "never the partner just left (waiter's last)");
	c = find(2, "s15", NULL, NULL, NULL, 3000, 0);
	ok(IS_MATCHED(c, "s12"), "the older one goes to a third session");
	is_int(cancel("s14"), 1, "cancel");

	/* held: keeps its place, not matched */
	a = find(0, "s16", NULL, NULL, NULL, 3000, 0);
	is_int(hold("s16", 0), 1, "hold a waiter");
	b = find(1, "s17", NULL, NULL, NULL, 3000, 0);
	ok(IS_WAITING(b), "a held session is not matched");
	is_int(hold("s16", 1), 1, "release it");
	c = find(2, "s18", NULL, NULL, NULL, 3000, 0);
	ok(IS_MATCHED(c, "s16"), "released, it is matched first (its place)");
	/* retry of a session matched meanwhile */
	d = find(0, "s17", NULL, NULL, NULL, 3000, 1);
	ok(IS_WAITING(d), "retry of a queued session waits");
	c = find(2, "s19", NULL, NULL, NULL, 3000, 0);
	ok(IS_MATCHED(c, "s17"), "matched from another node");
	d = find(0, "s17", NULL, NULL, NULL, 3000, 1);
	ok(d.err == 0 && d.r.what == CLUSTER_FIND_GONE,
	    "a retry after being matched is GONE, not queued again");
	is_int(queue_len(), 0, "queue empty");

	/* purge a dead node's waiters */
	find(2, "s20", NULL, NULL, NULL, 3000, 0);
	find(2, "s21", "s20", NULL, NULL, 3000, 0);
	find(0, "s22", "s20", "x", NULL, 3000, 0);
	{
		struct dres dr = { 0, 0, -1 };

		ok(cluster_queue_purge_node(nodes[0].q, "n3", done_cb, &dr) ==
		    0 && run_until(&dr.done, 1, 5) == 0 && dr.n == 2,
		    "purge removes the dead node's two waiters");
	}
	is_int(queue_len(), 1, "the other node's waiter stays");
	cancel("s22");

	/* bad arguments are refused before Redis */
	ok(find(0, "bad id", NULL, NULL, NULL, 3000, 0).err == -2,
	    "a session id with a space is refused");
	ok(find(0, "s23", NULL, "", NULL, 3000, 0).err == -2,
	    "an empty interest is refused");
}

/* 500 finds at once over three nodes. */
static struct fres many[NSESS];

/*
 * A queue longer than the script's ZRANGE page (64): a waiter that shares
 * the finder's interest far down the queue is found, also when waiters
 * whose hashes expired are dropped from the pages walked before it (the
 * next page's offset must not skip one), and a finder without interests
 * gets the oldest waiter open to anyone.
 */
static void
long_queue(void)
{
	char id[16], key[64], in[16];
	const char *del[2] = { "DEL", key };
	struct fres f;
	int i, waiting = 0;

	for (i = 0; i < 150; i++) {
		snprintf(id, sizeof(id), "q%d", i);
		snprintf(in, sizeof(in), "x%d", i);	/* none shared */
		f = find(0, id, NULL, i == 70 ? "y" : in, NULL, 60000, 0);
		waiting += IS_WAITING(f);
	}
	is_int(waiting, 150, "150 waiters with interests queue");
	for (i = 10; i < 40; i++) {	/* gone without a cancel */
		snprintf(key, sizeof(key), PFX "w:q%d", i);
		raw(2, del);
	}
	f = find(1, "q900", NULL, "y", NULL, 60000, 0);
	ok(IS_MATCHED(f, "q70"), "an interest shared by the 71st waiter "
	    "is found on the second page, past 30 stale ones on the first");
	is_int(queue_len(), 150 - 1 - 30, "the stale ones walked over are gone");
	f = find(1, "q901", NULL, "z", NULL, 60000, 0);
	ok(IS_WAITING(f), "no shared interest, nobody open yet: it waits");
	f = find(2, "q902", NULL, NULL, NULL, 60000, 0);
	ok(f.err == 0 && f.r.what == CLUSTER_FIND_WAITING,
	    "no interests: the waiters with interests are not open yet");
	for (i = 0; i < 150; i++) {
		snprintf(id, sizeof(id), "q%d", i);
		cancel(id);
	}
	cancel("q901");
	cancel("q902");
	is_int(queue_len(), 0, "queue empty again");
}

static void
concurrency(void)
{
	char ids[NSESS][16];
	const char *x = "x";
	struct cluster_find cf;
	int i, ndone = 0, bad = 0, symmetric = 0, pairs = 0, waiting[2] = { 0, 0 };
	int seen[NSESS], cross = 0, errs = 0, remote = 0;

	memset(many, 0, sizeof(many));
	memset(seen, 0, sizeof(seen));
	memset(note_partner, 0, sizeof(note_partner));
	note_count = 0;
	for (i = 0; i < NSESS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "s%d", i);
		memset(&cf, 0, sizeof(cf));
		cf.session = ids[i];
		cf.node = nodes[i % NODES].name;
		cf.interests = &x;
		cf.ninterests = i % 5 == 0;	/* 100 with interest "x" */
		cf.wait_ms = 3000;
		if (cluster_queue_find(nodes[i % NODES].q, &cf, find_cb,
		    &many[i]) != 0)
			errs++;
	}
	is_int(errs, 0, "500 finds sent at once (pipelined on 3 nodes)");
	for (i = 0; i < NSESS; i++) {
		run_until(&many[i].done, 1, 20);
		ndone += many[i].done && many[i].err == 0;
	}
	is_int(ndone, NSESS, "500 answers");
	for (i = 0; i < NSESS; i++) {
		int p;

		if (many[i].r.what != CLUSTER_FIND_MATCHED)
			continue;
		pairs++;
		p = sess_index(many[i].r.partner);
		if (p < 0 || p == i) {
			bad++;
			continue;
		}
		seen[i]++;
		seen[p]++;
		if ((i % 5 == 0) != (p % 5 == 0))
			cross++;
	}
	for (i = 0; i < NSESS; i++)
		if (seen[i] > 1)
			bad++;
	is_int(bad, 0, "no session matched twice, nor with itself");
	is_int(cross, 0, "no pair across interests");
	for (i = 0; i < NSESS; i++) {
		int p;

		if (many[i].r.what != CLUSTER_FIND_MATCHED ||
		    (p = sess_index(many[i].r.partner)) < 0)
			continue;
		if (p % NODES != i % NODES)
			remote++;
	}
	run_until(&note_count, remote, 10);
	run_until(&note_count, remote + 1, 0.5);	/* none more */
	for (i = 0; i < NSESS; i++) {
		int p;

		if (many[i].r.what != CLUSTER_FIND_MATCHED ||
		    (p = sess_index(many[i].r.partner)) < 0)
			continue;
		if (p % NODES == i % NODES) {
			if (note_partner[p][0] == '\0')
				symmetric++;
		} else if (strcmp(note_partner[p], ids[i]) == 0 &&
		    note_node[p] == p % NODES)
			symmetric++;
	}
	is_int(symmetric, pairs, "pairs are symmetric: each waiter's node "
	    "heard of its finder, but when it is the finder's own");
	is_int(note_count, remote, "one note per pair across nodes");
	for (i = 0; i < NSESS; i++)
		if (seen[i] == 0)
			waiting[i % 5 == 0]++;
	ok(waiting[0] <= 1 && waiting[1] <= 1, "at most one left waiting "
	    "per kind (%d, %d), %d pairs", waiting[0], waiting[1], pairs);
	is_int(queue_len(), waiting[0] + waiting[1],
	    "the unmatched ones are exactly what is queued");
	for (i = 0; i < NSESS; i++)
		if (seen[i] == 0)
			cancel(ids[i]);
}

static void
reconnect(void)
{
	struct fres f;
	int want;
	const char *flush[] = { "SCRIPT", "FLUSH" };

	printf("# kill-redis\n");
	fflush(stdout);
	want = total_downs + NODES;
	run_until(&total_downs, want, 15);
	is_int(total_downs, want, "Redis killed: every node's down callback "
	    "fires");
	ok(!cluster_redis_is_up(nodes[0].r) &&
	    find(0, "s40", NULL, NULL, NULL, 3000, 0).err == -2,
	    "while down, a find is refused at once (local pairing's cue)");
	run_for(0.5);
	printf("# start-redis\n");
	fflush(stdout);
	want = total_ups + NODES;
	run_until(&total_ups, want, 20);
	is_int(total_ups, want, "Redis back: every node's up callback fires "
	    "without a restart");
	raw(2, flush);
	note_count = 0;
	f = find(2, "s41", NULL, NULL, NULL, 3000, 0);
	ok(IS_WAITING(f), "after the restart, with no script cached, a find "
	    "works (EVAL after NOSCRIPT)");
	f = find(1, "s42", NULL, NULL, NULL, 3000, 0);
	ok(IS_MATCHED(f, "s41"), "and matches across nodes again");
	run_until(&note_count, 1, 5);
	ok(note_count == 1 && note_node[41] == 2,
	    "subscriptions came back: node 3 hears of its match");
}

static void
auth_fails(const char *url_s)
{
	struct redis_url u;
	struct cluster_redis *r;
	struct cluster_redis_cbs cbs;
	struct node n;
	char bad[600], *at;

	memset(&n, 0, sizeof(n));
	memset(&cbs, 0, sizeof(cbs));
	cbs.up = up_cb;
	cbs.down = down_cb;
	cbs.arg = &n;
	/* same URL, wrong password */
	strlcpy(bad, url_s, sizeof(bad));
	if ((at = strchr(bad, '@')) == NULL) {
		ok(1, "# skip: no password in the URL");
		return;
	}
	snprintf(bad, sizeof(bad), "redis://:wrong-password%s", at);
	if (redis_url_parse(bad, &u, NULL, 0) != 0 ||
	    (r = cluster_redis_new(base, &u, &cbs, NULL)) == NULL) {
		ok(0, "wrong password link");
		return;
	}
	cluster_redis_start(r);
	run_for(1.0);
	ok(n.ups == 0 && !cluster_redis_is_up(r),
	    "a wrong password never comes up");
	cluster_redis_free(r);
}

int
main(void)
{
	const char *url_s = getenv("MTEST_REDIS_URL");
	struct cluster_redis_timing t = { 1000, 200, 1000, 50, 400 };
	struct cluster_redis_cbs cbs;
	struct redis_url url;
	struct event *tick;
	struct timeval tv = { 0, 20000 };
	char why[256];
	int i, up = 0;

	if (url_s == NULL) {
		printf("1..0 # SKIP MTEST_REDIS_URL not set (run through "
		    "test_cluster_queue.py)\n");
		return 0;
	}
	log_set_level(LOG_LEVEL_ERROR);
	base = event_base_new();
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick, &tv);
	if (redis_url_parse(url_s, &url, why, sizeof(why)) != 0) {
		printf("Bail out! %s: %s\n", url_s, why);
		return 1;
	}
	for (i = 0; i < NODES; i++) {
		struct redis_url u = url;

		/* node 2 by name: the resolver thread's path */
		if (i == 1)
			strlcpy(u.host, "localhost", sizeof(u.host));
		snprintf(nodes[i].name, sizeof(nodes[i].name), "n%d", i + 1);
		memset(&cbs, 0, sizeof(cbs));
		cbs.up = up_cb;
		cbs.down = down_cb;
		cbs.message = msg_cb;
		cbs.arg = &nodes[i];
		nodes[i].r = cluster_redis_new(base, &u, &cbs, &t);
		nodes[i].q = cluster_queue_new(nodes[i].r, PFX);
		snprintf(why, sizeof(why), PFX "node:%s", nodes[i].name);
		cluster_redis_subscribe(nodes[i].r, why);
		cluster_redis_start(nodes[i].r);
	}
	for (i = 0; i < NODES; i++) {
		run_until(&nodes[i].ups, 1, 10);
		up += nodes[i].ups == 1;
	}
	is_int(up, NODES, "three nodes join Redis (AUTH, SELECT, one by "
	    "host name)");
	if (up != NODES)
		return done_testing();
	cluster_queue_load(nodes[0].q);
	rules();
	long_queue();
	concurrency();
	auth_fails(url_s);
	reconnect();
	for (i = 0; i < NODES; i++) {
		cluster_queue_free(nodes[i].q);
		cluster_redis_free(nodes[i].r);
	}
	event_free(tick);
	event_base_free(base);
	return done_testing();
}
