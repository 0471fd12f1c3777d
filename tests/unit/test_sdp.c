/*
 * test_sdp.c - IP masking (signaling/sdp.c): with relay-only, host and
 * srflx candidates leave SDP and trickle, relay candidates keep going with
 * their related address blanked, c= and a=rtcp addresses are unspecified;
 * without relay-only nothing changes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "signaling/sdp.h"
#include "tests/tap.h"

static const char *const host =
    "candidate:842163049 1 udp 1677729535 192.168.1.20 46154 typ host "
    "generation 0 ufrag EEtu network-id 1";
static const char *const srflx =
    "candidate:3 1 udp 1686052607 203.0.113.7 46154 typ srflx raddr "
    "192.168.1.20 rport 46154 generation 0";
static const char *const relay =
    "candidate:4 1 udp 41885439 198.51.100.1 50000 typ relay raddr "
    "203.0.113.7 rport 46154 generation 0 ufrag EEtu";
static const char *const mdns =
    "candidate:5 1 udp 2113937151 4b2c1b4e-1f5a.local 54400 typ host";
static const char *const tcp_relay =
    "candidate:6 1 tcp 1518280447 198.51.100.1 9 typ relay raddr ::1 "
    "rport 9 tcptype active";

#define KEPT	0
#define DROPPED	1

/* KEPT (with *out), DROPPED (*out NULL), or -1 (out of memory). */
static int
cand(const char *in, int relay_only, char **out)
{
	if (sdp_filter_candidate(in, strlen(in), relay_only, out) != 0)
		return -1;
	return *out != NULL ? KEPT : DROPPED;
}

static void
test_candidates(void)
{
	char *out;
	char buf[512];

	is_int(cand(host, 1, &out), DROPPED, "host candidate dropped");
	is_int(cand(srflx, 1, &out), DROPPED, "srflx candidate dropped");
	is_int(cand(mdns, 1, &out), DROPPED, "mDNS host candidate dropped");
	is_int(cand(relay, 1, &out), KEPT, "relay candidate kept");
	is_str(out, "candidate:4 1 udp 41885439 198.51.100.1 50000 typ relay "
	    "raddr 0.0.0.0 rport 0 generation 0 ufrag EEtu",
	    "its raddr/rport blanked");
	ok(strstr(out, "203.0.113.7") == NULL, "the client's address is gone");
	free(out);
	is_int(cand(tcp_relay, 1, &out), KEPT, "TCP relay candidate");
	is_str(out, "candidate:6 1 tcp 1518280447 198.51.100.1 9 typ relay "
	    "raddr 0.0.0.0 rport 0 tcptype active", "IPv6 raddr blanked too");
	free(out);
	snprintf(buf, sizeof(buf), "a=%s", relay);
	is_int(cand(buf, 1, &out), KEPT, "with an a= prefix");
	ok(strncmp(out, "a=candidate:4 ", 14) == 0, "which stays");
	free(out);
	is_int(cand("", 1, &out), KEPT, "end-of-candidates passes");
	is_str(out, "", "as an empty candidate");
	free(out);
	is_int(cand("candidate:1 1 udp 1 1.2.3.4 5 typ", 1, &out), DROPPED,
	    "truncated: dropped");
	is_int(cand("candidate:1 1 udp 1 1.2.3.4 5 type relay", 1, &out),
	    DROPPED, "no 'typ': dropped");
	is_int(cand("candidate:1 1 udp 1 1.2.3.4 5 typ relay raddr", 1, &out),
	    DROPPED, "an odd extension list: dropped");
	is_int(cand("candidate:1 1 udp 1 1.2.3.4 5 typ relay rport x1", 1,
	    &out), DROPPED, "a bad rport: dropped");
	is_int(cand("candidate:1 1 udp 1 1.2.3.4 5 typ relayx", 1, &out),
	    DROPPED, "not exactly 'relay': dropped");
	is_int(cand("foo:1 1 udp 1 1.2.3.4 5 typ relay", 1, &out), DROPPED,
	    "not a candidate: dropped");
	is_int(cand(host, 0, &out), KEPT, "without relay-only: kept");
	is_str(out, host, "unchanged");
	free(out);
	is_int(cand(srflx, 0, &out), KEPT, "srflx too");
	is_str(out, srflx, "unchanged");
	free(out);
}

static void
test_sdp(void)
{
	char sdp[4096], *out;
	size_t len;

	snprintf(sdp, sizeof(sdp),
	    "v=0\r\n"
	    "o=- 46117 2 IN IP4 127.0.0.1\r\n"
	    "s=-\r\n"
	    "t=0 0\r\n"
	    "a=group:BUNDLE 0\r\n"
	    "m=audio 46154 UDP/TLS/RTP/SAVPF 111\r\n"
	    "c=IN IP4 203.0.113.7\r\n"
	    "a=rtcp:9 IN IP4 192.168.1.20\r\n"
	    "a=%s\r\n"
	    "a=%s\r\n"
	    "a=%s\r\n"
	    "a=remote-candidates:1 192.168.1.20 46154\r\n"
	    "a=end-of-candidates\r\n"
	    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
	    "c=IN IP6 2001:db8::7\r\n"
	    "a=mid:1\n", host, srflx, relay);
	is_int(sdp_filter(sdp, strlen(sdp), 1, &out, &len), KEPT,
	    "an SDP with every kind of candidate");
	is_int(len, strlen(out), "length");
	ok(strstr(out, "192.168.1.20") == NULL, "no host address left");
	ok(strstr(out, "203.0.113.7") == NULL, "no reflexive address left");
	ok(strstr(out, "2001:db8::7") == NULL, "no IPv6 address left");
	ok(strstr(out, "typ host") == NULL && strstr(out, "typ srflx") == NULL,
	    "no host or srflx candidate line");
	ok(strstr(out, "a=candidate:4 1 udp 41885439 198.51.100.1 50000 typ "
	    "relay raddr 0.0.0.0 rport 0") != NULL, "the relay line, masked");
	ok(strstr(out, "c=IN IP4 0.0.0.0\r\n") != NULL &&
	    strstr(out, "c=IN IP6 ::\r\n") != NULL, "c= unspecified");
	ok(strstr(out, "a=rtcp:9 IN IP4 0.0.0.0\r\n") != NULL,
	    "a=rtcp unspecified");
	ok(strstr(out, "remote-candidates") == NULL,
	    "a=remote-candidates removed");
	ok(strstr(out, "o=- 46117 2 IN IP4 127.0.0.1\r\n") != NULL &&
	    strstr(out, "a=end-of-candidates\r\n") != NULL &&
	    strstr(out, "a=mid:1\n") != NULL, "everything else as it was");
	free(out);
	is_int(sdp_filter(sdp, strlen(sdp), 0, &out, &len), KEPT,
	    "without relay-only");
	ok(len == strlen(sdp) && strcmp(out, sdp) == 0, "unchanged");
	free(out);
	is_int(sdp_filter("", 0, 1, &out, &len), KEPT, "an empty SDP");
	is_int(len, 0, "stays empty");
	free(out);
}

int
main(void)
{
	test_candidates();
	test_sdp();
	return done_testing();
}
