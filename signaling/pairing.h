/*
 * pairing.h - the waiting queue and the pair table.
 *
 * The queue matches sessions as SPEC's `find` says: a session is never
 * matched with itself or with the partner it just left (in either
 * direction); among the others, the longest-waiting one that shares an
 * interest is preferred; a session with interests is matched with one that
 * shares none only after it waited PAIR_INTEREST_WAIT (and so is the other
 * side).  Sessions that are not eligible (a dropped socket waiting for
 * `resume`) keep their place but are not matched.  Pure: the clock comes
 * in as an argument.
 *
 * The pair table answers "are a and b partners now?" from any thread (the
 * relay's peer-policy hook runs on its workers) under a read-write lock;
 * the loop thread writes it when pairs form and end.
 */
#ifndef MEETOPIA_SIG_PAIRING_H
#define MEETOPIA_SIG_PAIRING_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include "signaling/msg.h"

#define PAIR_ID_LEN		22	/* base64url of 16 random bytes */
#define PAIR_INTEREST_WAIT	3000	/* ms before any partner will do */

struct pair_node {
	TAILQ_ENTRY(pair_node)	 entry;
	int			 queued;
	int			 eligible;
	uint64_t		 since;		/* when it joined the queue, ms */
	char			 id[PAIR_ID_LEN + 1];
	char			 last[PAIR_ID_LEN + 1];	/* partner just left */
	char			*interests[MSG_INTERESTS_MAX];
	size_t			 ninterests;
};

struct pair_queue {
	TAILQ_HEAD(, pair_node)	 q;
	size_t			 n;
	uint64_t		 wait;		/* PAIR_INTEREST_WAIT, ms */
};

void		 pair_queue_init(struct pair_queue *, uint64_t wait);
/* Replaces the node's interests with copies (trimmed, ASCII lower case,
 * duplicates and empty ones dropped); -1 on out of memory. */
int		 pair_set_interests(struct pair_node *, const char *const *,
		    size_t);
void		 pair_clear_interests(struct pair_node *);
/* Queues the node at the end (keeps its place if queued already). */
void		 pair_enqueue(struct pair_queue *, struct pair_node *,
		    uint64_t now);
void		 pair_dequeue(struct pair_queue *, struct pair_node *);
/* The best partner in the queue for a queued node, or NULL. */
struct pair_node *pair_match(struct pair_queue *, struct pair_node *,
		    uint64_t now);
#ifdef MEETOPIA_UNITTEST
/* Whether two nodes share an interest.  pairing.c's own (UNITTEST). */
int		 pair_shared(const struct pair_node *, const struct pair_node *);
#endif

struct pair_table;

struct pair_table *pair_table_new(void);
void		 pair_table_free(struct pair_table *);
/* Records a and b as partners (each replaces any earlier partner). */
int		 pair_table_set(struct pair_table *, const char *a,
		    const char *b);
/* Forgets whatever partner a has. */
void		 pair_table_clear(struct pair_table *, const char *a);
int		 pair_table_are(struct pair_table *, const char *a,
		    const char *b);
size_t		 pair_table_size(struct pair_table *);

#endif
