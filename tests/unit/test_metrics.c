/* test_metrics.c - Prometheus rendering and security event lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/metrics.h"
#include "common/secevent.h"
#include "tests/tap.h"

/* A collect callback: figures kept elsewhere (per thread) summed in. */
static void
collect(void *arg, struct metrics *m)
{
	int *calls = arg;

	(*calls)++;
	metrics_set(&m->turn_allocations, 7);
	metrics_set(&m->turn_send_drops_total, 3);
}

static char *
render(struct metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	metrics_render(m, fp);
	fclose(fp);
	return buf;
}

int
main(void)
{
	static const char *const codes[] = { "bad_request", "too_long" };
	struct metrics m;
	struct secevent_log *l;
	char path[] = "/tmp/meetopia-sec-XXXXXX", err[256], line[1024], *txt;
	json_t *o;
	FILE *fp;
	int fd;

	metrics_init(&m);
	metrics_inc(&m.turn_allocations_total);
	metrics_add(&m.turn_relayed_bytes_to_peer, 1200);
	/* The module that sends errors names their codes. */
	ok(metrics_name_errors(&m, codes, 2) == 0, "error codes named");
	ok(metrics_name_errors(&m, codes, METRICS_ERR_MAX + 1) == -1 &&
	    m.nerr == 2, "more codes than counters: refused, nothing changed");
	metrics_inc(&m.errors_total[1]);
	metrics_observe(&m.connect_seconds, 0.7);
	metrics_observe(&m.connect_seconds, 4);
	metrics_observe(&m.connect_seconds, -1);	/* ignored */
	txt = render(&m);
	ok(strstr(txt, "# TYPE meetopia_turn_allocations gauge") != NULL,
	    "gauge typed");
	ok(strstr(txt, "\nmeetopia_turn_allocations_total 1\n") != NULL,
	    "counter value");
	ok(strstr(txt, "meetopia_turn_relayed_bytes_total{direction=\"to_peer\"}"
	    " 1200") != NULL, "labelled counter");
	ok(strstr(txt, "meetopia_errors_total{code=\"too_long\"} 1") != NULL &&
	    strstr(txt, "meetopia_errors_total{code=\"bad_request\"} 0") !=
	    NULL, "errors by code");
	ok(strstr(txt, "meetopia_connect_seconds_bucket{le=\"0.5\"} 0\n") &&
	    strstr(txt, "meetopia_connect_seconds_bucket{le=\"1\"} 1\n") &&
	    strstr(txt, "meetopia_connect_seconds_bucket{le=\"5\"} 2\n") &&
	    strstr(txt, "meetopia_connect_seconds_bucket{le=\"+Inf\"} 2\n"),
	    "histogram buckets are cumulative");
	ok(strstr(txt, "meetopia_connect_seconds_count 2\n") &&
	    strstr(txt, "meetopia_connect_seconds_sum 4.700000\n"),
	    "histogram sum and count; a negative figure is ignored");
	ok(strstr(txt, "\nmeetopia_turn_send_dropped_total 0\n") != NULL,
	    "UDP send drops exposed");
	free(txt);

	{
		int calls = 0;

		metrics_set_collect(&m, collect, &calls);
		txt = render(&m);
		ok(calls == 1 && strstr(txt, "\nmeetopia_turn_allocations 7\n")
		    != NULL && strstr(txt, "\nmeetopia_turn_send_dropped_total "
		    "3\n") != NULL, "the collect callback runs before rendering");
		free(txt);
		metrics_set_collect(&m, NULL, NULL);
	}

	fd = mkstemp(path);
	close(fd);
	l = secevent_open(path, &m, err, sizeof(err));
	ok(l != NULL, "security log opens a file");
	secevent_emit(l, SECEV_VIOLATION, SECEV_MEDIUM, "s1", "p-abc",
	    "rate_limited", json_pack("{s:s}", "note", "quote\" and\nnewline"));
	secevent_emit(l, SECEV_AUTH, SECEV_HIGH, NULL, NULL, "bad_credential",
	    NULL);
	secevent_close(l);
	fp = fopen(path, "r");
	ok(fgets(line, sizeof(line), fp) != NULL, "first event line");
	o = json_loads(line, 0, NULL);
	ok(o != NULL, "the line is one JSON object");
	is_str(json_string_value(json_object_get(o, "type")), "violation",
	    "type");
	is_str(json_string_value(json_object_get(o, "severity")), "medium",
	    "severity");
	is_str(json_string_value(json_object_get(o, "client")), "p-abc",
	    "client pseudonym");
	ok(json_integer_value(json_object_get(o, "ts")) > 1600000000000LL,
	    "ts in Unix milliseconds");
	json_decref(o);
	ok(fgets(line, sizeof(line), fp) != NULL &&
	    strstr(line, "\"event\":\"bad_credential\"") != NULL &&
	    strstr(line, "\"session\"") == NULL, "second line, NULLs left out");
	ok(fgets(line, sizeof(line), fp) == NULL, "exactly two lines");
	fclose(fp);
	unlink(path);
	is_int(metrics_get(&m.security_events_total[SECEV_VIOLATION]
	    [SECEV_MEDIUM]), 1, "events are counted by type and severity");
	txt = render(&m);
	ok(strstr(txt, "meetopia_security_events_total{type=\"auth\","
	    "severity=\"high\"} 1") != NULL, "rendered by type and severity");
	free(txt);
	ok(secevent_open("/nonexistent/dir/x.log", &m, err, sizeof(err)) ==
	    NULL && strstr(err, "security-log") != NULL,
	    "an unwritable destination is an error");
	return done_testing();
}
