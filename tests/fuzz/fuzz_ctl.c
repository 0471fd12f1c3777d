/*
 * fuzz_ctl.c - libFuzzer target: meetopiactl's argument parser.
 *
 * The input is split at NUL bytes into argv words (so any argv a shell could
 * pass is reachable); the parser must accept or refuse with an error, never
 * crash, leak or read past a word.  The words also go through the other
 * parsers an admin's arguments reach: ban targets, reason text, token
 * lookup parts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/admin_token.h"
#include "db/ctl.h"
#include "db/db.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAXARGS	16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *buf, *argv[MAXARGS + 2], err[CTL_ERRLEN];
	char canon[DB_TARGET_MAX], text[DB_TEXT_MAX];
	char look[ADMIN_LOOKUP_LEN + 1];
	struct ctl_opts o;
	enum ban_kind kind;
	size_t i, start = 0;
	int argc = 0;

	if (len > 4096 || (buf = malloc(len + 1)) == NULL)
		return 0;
	memcpy(buf, data, len);
	buf[len] = '\0';
	argv[argc++] = "meetopiactl";
	for (i = 0; i <= len && argc <= MAXARGS; i++) {
		if (i == len || buf[i] == '\0') {
			buf[i] = '\0';
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	if (ctl_parse(argc, argv, &o, err, sizeof(err)) != 0 &&
	    strlen(err) >= sizeof(err))
		abort();	/* an error is always one terminated line */
	for (i = 1; i < (size_t)argc; i++) {
		ban_parse_target(argv[i], &kind, canon, sizeof(canon));
		db_text_clean(argv[i], strlen(argv[i]), DB_TEXT_CP, text,
		    sizeof(text));
		admin_token_lookup(argv[i], strlen(argv[i]), look);
	}
	free(buf);
	return 0;
}
