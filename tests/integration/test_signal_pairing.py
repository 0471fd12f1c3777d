"""Pairing and relay over /ws with a real WebSocket client
(python3-websockets), as SPEC's "Signaling" says: welcome with
session-bound TURN credentials (EXPIRY:s-SESSION, HMAC-SHA1 of the auth
secret) and the ICE policy; find/waiting/matched with one offerer and one
answerer; offer, answer and candidates reach the partner and no one else;
with relay-only, host and srflx candidates never reach the partner (SDP and
trickle) and related addresses are blanked; next (partner_left next, never
re-matched with the partner just left), leave, typing, ping, no_partner;
shared interests preferred."""
import asyncio
import base64
import hashlib
import hmac
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect  # noqa: E402

HOST = ("candidate:842163049 1 udp 1677729535 192.168.1.20 46154 typ host "
        "generation 0 ufrag EEtu")
SRFLX = ("candidate:3 1 udp 1686052607 203.0.113.7 46154 typ srflx raddr "
         "192.168.1.20 rport 46154 generation 0")
RELAY = ("candidate:4 1 udp 41885439 198.51.100.1 50000 typ relay raddr "
         "203.0.113.7 rport 46154 generation 0")
SDP = ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
       "m=audio 46154 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 203.0.113.7\r\n"
       "a=candidate:%s\r\na=candidate:%s\r\na=candidate:%s\r\n"
       % (HOST[10:], SRFLX[10:], RELAY[10:]))


async def run(t, d):
    a = await connect(d, "127.0.0.2")
    w = a.welcome
    t.ok(isinstance(w.get("session"), str) and len(w["session"]) == 22,
         "welcome: a session id")
    t.ok(w.get("resumeToken", "").count(".") == 2, "a resume token (JWT)")
    srv = w.get("iceServers", [{}])[0]
    user, cred = srv.get("username", ""), srv.get("credential", "")
    exp, _, sid = user.partition(":")
    t.eq(sid, "s-" + w["session"], "TURN username names the session")
    t.ok(exp.isdigit() and 3500 < int(exp) - time.time() <= 3601,
         "and expires after credential-ttl")
    want = base64.b64encode(hmac.new(d.secret.encode(), user.encode(),
                                     hashlib.sha1).digest()).decode()
    t.eq(cred, want, "password = base64(HMAC-SHA1(auth-secret, username))")
    t.ok("turn:127.0.0.1:%d?transport=udp" % d.turn_port in srv.get("urls", [])
         and "turn:127.0.0.1:%d?transport=tcp" % d.turn_port in srv["urls"],
         "turn: URLs for UDP and TCP on the listen address")
    t.ok("turns:127.0.0.1:%d?transport=tcp" % d.tls_port in srv["urls"],
         "turns: on tls-port")
    t.ok(w.get("iceTransportPolicy") == "relay" and
         w.get("bundlePolicy") == "max-bundle" and
         w.get("iceCandidatePoolSize") == 1, "ICE policy of SPEC")
    t.ok(w.get("limits", {}).get("maxMessageLength") == 500,
         "limits in welcome")

    await a.send_json(type="chat", text="anyone?")
    m = await a.recv_type("error")
    t.eq(m.get("code"), "no_partner", "chat without a partner: no_partner")
    await a.send_json(type="offer", sdp="v=0\r\n")
    t.eq((await a.recv_type("error")).get("code"), "no_partner",
         "offer without a partner: no_partner")

    await a.send_json(type="find")
    await a.recv_type("waiting")
    b = await connect(d, "127.0.0.3")
    await b.send_json(type="find")
    ma, mb = await a.recv_type("matched"), await b.recv_type("matched")
    t.ok({ma.get("role"), mb.get("role")} == {"offerer", "answerer"},
         "matched: one offerer, one answerer")
    t.eq(ma.get("role"), "offerer", "the one that waited longer offers")
    t.ok(mb["iceServers"][0]["username"].endswith(":s-" +
         b.welcome["session"]), "matched: fresh credentials for the session")

    c = await connect(d, "127.0.0.4")     # a bystander, waiting
    await c.send_json(type="find")
    await c.recv_type("waiting")

    await a.send_json(type="offer", sdp=SDP)
    off = await b.recv_type("offer")
    sdp = off.get("sdp", "")
    t.ok("typ relay" in sdp, "the offer reaches the partner")
    t.ok("192.168.1.20" not in sdp and "203.0.113.7" not in sdp,
         "no host or reflexive address in the forwarded SDP")
    t.ok("typ host" not in sdp and "typ srflx" not in sdp,
         "host and srflx candidate lines removed")
    t.ok("raddr 0.0.0.0 rport 0" in sdp, "the relay's raddr/rport blanked")
    await b.send_json(type="answer", sdp="v=0\r\ns=answer\r\n")
    ans = await a.recv_type("answer")
    t.eq(ans.get("sdp"), "v=0\r\ns=answer\r\n", "the answer reaches the "
         "offerer")
    for cand in (HOST, SRFLX, RELAY, ""):
        await a.send_json(type="candidate", candidate=cand, sdpMid="0",
                          sdpMLineIndex=0)
    got = [m for m in await b.quiet() if m.get("type") == "candidate"]
    t.eq(len(got), 2, "trickle: only the relay candidate and "
         "end-of-candidates pass")
    t.ok(got and got[0]["candidate"].endswith("typ relay raddr 0.0.0.0 "
         "rport 0 generation 0") and got[0]["sdpMid"] == "0" and
         got[0]["sdpMLineIndex"] == 0, "relay candidate masked, fields kept",
         got)
    t.ok(len(got) == 2 and got[1]["candidate"] == "", "end-of-candidates")
    await a.send_json(type="typing")
    t.eq((await b.recv_type("typing")).get("type"), "typing",
         "typing forwarded")
    await a.send_json(type="ping")
    await a.recv_type("pong")
    seen = await c.quiet()
    t.eq([m["type"] for m in seen], [], "the bystander saw none of it")

    # next: b leaves a, a hears why; b is queued again and meets c
    await b.send_json(type="next")
    left = await a.recv_type("partner_left")
    t.eq(left.get("reason"), "next", "partner_left with reason next")
    await b.recv_type("waiting")
    mc, mb2 = await c.recv_type("matched"), await b.recv_type("matched")
    t.ok(mc and mb2, "next: queued again and matched with the bystander")
    # a looks again: b and c are paired, so a waits; b leaves c and comes
    # back: a must not meet b, whom it just had
    await a.send_json(type="find")
    await a.recv_type("waiting")
    await c.send_json(type="leave")
    t.eq((await b.recv_type("partner_left")).get("reason"), "leave",
         "leave: partner_left with reason leave")
    await b.send_json(type="find")
    got = await a.quiet(0.6)
    t.ok(not any(m.get("type") == "matched" for m in got),
         "never matched again with the partner just left")
    e = await connect(d, "127.0.0.6")
    await e.send_json(type="find")
    me = await e.recv_type("matched")
    ma2 = await a.recv_type("matched")
    t.ok(me and ma2, "a newcomer is matched with the oldest waiting (a)")
    await e.send_json(type="leave")
    await a.recv_type("partner_left")
    await a.send_json(type="leave")
    for x in (a, b, c, e):
        await x.close()

    # interests: shared first, anyone after the wait
    p = await connect(d, "127.0.0.7")
    q = await connect(d, "127.0.0.8")
    r = await connect(d, "127.0.0.9")
    await p.send_json(type="find", interests=["chess"])
    await q.send_json(type="find", interests=["music"])
    await p.recv_type("waiting")
    await q.recv_type("waiting")
    got = await q.quiet(0.5)
    t.ok(not any(m.get("type") == "matched" for m in got),
         "different interests: no match at once")
    await r.send_json(type="find", interests=["Music", "films"])
    mr = await r.recv_type("matched")
    mq = await q.recv_type("matched")
    t.ok(mr and mq, "a shared interest matches at once (case folded)")
    t0 = time.time()
    s2 = await connect(d, "127.0.0.10")
    await s2.send_json(type="find")
    mp = await p.recv_type("matched", timeout=6)
    t.ok(mp and time.time() - t0 < 5, "after a short wait, anyone will do")
    for x in (p, q, r, s2):
        await x.close()


def main(t):
    with Daemon(tls=True) as d:
        asyncio.run(run(t, d))
        t.ok("anyone?" not in d.log(), "chat text is not logged")


if __name__ == "__main__":
    Tap().run(main)
