/*
 * node.h - who this node is in its cluster: its name and the address
 * clients reach its TURN at, from the configuration or SPEC's defaults
 * (node-name: the host name; node-address: the first external-ip, else the
 * first listen address).
 */
#ifndef MEETOPIA_CLUSTER_NODE_H
#define MEETOPIA_CLUSTER_NODE_H

#include <stddef.h>

#include "common/addr.h"
#include "common/config.h"
#include "cluster/queue.h"

struct cluster_identity {
	char		name[CLUSTER_ID_MAX + 1];
	struct maddr	address;
};

/* Fills id; -1 with why when the host name cannot serve as a node name. */
int	cluster_identity(const struct config *, struct cluster_identity *id,
	    char *why, size_t whylen);

#endif
