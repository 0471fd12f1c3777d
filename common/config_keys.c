/*
 * config_keys.c - the table of SPEC's configuration keys (see config.h).
 *
 * One row per key: its name, type, place in struct config, range, built-in
 * default (a string fed through the same parser as a file value) and
 * whether it may change on SIGHUP.  The other config files walk this table.
 */
#include <stddef.h>
#include <string.h>

#include "common/config_int.h"

#define O(f)	offsetof(struct config, f)

const struct cfg_key cfg_keys[] = {
	{ "listen", T_ADDRS, O(listen), 0, 0, "127.0.0.1", 0, NULL },
	{ "turn-port", T_PORT, O(turn_port), 1, 65535, "3478", 0, NULL },
	{ "tls-port", T_PORT0, O(tls_port), 0, 65535, "5349", 0, NULL },
	{ "http-port", T_PORT, O(http_port), 1, 65535, "8080", 0, NULL },
	{ "https-port", T_PORT0, O(https_port), 0, 65535, "0", 0, NULL },
	{ "cert", T_PATH, O(cert), 0, 0, NULL, 1,
	    "generated self-signed in the state dir" },
	{ "pkey", T_PATH, O(pkey), 0, 0, NULL, 1,
	    "generated with the certificate in the state dir" },
	{ "server-name", T_DNSNAME, O(server_name), 1, 253, NULL, 1,
	    "none: turns: URLs carry an IP address, which browsers do not use" },
	{ "realm", T_STR, O(realm), 1, 127, "meetopia", 1, NULL },
	{ "auth-secret", T_SECRETS, O(auth_secret), 16, 512, NULL, 1,
	    "generated once, kept in the state dir" },
	{ "credential-ttl", T_DUR, O(credential_ttl), 10, 7 * DAY, "3600", 1,
	    NULL },
	{ "relay-ip", T_ADDR, O(relay_ip), 0, 0, NULL, 0,
	    "the first listen address" },
	{ "external-ip", T_EXTIP, O(external_ip), 0, 0, NULL, 0, "none" },
	{ "min-port", T_PORT, O(min_port), 1024, 65535, "49152", 0, NULL },
	{ "max-port", T_PORT, O(max_port), 1024, 65535, "65535", 0, NULL },
	{ "max-allocate-lifetime", T_DUR, O(max_allocate_lifetime), 600, DAY,
	    "3600", 1, NULL },
	{ "user-quota", T_INT, O(user_quota), 0, 1000000, "10", 1, NULL },
	{ "ip-quota", T_INT, O(ip_quota), 0, 1000000, "32", 1, NULL },
	{ "total-quota", T_INT, O(total_quota), 0, 100000000, "0", 1, NULL },
	{ "max-bps", T_INT, O(max_bps), 0, 100000000000LL, "0", 1, NULL },
	{ "denied-peer-ip", T_RANGES, O(denied_peer_ip), 0, 0, NULL, 1,
	    "the built-in deny list only" },
	{ "allowed-peer-ip", T_RANGES, O(allowed_peer_ip), 0, 0, NULL, 1,
	    "none" },
	{ "relay-only", T_BOOL, O(relay_only), 0, 1, "yes", 1, NULL },
	{ "ice-candidate-pool-size", T_INT, O(ice_candidate_pool_size), 0, 10,
	    "1", 1, NULL },
	{ "signal-rate-limit", T_INT, O(signal_rate_limit), 1, 100000, "600",
	    1, NULL },
	{ "pair-permissions", T_BOOL, O(pair_permissions), 0, 1, "yes", 1,
	    NULL },
	{ "force-https", T_BOOL, O(force_https), 0, 1, "no", 1, NULL },
	{ "resume-window", T_DUR, O(resume_window), 0, 3600, "30s", 1, NULL },
	{ "cors-origins", T_ORIGINS, O(cors_origins), 0, 0, NULL, 1,
	    "the server's own origin" },
	{ "rate-limit-window", T_DUR, O(rate_limit_window), 1, DAY, "900", 1,
	    NULL },
	{ "rate-limit-max", T_INT, O(rate_limit_max), 1, 1000000, "100", 1,
	    NULL },
	{ "message-rate-limit", T_INT, O(message_rate_limit), 1, 10000, "20",
	    1, NULL },
	{ "max-message-length", T_INT, O(max_message_length), 1, 10000, "500",
	    1, NULL },
	{ "max-connections-per-ip", T_INT, O(max_connections_per_ip), 1,
	    100000, "3", 1, NULL },
	{ "db", T_PATH, O(db), 0, 0, NULL, 0, "<state-dir>/meetopia.db" },
	{ "ban-default", T_DUR, O(ban_default), 60, 3650 * DAY, "24h", 1,
	    NULL },
	{ "ban-max", T_DUR, O(ban_max), 60, 3650 * DAY, "30d", 1, NULL },
	{ "report-retention", T_DUR, O(report_retention), 3600, 3650 * DAY,
	    "30d", 1, NULL },
	{ "auto-ban-reports", T_INT, O(auto_ban_reports), 0, 1000, "3", 1,
	    NULL },
	{ "auto-ban-window", T_DUR, O(auto_ban_window), 60, 30 * DAY, "1h", 1,
	    NULL },
	{ "relay-threads", T_INT, O(relay_threads), 0, 64, "0", 0, NULL },
	{ "metrics-allow", T_RANGES, O(metrics_allow), 0, 0, NULL, 1,
	    "loopback only" },
	{ "api-key", T_SECRETS, O(api_key), 16, 512, NULL, 1,
	    "none: /api/ice-servers is open (rate limited)" },
	{ "log-level", T_LOGLEVEL, O(log_level), 0, 0, "info", 1, NULL },
	{ "security-log", T_STR, O(security_log), 1, 4096, "stderr", 1, NULL },
	{ "user", T_STR, O(user), 1, 64, NULL, 0, "none" },
	{ "group", T_STR, O(group), 1, 64, NULL, 0, "none" },
	{ "web-root", T_PATH, O(web_root), 0, 0, NULL, 1,
	    "the installed web client" },
	{ "redis", T_REDIS, O(redis), 0, 0, NULL, 0,
	    "none: a single node, no Redis" },
	{ "cluster-prefix", T_TOKEN, O(cluster_prefix), 1, 64, "meetopia:", 0,
	    NULL },
	{ "node-name", T_TOKEN, O(node_name), 1, 64, NULL, 0, "the host name" },
	{ "node-address", T_ADDR, O(node_address), 0, 0, NULL, 0,
	    "the first external-ip, else the first listen address" },
};

#define CFG_NKEYS	(sizeof(cfg_keys) / sizeof(cfg_keys[0]))
const size_t cfg_nkeys = CFG_NKEYS;

_Static_assert(CFG_NKEYS <= 64, "struct config origins[] too small");

/* The key called name, and its index in the table. */
const struct cfg_key *
cfg_find(const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < CFG_NKEYS; i++) {
		if (strcmp(cfg_keys[i].name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return &cfg_keys[i];
		}
	}
	return NULL;
}

/* Where the value of key name came from (NULL: no such key). */
const struct cfg_origin *
cfg_origin_of(const struct config *cfg, const char *name)
{
	size_t i;

	if (cfg_find(name, &i) == NULL)
		return NULL;
	return &cfg->origins[i];
}

/* Whether k may repeat (each value adds one to a list). */
int
cfg_is_list(const struct cfg_key *k)
{
	return k->type == T_ADDRS || k->type == T_RANGES ||
	    k->type == T_STRS || k->type == T_SECRETS || k->type == T_ORIGINS;
}
