"""The HTTP/1.1 server (SPEC "HTTP"): /healthz, SPEC's security headers on
every response (and no HSTS over plain HTTP), static files from web-root
with their content types, HEAD, keep-alive, safe path resolution (no
"..", encoded or not; no escape through a symbolic link), and the
refusals: 400, 404, 405, 413, 414, 431, 501, 505, and 503 past the plain
HTTP sockets one client IP may hold."""
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, recv_all  # noqa: E402
from tap import Tap  # noqa: E402

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data:; media-src 'self' blob:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'none'")


def parse(buf, head_only=False):
    """The complete responses in buf: [(status, headers, body)]."""
    out = []
    while buf.startswith(b"HTTP/") and b"\r\n\r\n" in buf:
        top, _, rest = buf.partition(b"\r\n\r\n")
        lines = top.decode("latin-1").split("\r\n")
        h = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            h[k.strip().lower()] = v.strip()
        n = 0 if head_only else int(h.get("content-length", "0"))
        if len(rest) < n:
            break
        out.append((int(lines[0].split()[1]), h, rest[:n]))
        buf = rest[n:]
    return out


def raw(d, data, src="127.0.0.1", keep=0, wait_first=False, head=False):
    """Sends bytes, returns the responses (status, headers, body) read
    until the server closes (or `keep` complete responses arrived)."""
    s = socket.create_connection(("127.0.0.1", d.http_port), timeout=5,
                                 source_address=(src, 0))
    buf = b""
    if wait_first:
        # A refusal comes at once; read it before sending anything, so
        # that closing with our bytes unread cannot reset the connection.
        buf = s.recv(65536)
    else:
        s.sendall(data)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            if keep and len(parse(buf, head)) >= keep:
                break
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return parse(buf, head)


def get(d, path, method="GET", headers="", body=b""):
    req = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s"
           "\r\n" % (method, path, d.http_port, headers)).encode() + body
    r = raw(d, req, head=method == "HEAD")
    return r[0] if r else (0, {}, b"")


def secure(h):
    return (h.get("x-frame-options") == "DENY" and
            h.get("x-content-type-options") == "nosniff" and
            h.get("referrer-policy") == "no-referrer" and
            h.get("content-security-policy") == CSP and
            h.get("permissions-policy") == "camera=(self), microphone=(self)"
            and "strict-transport-security" not in h)


def main(t):
    tmp = tempfile.TemporaryDirectory(prefix="meetopia-web-")
    root = os.path.join(tmp.name, "web")
    os.makedirs(os.path.join(root, "sub"))
    files = {"index.html": b"<!doctype html><title>meetopia</title>\n",
             "app.js": b"console.log(1);\n", "style.css": b"body{}\n",
             "sub/index.html": b"sub\n", "logo.svg": b"<svg/>\n"}
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    with open(os.path.join(tmp.name, "secret.txt"), "wb") as f:
        f.write(b"outside-the-root\n")
    os.symlink(os.path.join(tmp.name, "secret.txt"),
               os.path.join(root, "escape.txt"))
    os.symlink(tmp.name, os.path.join(root, "updir"))
    os.symlink("app.js", os.path.join(root, "alias.js"))

    with Daemon(conf={"web-root": root}) as d:
        st, h, b = get(d, "/healthz")
        t.ok(st == 200 and b == b"ok\n", "GET /healthz: 200 ok")
        t.ok(secure(h), "SPEC's security headers, no HSTS over HTTP", h)
        st, h, b = get(d, "/")
        t.ok(st == 200 and b == files["index.html"] and
             h.get("content-type") == "text/html; charset=utf-8",
             "GET /: index.html as text/html")
        t.ok(secure(h), "static files carry the security headers")
        st, h, b = get(d, "/app.js")
        t.ok(st == 200 and h.get("content-type", "").startswith(
             "text/javascript"), "app.js as text/javascript")
        st, h, b = get(d, "/style.css")
        t.ok(st == 200 and h.get("content-type", "").startswith("text/css"),
             "style.css as text/css")
        st, h, b = get(d, "/logo.svg")
        t.eq(h.get("content-type"), "image/svg+xml", "svg")
        st, h, b = get(d, "/sub/")
        t.ok(st == 200 and b == b"sub\n", "a folder serves its index.html")
        st, h, b = get(d, "/app.js", method="HEAD")
        t.ok(st == 200 and b == b"" and
             h.get("content-length") == str(len(files["app.js"])),
             "HEAD: the length, no body")
        st, h, b = get(d, "/missing.html")
        t.ok(st == 404 and secure(h), "404 with the security headers")
        st, h, b = get(d, "/index.html", method="POST",
                       headers="Content-Length: 0\r\n")
        t.ok(st == 405 and "GET" in h.get("allow", "") and secure(h),
             "POST to a file: 405 with Allow")
        st, h, b = get(d, "/alias.js")
        t.eq(st, 200, "a symbolic link inside the root is followed")
        st, h, b = get(d, "/escape.txt")
        t.ok(st == 404 and b"outside" not in b,
             "a symbolic link out of the root: 404")
        st, h, b = get(d, "/updir/secret.txt")
        t.ok(st == 404 and b"outside" not in b,
             "a linked folder out of the root: 404")
        for p in ("/../secret.txt", "/%2e%2e/secret.txt",
                  "/sub/%2E%2E/%2e%2e/secret.txt", "/sub/..%2fsecret.txt",
                  "/%2e%2e%5csecret.txt"):
            st, h, b = get(d, p)
            t.ok(st in (400, 404) and b"outside" not in b,
                 "%s: refused (%d)" % (p, st))
        st, h, b = get(d, "/a%00.html")
        t.eq(st, 400, "%00 in the path: 400")

        r = raw(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n", keep=2)
        t.ok(len(r) == 2 and r[0][2] == b"ok\n" and
             r[1][2] == files["app.js"], "keep-alive: two requests, one "
             "socket, answered in order")

        s = socket.create_connection(("127.0.0.1", d.http_port), timeout=5)
        s.sendall(b"POST /admin/v1/bans HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 2\r\nExpect: 100-continue\r\n"
                  b"Connection: close\r\n\r\n")
        first = s.recv(4096)
        s.sendall(b"{}")
        rest = recv_all(s)
        s.close()
        t.ok(first == b"HTTP/1.1 100 Continue\r\n\r\n" and
             rest.startswith(b"HTTP/1.1 401"),
             "Expect: 100-continue gets 100, then the answer to the body")

        st, h, b = get(d, "/" + "a" * 5000)
        t.ok(st == 414 and secure(h), "a 5000-byte target: 414")
        st, h, b = get(d, "/", headers="X-Big: %s\r\n" % ("b" * 20000))
        t.ok(st == 431 and secure(h), "a 20 kB header: 431")
        st, h, b = get(d, "/", headers="".join("X-%d: y\r\n" % i
                                                for i in range(70)))
        t.eq(st, 431, "70 header fields: 431")
        st, h, b = get(d, "/admin/v1/bans", method="POST",
                       headers="Content-Length: 100000\r\n")
        t.ok(st == 413 and secure(h), "a 100 kB body: 413")
        st, h, b = get(d, "/", method="POST",
                       headers="Transfer-Encoding: chunked\r\n")
        t.eq(st, 501, "Transfer-Encoding: 501")
        r = raw(d, b"GET / HTTP/1.1\r\n\r\n")
        t.ok(r and r[0][0] == 400 and secure(r[0][1]), "no Host: 400")
        r = raw(d, b"BLAH\r\n\r\n")
        t.ok(r and r[0][0] == 400, "garbage: 400")
        r = raw(d, b"GET / HTTP/3.0\r\nHost: x\r\n\r\n")
        t.ok(r and r[0][0] == 505, "HTTP/3.0: 505")
        r = raw(d, b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n")
        t.ok(r and r[0][0] == 400, "a space in a field name: 400")

        # plain HTTP sockets per client IP
        held = []
        for _ in range(32):
            s = socket.create_connection(("127.0.0.1", d.http_port),
                                         source_address=("127.0.0.9", 0))
            held.append(s)
        r = raw(d, b"", src="127.0.0.9", wait_first=True)
        t.ok(r and r[0][0] == 503, "the 33rd socket of one client IP: 503")
        r = raw(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close"
                   b"\r\n\r\n", src="127.0.0.10")
        t.ok(r and r[0][0] == 200, "another client IP is served")
        for s in held:
            s.close()
    tmp.cleanup()


Tap().run(main)
