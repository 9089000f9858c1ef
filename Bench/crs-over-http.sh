#!/usr/bin/env bash
# Bench/crs-over-http.sh — the OWASP CRS 3.3.4 regression tests replayed over HTTP against a running Tern
# (WAF on, paranoia level 1, WAF audit log on), with Tests/waf-runner/crs_runner.py.
#
#   Bench/crs-over-http.sh                 # full set (~1411 stages, about 15 s)
#   SUBSET=1 Bench/crs-over-http.sh        # fast subset (first two PL1 rule files per family)
#   JSON=1 Bench/crs-over-http.sh          # the runner's JSON report instead of the text summary
#   SKIP_BUILD=1 / TERN_BIN=path / KEEP_WORK=1   as in the other Bench scripts
#
#   runner ──► tern (127.0.0.1, random port; waf: {mode: on, paranoia_level: 1, audit_log: WORK/waf-audit.jsonl})
#                └──► Tests/waf-runner/origin200.py (answers 200 + no-store to any method, target and body)
#
# The runner sends each stage on its own connection with a unique X-Tern-Test-Id header, which Tern's WAF
# audit log records as test_id; log_contains / no_log_contains are checked against that stage's rule_ids.
# Failures are classified: refused by Tern's HTTP layer before the WAF (400/405…), known
# libmodsecurity3 differences (Tests/TernWAFTests/Fixtures/crs-known-failures.txt), wrong status,
# no response, unexplained WAF verdict. The summary and the failures go to Bench/results/crs-http-<stamp>.txt.
#
# Exit status: the runner's (0 = every failure is an HTTP-layer refusal or a known one), 1 if Tern wrote
# anything at --log-level error or died.

set -euo pipefail
BENCH_NAME=crs-over-http
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=Bench/lib.sh
source "$BENCH_DIR/lib.sh"

SUBSET=${SUBSET:-0}
JSON=${JSON:-0}
KEEP_WORK=${KEEP_WORK:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
if [[ -n ${TERN_BIN:-} ]]; then SKIP_BUILD=1; else TERN_BIN=$ROOT/.build/release/tern; fi
RUNNER=$ROOT/Tests/waf-runner/crs_runner.py
ORIGIN=$ROOT/Tests/waf-runner/origin200.py

command -v curl >/dev/null || die "curl is needed"
python3 -c 'import yaml' 2>/dev/null || die "the runner needs PyYAML (apt-get install python3-yaml)"
[[ -d /usr/share/modsecurity-crs/rules ]] || die "CRS rules missing (apt-get install modsecurity-crs)"
bench_build_tern
NPROC=$(nproc)
bench_setup_work tern-crs-http

pick_port; ORIGIN_PORT=$PORT
python3 "$ORIGIN" "$ORIGIN_PORT" >"$WORK/origin.log" 2>&1 &
ORIGIN_PID=$!; PIDS+=("$ORIGIN_PID")
log "origin200: PID $ORIGIN_PID on 127.0.0.1:$ORIGIN_PORT"

pick_port; TERN_PORT=$PORT
AUDIT=$WORK/waf-audit.jsonl
cat >"$WORK/tern.yaml" <<EOF
# Bench/crs-over-http.sh
listeners: ["127.0.0.1:$TERN_PORT"]
origins:
  app: {members: ["http://127.0.0.1:$ORIGIN_PORT"]}
routes:
  - {path: /, origin: app}
waf: {mode: "on", paranoia_level: 1, audit_log: "$AUDIT"}
logging: {level: error, access: {path: "off"}}
EOF
"$TERN_BIN" serve --config "$WORK/tern.yaml" >"$WORK/tern.log" 2>&1 &
TERN_PID=$!; PIDS+=("$TERN_PID")
log "tern: PID $TERN_PID on 127.0.0.1:$TERN_PORT (waf on, PL1, audit log $AUDIT)"
wait_ready origin "$ORIGIN_PID" "http://127.0.0.1:$ORIGIN_PORT/" "$WORK/origin.log"
wait_ready tern "$TERN_PID" "http://127.0.0.1:$TERN_PORT/" "$WORK/tern.log"

mkdir -p "$BENCH_DIR/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$BENCH_DIR/results/crs-http-$STAMP.txt
args=("http://127.0.0.1:$TERN_PORT" "$AUDIT")
[[ $SUBSET == 1 ]] && args+=(--subset)
[[ $JSON == 1 ]] && args+=(--json)
{
    echo "# CRS 3.3.4 regression over HTTP against Tern — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# git: $(git_rev); tern binary: $TERN_BIN ($(date -u -r "$TERN_BIN" '+%Y-%m-%d %H:%M:%S UTC'))"
    echo "# host: $(host_line)"
    echo "# $(dpkg-query -W -f='${Package} ${Version}; ' libmodsecurity3 modsecurity-crs 2>/dev/null)"
    echo "# runner: Tests/waf-runner/crs_runner.py ${args[*]:2}"
} >"$RESULTS"
rc=0
python3 "$RUNNER" "${args[@]}" | tee -a "$RESULTS" || rc=$?
FINISHED=1

if ! kill -0 "$TERN_PID" 2>/dev/null; then echo "ERROR: tern exited during the run" | tee -a "$RESULTS" >&2; rc=1; fi
if [[ -s $WORK/tern.log ]]; then
    echo "ERROR: tern wrote to its log at --log-level error:" | tee -a "$RESULTS" >&2
    head -n 20 "$WORK/tern.log" | tee -a "$RESULTS" >&2
    rc=1
fi
echo "audit log lines: $(wc -l <"$AUDIT" 2>/dev/null || echo 0); results: $RESULTS"
exit "$rc"
