/*
 * statedir.c - state dir, generated secrets, self-signed certificate
 * (see statedir.h).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "common/statedir.h"

static void
sd_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
statedir_init(const char *dir, char *err, size_t errlen)
{
	char path[4096], *p;
	struct stat st;

	if (strlcpy(path, dir, sizeof(path)) >= sizeof(path)) {
		sd_err(err, errlen, "%s: path too long", dir);
		return -1;
	}
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			sd_err(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) == 0)
		log_info("state dir %s created", path);
	else if (errno != EEXIST) {
		sd_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sd_err(err, errlen, "%s: not a folder", path);
		return -1;
	}
	if ((st.st_mode & 077) != 0)
		log_warn("state dir %s is readable by others (mode %o)", path,
		    st.st_mode & 0777);
	return 0;
}

/* Writes data to dir/name through dir/.name.tmp, mode 0600. */
static int
sd_write_atomic(const char *dir, const char *name, const void *data,
    size_t len, char *err, size_t errlen)
{
	char path[4096], tmp[4096];
	const char *p = data;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600))
	    < 0) {
		sd_err(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			sd_err(err, errlen, "%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		sd_err(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		sd_err(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

#define SD_SECRET_MAX	64	/* random bytes of a generated secret */

/* Reads the secret file open at fd (closed here) into *out. */
static int
secret_read(int fd, const char *path, char **out, char *err, size_t errlen)
{
	struct stat st;
	size_t i, len;
	ssize_t n;
	char *hex;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 16 || st.st_size > 1024) {
		sd_err(err, errlen, "%s: not a secret file (16 to "
		    "1024 bytes)", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		sd_err(err, errlen, "%s: readable by others (mode %o): "
		    "chmod 600 it", path, st.st_mode & 0777);
		close(fd);
		return -1;
	}
	len = (size_t)st.st_size;
	if ((hex = calloc(1, len + 1)) == NULL) {
		close(fd);
		sd_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	n = read(fd, hex, len);
	close(fd);
	if (n != (ssize_t)len) {
		free(hex);
		sd_err(err, errlen, "%s: short read", path);
		return -1;
	}
	while (len > 0 && (hex[len - 1] == '\n' || hex[len - 1] == '\r'))
		hex[--len] = '\0';
	for (i = 0; i < len; i++) {
		if ((unsigned char)hex[i] < 0x21 ||
		    (unsigned char)hex[i] > 0x7e) {
			explicit_bzero(hex, len);
			free(hex);
			sd_err(err, errlen, "%s: not printable", path);
			return -1;
		}
	}
	*out = hex;
	return 0;
}

/* Makes a secret of nbytes random bytes, in hex, and saves it as name. */
static int
secret_generate(const char *dir, const char *name, const char *path,
    size_t nbytes, char **out, char *err, size_t errlen)
{
	unsigned char raw[SD_SECRET_MAX];
	char *hex;
	size_t i;

	if (RAND_bytes(raw, (int)nbytes) != 1) {
		sd_err(err, errlen, "%s: no randomness from the CSPRNG", path);
		return -1;
	}
	if ((hex = malloc(nbytes * 2 + 2)) == NULL) {
		explicit_bzero(raw, sizeof(raw));
		sd_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (i = 0; i < nbytes; i++) {
		static const char digits[] = "0123456789abcdef";

		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	explicit_bzero(raw, sizeof(raw));
	hex[2 * nbytes] = '\n';
	if (sd_write_atomic(dir, name, hex, 2 * nbytes + 1, err, errlen) != 0) {
		explicit_bzero(hex, 2 * nbytes + 1);
		free(hex);
		return -1;
	}
	hex[2 * nbytes] = '\0';
	log_info("generated %s in the state dir", name);
	*out = hex;
	return 0;
}

int
statedir_secret(const char *dir, const char *name, size_t nbytes, char **out,
    char *err, size_t errlen)
{
	char path[4096];
	int fd;

	*out = NULL;
	if (nbytes == 0 || nbytes > SD_SECRET_MAX) {
		sd_err(err, errlen, "%s: bad secret size", name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) >= 0)
		return secret_read(fd, path, out, err, errlen);
	if (errno != ENOENT) {
		sd_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return secret_generate(dir, name, path, nbytes, out, err, errlen);
}

static int
sd_gen_selfsigned(const char *dir, char *err, size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *nm;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX ctx;
	BIO *bio = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char *data;
	long len;
	int rc = -1;

	if ((pkey = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		goto out;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	if (X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) == NULL ||
	    X509_set_pubkey(x, pkey) != 1)
		goto out;
	nm = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC,
	    (const unsigned char *)"Meetopia self-signed", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, nm) != 1)
		goto out;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    "DNS:localhost,IP:127.0.0.1,IP:::1")) == NULL ||
	    X509_add_ext(x, ext, -1) != 1)
		goto out;
	if (X509_sign(x, pkey, EVP_sha256()) == 0)
		goto out;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	len = BIO_get_mem_data(bio, &data);
	if (sd_write_atomic(dir, "key.pem", data, (size_t)len, err,
	    errlen) != 0) {
		rc = -2;
		goto out;
	}
	BIO_free(bio);
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(bio, x) != 1)
		goto out;
	len = BIO_get_mem_data(bio, &data);
	if (sd_write_atomic(dir, "cert.pem", data, (size_t)len, err,
	    errlen) != 0) {
		rc = -2;
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		sd_err(err, errlen, "generating a self-signed certificate "
		    "failed (OpenSSL)");
	BIO_free(bio);
	X509_EXTENSION_free(ext);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc == 0 ? 0 : -1;
}

int
statedir_selfsigned(const char *dir, char *cert, size_t certlen, char *key,
    size_t keylen, char *err, size_t errlen)
{
	struct stat st;

	snprintf(cert, certlen, "%s/cert.pem", dir);
	snprintf(key, keylen, "%s/key.pem", dir);
	if (stat(cert, &st) == 0 && stat(key, &st) == 0)
		return 0;
	if (sd_gen_selfsigned(dir, err, errlen) != 0)
		return -1;
	log_info("generated a self-signed certificate in %s (for testing: "
	    "set cert and pkey for production)", dir);
	return 0;
}
