/*
 * pairing.c - the waiting queue and the pair table (see pairing.h).
 */
#include "config.h"

#include <sys/tree.h>

/* libbsd's RB_GENERATE_STATIC marks its functions __unused. */
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/unittest.h"
#include "signaling/pairing.h"

void
pair_queue_init(struct pair_queue *pq, uint64_t wait)
{
	TAILQ_INIT(&pq->q);
	pq->n = 0;
	pq->wait = wait;
}

void
pair_clear_interests(struct pair_node *n)
{
	size_t i;

	for (i = 0; i < n->ninterests; i++)
		free(n->interests[i]);
	n->ninterests = 0;
}

int
pair_set_interests(struct pair_node *n, const char *const *v, size_t nv)
{
	size_t i, j, len;
	const char *s;
	char *c;

	pair_clear_interests(n);
	for (i = 0; i < nv && i < MSG_INTERESTS_MAX; i++) {
		s = v[i];
		while (*s == ' ' || *s == '\t')
			s++;
		len = strlen(s);
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0)
			continue;
		if ((c = strndup(s, len)) == NULL) {
			pair_clear_interests(n);
			return -1;
		}
		for (j = 0; j < len; j++)
			c[j] = (char)tolower((unsigned char)c[j]);
		for (j = 0; j < n->ninterests; j++)
			if (strcmp(n->interests[j], c) == 0)
				break;
		if (j < n->ninterests) {
			free(c);
			continue;
		}
		n->interests[n->ninterests++] = c;
	}
	return 0;
}

UNITTEST int
pair_shared(const struct pair_node *a, const struct pair_node *b)
{
	size_t i, j;

	for (i = 0; i < a->ninterests; i++)
		for (j = 0; j < b->ninterests; j++)
			if (strcmp(a->interests[i], b->interests[j]) == 0)
				return 1;
	return 0;
}

void
pair_enqueue(struct pair_queue *pq, struct pair_node *n, uint64_t now)
{
	if (n->queued)
		return;
	TAILQ_INSERT_TAIL(&pq->q, n, entry);
	n->queued = 1;
	n->since = now;
	pq->n++;
}

void
pair_dequeue(struct pair_queue *pq, struct pair_node *n)
{
	if (!n->queued)
		return;
	TAILQ_REMOVE(&pq->q, n, entry);
	n->queued = 0;
	pq->n--;
}

/* Whether n will take a partner that shares none of its interests. */
static int
open_to_anyone(const struct pair_queue *pq, const struct pair_node *n,
    uint64_t now)
{
	return n->ninterests == 0 || now >= n->since + pq->wait;
}

struct pair_node *
pair_match(struct pair_queue *pq, struct pair_node *n, uint64_t now)
{
	struct pair_node *c, *any = NULL;

	if (!n->eligible)
		return NULL;
	TAILQ_FOREACH(c, &pq->q, entry) {
		if (c == n || !c->eligible || strcmp(c->id, n->id) == 0)
			continue;
		/* never the partner just left, whichever side left */
		if (strcmp(c->id, n->last) == 0 || strcmp(n->id, c->last) == 0)
			continue;
		if (pair_shared(n, c))
			return c;
		if (any == NULL && open_to_anyone(pq, n, now) &&
		    open_to_anyone(pq, c, now)) {
			any = c;
			if (n->ninterests == 0)
				break;	/* nobody can share one with n */
		}
	}
	return any;
}

/* ------------------------------------------------------------------ */

struct pt_entry {
	RB_ENTRY(pt_entry)	 node;
	char			 id[PAIR_ID_LEN + 1];
	char			 partner[PAIR_ID_LEN + 1];
};

static int
pt_cmp(struct pt_entry *a, struct pt_entry *b)
{
	return strcmp(a->id, b->id);
}

RB_HEAD(pt_tree, pt_entry);
RB_GENERATE_STATIC(pt_tree, pt_entry, node, pt_cmp)

struct pair_table {
	pthread_rwlock_t	 lock;
	struct pt_tree		 t;
	size_t			 n;
};

struct pair_table *
pair_table_new(void)
{
	struct pair_table *pt;

	if ((pt = calloc(1, sizeof(*pt))) == NULL)
		return NULL;
	if (pthread_rwlock_init(&pt->lock, NULL) != 0) {
		free(pt);
		return NULL;
	}
	RB_INIT(&pt->t);
	return pt;
}

void
pair_table_free(struct pair_table *pt)
{
	struct pt_entry *e, *next;

	if (pt == NULL)
		return;
	RB_FOREACH_SAFE(e, pt_tree, &pt->t, next) {
		RB_REMOVE(pt_tree, &pt->t, e);
		free(e);
	}
	pthread_rwlock_destroy(&pt->lock);
	free(pt);
}

static int
valid_id(const char *s)
{
	return s != NULL && strlen(s) == PAIR_ID_LEN;
}

/* Sets a's partner; with the write lock held. */
static int
pt_put(struct pair_table *pt, const char *a, const char *b)
{
	struct pt_entry key, *e;

	strlcpy(key.id, a, sizeof(key.id));
	if ((e = RB_FIND(pt_tree, &pt->t, &key)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return -1;
		strlcpy(e->id, a, sizeof(e->id));
		RB_INSERT(pt_tree, &pt->t, e);
		pt->n++;
	}
	strlcpy(e->partner, b, sizeof(e->partner));
	return 0;
}

static void
pt_del(struct pair_table *pt, const char *a)
{
	struct pt_entry key, *e;

	strlcpy(key.id, a, sizeof(key.id));
	if ((e = RB_FIND(pt_tree, &pt->t, &key)) != NULL) {
		RB_REMOVE(pt_tree, &pt->t, e);
		pt->n--;
		free(e);
	}
}

int
pair_table_set(struct pair_table *pt, const char *a, const char *b)
{
	int rc = 0;

	if (!valid_id(a) || !valid_id(b) || strcmp(a, b) == 0)
		return -1;
	pthread_rwlock_wrlock(&pt->lock);
	if (pt_put(pt, a, b) != 0 || pt_put(pt, b, a) != 0) {
		pt_del(pt, a);
		pt_del(pt, b);
		rc = -1;
	}
	pthread_rwlock_unlock(&pt->lock);
	return rc;
}

void
pair_table_clear(struct pair_table *pt, const char *a)
{
	if (!valid_id(a))
		return;
	pthread_rwlock_wrlock(&pt->lock);
	pt_del(pt, a);
	pthread_rwlock_unlock(&pt->lock);
}

int
pair_table_are(struct pair_table *pt, const char *a, const char *b)
{
	struct pt_entry key, *e, *f;
	int yes = 0;

	if (!valid_id(a) || !valid_id(b))
		return 0;
	strlcpy(key.id, a, sizeof(key.id));
	pthread_rwlock_rdlock(&pt->lock);
	if ((e = RB_FIND(pt_tree, &pt->t, &key)) != NULL &&
	    strcmp(e->partner, b) == 0) {
		strlcpy(key.id, b, sizeof(key.id));
		f = RB_FIND(pt_tree, &pt->t, &key);
		yes = f != NULL && strcmp(f->partner, a) == 0;
	}
	pthread_rwlock_unlock(&pt->lock);
	return yes;
}

size_t
pair_table_size(struct pair_table *pt)
{
	size_t n;

	pthread_rwlock_rdlock(&pt->lock);
	n = pt->n;
	pthread_rwlock_unlock(&pt->lock);
	return n;
}
