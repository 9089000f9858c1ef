#!/usr/bin/env bash
# Bench/soak.sh — a long mixed load against a release-built Tern, watching its memory and fds.
#
#   Bench/soak.sh                        # 10 minutes
#   SOAK_SECONDS=120 Bench/soak.sh       # 2 minutes
#   QUICK=1 Bench/soak.sh                # 60 seconds
#
# Steps (all on 127.0.0.1, random free ports):
#   1. origin: Bench/soak_tool.py origin — cacheable hot objects (16 KiB), cacheable cold objects
#      (1 KiB .. 1 MiB, never repeated), origin errors (500, and connections closed unanswered).
#   2. Tern (release build): one origin, memory tier TERN_MEMORY, PURGE allowed from loopback,
#      access log off; pinned to PROXY_CPU, the origin and the load to LOAD_CPU.
#   3. load: Bench/soak_tool.py load — CLIENTS keep-alive clients for SOAK_SECONDS, each request
#      drawn from MIX: hit (GET a hot object), miss (GET a new cold object), error (GET an erroring
#      URL: 500 or 502 expected), purge (PURGE a hot object: 200 or 404 expected). Every request has
#      a 10 s timeout. A sampler reads Tern's /proc/PID/status (VmRSS, RssAnon) and counts
#      /proc/PID/fd every INTERVAL seconds.
#   4. report: RSS and RssAnon over time and their slope after WARMUP (least squares, MiB/min), open
#      fds, unexpected errors, latency percentiles per operation, and Tern's own memory breakdown
#      (/stats "memory"). Kept in $WORK/samples.csv, $WORK/summary.json, $WORK/stats.json.
#
# Knobs (environment):
#   SOAK_SECONDS=600 (QUICK=1: 60)   WARMUP= (default: a fifth of the run, at least 10 s)
#   CLIENTS=8   MIX=hit=70,miss=20,error=5,purge=5   HOT=200 (hot objects)   INTERVAL=5 (QUICK: 2)
#   ERROR_KINDS=500,close   origin errors drawn from: 500 (answered), close (closed unanswered: Tern
#                           answers 502; with a one-member pool, passive health may eject the member
#                           and later requests get 503 until it returns — reported as unexpected)
#   TERN_MEMORY=64MiB   WORKERS=2   MAX_SLOPE=0.5 (MiB/min of RssAnon after warm-up that still passes)
#   PROXY_CPU=0 LOAD_CPU=1   SKIP_BUILD=1  TERN_BIN=path  KEEP_WORK=1   as in the other Bench scripts
#
# Exit status: 0 when there were no unexpected errors, no fd growth after warm-up and an RssAnon
# slope after warm-up at most MAX_SLOPE; 1 otherwise (the figures are printed either way).

set -euo pipefail

BENCH_NAME=soak
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=Bench/lib.sh
source "$BENCH_DIR/lib.sh"     # sets ROOT; die, log, pick_port, wait_ready, ...

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then : "${SOAK_SECONDS:=60}" "${INTERVAL:=2}"; else : "${SOAK_SECONDS:=600}" "${INTERVAL:=5}"; fi
WARMUP=${WARMUP:-$(( SOAK_SECONDS / 5 > 10 ? SOAK_SECONDS / 5 : 10 ))}
CLIENTS=${CLIENTS:-8}
MIX=${MIX:-hit=70,miss=20,error=5,purge=5}
ERROR_KINDS=${ERROR_KINDS:-500,close}
HOT=${HOT:-200}
TERN_MEMORY=${TERN_MEMORY:-64MiB}
WORKERS=${WORKERS:-2}
MAX_SLOPE=${MAX_SLOPE:-0.5}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
KEEP_WORK=${KEEP_WORK:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
if [[ -n ${TERN_BIN:-} ]]; then SKIP_BUILD=1; else TERN_BIN=$ROOT/.build/release/tern; fi
TOOL=$BENCH_DIR/soak_tool.py

for knob in SOAK_SECONDS WARMUP CLIENTS HOT WORKERS INTERVAL; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "$knob must be a non-negative integer, got '${!knob}'"
done
((SOAK_SECONDS >= 10 && SOAK_SECONDS <= 86400)) || die "SOAK_SECONDS must be 10 .. 86400"
((CLIENTS >= 1 && CLIENTS <= 256 && INTERVAL >= 1 && HOT >= 1)) || die "need 1 <= CLIENTS <= 256, INTERVAL >= 1, HOT >= 1"
((WARMUP < SOAK_SECONDS)) || die "WARMUP ($WARMUP) must be shorter than SOAK_SECONDS ($SOAK_SECONDS)"

# (bench_install_packages also wants nginx, which the soak does not use.)
for pair in python3:python3 curl:curl taskset:util-linux timeout:coreutils; do
    command -v "${pair%%:*}" >/dev/null 2>&1 && continue
    log "installing Debian package ${pair#*:}"
    sudo=""; [[ $(id -u) == 0 ]] || sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${pair#*:}" >/dev/null
done
bench_build_tern
bench_setup_pinning
bench_setup_work tern-soak

# 1. origin
pick_port; ORIGIN_PORT=$PORT
"${PIN_LOAD[@]}" python3 "$TOOL" origin "$ORIGIN_PORT" >"$WORK/origin.log" 2>&1 &
PIDS+=($!)
wait_ready origin "$!" "http://127.0.0.1:$ORIGIN_PORT/__stats" "$WORK/origin.log"

# 2. Tern
pick_port; TERN_PORT=$PORT
pick_port; ADMIN_PORT=$PORT
cat >"$WORK/tern.yaml" <<EOF
listeners: ["127.0.0.1:$TERN_PORT"]
workers: $WORKERS
logging:
  level: warning
  access: {path: "off"}
origins:
  app: {members: ["http://127.0.0.1:$ORIGIN_PORT"]}
routes:
  - {path: /, origin: app}
cache:
  memory: $TERN_MEMORY
admin:
  listen: "127.0.0.1:$ADMIN_PORT"
  purge_method: {enabled: true}
EOF
"${PIN_PROXY[@]}" "$TERN_BIN" serve -c "$WORK/tern.yaml" >"$WORK/tern.log" 2>&1 &
TERN_PID=$!
PIDS+=($TERN_PID)
wait_ready tern "$TERN_PID" "http://127.0.0.1:$ADMIN_PORT/healthz" "$WORK/tern.log"
# `serve` re-executes itself once (same PID) for the allocator settings: wait until it listens.
wait_ready tern "$TERN_PID" "http://127.0.0.1:$TERN_PORT/hot/0" "$WORK/tern.log"

log "soak: $SOAK_SECONDS s, $CLIENTS clients, mix $MIX, memory $TERN_MEMORY, workers $WORKERS, pinning $PINNING"
log "tern $(git_rev) PID $TERN_PID on :$TERN_PORT (admin :$ADMIN_PORT); origin :$ORIGIN_PORT; work $WORK"

# 3. load (bounded by time; the tool also stops itself after SOAK_SECONDS)
"${PIN_LOAD[@]}" timeout $((SOAK_SECONDS + 120)) python3 "$TOOL" load --port "$TERN_PORT" --pid "$TERN_PID" \
    --seconds "$SOAK_SECONDS" --clients "$CLIENTS" --mix "$MIX" --hot "$HOT" --interval "$INTERVAL" --error-kinds "$ERROR_KINDS" \
    --out "$WORK/summary.json" --samples "$WORK/samples.csv" || die "the load generator failed"
kill -0 "$TERN_PID" 2>/dev/null || die "tern exited during the soak (see $WORK/tern.log)"

# 4. report
curl -s --max-time 5 "http://127.0.0.1:$ADMIN_PORT/stats" >"$WORK/stats.json" || true
echo "== soak: $(git_rev), $SOAK_SECONDS s, $CLIENTS clients, mix $MIX (errors: $ERROR_KINDS), memory $TERN_MEMORY, workers $WORKERS"
STATUS=0
python3 "$TOOL" report --samples "$WORK/samples.csv" --summary "$WORK/summary.json" --warmup "$WARMUP" \
    --max-slope "$MAX_SLOPE" || STATUS=1
python3 - "$WORK/stats.json" <<'EOF' || true
import json, sys
stats = json.load(open(sys.argv[1]))
memory = stats.get("memory", {})
mib = 1 << 20
parts = ", ".join(f"{p['name']} {p['bytes'] / mib:.1f}/{p['limitBytes'] / mib:.0f} MiB (refused {p['refusals']})" for p in memory.get("parts", []))
print(f"tern /stats memory {parts}")
print(f"                   RssAnon {memory.get('processAnonymousBytes', 0) / mib:.1f} MiB of a bound of {memory.get('boundBytes', 0) / mib:.1f} MiB; "
      f"cache: {stats['cache']['hitsMemory']} memory hits, {stats['cache']['misses']} misses, "
      f"{stats['tiers'][0]['evictions'] if stats.get('tiers') else 0} evictions")
EOF
[[ $KEEP_WORK == 1 ]] || log "work dir removed on exit; KEEP_WORK=1 keeps samples.csv, summary.json, stats.json"
FINISHED=1
exit $STATUS
