#!/usr/bin/env python3
"""Replay the OWASP CRS 3.3.4 regression tests against a running Tern over HTTP.

Usage: crs_runner.py URL AUDIT_LOG [--subset] [--json] [--tests DIR] [--rules DIR] [--timeout S]

Each stage is sent on its own raw socket (so odd methods, versions and `encoded_request`s go out byte for
byte) with a unique `X-Tern-Test-Id` header. Tern's WAF audit log (JSON lines) records that header's value
as `test_id`, so every audit line is attributed to exactly one stage. `log_contains` / `no_log_contains`
are checked against that stage's `rule_ids`; `status` against the HTTP status; `expect_error` against a
refused/closed connection or a 400.

Counted like the references (nginx+libmodsecurity3 1369/1412, Apache 1407/1412): stages of enabled files
whose rule is at paranoia level <= 1. Tern must run with the WAF `on`, paranoia level 1, audit log on.
Needs Python 3 and PyYAML.
"""
import argparse, base64, glob, json, os, re, socket, sys, time, uuid
from urllib.parse import urlparse

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TESTS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "waf", "crs-3.3.4-regression"))
DEFAULT_KNOWN = os.path.normpath(os.path.join(HERE, "..", "TernWAFTests", "Fixtures", "crs-known-failures.txt"))


def paranoia_levels(rules_dir):
    levels = {}
    for path in glob.glob(os.path.join(rules_dir, "*.conf")):
        current = 1
        for m in re.finditer(r'EXECUTING_PARANOIA_LEVEL "@lt (\d)"|id:(\d+)', open(path, encoding="utf-8").read()):
            if m.group(1):
                current = int(m.group(1))
            else:
                levels.setdefault(int(m.group(2)), current)
    return levels


def to_bytes(text):
    if all(ord(c) <= 0xFF for c in text):
        return text.encode("latin-1")
    return text.encode("utf-8")


def expectation(output):
    for key in ("log_contains", "no_log_contains"):
        if key in output:
            return key, int(re.sub(r"\D", "", str(output[key])))
    if "status" in output:
        s = output["status"]
        return "status", s if isinstance(s, list) else [s]
    if "expect_error" in output:
        return "expect_error", True
    return None


def load(tests_dir, subset, levels):
    stages = []
    families = sorted(d for d in os.listdir(tests_dir) if d.startswith("REQUEST-"))
    for family in families:
        files = sorted(f for f in os.listdir(os.path.join(tests_dir, family)) if f.endswith(".yaml"))
        if subset:
            files = [f for f in files if levels.get(int(f[:-5]) if f[:-5].isdigit() else 0, 1) <= 1][:2]
        for name in files:
            doc = yaml.safe_load(open(os.path.join(tests_dir, family, name), "rb"))
            rule = int(name[:-5]) if name[:-5].isdigit() else 0
            enabled = doc.get("meta", {}).get("enabled", True)
            for test in doc.get("tests", []):
                n = len(test.get("stages", []))
                for i, wrapper in enumerate(test.get("stages", [])):
                    stage = wrapper["stage"]
                    exp = expectation(stage.get("output", {}))
                    if exp is None:
                        continue
                    title = test.get("test_title", name) + (f"#{i + 1}" if n > 1 else "")
                    stages.append(dict(title=title, rule=rule, enabled=enabled, input=stage["input"], expect=exp))
    return stages


def build_request(inp, test_id, host_header):
    marker = f"X-Tern-Test-Id: {test_id}\r\n".encode()
    if "encoded_request" in inp or "raw_request" in inp:
        raw = base64.b64decode(inp["encoded_request"]) if "encoded_request" in inp else to_bytes(inp["raw_request"])
        eol = raw.find(b"\n")
        return raw[: eol + 1] + marker + raw[eol + 1 :] if eol >= 0 else raw
    method = inp.get("method", "GET")
    uri = str(inp.get("uri", "/"))
    version = inp.get("version", "HTTP/1.1")
    headers = [(str(k), str(v)) for k, v in (inp.get("headers") or {}).items()]
    data = inp.get("data", "")
    if isinstance(data, list):
        data = "\r\n".join(str(x) for x in data)
    body = to_bytes(str(data)) if data else b""
    stop_magic = inp.get("stop_magic", False)
    if body and not stop_magic:
        if b"\n" in body and b"\r\n" not in body:
            body = body.replace(b"\n", b"\r\n")
        names = {k.lower() for k, _ in headers}
        if "content-length" not in names:
            headers.append(("Content-Length", str(len(body))))
        if "content-type" not in names:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    if not any(k.lower() == "connection" for k, _ in headers) and not stop_magic:
        headers.append(("Connection", "close"))
    head = f"{method} {uri} {version}".rstrip() + "\r\n"
    out = to_bytes(head) + marker
    for k, v in headers:
        out += to_bytes(f"{k}: {v}\r\n")
    return out + b"\r\n" + body


def send(host, port, payload, timeout):
    """Returns (status or None, error string or None).

    The request is written and the socket is NOT half-closed: Tern (like any SwiftNIO server without
    half-closure support) treats a read EOF as the end of the connection and drops the request without an
    answer, so shutdown(SHUT_WR) after the request made every status-judged stage look like "no response".
    Reads until the end of the response head (or EOF / timeout).
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            try:
                s.sendall(payload)
            except OSError as e:  # the server may answer (400) and close before it has read everything
                send_error = str(e)
            else:
                send_error = None
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                if not data:
                    return None, "timeout (no response within %gs)" % timeout
            except OSError as e:
                if not data:
                    return None, str(e)
            m = re.match(rb"HTTP/\d(?:\.\d)? (\d{3})", data)
            if m:
                return int(m.group(1)), None
            return None, send_error or ("connection closed without a response" if not data else "no status line")
    except OSError as e:
        return None, str(e)


def known_failures(path):
    """title -> (category, explanation) from Tests/TernWAFTests/Fixtures/crs-known-failures.txt."""
    known = {}
    if path and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            m = re.match(r"(\S+) (\S+) — (.*)", line.strip())
            if m and not line.startswith("#"):
                known[m.group(1)] = (m.group(2), m.group(3))
    return known


# Statuses Tern's HTTP layer (SwiftNIO/llhttp request parser and Tern's own method/target checks) answers
# before the WAF sees a request.
HTTP_LAYER_STATUSES = (400, 405, 414, 431, 501, 505)


def read_audit(path, offset):
    by_test = {}
    with open(path, "rb") as f:
        f.seek(offset)
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("test_id"):
                by_test.setdefault(record["test_id"], []).append(record)
    return by_test


def classify(r, known):
    """Why a stage failed: one of the categories printed in the summary."""
    title = r["stage"]["title"]
    kind, want = r["stage"]["expect"]
    waf_saw_it = bool(r["records"])
    if not waf_saw_it and r["status"] in HTTP_LAYER_STATUSES:
        return "http-layer", f"Tern answered {r['status']} before the WAF (request refused by the HTTP layer; never forwarded)"
    if title in known:
        return "known:" + known[title][0], known[title][1]
    if r["status"] is None:
        return "no-response", r["error"] or "no response"
    if kind == "status":
        return "status", f"expected {want}, Tern answered {r['status']}" + (
            f" (WAF outcome {r['records'][0].get('outcome')})" if waf_saw_it else " (no WAF audit record)")
    return "waf", f"rule_ids {r['rule_ids']}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("audit_log")
    ap.add_argument("--subset", action="store_true", help="first two PL1 rule files per family (fast)")
    ap.add_argument("--json", action="store_true", help="print a JSON report")
    ap.add_argument("--tests", default=os.environ.get("TERN_CRS_REGRESSION_DIR", DEFAULT_TESTS))
    ap.add_argument("--rules", default="/usr/share/modsecurity-crs/rules")
    ap.add_argument("--known", default=DEFAULT_KNOWN, help="known-failures file (title category — reason)")
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()

    url = urlparse(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    levels = paranoia_levels(args.rules)
    stages = load(args.tests, args.subset, levels)
    known = known_failures(args.known)
    offset = os.path.getsize(args.audit_log) if os.path.exists(args.audit_log) else 0

    results = []
    t0 = time.time()
    for stage in stages:
        if not stage["enabled"] or levels.get(stage["rule"], 1) > 1:
            continue
        test_id = uuid.uuid4().hex
        status, error = send(host, port, build_request(stage["input"], test_id, host), args.timeout)
        results.append(dict(stage=stage, test_id=test_id, status=status, error=error))
    elapsed = time.time() - t0

    # The audit log is written off the request path: wait until it stops growing (at least 1 s).
    time.sleep(1.0)
    size = -1
    for _ in range(50):
        now = os.path.getsize(args.audit_log) if os.path.exists(args.audit_log) else 0
        if now == size:
            break
        size = now
        time.sleep(0.2)
    audit = read_audit(args.audit_log, offset) if os.path.exists(args.audit_log) else {}

    passed, failed = 0, []
    for r in results:
        kind, want = r["stage"]["expect"]
        r["records"] = audit.get(r["test_id"], [])
        ids = sorted({i for rec in r["records"] for i in rec.get("rule_ids", [])})
        if kind == "log_contains":
            ok = want in ids
        elif kind == "no_log_contains":
            ok = want not in ids
        elif kind == "status":
            ok = r["status"] in want
        else:
            ok = r["error"] is not None or r["status"] in (400, None)
        r["rule_ids"] = ids
        if ok:
            passed += 1
        else:
            r["category"], r["why"] = classify(r, known)
            failed.append(r)

    total = len(results)
    by_cat = {}
    for f in failed:
        by_cat.setdefault(f["category"], []).append(f)
    http_layer = len(by_cat.get("http-layer", []))
    statuses = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    if args.json:
        print(json.dumps(dict(passed=passed, total=total, http_layer=http_layer, seconds=round(elapsed, 1),
                              categories={k: len(v) for k, v in by_cat.items()},
                              statuses={str(k): v for k, v in statuses.items()},
                              failures=[dict(title=f["stage"]["title"], expect=f["stage"]["expect"], status=f["status"],
                                             error=f["error"], rule_ids=f["rule_ids"], category=f["category"], why=f["why"])
                                        for f in failed]), indent=1))
    else:
        for f in sorted(failed, key=lambda f: (f["category"], f["stage"]["title"])):
            print(f"FAIL {f['stage']['title']:<12} [{f['category']}] expected {f['stage']['expect'][0]} "
                  f"{f['stage']['expect'][1]}; status {f['status']}; rule_ids {f['rule_ids']}; {f['why']}")
        print()
        print(f"CRS 3.3.4 regression over HTTP (PL1{', subset' if args.subset else ''}): {passed}/{total} passed"
              f" in {elapsed:.1f}s (references, full set: nginx+libmodsecurity3 1369/1412, Apache+mod_security2 1407/1412)")
        print("failures by category:")
        names = {
            "http-layer": "refused by Tern's HTTP layer before the WAF (400/405/…; never forwarded)",
            "no-response": "no response (connection closed / timeout)",
            "status": "wrong HTTP status",
            "waf": "WAF verdict differs (not explained)",
        }
        for cat in sorted(by_cat):
            label = names.get(cat, "known, " + cat[6:] + " (Tests/TernWAFTests/Fixtures/crs-known-failures.txt)" if cat.startswith("known:") else cat)
            print(f"  {len(by_cat[cat]):4d}  {label}")
        if total - http_layer:
            print(f"judged by the WAF (without the {http_layer} HTTP-layer refusals): {passed}/{total - http_layer}")
        print("response statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))))
    unexplained = [f for f in failed if f["category"] in ("no-response", "status", "waf")]
    return 0 if not unexplained else 1


if __name__ == "__main__":
    sys.exit(main())
