"""Chat over /ws as SPEC says: sanitised (an XSS corpus arrives with no
markup left: tags removed, & < > " ' escaped, controls other than newline
removed), max-message-length counted in code points with multi-byte text
(500 pass unchanged, 501 refused with too_long and never truncated), the
message-rate-limit token bucket (rate_limited with retryAfter), the
signal-rate-limit for other messages, and no chat text in the log."""
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import chat, connect, paired  # noqa: E402

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "\"><script>alert(document.cookie)</script>",
    "'><img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<iframe src=\"data:text/html,<script>alert(1)</script>\">",
    "<<script>>alert(1)<</script>>",
    "<b onmouseover='alert(1)'>hover</b>",
    "<ScRiPt >alert(1)</sCrIpT>",
    "<img src=`x` onerror=alert(1)",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">x",
    "javascript:alert('x')",
]
MARK = "secret-chat-marker-4411"


async def run(t, d):
    a, b = await paired(d, "127.0.0.2", "127.0.0.3")
    m = await chat(a, b, "hello \U0001f600\nsecond line")
    t.eq(m.get("text"), "hello \U0001f600\nsecond line",
         "plain text and newline arrive unchanged")
    m = await chat(a, b, "Tom & \"Jerry\" <3 'x'")
    t.eq(m.get("text"), "Tom &amp; &quot;Jerry&quot; &lt;3 &#39;x&#39;",
         "& < > \" ' escaped")
    m = await chat(a, b, "<b>bold</b> and <i>it</i>")
    t.eq(m.get("text"), "bold and it", "tags removed")
    m = await chat(a, b, "a\x07\x1b[31mb\r\nc\u202ed")
    t.eq(m.get("text"), "a[31mb\ncd", "control characters removed")
    bad = []
    for x in XSS:
        m = await chat(a, b, x + " ok")
        if any(ch in m.get("text", "<") for ch in "<>\"'"):
            bad.append((x, m.get("text")))
    t.eq(bad, [], "an XSS corpus of %d arrives without markup" % len(XSS))
    await a.send_json(type="chat", text="<b></b>")
    m = await a.recv_type("error")
    t.eq(m.get("code"), "bad_request", "nothing left after sanitising: error")

    # 500 and 501 code points, multi-byte (2 and 4 bytes each)
    text500 = "".join("\u00e9" if i % 2 else "\U0001f600" for i in range(500))
    m = await chat(a, b, text500)
    t.eq(m.get("text"), text500, "500 multi-byte code points pass unchanged")
    await a.send_json(type="chat", text=text500 + "\u00e9")
    m = await a.recv_type("error")
    t.eq(m.get("code"), "too_long", "501 code points: too_long")
    await asyncio.sleep(0.3)
    t.ok(not any(x.get("type") == "chat" for x in b.stash),
         "and nothing (no truncated text) reaches the partner")

    await a.close()
    await b.close()


async def rate_limit(t, d):
    a, b = await paired(d, "127.0.0.4", "127.0.0.5")
    for i in range(20):
        await a.send_json(type="chat", text="%s %d" % (MARK, i))
    got = [await b.recv_type("chat") for _ in range(20)]
    t.eq(len(got), 20, "a burst of message-rate-limit (20) messages passes")
    await a.send_json(type="chat", text="one too many")
    m = await a.recv_type("error")
    t.ok(m.get("code") == "rate_limited" and isinstance(
         m.get("retryAfter"), int) and 1 <= m["retryAfter"] <= 3,
         "the 21st: rate_limited with retryAfter (s)", m)
    await asyncio.sleep(0.3)
    t.ok(not any(x.get("text") == "one too many" for x in b.stash),
         "and it is not delivered")
    await asyncio.sleep(m.get("retryAfter", 3) + 0.2)
    t.eq((await chat(a, b, "later")).get("text"), "later",
         "after retryAfter a message passes again")
    await a.close()
    await b.close()


async def signal_limit(t, d):
    a = await connect(d, "127.0.0.6")
    for _ in range(10):
        await a.send_json(type="ping")
    for _ in range(10):
        await a.recv_type("pong")
    await a.send_json(type="ping")
    m = await a.recv_type("error", "pong")
    t.ok(m.get("type") == "error" and m.get("code") == "rate_limited",
         "signal-rate-limit: the 11th ping of 10/min is rate_limited", m)
    await a.close()


def main(t):
    with Daemon(conf={"message-rate-limit": "1000"}) as d:
        asyncio.run(run(t, d))
    with Daemon() as d:
        asyncio.run(rate_limit(t, d))
        log = d.log()
        t.ok(MARK not in log and "one too many" not in log,
             "no chat text in the log or security events")
        t.ok('"event":"rate_limited"' in log, "rate limits are security events")
    with Daemon(conf={"signal-rate-limit": "10"}) as d:
        asyncio.run(signal_limit(t, d))


if __name__ == "__main__":
    Tap().run(main)
