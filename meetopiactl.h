/*
 * meetopiactl.h - what the files of the meetopiactl program share (the
 * program, not a module: nothing else includes this).
 */
#ifndef MEETOPIACTL_H
#define MEETOPIACTL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/ctl.h"

struct config;
struct db;

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

struct ctl {
	struct ctl_opts	 o;
	struct config	*cfg;
	const char	*state_dir;
	char		 dbpath[4096];
	struct db	*db;
	int64_t		 now;
};

/* meetopiactl_out.c */
#define TABLE_COLS	8

struct table {
	int		 ncol;
	char		*cell[TABLE_COLS];	/* the current row */
	char	       **cells;
	size_t		 nrows, cap;
};

/* "YYYY-MM-DD HH:MM" (UTC), or "-" for no time. */
void	fmt_time(int64_t t, char *buf, size_t len);
void	fmt_text(const char *s, size_t maxcp, char *out, size_t outlen);
/* Adds a row of t->ncol strings (copied). */
void	table_row(struct table *, ...);
void	table_rowv(struct table *, const char *const *row);
/* Frees the rows. */
void	table_free(struct table *);
/* Prints the rows with aligned columns, then frees them. */
void	table_print(struct table *);
/* Prints doc (taking it) on stdout: 0, or EXIT_RUNTIME. */
int	print_json(json_t *doc);

/* meetopiactl_stats.c */
struct maddr;
int	cmd_stats(struct ctl *);
void	stats_target(const struct config *, struct maddr *);
int	http_connect(const struct maddr *, int *fdp, const char **why);
int	http_read_all(int fd, char **out, size_t *outlen, const char **why);

/* meetopiactl.c: the first auth-secret, else the state dir's (free it) */
char	*cred_secret(struct ctl *);

/* meetopiactl_nodes.c */
int	cmd_nodes(struct ctl *);
int	cmd_drain(struct ctl *);

#endif
