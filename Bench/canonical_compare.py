#!/usr/bin/env python3
"""Issue 12, side by side: the same hostile spellings sent to Tern and to nginx, each in front of the
same origins. Prints, per case, what each proxy answered and whether the protected content leaked.

Not a performance benchmark: a behaviour comparison that only prints (run by Bench/canonical-vs-nginx.sh,
which starts everything). Origins are python http.server instances serving two directories:
A (the public origin) and B (the origin of the /private route in the poisoning case). Every file's body
names its origin, so a leak is visible in the body.
"""
import posixpath
import socket
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_origin(name, port):
    """An origin that resolves paths the way common servers do (percent-decoding, `\\` as `/`, dot
    segments and repeated slashes resolved) and serves SECRET under /private."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = urllib.parse.unquote(self.path.split("?", 1)[0]).replace("\\", "/")
            resolved = posixpath.normpath("/" + path.lstrip("/"))
            secret = "SECRET " if resolved.startswith("/private") else ""
            te = self.headers.get("Transfer_Encoding")
            body = f"{name} {secret}{resolved} host={self.headers.get('Host')}" + (f" te_={te}" if te else "")
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "max-age=3600")
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if len(sys.argv) == 4 and sys.argv[1] == "origin":
    serve_origin(sys.argv[2], int(sys.argv[3]))
    sys.exit(0)

TERN_ACL, NGINX_ACL, TERN_CACHE, NGINX_CACHE = (int(p) for p in sys.argv[1:5])


def send(port, raw, timeout=3.0):
    """Sends raw bytes on a new connection; returns (status, body) of the first response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
    if not data:
        return "-", ""
    head, _, body = data.partition(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    status = parts[1] if len(parts) > 1 else "?"
    return status, body.decode("latin-1", "replace")


def get(port, target, host="h", extra=""):
    return send(port, f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode("latin-1"))


SPELLINGS = [
    "/private/s", "//private/s", "///private/s", "/./private/s", "/x/../private/s", "/%70rivate/s", "/%2e/private/s",
    "/%2E/private/s", "/%2e%2E/private/s", "/private/./s", "/private//s", "/private/s/.", "/private/x/../s",
    "/%70%72%69%76%61%74%65/s", "/a/b/../../private/s", "/.//private/s", "/x/%2e%2e/private/s", "/x/.%2e/private/s",
    "/x/%2E./private/s", "/private%2Fs", "/private%2fs", "/x%2F..%2Fprivate/s", "/x/..%2Fprivate/s", "/%2fprivate/s",
    "/private%5Cs", "/x%5C..%5Cprivate/s", "/private/%2e/s", "/../private/s", "/pr%69vate/s", "/priv%61te/./s",
    "/%2e/%70rivate/./s", "http://h/private/s", "http://h//private/s", "http://H:80/%70rivate/s",
    "http://h/x/../private/s",
]


def leaked(body):
    return "SECRET" in body


print("## Route ACL: `/private` denied, `/` open, origin A serves private/s (body SECRET)")
print()
print("| spelling | nginx | Tern |")
print("|---|---|---|")
counts = {"nginx": 0, "tern": 0}
for spelling in SPELLINGS:
    row = []
    for name, port in (("nginx", NGINX_ACL), ("tern", TERN_ACL)):
        status, body = get(port, spelling)
        if leaked(body):
            counts[name] += 1
            row.append(f"**{status} LEAK**")
        else:
            row.append(status)
    print(f"| `{spelling}` | {row[0]} | {row[1]} |")
print()
print(f"{len(SPELLINGS)} spellings; protected content served: nginx {counts['nginx']}, Tern {counts['tern']}")
print()

print("## Poisoning reproductions (caching on; `/private` → origin B, `/` → origin A)")
print()
print("| case | nginx | Tern |")
print("|---|---|---|")


def case(title, steps):
    """steps: list of (target, host, extra) sent in order; the last response is reported."""
    cells = []
    for port in (NGINX_CACHE, TERN_CACHE):
        result = ""
        for target, host, extra in steps:
            status, body = get(port, target, host, extra)
            result = f"{status} `{body.strip()[:40]}`"
        cells.append(result)
    print(f"| {title} | {cells[0]} | {cells[1]} |")


stamp = str(int(time.time() * 1000))
case("`GET /%70rivate/x?t=1`, then `GET /private/x?t=1` (who answers the 2nd?)",
     [(f"/%70rivate/x?t={stamp}", "h", ""), (f"/private/x?t={stamp}", "h", "")])
case("`Host: h/evil` on `GET /x?t=1`, then `GET /evil/x?t=1` with `Host: h`",
     [(f"/x?t=a{stamp}", "h/evil", ""), (f"/evil/x?t=a{stamp}", "h", "")])
for bad in ["h, evil", "u@h", "h:abc"]:
    case(f"`Host: {bad}`", [(f"/x?t=b{stamp}", bad, "")])
case("`GET /hh` with `Host: victim.example`, `Connection: Host` (what Host did origin A see?)",
     [(f"/hh?t={stamp}", "victim.example", "Connection: Host\r\n")])
for title, raw in [
    ("`Transfer-Encoding: gzip, chunked` POST", b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    ("`Transfer-Encoding: chunked, chunked` POST", b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    ("two `Authorization` fields", b"GET /x HTTP/1.1\r\nHost: h\r\nAuthorization: a\r\nAuthorization: b\r\nConnection: close\r\n\r\n"),
    ("`Transfer_Encoding: chunked` (reaches origin?)", b"GET /echo-te HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\nConnection: close\r\n\r\n"),
]:
    cells = [send(port, raw)[0] for port in (NGINX_CACHE, TERN_CACHE)]
    print(f"| {title} | {cells[0]} | {cells[1]} |")
