/*
 * meetopiactl_stats.c - `meetopiactl stats`: GET /metrics from the running
 * daemon over its plain HTTP listener (a minimal HTTP/1.0 client with
 * timeouts and a size cap) and the figures as a table or JSON.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/log.h"
#include "common/rdwr.h"
#include "meetopiactl.h"


#define HTTP_MAX	(4 * 1024 * 1024)
#define HTTP_TIMEOUT_MS	3000

/* Where the daemon's plain HTTP listens, as seen from this host. */
void
stats_target(const struct config *cfg, struct maddr *a)
{
	static const uint8_t any6[16];

	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->ip[0] = 127;
	a->ip[3] = 1;
	if (cfg->listen.n > 0) {
		*a = cfg->listen.v[0];
		if (a->family == AF_INET && memcmp(a->ip, "\0\0\0\0", 4) == 0) {
			a->ip[0] = 127;
			a->ip[3] = 1;
		} else if (a->family == AF_INET6 &&
		    memcmp(a->ip, any6, 16) == 0)
			a->ip[15] = 1;
	}
	a->port = (uint16_t)cfg->http_port;
}

static int
wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

/* A connected TCP socket to a in *fdp: 0, or -1 with why set. */
int
http_connect(const struct maddr *a, int *fdp, const char **why)
{
	struct sockaddr_storage ss;
	socklen_t sl, el;
	int fd, e = 0;

	*fdp = -1;
	sl = addr_to_sockaddr(a, &ss);
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		if (errno != EINPROGRESS) {
			*why = strerror(errno);
			goto fail;
		}
		if (wait_fd(fd, POLLOUT, HTTP_TIMEOUT_MS) != 0) {
			*why = "no answer within 3 s";
			goto fail;
		}
		el = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 ||
		    e != 0) {
			*why = strerror(e != 0 ? e : errno);
			goto fail;
		}
	}
	*fdp = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

/* Reads until the peer closes (at most HTTP_MAX) into *out, NUL-ended:
 * 0, or -1 with why set. */
int
http_read_all(int fd, char **out, size_t *outlen, const char **why)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (wait_fd(fd, POLLIN, HTTP_TIMEOUT_MS) != 0) {
			*why = "no answer within 3 s";
			goto fail;
		}
		if (cap - len < 8192) {
			if (cap >= HTTP_MAX) {
				*why = "answer larger than 4 MiB";
				goto fail;
			}
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				*why = "out of memory";
				goto fail;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			*why = strerror(errno);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return -1;
}

/* Reads the whole response; 0 or -1 with why set. */
static int
http_get(const struct maddr *a, const char *path, char **out, size_t *outlen,
    const char **why)
{
	char req[256], host[ADDR_STRLEN];
	ssize_t n;
	int fd, rc;

	*out = NULL;
	*outlen = 0;
	if (http_connect(a, &fd, why) != 0)
		return -1;
	addr_ntop_port(a, host, sizeof(host));
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
	    "User-Agent: meetopiactl\r\nConnection: close\r\n\r\n", path,
	    host);
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		*why = "cannot send the request";
		close(fd);
		return -1;
	}
	rc = http_read_all(fd, out, outlen, why);
	close(fd);
	return rc;
}

/* One line of r, without its CR LF; -1 at the end. */
static int
rd_line(struct rd *r, const char **line, size_t *len)
{
	const uint8_t *p, *nl;
	size_t n;

	if (r->err || r->left == 0)
		return -1;
	nl = memchr(r->p, '\n', r->left);
	n = nl != NULL ? (size_t)(nl - r->p) + 1 : r->left;
	if (rd_bytes(r, &p, n) != 0)
		return -1;
	*line = (const char *)p;
	*len = n;
	while (*len > 0 && ((*line)[*len - 1] == '\n' ||
	    (*line)[*len - 1] == '\r'))
		(*len)--;
	return 0;
}

/*
 * Checks that resp is an HTTP 200 answer and leaves r at its body: 0, or
 * -1 having said why.
 */
static int
stats_body(const char *where, const char *resp, size_t len, struct rd *r)
{
	const char *line;
	size_t n;
	int status;

	rd_init(r, resp, len);
	if (rd_line(r, &line, &n) != 0 || n < 12 ||
	    strncmp(line, "HTTP/1.", 7) != 0) {
		log_fatalx("stats: http://%s/metrics: not an HTTP answer",
		    where);
		return -1;
	}
	status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
	    (line[11] - '0');
	if (status != 200) {
		log_fatalx("stats: http://%s/metrics: HTTP %.3s (is this "
		    "host in metrics-allow?)", where, line + 9);
		return -1;
	}
	while (rd_line(r, &line, &n) == 0 && n > 0)
		;		/* headers */
	return 0;
}

/*
 * One "name{labels} value" line of the exposition into name and value
 * (NUL-terminated): 0, or -1 for a line that is not one of our samples
 * (comments, histogram buckets, other names, too long).
 */
static int
stats_sample(const char *line, size_t n, char *name, size_t namelen,
    char *value, size_t valuelen)
{
	size_t sp;

	if (n == 0 || line[0] == '#')
		return -1;
	for (sp = n; sp > 0 && line[sp - 1] != ' '; sp--)
		;
	if (sp == 0 || sp - 1 >= namelen || n - sp >= valuelen)
		return -1;
	memcpy(name, line, sp - 1);
	name[sp - 1] = '\0';
	memcpy(value, line + sp, n - sp);
	value[n - sp] = '\0';
	if (strstr(name, "_bucket{") != NULL ||
	    strncmp(name, "meetopia_", 9) != 0)
		return -1;
	return 0;
}

int
cmd_stats(struct ctl *c)
{
	struct maddr a;
	struct rd r;
	struct table t = { .ncol = 2 };
	char where[ADDR_STRLEN], name[256], value[64], *resp;
	const char *why, *line;
	size_t len, n;
	json_t *metrics = NULL;
	int nsamples = 0;

	if (c->cfg->http_port == 0) {
		log_fatalx("stats: http-port is 0: the daemon serves no "
		    "/metrics over plain HTTP");
		return EXIT_RUNTIME;
	}
	stats_target(c->cfg, &a);
	addr_ntop_port(&a, where, sizeof(where));
	if (http_get(&a, "/metrics", &resp, &len, &why) != 0) {
		log_fatalx("stats: http://%s/metrics: %s (is meetopiad "
		    "running?)", where, why);
		return EXIT_RUNTIME;
	}
	if (stats_body(where, resp, len, &r) != 0 ||
	    (c->o.json && (metrics = json_object()) == NULL)) {
		free(resp);
		return EXIT_RUNTIME;
	}
	if (!c->o.json) {
		printf("meetopiad at %s\n", where);
		table_row(&t, "METRIC", "VALUE");
	}
	while (rd_line(&r, &line, &n) == 0) {
		if (stats_sample(line, n, name, sizeof(name), value,
		    sizeof(value)) != 0)
			continue;
		nsamples++;
		if (metrics != NULL) {
			char *end;
			double v = strtod(value, &end);

			json_object_set_new(metrics, name, *end == '\0' &&
			    v == (double)(json_int_t)v ? json_integer(
			    (json_int_t)v) : json_real(v));
		} else
			table_row(&t, name + 9, value);
	}
	free(resp);
	if (c->o.json)
		return print_json(json_pack("{ss so}", "daemon", where,
		    "metrics", metrics));
	table_print(&t);
	if (nsamples == 0)
		printf("(no figures)\n");
	return 0;
}
