/*
 * fuzz_sdp.c - libFuzzer target: the SDP and candidate filter
 * (signaling/sdp.c).  With relay-only, no candidate line that is not
 * "typ relay" survives, whatever the input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *out, *line;
	size_t outlen;

	if (sdp_filter((const char *)data, len, 1, &out, &outlen) == 0) {
		for (line = out; line != NULL; line = strchr(line, '\n')) {
			if (*line == '\n')
				line++;
			if (strncmp(line, "a=candidate:", 12) == 0 &&
			    strstr(line, " typ relay") == NULL)
				abort();
		}
		free(out);
	}
	if (sdp_filter_candidate((const char *)data, len, 1, &out) == 0 &&
	    out != NULL) {
		if (len > 0 && strstr(out, " typ relay") == NULL)
			abort();
		free(out);
	}
	return 0;
}
