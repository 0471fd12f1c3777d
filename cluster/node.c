/*
 * node.c - this node's name and address (see node.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cluster/node.h"

int
cluster_identity(const struct config *cfg, struct cluster_identity *id,
    char *why, size_t whylen)
{
	char host[256];

	memset(id, 0, sizeof(*id));
	if (cfg->node_name != NULL)
		strlcpy(id->name, cfg->node_name, sizeof(id->name));
	else {
		if (gethostname(host, sizeof(host)) != 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		if (!cluster_valid_id(host)) {
			snprintf(why, whylen, "node-name: the host name is "
			    "not usable as a node name: set node-name");
			return -1;
		}
		strlcpy(id->name, host, sizeof(id->name));
	}
	if (cfg->node_address.family != 0)
		id->address = cfg->node_address;
	else if (cfg->external_ip.set)
		id->address = cfg->external_ip.pub;
	else if (cfg->listen.n > 0)
		id->address = cfg->listen.v[0];
	return 0;
}
