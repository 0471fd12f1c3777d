/*
 * fuzz_config.c - libFuzzer target: the configuration file parser.
 *
 * Any byte string is either a valid configuration or refused with an error;
 * nothing crashes, leaks or reads past the end.  The parsed configuration is
 * also dumped, so the printer sees every value the parser accepts.
 */
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct config *cfg;
	char err[CFG_ERRLEN];
	FILE *null;

	log_set_level(LOG_LEVEL_ERROR);
	if ((cfg = cfg_new()) == NULL)
		return 0;
	if (cfg_parse_text(cfg, "fuzz.conf", (const char *)data, len, err,
	    sizeof(err)) == 0 && cfg_validate(cfg, err, sizeof(err)) == 0 &&
	    (null = fopen("/dev/null", "w")) != NULL) {
		cfg_dump(cfg, 1, null);
		fclose(null);
	}
	cfg_free(cfg);
	return 0;
}
