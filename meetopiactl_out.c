/*
 * meetopiactl_out.c - meetopiactl's output for people and for programs:
 * times, text from the database made safe for a terminal, aligned tables
 * (table_print frees the table) and --json documents.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/log.h"
#include "meetopiactl.h"

void
fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		strlcpy(buf, "-", len);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

/*
 * Text from the database for a terminal: control characters become '?'
 * (the store drops them on the way in, but the file may have been edited),
 * at most maxcp code points, "..." when cut.
 */
void
fmt_text(const char *s, size_t maxcp, char *out, size_t outlen)
{
	size_t o = 0, cp = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0' && o + 5 < outlen) {
		size_t n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
		size_t k;

		if (cp == maxcp) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			out[o++] = '?';
			p++;
		} else {
			for (k = 0; k < n && p[k] != '\0'; k++)
				out[o++] = (char)p[k];
			p += k;
		}
		cp++;
	}
	out[o] = '\0';
}

/* Display width of UTF-8 text: its code points. */
static size_t
text_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}


void
table_rowv(struct table *t, const char *const *row)
{
	int i;

	if (t->nrows == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		char **nv = reallocarray(t->cells, nc * TABLE_COLS,
		    sizeof(char *));

		if (nv == NULL) {
			log_fatalx("out of memory");
			exit(EXIT_RUNTIME);
		}
		t->cells = nv;
		t->cap = nc;
	}
	for (i = 0; i < t->ncol; i++)
		if ((t->cells[t->nrows * TABLE_COLS + i] = strdup(row[i])) ==
		    NULL) {
			log_fatalx("out of memory");
			exit(EXIT_RUNTIME);
		}
	t->nrows++;
}

void
table_row(struct table *t, ...)
{
	const char *row[TABLE_COLS];
	va_list ap;
	int i;

	va_start(ap, t);
	for (i = 0; i < t->ncol && i < TABLE_COLS; i++)
		row[i] = va_arg(ap, const char *);
	va_end(ap);
	table_rowv(t, row);
}

void
table_free(struct table *t)
{
	size_t r;

	for (r = 0; r < t->nrows * TABLE_COLS; r++)
		if (r % TABLE_COLS < (size_t)t->ncol)
			free(t->cells[r]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

void
table_print(struct table *t)
{
	size_t w[TABLE_COLS] = { 0 }, r, n;
	int i;

	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncol; i++)
			if ((n = text_width(t->cells[r * TABLE_COLS + i])) >
			    w[i])
				w[i] = n;
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncol; i++) {
			const char *s = t->cells[r * TABLE_COLS + i];

			if (i == t->ncol - 1)
				printf("%s\n", s);
			else
				printf("%s%*s", s, (int)(w[i] - text_width(s) +
				    2), "");
		}
	}
	table_free(t);
}

int
print_json(json_t *doc)
{
	if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER) != 0) {
		json_decref(doc);
		log_fatalx("out of memory");
		return EXIT_RUNTIME;
	}
	putchar('\n');
	json_decref(doc);
	return 0;
}
