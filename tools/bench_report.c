/*
 * bench_report.c - meetopia-bench's results: a table for people (stdout),
 * or one JSON document with --json.  Packet counts are those that crossed
 * the relay and were decrypted and checked at the far end.
 */
#include "config.h"

#include <stdio.h>

#include <jansson.h>

#include "tools/bench.h"

static const char *
mode_name(const struct bench_opts *o)
{
	if (o->mode == BENCH_PAIR)
		return "pair";
	return o->builtin_peer ? "peer" : "external-peer";
}

void
bench_report_table(const struct bench_opts *o, const struct bench_result *r)
{
	char srv[ADDR_STRLEN];

	printf("meetopia-bench %s: %s %s, %u allocations, %s, profile %s, "
	    "%u thread%s\n", PACKAGE_VERSION, bench_transport_name(o->transport),
	    addr_ntop_port(&o->server, srv, sizeof(srv)), r->allocations,
	    o->mode == BENCH_PAIR ? "client-to-client pairs" :
	    o->builtin_peer ? "to the built-in UDP echo peer" :
	    "to an external UDP peer", o->profile.name, o->threads,
	    o->threads == 1 ? "" : "s");
	printf("%-22s %s\n", "metric", "value");
	printf("%-22s %llu ok, %llu failed, %llu ready\n", "allocations",
	    (unsigned long long)r->alloc_ok, (unsigned long long)r->alloc_fail,
	    (unsigned long long)r->ready);
	printf("%-22s %.1f/s (%llu in %.3f s)\n", "allocation rate",
	    r->alloc_rate, (unsigned long long)r->alloc_ok, r->alloc_secs);
	printf("%-22s p50 %.3f ms, p99 %.3f ms\n", "allocation latency",
	    r->alloc_p50_ms, r->alloc_p99_ms);
	if (o->profile.kind == BENCH_NONE)
		return;
	printf("%-22s %llu streams, %.2f s, SRTP by %s\n", "media",
	    (unsigned long long)r->streams, r->media_secs,
	    o->srtp == BENCH_SRTP_OPENSSL ? "OpenSSL" : "libsrtp2");
	printf("%-22s %llu\n", "packets sent", (unsigned long long)r->sent);
	printf("%-22s %llu (SRTP decrypted, header and payload checked)\n",
	    "packets received", (unsigned long long)r->recv);
	printf("%-22s %.0f%s\n", "relayed packets/s", r->relayed_pps,
	    r->relayed_estimated ? " (estimated: 2 per echo)" : "");
	printf("%-22s %.0f\n", "received packets/s", r->pps);
	printf("%-22s %.2f Mbit/s\n", "throughput", r->mbps);
	printf("%-22s %llu (%.3f%%)\n", "loss", (unsigned long long)r->lost,
	    r->loss_pct);
	printf("%-22s p50 %.3f ms, p99 %.3f ms, max %.3f ms%s\n", "latency",
	    r->lat_p50_ms, r->lat_p99_ms, r->lat_max_ms,
	    o->mode == BENCH_PEER ? " (round trip)" : " (one way)");
	printf("%-22s mean %.3f ms, max %.3f ms\n", "jitter (RFC 3550)",
	    r->jitter_mean_ms, r->jitter_max_ms);
	printf("%-22s %llu failed, %llu duplicates, %llu reordered\n",
	    "SRTP check", (unsigned long long)r->bad,
	    (unsigned long long)r->dup, (unsigned long long)r->reordered);
	printf("%-22s %.0f%% CPU, %llu send failures, %llu late frames, "
	    "%llu junk\n", "client", r->client_cpu_pct,
	    (unsigned long long)r->send_fail,
	    (unsigned long long)r->late_frames, (unsigned long long)r->junk);
}

int
bench_report_json(const struct bench_opts *o, const struct bench_result *r)
{
	char srv[ADDR_STRLEN];
	json_t *j;
	int rv;

	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:f,"
	    " s:{s:I, s:I, s:I, s:f, s:f, s:f, s:f},"
	    " s:{s:I, s:f, s:I, s:I, s:I, s:b, s:f, s:f, s:f},"
	    " s:{s:I, s:f},"
	    " s:{s:f, s:f, s:f, s:f},"
	    " s:{s:f, s:f},"
	    " s:{s:I, s:I, s:I, s:s},"
	    " s:{s:I, s:I, s:I, s:I, s:f}}",
	    "version", PACKAGE_VERSION,
	    "server", addr_ntop_port(&o->server, srv, sizeof(srv)),
	    "transport", bench_transport_name(o->transport),
	    "mode", mode_name(o),
	    "profile", o->profile.name,
	    "srtp", o->srtp == BENCH_SRTP_OPENSSL ? "openssl" : "libsrtp2",
	    "payload", (int)o->payload,
	    "threads", (int)o->threads,
	    "window", (int)o->window,
	    "duration", r->media_secs,
	    "allocations",
	    "requested", (json_int_t)r->allocations,
	    "ok", (json_int_t)r->alloc_ok,
	    "failed", (json_int_t)r->alloc_fail,
	    "seconds", r->alloc_secs,
	    "per_second", r->alloc_rate,
	    "p50_ms", r->alloc_p50_ms,
	    "p99_ms", r->alloc_p99_ms,
	    "packets",
	    "streams", (json_int_t)r->streams,
	    "media_seconds", r->media_secs,
	    "sent", (json_int_t)r->sent,
	    "received", (json_int_t)r->recv,
	    "relayed", (json_int_t)r->relayed,
	    "relayed_estimated", r->relayed_estimated,
	    "received_per_second", r->pps,
	    "relayed_per_second", r->relayed_pps,
	    "mbit_per_second", r->mbps,
	    "loss",
	    "packets", (json_int_t)r->lost,
	    "percent", r->loss_pct,
	    "latency_ms",
	    "p50", r->lat_p50_ms,
	    "p99", r->lat_p99_ms,
	    "max", r->lat_max_ms,
	    "mean", r->lat_mean_ms,
	    "jitter_ms",
	    "mean", r->jitter_mean_ms,
	    "max", r->jitter_max_ms,
	    "check",
	    "failed", (json_int_t)r->bad,
	    "duplicates", (json_int_t)r->dup,
	    "reordered", (json_int_t)r->reordered,
	    "result", r->bad == 0 ? "ok" : "failed",
	    "client",
	    "ready", (json_int_t)r->ready,
	    "send_failures", (json_int_t)r->send_fail,
	    "late_frames", (json_int_t)r->late_frames,
	    "junk", (json_int_t)r->junk,
	    "cpu_percent", r->client_cpu_pct);
	if (j == NULL)
		return -1;
	rv = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("\n");
	json_decref(j);
	return rv;
}
