#!/usr/bin/env python3
"""Helper for Bench/restart-disk-tier.sh (standard library only).

  origin  --port P                      deterministic origin: GET /obj/N → 1–4 KiB body, max-age=3600;
                                        GET /__stats → {"obj_requests": n, "other_requests": m} (not counted)
  fill    --port P --objects N --out F [--kill-pid PID [--settle-ms MS]]
                                        GET /obj/0..N-1 through Tern; each must be 200, the expected body,
                                        and `Cache-Status: tern; fwd=uri-miss; ...; stored`; writes path + sha256;
                                        then SIGKILLs PID as soon as the last response is in (after MS ms)
  restart --port P --pidfile F --log L -- CMD...
                                        starts CMD (Tern), writes its PID, polls GET /obj/0 every 10 ms and
                                        reports the time from just before exec to the first response and first hit
  verify  --port P --hashes F           GET every path in F; each must be 200, a hit (`Cache-Status` starts with
                                        `tern; hit`) and byte-identical to the sha256 recorded by `fill`
  stats   --port P                      prints the origin's counters

Parallel fetches use --parallel threads, each with one keep-alive http.client connection.
"""
import argparse
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def body_for(n: int) -> bytes:
    """Deterministic body of /obj/N: 1024..4096 bytes of sha256 counter-mode output."""
    size = 1024 + (n * 2654435761) % 3073
    seed = f"tern-restart-obj-{n}".encode()
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(out[:size])


# ------------------------------------------------------------------------------------------------ origin
class Origin(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    obj_requests = 0
    other_requests = 0

    def log_message(self, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle + delayed ACK
        # stall every keep-alive response by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/__stats":
            with Origin.lock:
                data = {"obj_requests": Origin.obj_requests, "other_requests": Origin.other_requests}
            return self._send(200, json.dumps(data).encode(), [("Cache-Control", "no-store")])
        if self.path.startswith("/obj/") and self.path[5:].isdigit():
            with Origin.lock:
                Origin.obj_requests += 1
            return self._send(200, body_for(int(self.path[5:])), [("Cache-Control", "max-age=3600")])
        with Origin.lock:
            Origin.other_requests += 1
        return self._send(404, b"not found\n", [("Cache-Control", "no-store")])

    do_HEAD = do_GET


def cmd_origin(a):
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Origin)
    server.daemon_threads = True
    server.serve_forever()


def cmd_stats(a):
    c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=5)
    c.request("GET", "/__stats")
    print(c.getresponse().read().decode())


# ------------------------------------------------------------------------------------------------ fetching
def fetch_all(port, paths, parallel, check):
    """GET every path (split over `parallel` keep-alive connections); check(path, status, headers, body)
    returns None when fine, else a short problem string. Returns {path: problem} for the failures."""
    problems = {}
    lock = threading.Lock()
    chunks = [paths[i::parallel] for i in range(parallel)]

    def worker(chunk):
        conn = None
        for path in chunk:
            for attempt in range(3):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    body = resp.read()
                    problem = check(path, resp.status, resp.headers, body)
                    if resp.will_close:
                        conn.close(); conn = None
                    break
                except (OSError, http.client.HTTPException) as e:
                    if conn is not None:
                        conn.close(); conn = None
                    problem = f"request failed: {e!r}"
            if problem:
                with lock:
                    problems[path] = problem

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return problems


def summarize(title, total, problems, limit=10):
    kinds = {}
    for p in problems.values():
        kinds.setdefault(p.split(":")[0], 0)
        kinds[p.split(":")[0]] += 1
    print(f"{title}: {total - len(problems)}/{total} ok", file=sys.stderr)
    for k, n in sorted(kinds.items()):
        print(f"  {n:6d}  {k}", file=sys.stderr)
    for path in sorted(problems, key=lambda p: int(p.rsplit("/", 1)[1]))[:limit]:
        print(f"  e.g. {path}: {problems[path]}", file=sys.stderr)


def cmd_fill(a):
    paths = [f"/obj/{n}" for n in range(a.objects)]
    hashes = {}
    lock = threading.Lock()

    def check(path, status, headers, body):
        cs = headers.get("Cache-Status", "")
        expected = body_for(int(path[5:]))
        with lock:
            hashes[path] = hashlib.sha256(body).hexdigest()
        if status != 200:
            return f"status {status}"
        if body != expected:
            return "body differs from the origin's"
        if not cs.startswith("tern; fwd=uri-miss") or "; stored" not in cs:
            return f"not stored: Cache-Status '{cs}'"
        return None

    t0 = time.monotonic()
    problems = fetch_all(a.port, paths, a.parallel, check)
    dt = time.monotonic() - t0
    if a.kill_pid:
        # kill -9 as soon as the last response has been read (after --settle-ms), from this process,
        # so nothing (interpreter exit, other commands) gives Tern's disk writer extra time.
        if a.settle_ms:
            time.sleep(a.settle_ms / 1000)
        os.kill(a.kill_pid, signal.SIGKILL)
        killed_after_ms = round((time.monotonic() - t0 - dt) * 1000, 2)
    with open(a.out, "w") as f:
        for p in paths:
            f.write(f"{p} {hashes.get(p, '-')}\n")
    summarize(f"fill ({dt:.1f}s, {len(paths) / dt:.0f} req/s)", len(paths), problems)
    print(json.dumps({"objects": len(paths), "stored": len(paths) - len(problems), "fill_seconds": round(dt, 3),
                      "killed_after_ms": killed_after_ms if a.kill_pid else None}))
    return 0 if not problems else 1


def cmd_verify(a):
    expected = {}
    with open(a.hashes) as f:
        for line in f:
            p, h = line.split()
            expected[p] = h
    paths = list(expected)
    counts = {"hit": 0, "not_hit": 0, "mismatch": 0, "error": 0, "checked": 0}
    lock = threading.Lock()

    def check(path, status, headers, body):
        cs = headers.get("Cache-Status", "")
        problem = None
        if status != 200:
            problem = f"status {status}: Cache-Status '{cs}'"
            kind = "error"
        elif not cs.startswith("tern; hit"):
            problem = f"not a hit: Cache-Status '{cs}'"
            kind = "not_hit"
        elif hashlib.sha256(body).hexdigest() != expected[path]:
            problem = f"body differs from the one stored before the restart ({len(body)} bytes)"
            kind = "mismatch"
        else:
            kind = "hit"
        # A non-hit that still has the right bytes is counted as not_hit; check its bytes too.
        with lock:
            counts[kind] += 1
            counts["checked"] += 1
            if kind == "not_hit" and hashlib.sha256(body).hexdigest() != expected[path]:
                counts["mismatch"] += 1
        return problem

    t0 = time.monotonic()
    problems = fetch_all(a.port, paths, a.parallel, check)
    dt = time.monotonic() - t0
    counts["error"] += len(paths) - counts["checked"]   # requests that never got a response
    summarize(f"verify ({dt:.1f}s, {len(paths) / dt:.0f} req/s)", len(paths), problems)
    print(json.dumps({"objects": len(paths), "hits": counts["hit"], "not_hits": counts["not_hit"],
                      "mismatches": counts["mismatch"], "errors": counts["error"], "verify_seconds": round(dt, 3)}))
    return 0 if not problems else 1


# ------------------------------------------------------------------------------------------------ restart
def cmd_restart(a):
    log = open(a.log, "ab")
    t0 = time.monotonic()
    proc = subprocess.Popen(a.cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    with open(a.pidfile, "w") as f:
        f.write(f"{proc.pid}\n")
    first_response = first_hit = None
    non_hits = []
    polls = 0
    deadline = t0 + a.timeout
    while time.monotonic() < deadline:
        polls += 1
        if proc.poll() is not None:
            print(json.dumps({"error": f"tern exited with {proc.returncode} during start-up", "polls": polls}))
            return 1
        try:
            conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=1)
            conn.request("GET", a.path)
            resp = conn.getresponse()
            resp.read()
            now = time.monotonic()
            cs = resp.headers.get("Cache-Status", "")
            conn.close()
            if first_response is None:
                first_response = now - t0
            if resp.status == 200 and cs.startswith("tern; hit"):
                first_hit = now - t0
                break
            non_hits.append(f"{resp.status} '{cs}'")
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.01)
    out = {"polls": polls,
           "first_response_ms": None if first_response is None else round(first_response * 1000, 1),
           "first_hit_ms": None if first_hit is None else round(first_hit * 1000, 1),
           "non_hit_responses": len(non_hits), "non_hit_examples": non_hits[:5]}
    print(json.dumps(out))
    return 0 if first_hit is not None else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd_name", required=True)
    p = sub.add_parser("origin"); p.add_argument("--port", type=int, required=True); p.set_defaults(fn=cmd_origin)
    p = sub.add_parser("stats"); p.add_argument("--port", type=int, required=True); p.set_defaults(fn=cmd_stats)
    p = sub.add_parser("fill"); p.add_argument("--port", type=int, required=True)
    p.add_argument("--objects", type=int, required=True); p.add_argument("--out", required=True)
    p.add_argument("--parallel", type=int, default=8)
    p.add_argument("--kill-pid", type=int, default=0, help="SIGKILL this PID right after the last response")
    p.add_argument("--settle-ms", type=int, default=0, help="wait this long before the SIGKILL")
    p.set_defaults(fn=cmd_fill)
    p = sub.add_parser("verify"); p.add_argument("--port", type=int, required=True)
    p.add_argument("--hashes", required=True); p.add_argument("--parallel", type=int, default=8); p.set_defaults(fn=cmd_verify)
    p = sub.add_parser("restart"); p.add_argument("--port", type=int, required=True)
    p.add_argument("--pidfile", required=True); p.add_argument("--log", required=True)
    p.add_argument("--path", default="/obj/0"); p.add_argument("--timeout", type=float, default=30)
    p.add_argument("cmd", nargs=argparse.REMAINDER); p.set_defaults(fn=cmd_restart)
    a = ap.parse_args()
    if getattr(a, "cmd", None) and a.cmd[:1] == ["--"]:
        a.cmd = a.cmd[1:]
    sys.exit(a.fn(a) or 0)


if __name__ == "__main__":
    main()
