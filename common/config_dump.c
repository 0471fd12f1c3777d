/*
 * config_dump.c - writes configuration values back out: the lines of
 * --check-config (secrets masked) and, on SIGHUP, the comparison of the old
 * and new values that keeps the old value of a key that cannot change live.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config_int.h"
#include "common/redis_url.h"

/* "# key: what unset means", the line of a key with no value. */
static void
cfg_format_unset(const struct cfg_key *k, FILE *fp)
{
	fprintf(fp, "# %s: %s\n", k->name, k->unset);
}

/* T_ADDRS and T_RANGES: one line per address or range. */
static void
cfg_format_addrs(const struct config *c, const struct cfg_key *k, FILE *fp)
{
	const struct cfg_addrs *a = CFIELD(c, k, struct cfg_addrs);
	const struct cfg_ranges *r = CFIELD(c, k, struct cfg_ranges);
	char buf[128];
	size_t i;

	if (k->type == T_ADDRS) {
		for (i = 0; i < a->n; i++)
			fprintf(fp, "%s = %s\n", k->name,
			    addr_ntop(&a->v[i], buf, sizeof(buf)));
		if (a->n == 0)
			fprintf(fp, "# %s = (none)\n", k->name);
		return;
	}
	for (i = 0; i < r->n; i++)
		fprintf(fp, "%s = %s\n", k->name,
		    addr_range_ntop(&r->v[i], buf, sizeof(buf)));
	if (r->n == 0)
		cfg_format_unset(k, fp);
}

/* T_ADDR and T_EXTIP: one address, or PUBLIC/PRIVATE. */
static void
cfg_format_addr(const struct config *c, const struct cfg_key *k, FILE *fp)
{
	const struct maddr *m = CFIELD(c, k, struct maddr);
	const struct cfg_extip *e = CFIELD(c, k, struct cfg_extip);
	char buf[128], pub[128];

	if (k->type == T_ADDR) {
		if (m->family == 0)
			cfg_format_unset(k, fp);
		else
			fprintf(fp, "%s = %s\n", k->name,
			    addr_ntop(m, buf, sizeof(buf)));
		return;
	}
	if (!e->set) {
		cfg_format_unset(k, fp);
		return;
	}
	addr_ntop(&e->pub, pub, sizeof(pub));
	if (e->has_priv)
		fprintf(fp, "%s = %s/%s\n", k->name, pub,
		    addr_ntop(&e->priv, buf, sizeof(buf)));
	else
		fprintf(fp, "%s = %s\n", k->name, pub);
}

/* T_REDIS: the URL, its password masked when asked. */
static void
cfg_format_redis(const struct config *c, const struct cfg_key *k, int mask,
    FILE *fp)
{
	char *const *p = CFIELD(c, k, char *);
	struct redis_url u;
	char masked[REDIS_URL_HOST_MAX + REDIS_URL_CRED_MAX + 64];

	if (*p == NULL)
		cfg_format_unset(k, fp);
	else if (!mask)
		fprintf(fp, "%s = %s\n", k->name, *p);
	else if (redis_url_parse(*p, &u, NULL, 0) == 0) {
		redis_url_masked(&u, masked, sizeof(masked));
		redis_url_clear(&u);
		fprintf(fp, "%s = %s\n", k->name, masked);
	} else
		fprintf(fp, "%s = ********\n", k->name);
}

/* Text keys: one line, or one per list item (secrets masked when asked). */
static void
cfg_format_text(const struct config *c, const struct cfg_key *k, int mask,
    FILE *fp)
{
	char *const *p = CFIELD(c, k, char *);
	const struct cfg_strs *l = CFIELD(c, k, struct cfg_strs);
	size_t i;

	if (!cfg_is_list(k)) {
		if (*p == NULL)
			cfg_format_unset(k, fp);
		else
			fprintf(fp, "%s = %s\n", k->name, *p);
		return;
	}
	for (i = 0; i < l->n; i++)
		fprintf(fp, "%s = %s\n", k->name,
		    mask && k->type == T_SECRETS ? "********" : l->v[i]);
	if (l->n == 0)
		cfg_format_unset(k, fp);
}

/* Writes one key's value(s) as config lines. */
void
cfg_format(const struct config *c, const struct cfg_key *k, int mask,
    FILE *fp)
{
	switch (k->type) {
	case T_ADDRS:
	case T_RANGES:
		cfg_format_addrs(c, k, fp);
		break;
	case T_ADDR:
	case T_EXTIP:
		cfg_format_addr(c, k, fp);
		break;
	case T_PORT:
	case T_PORT0:
		fprintf(fp, "%s = %d\n", k->name, *CFIELD(c, k, int));
		break;
	case T_INT:
		fprintf(fp, "%s = %lld\n", k->name,
		    *CFIELD(c, k, long long));
		break;
	case T_DUR:
		fprintf(fp, "%s = %llds\n", k->name,
		    *CFIELD(c, k, long long));
		break;
	case T_BOOL:
		fprintf(fp, "%s = %s\n", k->name,
		    *CFIELD(c, k, int) ? "yes" : "no");
		break;
	case T_LOGLEVEL:
		fprintf(fp, "%s = %s\n", k->name,
		    log_level_name(*CFIELD(c, k, enum log_level)));
		break;
	case T_REDIS:
		cfg_format_redis(c, k, mask, fp);
		break;
	case T_STR:
	case T_PATH:
	case T_TOKEN:
	case T_DNSNAME:
	case T_STRS:
	case T_SECRETS:
	case T_ORIGINS:
		cfg_format_text(c, k, mask, fp);
		break;
	}
}

void
cfg_dump(const struct config *cfg, int mask, void *vfp)
{
	static const char *srcs[] = { "default", "file", "environment",
	    "command line" };
	FILE *fp = vfp;
	size_t i;

	for (i = 0; i < cfg_nkeys; i++) {
		const struct cfg_origin *o = &cfg->origins[i];

		if (o->src == CFG_SRC_FILE)
			fprintf(fp, "# from the file, line %d\n", o->line);
		else if (o->src != CFG_SRC_DEFAULT)
			fprintf(fp, "# from the %s\n", srcs[o->src]);
		cfg_format(cfg, &cfg_keys[i], mask, fp);
	}
}

/* One key's lines in a malloc'd buffer of *len bytes (NULL: no memory). */
static char *
cfg_format_str(const struct config *cfg, const struct cfg_key *k, size_t *len)
{
	char *buf = NULL;
	FILE *fp;

	*len = 0;
	if ((fp = open_memstream(&buf, len)) == NULL)
		return NULL;
	cfg_format(cfg, k, 0, fp);
	fclose(fp);
	return buf;
}


/* A copy of n elements of size bytes at v (NULL: no memory). */
static void *
cfg_memdup(const void *v, size_t n, size_t size)
{
	void *d;

	if ((d = calloc(n, size)) == NULL)
		return NULL;
	memcpy(d, v, n * size);
	return d;
}

/* The size of a key's field when it is a plain value (0: it owns memory). */
static size_t
cfg_scalar_size(const struct cfg_key *k)
{
	switch (k->type) {
	case T_ADDR:
		return sizeof(struct maddr);
	case T_EXTIP:
		return sizeof(struct cfg_extip);
	case T_PORT:
	case T_PORT0:
	case T_BOOL:
		return sizeof(int);
	case T_LOGLEVEL:
		return sizeof(enum log_level);
	case T_INT:
	case T_DUR:
		return sizeof(long long);
	default:
		return 0;
	}
}

/* Copies one key's value from src into dst (deep for lists and text). */
static int
cfg_copy_key(struct config *dst, const struct config *src,
    const struct cfg_key *k)
{
	size_t i, size;

	cfg_clear_key(dst, k);
	if ((size = cfg_scalar_size(k)) != 0) {
		memcpy(FIELD(dst, k, char), CFIELD(src, k, char), size);
		return 0;
	}
	switch (k->type) {
	case T_ADDRS: {
		const struct cfg_addrs *a = CFIELD(src, k, struct cfg_addrs);
		struct cfg_addrs *d = FIELD(dst, k, struct cfg_addrs);

		if (a->n > 0 &&
		    (d->v = cfg_memdup(a->v, a->n, sizeof(*d->v))) == NULL)
			return -1;
		d->n = a->n;
		return 0;
	}
	case T_RANGES: {
		const struct cfg_ranges *a = CFIELD(src, k, struct cfg_ranges);
		struct cfg_ranges *d = FIELD(dst, k, struct cfg_ranges);

		if (a->n > 0 &&
		    (d->v = cfg_memdup(a->v, a->n, sizeof(*d->v))) == NULL)
			return -1;
		d->n = a->n;
		return 0;
	}
	case T_STRS:
	case T_SECRETS:
	case T_ORIGINS: {
		const struct cfg_strs *a = CFIELD(src, k, struct cfg_strs);

		for (i = 0; i < a->n; i++)
			if (cfg_strs_add(FIELD(dst, k, struct cfg_strs),
			    a->v[i]) != 0)
				return -1;
		return 0;
	}
	default: {
		char *const *p = CFIELD(src, k, char *);

		if (*p != NULL &&
		    (*FIELD(dst, k, char *) = strdup(*p)) == NULL)
			return -1;
		return 0;
	}
	}
}

/* Compares old and new key by key; a key that cannot change live keeps
 * its old value.  cb hears of every key that changed, and whether live. */
void
cfg_reconcile(const struct config *old, struct config *new,
    void (*cb)(const char *, int, void *), void *arg)
{
	size_t i, la, lb;

	for (i = 0; i < cfg_nkeys; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		char *a = cfg_format_str(old, k, &la);
		char *b = cfg_format_str(new, k, &lb);
		int same = a != NULL && b != NULL && la == lb &&
		    memcmp(a, b, la) == 0;

		if (a != NULL)
			explicit_bzero(a, la);
		if (b != NULL)
			explicit_bzero(b, lb);
		free(a);
		free(b);
		if (same)
			continue;
		if (!k->live) {
			if (cfg_copy_key(new, old, k) != 0)
				log_err("config: %s: out of memory keeping the "
				    "old value", k->name);
			new->origins[i] = old->origins[i];
		}
		cb(k->name, k->live, arg);
	}
}
