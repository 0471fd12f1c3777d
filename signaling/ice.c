/*
 * ice.c - the ICE servers a client is given (/api/ice-servers and the
 * WebSocket's welcome and matched messages): TURN URLs over UDP, then TCP,
 * then TLS (the order that connects fastest) for every address clients
 * reach this daemon at, with a short-lived
 * credential minted from auth-secret (auth/cred.h; SPEC "TURN").  A
 * session's credential names it (EXPIRY:s-SESSION) so that
 * pair-permissions can tell partners apart.
 *
 * TURN over TLS goes by server-name when it is set: browsers check the
 * certificate of a turns: server against the URL's host and do not use
 * turns: by IP address at all, so one turns:NAME URL comes last (the
 * slowest to set up); turn: URLs keep the addresses (no DNS lookup).
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/cred.h"
#include "common/config.h"
#include "common/listener.h"
#include "signaling/sig.h"

#define ICE_HOSTS_MAX	16

/* The addresses clients reach us at: external-ip, or the listen
 * addresses (a wildcard as the address this client reached), each once. */
static size_t
ice_hosts(const struct config *cfg, struct hconn *c, struct maddr *hosts)
{
	static const uint8_t zero[16];
	size_t nh = 0, i, j;

	if (cfg->external_ip.set) {
		hosts[nh++] = cfg->external_ip.pub;
		return nh;
	}
	for (i = 0; i < cfg->listen.n && nh < ICE_HOSTS_MAX; i++) {
		struct maddr a = cfg->listen.v[i];

		/* A wildcard: the address this client reached. */
		if (memcmp(a.ip, zero, addr_iplen(&a)) == 0) {
			if (c == NULL || conn_local(c->cn)->family == 0)
				continue;
			a = *conn_local(c->cn);
		}
		for (j = 0; j < nh; j++)
			if (addr_eq_ip(&hosts[j], &a))
				break;
		if (j == nh)
			hosts[nh++] = a;
	}
	return nh;
}

/* Appends "SCHEME:HOST:PORT?transport=TRANSPORT", an IPv6 HOST in
 * brackets. */
static void
ice_url(json_t *urls, const char *scheme, const struct maddr *a, int port,
    const char *transport)
{
	char host[ADDR_STRLEN + 2], ip[ADDR_STRLEN], url[ADDR_STRLEN + 300];

	addr_ntop(a, ip, sizeof(ip));
	snprintf(host, sizeof(host), a->family == AF_INET6 ? "[%s]" : "%s",
	    ip);
	snprintf(url, sizeof(url), "%s:%s:%d?transport=%s", scheme, host, port,
	    transport);
	json_array_append_new(urls, json_string(url));
}

/*
 * Fastest first: every UDP URL, then TCP, then TLS (the one path through
 * a firewall that lets out only TLS on 443).  A client tries them in
 * order of preference, so a network that passes UDP never waits on a
 * stream.  With server-name, one turns: URL by that name (browsers check
 * the certificate against it and use no turns: by IP address).
 */
static json_t *
ice_urls(const struct config *cfg, const struct maddr *hosts, size_t nh)
{
	char url[ADDR_STRLEN + 300];
	json_t *urls;
	size_t i;

	if ((urls = json_array()) == NULL)
		return NULL;
	for (i = 0; i < nh; i++)
		ice_url(urls, "turn", &hosts[i], cfg->turn_port, "udp");
	for (i = 0; i < nh; i++)
		ice_url(urls, "turn", &hosts[i], cfg->turn_port, "tcp");
	if (cfg->tls_port != 0 && cfg->server_name != NULL) {
		snprintf(url, sizeof(url), "turns:%s:%d?transport=tcp",
		    cfg->server_name, cfg->tls_port);
		json_array_append_new(urls, json_string(url));
	} else if (cfg->tls_port != 0)
		for (i = 0; i < nh; i++)
			ice_url(urls, "turns", &hosts[i], cfg->tls_port, "tcp");
	return urls;
}

/*
 * The iceServers list of one server: [{urls, username, credential}].
 * Takes urls (freed on failure too) and wipes pass.
 */
json_t *
sig_ice_list(json_t *urls, const char *user, char *pass, size_t passlen)
{
	json_t *srv, *list;

	srv = json_pack("{s:o, s:s, s:s}", "urls", urls, "username", user,
	    "credential", pass);
	explicit_bzero(pass, passlen);
	if (srv == NULL || (list = json_array()) == NULL) {
		if (srv != NULL)
			json_decref(srv);
		return NULL;
	}
	json_array_append_new(list, srv);
	return list;
}

/* "turn:HOST:PORT?transport=udp" for every address clients reach us at. */
json_t *
sig_ice_servers(struct signaling *sig, struct hconn *c, const char *session)
{
	const struct config *cfg = sig->env.cfg;
	char user[CRED_USER_MAX], pass[CRED_PASS_MAX], id[CRED_ID_MAX];
	struct maddr hosts[ICE_HOSTS_MAX];
	size_t nh;
	long long expiry;
	json_t *urls;

	if (cfg->auth_secret.n == 0)
		return NULL;
	nh = ice_hosts(cfg, c, hosts);
	expiry = (long long)time(NULL) + cfg->credential_ttl;
	if (session != NULL)
		snprintf(id, sizeof(id), "s-%s", session);
	if (cred_make(cfg->auth_secret.v[0], session != NULL ? id : NULL,
	    expiry, user, sizeof(user), pass, sizeof(pass)) != 0)
		return NULL;
	if ((urls = ice_urls(cfg, hosts, nh)) == NULL) {
		explicit_bzero(pass, sizeof(pass));
		return NULL;
	}
	return sig_ice_list(urls, user, pass, sizeof(pass));
}
