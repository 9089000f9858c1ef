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
    """Returns (status or None, error string or None)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(payload)
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            m = re.match(rb"HTTP/\d(?:\.\d)? (\d{3})", data)
            return (int(m.group(1)), None) if m else (None, "no status line")
    except OSError as e:
        return None, str(e)


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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("audit_log")
    ap.add_argument("--subset", action="store_true", help="first two PL1 rule files per family (fast)")
    ap.add_argument("--json", action="store_true", help="print a JSON report")
    ap.add_argument("--tests", default=os.environ.get("TERN_CRS_REGRESSION_DIR", DEFAULT_TESTS))
    ap.add_argument("--rules", default="/usr/share/modsecurity-crs/rules")
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()

    url = urlparse(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    levels = paranoia_levels(args.rules)
    stages = load(args.tests, args.subset, levels)
    offset = os.path.getsize(args.audit_log) if os.path.exists(args.audit_log) else 0

    results = []
    for stage in stages:
        if not stage["enabled"] or levels.get(stage["rule"], 1) > 1:
            continue
        test_id = uuid.uuid4().hex
        status, error = send(host, port, build_request(stage["input"], test_id, host), args.timeout)
        results.append(dict(stage=stage, test_id=test_id, status=status, error=error))

    time.sleep(1.0)  # the audit log is written off the request path
    audit = read_audit(args.audit_log, offset) if os.path.exists(args.audit_log) else {}

    passed, failed = 0, []
    for r in results:
        kind, want = r["stage"]["expect"]
        ids = sorted({i for rec in audit.get(r["test_id"], []) for i in rec.get("rule_ids", [])})
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
            failed.append(r)

    total = len(results)
    if args.json:
        print(json.dumps(dict(passed=passed, total=total, failures=[
            dict(title=f["stage"]["title"], expect=f["stage"]["expect"], status=f["status"], error=f["error"], rule_ids=f["rule_ids"])
            for f in failed]), indent=1))
    else:
        for f in failed:
            print(f"FAIL {f['stage']['title']}: expected {f['stage']['expect']}, status {f['status']} {f['error'] or ''} rule_ids {f['rule_ids']}")
        print(f"CRS 3.3.4 regression over HTTP (PL1): {passed}/{total} passed"
              f" (references: nginx+libmodsecurity3 1369/1412, Apache+mod_security2 1407/1412)")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
