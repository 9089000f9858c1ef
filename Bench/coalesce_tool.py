#!/usr/bin/env python3
"""Helper for Bench/coalesce-vs-nginx.sh (standard library only).

  origin --port P [--delay-ms 300] [--body-size 65536]
        asyncio HTTP/1.1 origin (keep-alive, TCP_NODELAY, any number of concurrent connections).
        GET /obj/<anything>: waits --delay-ms BEFORE sending the response head, then answers 200 with a
        deterministic --body-size body (sha256 counter mode of the path) and `Cache-Control: max-age=3600`.
        Every such request is counted per path, at arrival. GET /__stats: {"total": n, "paths": {path: n}}
        (not counted, no-store). Anything else: 404.
  stats  --port P [--path /obj/X]
        prints the origin's counters (with --path: only that path's count, 0 when never requested).
  burst  --port P --path /obj/X --clients 200 --body-size N [--cpu-pids "PID ..."] [--cpu N]
        opens --clients TCP connections to 127.0.0.1:P (one per client, all connected before timing),
        then releases them at once: one tight loop writes `GET path` on every socket (the barrier), and
        a single epoll loop reads all responses. Per client: time to first response byte, time to the
        complete response (Content-Length or chunked framing), status, body == expected bytes, and the
        Cache-Status / X-Cache-Status value. --cpu-pids: utime+stime of those processes (from
        /proc/PID/stat, 10 ms ticks) and their exact runtime (/proc/PID/task/*/schedstat, ns) from just
        before connecting until every socket is closed (window_ms); --cpu N: busy ticks of
        core N over the same span (/proc/stat). Prints one JSON object.

The body function is shared by origin and burst, so the client verifies every byte it receives.
"""
import argparse
import asyncio
import hashlib
import json
import os
import selectors
import socket
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def body_for(path: str, size: int) -> bytes:
    """Deterministic body for `path`: `size` bytes of sha256 counter-mode output seeded with the path."""
    seed = hashlib.sha256(f"tern-coalesce:{path}".encode()).digest()
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


# ------------------------------------------------------------------------------------------------ origin
class OriginState:
    def __init__(self, delay, size):
        self.delay = delay
        self.size = size
        self.counts = {}
        self.total = 0
        self.bodies = {}

    def body(self, path):
        b = self.bodies.get(path)
        if b is None:
            if len(self.bodies) > 256:
                self.bodies.clear()
            b = self.bodies[path] = body_for(path, self.size)
        return b


async def handle(state, reader, writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3:
                return
            method, path, _version = parts
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            n = int(headers.get("content-length", "0") or 0)
            if n:
                await reader.readexactly(n)   # never sent by the proxies here; be correct anyway
            close = headers.get("connection", "").lower() == "close"
            if path == "/__stats":
                body = json.dumps({"total": state.total, "paths": state.counts}).encode()
                status, extra = "200 OK", "Cache-Control: no-store\r\nContent-Type: application/json\r\n"
            elif path.startswith("/obj/") and method in ("GET", "HEAD"):
                state.total += 1
                state.counts[path] = state.counts.get(path, 0) + 1
                await asyncio.sleep(state.delay)     # the slow origin: nothing is sent before this
                body = state.body(path)
                status = "200 OK"
                extra = "Cache-Control: max-age=3600\r\nContent-Type: application/octet-stream\r\n"
            else:
                body = b"not found\n"
                status, extra = "404 Not Found", "Cache-Control: no-store\r\n"
            out = (f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n"
                   f"{'Connection: close' + chr(13) + chr(10) if close else ''}\r\n").encode("latin-1")
            writer.write(out if method == "HEAD" else out + body)
            await writer.drain()
            if close:
                return
    except ConnectionError:
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


def cmd_origin(a):
    state = OriginState(a.delay_ms / 1000.0, a.body_size)

    async def main():
        server = await asyncio.start_server(lambda r, w: handle(state, r, w), "127.0.0.1", a.port,
                                            backlog=4096, limit=65536)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def cmd_stats(a):
    s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
    s.sendall(b"GET /__stats HTTP/1.1\r\nHost: origin\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    stats = json.loads(data.split(b"\r\n\r\n", 1)[1])
    if a.path:
        print(stats["paths"].get(a.path, 0))
    else:
        print(json.dumps(stats))


# ------------------------------------------------------------------------------------------------ burst
def cpu_ticks(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])      # utime, stime (fields 14, 15)
    return total


def sched_ns(pids):
    """Time on CPU in ns (first field of /proc/PID/task/TID/schedstat, the scheduler's exact runtime),
    summed over every live thread of the processes. Threads that exit inside the window are missed."""
    total = 0
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass
    return total


def core_busy(cpu):
    if cpu is None:
        return 0
    with open("/proc/stat") as f:
        for line in f:
            p = line.split()
            if p[0] == f"cpu{cpu}":
                v = list(map(int, p[1:]))
                return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return 0


class Client:
    __slots__ = ("sock", "buf", "first", "done", "status", "head_end", "clen", "chunked", "body",
                 "cache", "error", "eof")

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.first = None
        self.done = None
        self.status = None
        self.head_end = None
        self.clen = None
        self.chunked = False
        self.body = None
        self.cache = ""
        self.error = None
        self.eof = False


def dechunk(data):
    """Returns the decoded body when `data` holds a complete chunked body, else None."""
    out = bytearray()
    i = 0
    while True:
        j = data.find(b"\r\n", i)
        if j < 0:
            return None
        size = int(bytes(data[i:j]).split(b";")[0], 16)
        if size == 0:
            return bytes(out) if data.find(b"\r\n\r\n", j) >= 0 or data[j + 2:j + 4] == b"\r\n" else None
        start = j + 2
        if len(data) < start + size + 2:
            return None
        out += data[start:start + size]
        i = start + size + 2


def try_complete(c):
    """Parses what `c` has read; sets c.body (and the header fields) when the response is complete."""
    if c.head_end is None:
        k = c.buf.find(b"\r\n\r\n")
        if k < 0:
            return False
        c.head_end = k + 4
        lines = bytes(c.buf[:k]).decode("latin-1").split("\r\n")
        try:
            c.status = int(lines[0].split(" ")[1])
        except (IndexError, ValueError):
            c.status = -1
        caches = []
        for line in lines[1:]:
            if ":" not in line:
                continue
            name, value = line.split(":", 1)
            name = name.strip().lower()
            value = value.strip()
            if name == "content-length":
                c.clen = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                c.chunked = True
            elif name in ("cache-status", "x-cache-status"):
                caches.append(value)
        c.cache = ", ".join(caches)
    rest = c.buf[c.head_end:]
    if c.chunked:
        if not rest.endswith(b"\r\n\r\n"):
            return False
        body = dechunk(rest)
        if body is None:
            return False
        c.body = body
        return True
    if c.clen is not None:
        if len(rest) >= c.clen:
            c.body = bytes(rest[:c.clen])
            return True
        return False
    if c.eof:                       # no framing: the body ends at EOF
        c.body = bytes(rest)
        return True
    return False


def cache_label(value):
    """Cache-Status without the ttl (it changes every second), for tallying."""
    return "; ".join(p for p in (x.strip() for x in value.split(";")) if not p.startswith("ttl=")) or "-"


def cmd_burst(a):
    pids = [int(p) for p in a.cpu_pids.split()] if a.cpu_pids else []
    expected = body_for(a.path, a.body_size)
    request = (f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1:{a.port}\r\nUser-Agent: coalesce-burst\r\n"
               f"Accept: */*\r\nConnection: close\r\n\r\n").encode()

    t_start = time.monotonic()
    cpu0, sched0, busy0 = cpu_ticks(pids), sched_ns(pids), core_busy(a.cpu)
    clients = []
    for _ in range(a.clients):
        s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        clients.append(Client(s))
    # Make sure the proxy has accepted every connection before the release (it answers nothing yet,
    # so give its accept loop a moment; 200 accepts take well under 50 ms).
    time.sleep(a.settle_ms / 1000.0)

    sel = selectors.EpollSelector()
    for c in clients:
        sel.register(c.sock, selectors.EVENT_READ, c)

    # The barrier: every request is written in one tight loop, then all responses are read.
    t0 = time.monotonic()
    for c in clients:
        try:
            c.sock.send(request)
        except OSError as e:
            c.error = f"send: {e.__class__.__name__}"
    t_sent = time.monotonic()

    pending = sum(1 for c in clients if c.error is None)
    for c in clients:
        if c.error is not None:
            sel.unregister(c.sock)
    deadline = t0 + a.timeout
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for key, _ in sel.select(timeout=min(left, 1.0)):
            c = key.data
            try:
                data = c.sock.recv(262144)
            except BlockingIOError:
                continue
            except OSError as e:
                data = None
                c.error = f"recv: {e.__class__.__name__}"
            now = time.monotonic()
            if data:
                if c.first is None:
                    c.first = now
                c.buf += data
            else:
                c.eof = True
            try:
                finished = c.error is None and try_complete(c)
            except ValueError as e:
                finished, c.error = False, f"bad response framing: {e}"

            if finished:
                c.done = now
            elif c.eof and c.error is None:
                c.error = "connection closed before the response was complete"
            if finished or c.error is not None:
                sel.unregister(c.sock)
                pending -= 1
    for c in clients:
        if c.done is None and c.error is None:
            c.error = f"no complete response within {a.timeout:.0f} s"
        c.sock.close()
    sel.close()
    time.sleep(a.settle_ms / 1000.0)     # let the proxy process the closes inside the CPU window
    cpu1, sched1, busy1 = cpu_ticks(pids), sched_ns(pids), core_busy(a.cpu)
    t_end = time.monotonic()

    ttfb = sorted((c.first - t0) * 1000 for c in clients if c.first is not None)
    total = sorted((c.done - t0) * 1000 for c in clients if c.done is not None)

    def pct(v, q):
        if not v:
            return None
        return round(v[min(len(v) - 1, int(q * len(v)))], 1) if q < 1 else round(v[-1], 1)

    statuses, caches, errors = {}, {}, {}
    non200 = wrong = 0
    for c in clients:
        if c.error is not None:
            errors[c.error] = errors.get(c.error, 0) + 1
            continue
        statuses[str(c.status)] = statuses.get(str(c.status), 0) + 1
        label = cache_label(c.cache)
        caches[label] = caches.get(label, 0) + 1
        if c.status != 200:
            non200 += 1
        elif c.body != expected:
            wrong += 1
    ok = sum(1 for c in clients if c.error is None and c.status == 200 and c.body == expected)
    out = {
        "clients": a.clients, "ok": ok, "non200": non200, "wrong_body": wrong,
        "failed": sum(errors.values()),
        "wall_ms": round(max(total), 1) if total and len(total) == a.clients else None,
        "last_done_ms": round(max(total), 1) if total else None,
        "send_spread_ms": round((t_sent - t0) * 1000, 2),
        "ttfb_p50_ms": pct(ttfb, 0.5), "ttfb_min_ms": pct(ttfb, 0), "ttfb_max_ms": pct(ttfb, 1),
        "done_p50_ms": pct(total, 0.5), "done_max_ms": pct(total, 1),
        "cpu_ms": round((cpu1 - cpu0) * 1000 / CLK_TCK, 1),
        "sched_cpu_ms": round((sched1 - sched0) / 1e6, 2),
        "window_ms": round((t_end - t_start) * 1000, 1),
        "core_busy_ms": round((busy1 - busy0) * 1000 / CLK_TCK, 1) if a.cpu is not None else None,
        "statuses": statuses, "cache_status": caches, "errors": errors,
    }
    if a.ttfb_out:
        with open(a.ttfb_out, "w") as f:
            f.write(" ".join(f"{x:.1f}" for x in ttfb) + "\n")
    print(json.dumps(out))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd_name", required=True)
    p = sub.add_parser("origin")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--delay-ms", type=float, default=300)
    p.add_argument("--body-size", type=int, default=65536)
    p.set_defaults(fn=cmd_origin)
    p = sub.add_parser("stats")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="")
    p.set_defaults(fn=cmd_stats)
    p = sub.add_parser("burst")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--body-size", type=int, default=65536)
    p.add_argument("--cpu-pids", default="")
    p.add_argument("--cpu", type=int, default=None)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--settle-ms", type=float, default=100)
    p.add_argument("--ttfb-out", default="")
    p.set_defaults(fn=cmd_burst)
    a = ap.parse_args()
    sys.exit(a.fn(a) or 0)


if __name__ == "__main__":
    main()
