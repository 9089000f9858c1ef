#!/usr/bin/env python3
"""Bench/soak_tool.py — the origin and the load generator of Bench/soak.sh (loopback only).

  soak_tool.py origin PORT
      GET /hot/N        cacheable (max-age=3600), 16 KiB, deterministic per N
      GET /cold/ID?s=B  cacheable (max-age=3600), B bytes (1 KiB .. 1 MiB), deterministic per ID
      GET /err/500/ID   500, no-store
      GET /err/close/ID closes the connection without answering (Tern answers 502)
      GET /__stats      requests seen (not counted)

  soak_tool.py load --port P --pid PID --seconds S --out SUMMARY.json --samples SAMPLES.csv
                    [--clients C] [--mix hit=70,miss=20,error=5,purge=5] [--hot 200] [--error-kinds 500,close]
                    [--interval 5] [--max-requests N]
      C client threads on keep-alive connections (a new one after an error or a purge), each picking
      an operation by weight; every request has a 10 s timeout; the run stops after S seconds or
      N requests. A sampler thread reads /proc/PID/status (VmRSS, RssAnon) and counts /proc/PID/fd
      every INTERVAL seconds into SAMPLES.csv. SUMMARY.json: per operation the count, statuses,
      errors (unexpected statuses, socket errors) and latency percentiles.

  soak_tool.py report --samples SAMPLES.csv --summary SUMMARY.json --warmup SECONDS
                    [--max-slope 0.5] [--fd-slack 16]
      RSS and RssAnon over time and their least-squares slope after the warm-up (MiB/min), open
      fds, unexpected errors, latency percentiles; exit 1 when a target is missed.
"""
import argparse
import http.client
import http.server
import json
import os
import random
import socket
import socketserver
import sys
import threading
import time

HOT_SIZE = 16 << 10


def body_for(key: str, size: int) -> bytes:
    seed = sum(key.encode()) % 251
    pattern = bytes((seed + i) % 251 for i in range(251))
    return (pattern * (size // 251 + 1))[:size]


def run_origin(port: int) -> None:
    counter = {"requests": 0}
    lock = threading.Lock()
    hot_cache = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send_all(self, status: int, reason: str, headers: list, body: bytes) -> None:
            head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
            head += f"Content-Length: {len(body)}\r\n\r\n"
            self.wfile.write(head.encode() + body)  # one write: no Nagle/delayed-ACK stall

        def do_GET(self):
            path, _, query = self.path.partition("?")
            if path == "/__stats":
                with lock:
                    body = json.dumps(counter).encode()
                return self.send_all(200, "OK", [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body)
            with lock:
                counter["requests"] += 1
            parts = path.split("/")
            if len(parts) >= 3 and parts[1] == "hot":
                body = hot_cache.get(parts[2])
                if body is None:
                    body = hot_cache.setdefault(parts[2], body_for(path, HOT_SIZE))
                return self.send_all(200, "OK", [("Cache-Control", "max-age=3600"), ("Content-Type", "application/octet-stream")], body)
            if len(parts) >= 3 and parts[1] == "cold":
                size = 1024
                for item in query.split("&"):
                    if item.startswith("s="):
                        size = max(1, min(int(item[2:]), 1 << 20))
                return self.send_all(200, "OK", [("Cache-Control", "max-age=3600"), ("Content-Type", "application/octet-stream")], body_for(path, size))
            if len(parts) >= 3 and parts[1] == "err" and parts[2] == "500":
                return self.send_all(500, "Internal Server Error", [("Cache-Control", "no-store")], b"origin error\n")
            if len(parts) >= 3 and parts[1] == "err" and parts[2] == "close":
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self.send_all(404, "Not Found", [("Cache-Control", "no-store")], b"not found\n")

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

        def server_bind(self):
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().server_bind()

    Server(("127.0.0.1", port), Handler).serve_forever()


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * (len(sorted_values) - 1)))))
    return sorted_values[index]


def proc_sample(pid: int):
    rss = anon = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("RssAnon:"):
                anon = int(line.split()[1]) * 1024
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, anon, fds


def run_load(args) -> int:
    mix = {}
    for item in args.mix.split(","):
        name, _, weight = item.partition("=")
        mix[name.strip()] = float(weight)
    unknown = set(mix) - {"hit", "miss", "error", "purge"}
    if unknown or sum(mix.values()) <= 0:
        print(f"soak_tool: bad --mix {args.mix}", file=sys.stderr)
        return 2
    ops = list(mix)
    weights = [mix[o] for o in ops]
    error_kinds = [k.strip() for k in args.error_kinds.split(",") if k.strip()]
    if not error_kinds or set(error_kinds) - {"500", "close"}:
        print(f"soak_tool: bad --error-kinds {args.error_kinds}", file=sys.stderr)
        return 2
    deadline = time.monotonic() + args.seconds
    stop = threading.Event()
    lock = threading.Lock()
    stats = {op: {"count": 0, "statuses": {}, "errors": 0, "error_samples": [], "latencies": []} for op in ops}
    issued = [0]
    cold_id = [0]

    def record(op, status, latency, error=None):
        with lock:
            s = stats[op]
            s["count"] += 1
            s["latencies"].append(latency)
            if status is not None:
                s["statuses"][str(status)] = s["statuses"].get(str(status), 0) + 1
            if error is not None:
                s["errors"] += 1
                if len(s["error_samples"]) < 5:
                    s["error_samples"].append(error)

    def expected(op, status):
        if op == "hit" or op == "miss":
            return status == 200
        if op == "error":
            return status in (500, 502)
        if op == "purge":
            return status in (200, 404)
        return False

    def client(seed):
        rng = random.Random(seed)
        conn = None
        while not stop.is_set():
            with lock:
                if issued[0] >= args.max_requests or time.monotonic() >= deadline:
                    stop.set()
                    break
                issued[0] += 1
                cold_id[0] += 1
                my_cold = cold_id[0]
            op = rng.choices(ops, weights)[0]
            method = "GET"
            if op == "hit":
                path = f"/hot/{rng.randrange(args.hot)}"
            elif op == "miss":
                size = rng.choice([1024, 16 << 10, 128 << 10, 1 << 20])
                path = f"/cold/{seed}-{my_cold}?s={size}"
            elif op == "error":
                path = f"/err/{rng.choice(error_kinds)}/{my_cold}"
            else:
                method = "PURGE"
                path = f"/hot/{rng.randrange(args.hot)}"
            start = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
                conn.request(method, path, headers={"Host": f"127.0.0.1:{args.port}"})
                response = conn.getresponse()
                data = response.read()
                latency = time.monotonic() - start
                status = response.status
                if op == "hit" and status == 200 and len(data) != HOT_SIZE:
                    record(op, status, latency, f"short body {len(data)} for {path}")
                elif not expected(op, status):
                    record(op, status, latency, f"{method} {path}: unexpected {status}")
                else:
                    record(op, status, latency)
                if response.will_close or op in ("error", "purge"):
                    conn.close()
                    conn = None
            except Exception as error:  # socket errors, timeouts, malformed responses
                record(op, None, time.monotonic() - start, f"{method} {path}: {type(error).__name__}: {error}")
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    samples = []

    def sampler():
        t0 = time.monotonic()
        while True:
            try:
                rss, anon, fds = proc_sample(args.pid)
            except OSError:
                break
            with lock:
                done = sum(s["count"] for s in stats.values())
            samples.append((round(time.monotonic() - t0, 2), rss, anon, fds, done))
            if stop.wait(args.interval):
                # one last sample after the load stopped
                try:
                    rss, anon, fds = proc_sample(args.pid)
                    samples.append((round(time.monotonic() - t0, 2), rss, anon, fds, done))
                except OSError:
                    pass
                break

    sample_thread = threading.Thread(target=sampler, daemon=True)
    sample_thread.start()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.seconds + 30)
    stop.set()
    sample_thread.join(args.interval + 5)
    elapsed = time.monotonic() - started

    with open(args.samples, "w") as f:
        f.write("seconds,rss_bytes,rss_anon_bytes,fds,requests\n")
        for row in samples:
            f.write(",".join(str(v) for v in row) + "\n")
    summary = {"seconds": round(elapsed, 1), "requests": sum(s["count"] for s in stats.values()), "operations": {}}
    for op, s in stats.items():
        lat = sorted(s["latencies"])
        summary["operations"][op] = {
            "count": s["count"],
            "statuses": s["statuses"],
            "unexpected": s["errors"],
            "unexpected_samples": s["error_samples"],
            "latency_ms": {
                "p50": round(percentile(lat, 0.50) * 1000, 2),
                "p90": round(percentile(lat, 0.90) * 1000, 2),
                "p99": round(percentile(lat, 0.99) * 1000, 2),
                "max": round((lat[-1] if lat else 0) * 1000, 2),
            },
        }
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=2)
    return 0


def run_report(args) -> int:
    """Prints the soak's figures; exit 1 when a target is missed (unexpected errors, fd growth, RssAnon slope)."""
    rows = []
    with open(args.samples) as f:
        next(f)
        for line in f:
            t, rss, anon, fds, done = line.strip().split(",")
            rows.append((float(t), int(rss), int(anon), int(fds), int(done)))
    with open(args.summary) as f:
        summary = json.load(f)
    if len(rows) < 3:
        print("soak: too few samples for a slope", file=sys.stderr)
        return 1
    warm = [r for r in rows if r[0] >= args.warmup] or rows[len(rows) // 2:]

    def slope(points):  # least squares, bytes per second
        n = len(points)
        mx = sum(p[0] for p in points) / n
        my = sum(p[1] for p in points) / n
        den = sum((p[0] - mx) ** 2 for p in points)
        return 0.0 if den == 0 else sum((p[0] - mx) * (p[1] - my) for p in points) / den

    mib = 1 << 20
    rss_slope = slope([(r[0], r[1]) for r in warm]) * 60 / mib
    anon_slope = slope([(r[0], r[2]) for r in warm]) * 60 / mib
    unexpected = sum(op["unexpected"] for op in summary["operations"].values())
    fd_first, fd_last, fd_max = warm[0][3], rows[-1][3], max(r[3] for r in rows)
    print(f"duration           {summary['seconds']} s, {summary['requests']} requests ({summary['requests'] / max(summary['seconds'], 0.001):.0f}/s), warm-up {args.warmup:.0f} s, {len(rows)} samples")
    print(f"RSS                start {rows[0][1] / mib:.1f} MiB, after warm-up {warm[0][1] / mib:.1f}, end {rows[-1][1] / mib:.1f}, max {max(r[1] for r in rows) / mib:.1f}; slope after warm-up {rss_slope:+.3f} MiB/min")
    print(f"RssAnon            start {rows[0][2] / mib:.1f} MiB, after warm-up {warm[0][2] / mib:.1f}, end {rows[-1][2] / mib:.1f}, max {max(r[2] for r in rows) / mib:.1f}; slope after warm-up {anon_slope:+.3f} MiB/min")
    print(f"open fds           start {rows[0][3]}, after warm-up {fd_first}, end {fd_last}, max {fd_max}")
    print(f"unexpected errors  {unexpected}")
    print("operation  count    statuses                          unexpected  p50 ms   p90 ms   p99 ms   max ms")
    for name, op in summary["operations"].items():
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(op["statuses"].items()))
        lat = op["latency_ms"]
        print(f"{name:<10} {op['count']:<8} {statuses:<33} {op['unexpected']:<11} {lat['p50']:<8} {lat['p90']:<8} {lat['p99']:<8} {lat['max']}")
        for sample in op["unexpected_samples"]:
            print(f"           e.g. {sample}")
    failed = []
    if unexpected > 0:
        failed.append(f"{unexpected} unexpected errors")
    if fd_last > fd_first + args.fd_slack:
        failed.append(f"open fds grew from {fd_first} to {fd_last}")
    if anon_slope > args.max_slope:
        failed.append(f"RssAnon slope {anon_slope:+.3f} MiB/min > {args.max_slope}")
    print("result             " + ("PASS" if not failed else "FAIL: " + "; ".join(failed)))
    return 0 if not failed else 1


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "origin":
        run_origin(int(sys.argv[2]))
        return 0
    if len(sys.argv) >= 2 and sys.argv[1] == "load":
        parser = argparse.ArgumentParser(prog="soak_tool.py load")
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--pid", type=int, required=True)
        parser.add_argument("--seconds", type=float, required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--samples", required=True)
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--mix", default="hit=70,miss=20,error=5,purge=5")
        parser.add_argument("--hot", type=int, default=200)
        parser.add_argument("--error-kinds", default="500,close", help="500 and/or close (origin closes unanswered)")
        parser.add_argument("--interval", type=float, default=5)
        parser.add_argument("--max-requests", type=int, default=50_000_000)
        return run_load(parser.parse_args(sys.argv[2:]))
    if len(sys.argv) >= 2 and sys.argv[1] == "report":
        parser = argparse.ArgumentParser(prog="soak_tool.py report")
        parser.add_argument("--samples", required=True)
        parser.add_argument("--summary", required=True)
        parser.add_argument("--warmup", type=float, required=True)
        parser.add_argument("--max-slope", type=float, default=0.5, help="MiB/min of RssAnon after warm-up")
        parser.add_argument("--fd-slack", type=int, default=16)
        return run_report(parser.parse_args(sys.argv[2:]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
