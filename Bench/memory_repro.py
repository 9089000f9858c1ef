#!/usr/bin/env python3
"""Bench/memory_repro.py — issue 13's reproduction: N distinct cacheable objects through `tern serve`,
then the process's VmRSS and RssAnon (MiB). Loopback only; the origin runs in this process.

  python3 Bench/memory_repro.py .build/release/tern            # 300 × 1 MiB, --memory 64MiB
  KA=0 python3 Bench/memory_repro.py .build/release/tern       # a new connection per request
  CC=no-store KA=0 python3 Bench/memory_repro.py .build/release/tern

Environment: N=300 SIZE=1048576 MEM=64MiB W=2 (workers) CC=max-age=3600 (Cache-Control)
CT=application/octet-stream (Content-Type; text/plain makes Tern encode the objects)
PATTERN=1 (a compressible body instead of random bytes) KA=1 (keep-alive) EXTRA= (more serve flags).
"""
import http.client, http.server, os, socket, socketserver, subprocess, sys, threading, time

binary = sys.argv[1]
n = int(os.environ.get("N", "300"))
size = int(os.environ.get("SIZE", str(1 << 20)))
cc = os.environ.get("CC", "max-age=3600")
memory = os.environ.get("MEM", "64MiB")
keepalive = os.environ.get("KA", "1") == "1"
body = (bytes(range(251)) * (size // 251 + 1))[:size] if os.environ.get("PATTERN") else os.urandom(size)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cc)
        self.send_header("Content-Type", os.environ.get("CT", "application/octet-stream"))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
origin = S(("127.0.0.1", 0), H)
threading.Thread(target=origin.serve_forever, daemon=True).start()
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
p = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--origin", f"http://127.0.0.1:{origin.server_address[1]}",
                      "--memory", memory, "--access-log", "off", "--workers", os.environ.get("W", "2")] + os.environ.get("EXTRA", "").split(),
                     stderr=subprocess.DEVNULL)
def rss():
    d = {}
    for line in open(f"/proc/{p.pid}/status"):
        k, v = line.split(":", 1)
        if k in ("VmRSS", "RssAnon"): d[k] = int(v.split()[0]) // 1024
    return d
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
        except OSError: time.sleep(0.1)
    print("start", rss())
    c = None
    t0 = time.time()
    for i in range(n):
        if c is None or not keepalive: c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", f"/obj/{i}")
        r = c.getresponse(); data = r.read()
        assert r.status == 200 and len(data) == size, (r.status, len(data))
        if not keepalive: c.close()
    print(f"after {n} GETs ({time.time()-t0:.1f}s)", rss())
    time.sleep(2)
    print("idle 2s", rss())
finally:
    p.terminate(); p.wait()
