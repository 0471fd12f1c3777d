/*
 * meetopiactl_nodes.c - `meetopiactl nodes` and `meetopiactl drain`: the
 * running daemon's GET /admin/v1/nodes (its cluster registry, or itself
 * alone; read like /metrics, from loopback or metrics-allow) and POST
 * /admin/v1/drain, signed with auth-secret (auth/ctlmac.h) so that only
 * who may read the secret can drain a node.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "auth/ctlmac.h"
#include "common/addr.h"
#include "common/config.h"
#include "common/log.h"
#include "meetopiactl.h"

/*
 * One request to the daemon; the answer's status and JSON body (NULL when
 * it has none): 0, or -1 having said why.
 */
static int
ctl_request(struct ctl *c, const char *what, const char *method,
    const char *path, const char *extra, const char *body, int *status,
    json_t **doc)
{
	struct maddr a;
	char where[ADDR_STRLEN], head[1024], *resp = NULL, *p;
	const char *why;
	size_t len, blen = body != NULL ? strlen(body) : 0;
	json_error_t e;
	int fd, n;

	*doc = NULL;
	if (c->cfg->http_port == 0) {
		log_fatalx("%s: http-port is 0: the daemon serves no plain "
		    "HTTP to ask", what);
		return -1;
	}
	stats_target(c->cfg, &a);
	addr_ntop_port(&a, where, sizeof(where));
	n = snprintf(head, sizeof(head), "%s %s HTTP/1.0\r\nHost: %s\r\n"
	    "User-Agent: meetopiactl\r\nConnection: close\r\n%s"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    method, path, where, extra != NULL ? extra : "", blen);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		log_fatalx("%s: request too long", what);
		return -1;
	}
	if (http_connect(&a, &fd, &why) != 0) {
		log_fatalx("%s: http://%s%s: %s (is meetopiad running?)", what,
		    where, path, why);
		return -1;
	}
	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) != n || (blen > 0 &&
	    send(fd, body, blen, MSG_NOSIGNAL) != (ssize_t)blen)) {
		log_fatalx("%s: http://%s%s: cannot send the request", what,
		    where, path);
		close(fd);
		return -1;
	}
	if (http_read_all(fd, &resp, &len, &why) != 0) {
		log_fatalx("%s: http://%s%s: %s", what, where, path, why);
		close(fd);
		return -1;
	}
	close(fd);
	if (len < 12 || strncmp(resp, "HTTP/1.", 7) != 0) {
		log_fatalx("%s: http://%s%s: not an HTTP answer", what, where,
		    path);
		free(resp);
		return -1;
	}
	*status = (resp[9] - '0') * 100 + (resp[10] - '0') * 10 +
	    (resp[11] - '0');
	if ((p = strstr(resp, "\r\n\r\n")) != NULL)
		*doc = json_loads(p + 4, 0, &e);
	free(resp);
	return 0;
}

/* The daemon's refusal: its message, or the status. */
static void
refused(const char *what, int status, json_t *doc)
{
	const char *m = json_string_value(json_object_get(json_object_get(doc,
	    "error"), "message"));

	if (m == NULL)
		m = json_string_value(json_object_get(doc, "message"));
	log_fatalx("%s: HTTP %d: %s", what, status, m != NULL ? m :
	    status == 403 ? "refused (is this host in metrics-allow?)" :
	    "refused");
}

int
cmd_nodes(struct ctl *c)
{
	struct table t = { .ncol = 7 };
	json_t *doc, *nodes, *n;
	size_t i;
	int status;

	if (ctl_request(c, "nodes", "GET", "/admin/v1/nodes", NULL, NULL,
	    &status, &doc) != 0)
		return EXIT_RUNTIME;
	if (status != 200 || !json_is_array(nodes = json_object_get(doc,
	    "nodes"))) {
		refused("nodes", status, doc);
		json_decref(doc);
		return EXIT_RUNTIME;
	}
	if (c->o.json) {
		json_incref(nodes);
		json_decref(doc);
		return print_json(json_pack("{s:o}", "nodes", nodes));
	}
	table_row(&t, "NAME", "ADDRESS", "STATE", "SESSIONS", "ALLOCATIONS",
	    "PACKETS/S", "HEARTBEAT");
	json_array_foreach(nodes, i, n) {
		char addr[ADDR_STRLEN + 8], ses[24], al[24], pps[24], hb[32];
		const char *name = json_string_value(json_object_get(n,
		    "name")), *ad = json_string_value(json_object_get(n,
		    "address")), *st = json_string_value(json_object_get(n,
		    "state"));
		json_t *jp = json_object_get(n, "packetsPerSecond");

		snprintf(addr, sizeof(addr), "%s:%lld", ad != NULL && *ad ?
		    ad : "-", (long long)json_integer_value(json_object_get(n,
		    "turnPort")));
		snprintf(ses, sizeof(ses), "%lld", (long long)
		    json_integer_value(json_object_get(n, "sessions")));
		snprintf(al, sizeof(al), "%lld", (long long)
		    json_integer_value(json_object_get(n, "allocations")));
		if (json_is_integer(jp))
			snprintf(pps, sizeof(pps), "%lld",
			    (long long)json_integer_value(jp));
		else
			strlcpy(pps, "-", sizeof(pps));
		snprintf(hb, sizeof(hb), "%.1f s ago", (double)
		    json_integer_value(json_object_get(n, "lastHeartbeatMs")) /
		    1000.0);
		table_row(&t, name != NULL ? name : "?", addr, st != NULL ?
		    st : "?", ses, al, pps, hb);
	}
	json_decref(doc);
	table_print(&t);
	return 0;
}

int
cmd_drain(struct ctl *c)
{
	char *secret, *body, mac[CTLMAC_STRLEN], hdr[CTLMAC_STRLEN + 40];
	json_t *req, *doc;
	int status, rc;

	if ((req = json_pack("{s:I, s:b}", "ts", (json_int_t)time(NULL),
	    "undo", c->o.undo)) == NULL)
		return EXIT_RUNTIME;
	if (c->o.node != NULL)
		json_object_set_new(req, "node", json_string(c->o.node));
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (body == NULL)
		return EXIT_RUNTIME;
	if ((secret = cred_secret(c)) == NULL) {
		free(body);
		return EXIT_RUNTIME;
	}
	rc = ctlmac_make(secret, body, strlen(body), mac);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (rc != 0) {
		free(body);
		return EXIT_RUNTIME;
	}
	snprintf(hdr, sizeof(hdr), "X-Meetopia-Control: %s\r\n", mac);
	rc = ctl_request(c, "drain", "POST", "/admin/v1/drain", hdr, body,
	    &status, &doc);
	free(body);
	if (rc != 0)
		return EXIT_RUNTIME;
	if (status != 200) {
		refused("drain", status, doc);
		json_decref(doc);
		return EXIT_RUNTIME;
	}
	if (c->o.json)
		return print_json(doc);
	printf("%s: %s\n", json_string_value(json_object_get(doc, "node")) !=
	    NULL ? json_string_value(json_object_get(doc, "node")) : "this node",
	    c->o.undo ? "drain undone" : "draining");
	json_decref(doc);
	return 0;
}
