/*
 * config_int.h - what the configuration's files share and nobody else
 * needs: the key table's shape and the per-type steps (see config.h for
 * the interface).
 *
 * config_keys.c holds the table of SPEC's keys, config_value.c parses one
 * value by its type, config_dump.c writes values back out (--check-config,
 * SIGHUP reconcile) and config.c reads the sources in their precedence.
 */
#ifndef MEETOPIA_CONFIG_INT_H
#define MEETOPIA_CONFIG_INT_H

#include <stddef.h>
#include <stdio.h>

#include "common/config.h"

enum cfg_type {
	T_ADDRS,	/* repeatable IP literals */
	T_PORT,		/* 1-65535 */
	T_PORT0,	/* 0-65535, 0 = off */
	T_STR,		/* one-line text */
	T_PATH,		/* a file or folder name */
	T_STRS,		/* repeatable text */
	T_SECRETS,	/* repeatable text, masked in --check-config */
	T_DUR,		/* duration, in range */
	T_INT,		/* integer, in range */
	T_ADDR,		/* one IP literal */
	T_EXTIP,	/* PUBLIC or PUBLIC/PRIVATE */
	T_RANGES,	/* repeatable CIDR or A-B */
	T_BOOL,
	T_ORIGINS,	/* repeatable scheme://host[:port] */
	T_LOGLEVEL,
	T_REDIS,	/* a Redis URL (redis_url.h); a secret when it has a password */
	T_TOKEN,	/* one word: letters, digits and . _ : { } - */
	T_DNSNAME	/* a DNS host name (not an IP address), kept lower case */
};

struct cfg_key {
	const char	*name;
	enum cfg_type	 type;
	size_t		 off;
	long long	 min, max;
	const char	*def;		/* NULL: unset (see the comment) */
	int		 live;		/* may change on SIGHUP */
	const char	*unset;		/* what an unset value means */
};

#define DAY	86400LL

/* The field of cfg that key k describes, as a pointer to type. */
#define FIELD(cfg, k, type)	((type *)(void *)((char *)(cfg) + (k)->off))
/* The same, read-only. */
#define CFIELD(cfg, k, type) \
	((type const *)(const void *)((const char *)(cfg) + (k)->off))

/* config_keys.c */
extern const struct cfg_key	 cfg_keys[];
extern const size_t		 cfg_nkeys;
const struct cfg_key	*cfg_find(const char *name, size_t *idx);
int			 cfg_is_list(const struct cfg_key *);

/* config_value.c */
void	 cfg_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 cfg_store(struct config *, const struct cfg_key *, const char *v,
	    char *why, size_t whylen);
void	 cfg_clear_key(struct config *, const struct cfg_key *);
int	 cfg_strs_add(struct cfg_strs *, const char *);

/* config_dump.c */
void	 cfg_format(const struct config *, const struct cfg_key *, int mask,
	    FILE *);

#endif
