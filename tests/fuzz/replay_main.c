/*
 * replay_main.c - runs a libFuzzer target's saved inputs without libFuzzer.
 *
 * Linked with each fuzz target into a plain program so that `make check`
 * replays the checked-in corpus (and every crash found, once saved there)
 * under the sanitizers: usage `replay FILE|DIR ...`.  Prints TAP, one line
 * per input.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int n;

static int
replay_file(const char *path)
{
	FILE *fp;
	uint8_t *buf;
	long len;

	if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		printf("not ok %d - %s: cannot read\n", ++n, path);
		if (fp != NULL)
			fclose(fp);
		return 1;
	}
	/* An exact-size heap copy, so ASan sees any read past the end. */
	if ((buf = malloc(len > 0 ? (size_t)len : 1)) == NULL ||
	    fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		printf("not ok %d - %s: cannot read\n", ++n, path);
		free(buf);
		fclose(fp);
		return 1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	printf("ok %d - %s\n", ++n, path);
	fflush(stdout);
	return 0;
}

static int
replay(const char *path)
{
	struct dirent **ents;
	struct stat st;
	char sub[4096];
	int i, k, rc = 0;

	if (stat(path, &st) != 0) {
		printf("not ok %d - %s: missing\n", ++n, path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((k = scandir(path, &ents, NULL, alphasort)) < 0) {
		printf("not ok %d - %s: cannot list\n", ++n, path);
		return 1;
	}
	for (i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path,
			    ents[i]->d_name);
			rc |= replay(sub);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		rc |= replay(argv[i]);
	printf("1..%d\n", n);
	return rc;
}
