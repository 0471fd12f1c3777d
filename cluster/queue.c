/*
 * queue.c - the cluster-wide pairing queue (see queue.h): one Lua script,
 * run with EVALSHA (loaded by SCRIPT LOAD when the link comes up) and sent
 * whole with EVAL when Redis answers NOSCRIPT (a restarted Redis forgets its
 * scripts).  Redis runs a script alone: no other command, from any node,
 * interleaves with it, which is what makes a match atomic.
 *
 * The script walks the queue like pair_match() walks the local one, 64
 * waiters a ZRANGE, all inside Redis: a finder without interests stops at
 * the oldest waiter it may meet; one with interests walks on for a waiter
 * that shares one, O(waiting sessions) at most.  A match tells the
 * waiter's node with a "matched" note on its channel, unless that is the
 * finder's node, which has the answer already.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cluster/queue.h"
#include "common/config.h"
#include "common/log.h"

static const char queue_lua[] =
"local q, seqk, op, pfx = KEYS[1], KEYS[2], ARGV[1], ARGV[2]\n"
"local TTL = 86400000\n"
"local function wkey(id) return pfx .. 'w:' .. id end\n"
"local function drop(id) redis.call('ZREM', q, id); redis.call('DEL', wkey(id)) end\n"
"if op == 'cancel' then\n"
"  local was = redis.call('ZREM', q, ARGV[3])\n"
"  redis.call('DEL', wkey(ARGV[3]))\n"
"  return was\n"
"elseif op == 'hold' then\n"
"  if not redis.call('ZSCORE', q, ARGV[3]) then return 0 end\n"
"  if redis.call('EXISTS', wkey(ARGV[3])) == 0 then\n"
"    redis.call('ZREM', q, ARGV[3]); return 0\n"
"  end\n"
"  redis.call('HSET', wkey(ARGV[3]), 'elig', ARGV[4])\n"
"  return 1\n"
"elseif op == 'purge' then\n"
"  local n = 0\n"
"  for _, c in ipairs(redis.call('ZRANGE', q, 0, -1)) do\n"
"    local cn = redis.call('HGET', wkey(c), 'node')\n"
"    if not cn or cn == ARGV[3] then drop(c); n = n + 1 end\n"
"  end\n"
"  return n\n"
"elseif op ~= 'find' then\n"
"  return redis.error_reply('ERR unknown queue operation')\n"
"end\n"
"local id, node, last = ARGV[3], ARGV[4], ARGV[5]\n"
"local retry, waitms = ARGV[6] == '1', tonumber(ARGV[7])\n"
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"local mine, nmine = {}, 0\n"
"for i = 8, #ARGV do mine[ARGV[i]] = true; nmine = nmine + 1 end\n"
"local wk = wkey(id)\n"
"local since = nil\n"
"if redis.call('ZSCORE', q, id) then\n"
"  since = tonumber(redis.call('HGET', wk, 'since'))\n"
"  if not since then redis.call('ZREM', q, id) end\n"
"end\n"
"if not since then\n"
"  if retry then return {'gone'} end\n"
"  since = now\n"
"  redis.call('ZADD', q, redis.call('INCR', seqk), id)\n"
"end\n"
"local h = {'node', node, 'since', since, 'last', last, 'elig', '1', 'n', nmine}\n"
"for i = 8, #ARGV do h[#h + 1] = 'i' .. (i - 7); h[#h + 1] = ARGV[i] end\n"
"redis.call('DEL', wk)\n"
"redis.call('HSET', wk, unpack(h))\n"
"redis.call('PEXPIRE', wk, TTL)\n"
"local open_me = nmine == 0 or now - since >= waitms\n"
"local pick, any\n"
"local off, CH = 0, 64\n"
"local function done() return pick or (any and nmine == 0) end\n"
"while not done() do\n"
"  local cs, gone = redis.call('ZRANGE', q, off, off + CH - 1), 0\n"
"  for _, c in ipairs(cs) do\n"
"    if c ~= id and c ~= last then\n"
"      local v = redis.call('HMGET', wkey(c), 'node', 'since', 'last', 'elig', 'n')\n"
"      if not v[1] then\n"
"        redis.call('ZREM', q, c); gone = gone + 1\n"
"      elseif v[4] == '1' and v[3] ~= id then\n"
"        local n = tonumber(v[5])\n"
"        if nmine > 0 and n > 0 then\n"
"          local f = {}\n"
"          for j = 1, n do f[j] = 'i' .. j end\n"
"          for _, x in ipairs(redis.call('HMGET', wkey(c), unpack(f))) do\n"
"            if x and mine[x] then pick = {c, v[1], v[2]}; break end\n"
"          end\n"
"        end\n"
"        if not any and open_me and (n == 0 or now - tonumber(v[2]) >= waitms) then\n"
"          any = {c, v[1], v[2]}\n"
"        end\n"
"        if done() then break end\n"
"      end\n"
"    end\n"
"  end\n"
"  if #cs < CH then break end\n"
"  off = off + CH - gone\n"
"end\n"
"pick = pick or any\n"
"if not pick then return {'waiting', tostring(since), tostring(now)} end\n"
"drop(pick[1]); drop(id)\n"
"if pick[2] ~= node then\n"
"  redis.call('PUBLISH', pfx .. 'node:' .. pick[2], cjson.encode({type = 'matched',\n"
"    session = pick[1], partner = id, partnerNode = node}))\n"
"end\n"
"return {'matched', pick[1], pick[2], pick[3]}\n";

struct cluster_queue {
	struct cluster_redis	*r;
	char			*prefix;
	char			*kqueue;	/* P"queue" */
	char			*kseq;		/* P"queue:seq" */
	char			 sha[41];
};

enum { OP_FIND, OP_DONE };

#define REQ_ARGS_MAX	(7 + 7 + CLUSTER_INTERESTS_MAX)

struct qreq {
	struct cluster_queue	*q;
	int			 op;
	int			 evaled;	/* sent whole already */
	cluster_find_cb		*find_cb;
	cluster_queue_done_cb	*done_cb;
	void			*arg;
	int			 argc;
	char			*argv[REQ_ARGS_MAX];
	size_t			 argvlen[REQ_ARGS_MAX];
};

int
cluster_valid_id(const char *s)
{
	return cfg_token_valid(s, CLUSTER_ID_MAX);
}

static char *
cat(const char *a, const char *b)
{
	char *s;
	size_t la = strlen(a), lb = strlen(b);

	if ((s = malloc(la + lb + 1)) == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

struct cluster_queue *
cluster_queue_new(struct cluster_redis *r, const char *prefix)
{
	struct cluster_queue *q;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->r = r;
	if ((q->prefix = strdup(prefix)) == NULL ||
	    (q->kqueue = cat(prefix, "queue")) == NULL ||
	    (q->kseq = cat(prefix, "queue:seq")) == NULL ||
	    EVP_Digest(queue_lua, sizeof(queue_lua) - 1, md, &mdlen,
	    EVP_sha1(), NULL) != 1 || mdlen != 20) {
		cluster_queue_free(q);
		return NULL;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(q->sha + 2 * i, 3, "%02x", md[i]);
	return q;
}

void
cluster_queue_free(struct cluster_queue *q)
{
	if (q == NULL)
		return;
	free(q->prefix);
	free(q->kqueue);
	free(q->kseq);
	free(q);
}

static void
load_cb(void *arg, const redisReply *rep)
{
	struct cluster_queue *q = arg;

	if (rep == NULL)
		return;
	if (rep->type != REDIS_REPLY_STRING || strcmp(rep->str, q->sha) != 0)
		log_warn("cluster: SCRIPT LOAD of the queue script: %s",
		    rep->type == REDIS_REPLY_ERROR ? rep->str :
		    "unexpected answer");
}

int
cluster_queue_load(struct cluster_queue *q)
{
	const char *argv[3] = { "SCRIPT", "LOAD", queue_lua };
	size_t len[3] = { 6, 4, sizeof(queue_lua) - 1 };

	return cluster_redis_command(q->r, load_cb, q, 3, argv, len);
}

static void
req_free(struct qreq *rq)
{
	int i;

	for (i = 0; i < rq->argc; i++)
		free(rq->argv[i]);
	free(rq);
}

static int
req_add(struct qreq *rq, const char *s)
{
	if (rq->argc == REQ_ARGS_MAX ||
	    (rq->argv[rq->argc] = strdup(s)) == NULL)
		return -1;
	rq->argvlen[rq->argc] = strlen(s);
	rq->argc++;
	return 0;
}

/* A request with EVALSHA sha 2 queue seq op prefix in place. */
static struct qreq *
req_new(struct cluster_queue *q, const char *op)
{
	struct qreq *rq;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	rq->q = q;
	if (req_add(rq, "EVALSHA") != 0 || req_add(rq, q->sha) != 0 ||
	    req_add(rq, "2") != 0 || req_add(rq, q->kqueue) != 0 ||
	    req_add(rq, q->kseq) != 0 || req_add(rq, op) != 0 ||
	    req_add(rq, q->prefix) != 0) {
		req_free(rq);
		return NULL;
	}
	return rq;
}

static void req_reply_cb(void *, const redisReply *);

static int
req_send(struct qreq *rq)
{
	const char *argv[REQ_ARGS_MAX];
	size_t len[REQ_ARGS_MAX];
	int i;

	for (i = 0; i < rq->argc; i++) {
		argv[i] = rq->argv[i];
		len[i] = rq->argvlen[i];
	}
	if (rq->evaled) {
		argv[0] = "EVAL";
		len[0] = 4;
		argv[1] = queue_lua;
		len[1] = sizeof(queue_lua) - 1;
	}
	return cluster_redis_command(rq->q->r, req_reply_cb, rq, rq->argc,
	    argv, len);
}

static void
req_fail(struct qreq *rq)
{
	if (rq->op == OP_FIND)
		rq->find_cb(rq->arg, -1, NULL);
	else if (rq->done_cb != NULL)
		rq->done_cb(rq->arg, -1, 0);
	req_free(rq);
}

/* An element of an array reply as a string, or NULL. */
static const char *
el_str(const redisReply *rep, size_t i)
{
	if (rep->type != REDIS_REPLY_ARRAY || i >= rep->elements ||
	    rep->element[i]->type != REDIS_REPLY_STRING)
		return NULL;
	return rep->element[i]->str;
}

static int
parse_ms(const char *s, long long *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	*out = strtoll(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

static int
parse_find(const redisReply *rep, struct cluster_find_reply *fr)
{
	const char *what = el_str(rep, 0), *a, *b;

	memset(fr, 0, sizeof(*fr));
	if (what == NULL)
		return -1;
	if (strcmp(what, "gone") == 0) {
		fr->what = CLUSTER_FIND_GONE;
		return 0;
	}
	if (strcmp(what, "waiting") == 0) {
		fr->what = CLUSTER_FIND_WAITING;
		return parse_ms(el_str(rep, 1), &fr->since_ms) != 0 ||
		    parse_ms(el_str(rep, 2), &fr->now_ms) != 0 ? -1 : 0;
	}
	if (strcmp(what, "matched") != 0)
		return -1;
	fr->what = CLUSTER_FIND_MATCHED;
	if ((a = el_str(rep, 1)) == NULL || (b = el_str(rep, 2)) == NULL ||
	    strlcpy(fr->partner, a, sizeof(fr->partner)) >=
	    sizeof(fr->partner) ||
	    strlcpy(fr->partner_node, b, sizeof(fr->partner_node)) >=
	    sizeof(fr->partner_node) ||
	    parse_ms(el_str(rep, 3), &fr->partner_since_ms) != 0)
		return -1;
	return 0;
}

static void
req_reply_cb(void *arg, const redisReply *rep)
{
	struct qreq *rq = arg;
	struct cluster_find_reply fr;

	if (rep == NULL) {
		req_fail(rq);
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR && !rq->evaled &&
	    strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		rq->evaled = 1;
		if (req_send(rq) != 0)
			req_fail(rq);
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		log_warn("cluster: queue script: %s", rep->str);
		req_fail(rq);
		return;
	}
	if (rq->op == OP_FIND) {
		if (parse_find(rep, &fr) != 0) {
			log_warn("cluster: queue script: unexpected answer");
			req_fail(rq);
			return;
		}
		rq->find_cb(rq->arg, 0, &fr);
	} else if (rq->done_cb != NULL) {
		if (rep->type != REDIS_REPLY_INTEGER) {
			req_fail(rq);
			return;
		}
		rq->done_cb(rq->arg, 0, rep->integer);
	}
	req_free(rq);
}

int
cluster_queue_find(struct cluster_queue *q, const struct cluster_find *f,
    cluster_find_cb *cb, void *arg)
{
	struct qreq *rq;
	char num[32];
	size_t i, len;

	if (cb == NULL || !cluster_valid_id(f->session) ||
	    !cluster_valid_id(f->node) ||
	    (f->last != NULL && f->last[0] != '\0' &&
	    !cluster_valid_id(f->last)) ||
	    f->ninterests > CLUSTER_INTERESTS_MAX || f->wait_ms < 0)
		return -1;
	for (i = 0; i < f->ninterests; i++)
		if ((len = strlen(f->interests[i])) == 0 ||
		    len > CLUSTER_INTEREST_LEN)
			return -1;
	if (!cluster_redis_is_up(q->r) || (rq = req_new(q, "find")) == NULL)
		return -1;
	rq->op = OP_FIND;
	rq->find_cb = cb;
	rq->arg = arg;
	snprintf(num, sizeof(num), "%lld", f->wait_ms);
	if (req_add(rq, f->session) != 0 || req_add(rq, f->node) != 0 ||
	    req_add(rq, f->last != NULL ? f->last : "") != 0 ||
	    req_add(rq, f->retry ? "1" : "0") != 0 || req_add(rq, num) != 0)
		goto fail;
	for (i = 0; i < f->ninterests; i++)
		if (req_add(rq, f->interests[i]) != 0)
			goto fail;
	if (req_send(rq) != 0)
		goto fail;
	return 0;
fail:
	req_free(rq);
	return -1;
}

/* cancel, hold and purge: one or two arguments, an integer back. */
static int
simple_op(struct cluster_queue *q, const char *op, const char *a,
    const char *b, cluster_queue_done_cb *cb, void *arg)
{
	struct qreq *rq;

	if (!cluster_valid_id(a) || !cluster_redis_is_up(q->r) ||
	    (rq = req_new(q, op)) == NULL)
		return -1;
	rq->op = OP_DONE;
	rq->done_cb = cb;
	rq->arg = arg;
	if (req_add(rq, a) != 0 || (b != NULL && req_add(rq, b) != 0) ||
	    req_send(rq) != 0) {
		req_free(rq);
		return -1;
	}
	return 0;
}

int
cluster_queue_cancel(struct cluster_queue *q, const char *session,
    cluster_queue_done_cb *cb, void *arg)
{
	return simple_op(q, "cancel", session, NULL, cb, arg);
}

int
cluster_queue_hold(struct cluster_queue *q, const char *session,
    int eligible, cluster_queue_done_cb *cb, void *arg)
{
	return simple_op(q, "hold", session, eligible ? "1" : "0", cb, arg);
}

int
cluster_queue_purge_node(struct cluster_queue *q, const char *node,
    cluster_queue_done_cb *cb, void *arg)
{
	return simple_op(q, "purge", node, NULL, cb, arg);
}
