#!/usr/bin/env bash
# Bench/coalesce-vs-nginx.sh — the cold-miss burst: CLIENTS (200) clients ask a cache for the same
# uncached URL at the same moment, and the origin takes DELAY_MS (300 ms) to answer. Tern (quick mode,
# request coalescing on by default) vs nginx proxy_cache with proxy_cache_lock.
#
#   QUICK=1 SKIP_BUILD=1 Bench/coalesce-vs-nginx.sh   # smoke run: 2 rounds
#   SKIP_BUILD=1 Bench/coalesce-vs-nginx.sh           # 5 rounds (the default run, ~1 minute)
#   make bench-coalesce                               # installs packages, builds, runs this script
#
# Topology (all on 127.0.0.1, ports picked at random among free ones):
#
#   burst ──► tern   (1 event loop, memory tier, coalescing)              ──┐
#   burst ──► nginx  (1 worker, proxy_cache + proxy_cache_lock)           ──┴──► python origin (asyncio):
#   └CPU 1┘   └──────────────────────── CPU 0 ─────────────────────────┘        /obj/* after 300 ms
#                                                                               └────── CPU 1 ──────┘
#
# Origin (Bench/coalesce_tool.py origin): GET /obj/<anything> waits DELAY_MS before the response head,
# then sends a deterministic BODY_SIZE body (sha256 counter mode of the path) with
# `Cache-Control: max-age=3600`; it counts requests per path at arrival (GET /__stats).
#
# Each round, for each target (order alternates: odd rounds Tern first), a FRESH URL /obj/<round>-<target>:
# Bench/coalesce_tool.py burst opens CLIENTS connections (one per client, all connected first), then
# writes the request on every socket in one tight loop (the barrier) and reads every response in one
# epoll loop. Per round: origin requests for that URL (ideal 1), wall time from the release until the
# last client has its complete response, first-byte times (p50 / max), non-200 answers, bodies that
# differ from the origin's bytes (every byte is checked), failed clients, and the target's CPU time
# (utime+stime from /proc: Tern's process; nginx master + worker + cache manager) from just before
# the connects until every socket is closed.
#
# Knobs (environment):
#   ROUNDS=5 (QUICK=1: 2)  CLIENTS=200  BODY_SIZE=65536  DELAY_MS=300
#   WARMUP=1         one unmeasured burst per target before round 1 (0 disables)
#   CLIENT_TIMEOUT=30  seconds a client waits for its complete response
#   PROXY_CPU=0  LOAD_CPU=1   cores for the caches / for the burst client + origin
#   SKIP_BUILD=1  TERN_BIN=path  KEEP_WORK=1   as in the other Bench scripts
#
# Exit status: 0 when every client of every round got a 200 with the exact bytes and Tern sent exactly
# one origin request per URL; 1 otherwise (the tables are printed either way), or if Tern or nginx
# logged errors, or a server exited.

set -euo pipefail

BENCH_NAME=coalesce-vs-nginx
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=Bench/lib.sh
source "$BENCH_DIR/lib.sh"     # sets ROOT; die, log, pick_port, render_nginx, cpu_ticks, stat_of, ...

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then : "${ROUNDS:=2}"; else : "${ROUNDS:=5}"; fi
CLIENTS=${CLIENTS:-200}
BODY_SIZE=${BODY_SIZE:-65536}
DELAY_MS=${DELAY_MS:-300}
WARMUP=${WARMUP:-1}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-30}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
KEEP_WORK=${KEEP_WORK:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
if [[ -n ${TERN_BIN:-} ]]; then SKIP_BUILD=1; else TERN_BIN=$ROOT/.build/release/tern; fi
TOOL=$BENCH_DIR/coalesce_tool.py
TARGETS=(tern nginx)

for knob in ROUNDS CLIENTS BODY_SIZE DELAY_MS WARMUP CLIENT_TIMEOUT PROXY_CPU LOAD_CPU; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "$knob must be a non-negative integer, got '${!knob}'"
done
((ROUNDS >= 1 && CLIENTS >= 1 && CLIENTS <= 5000)) || die "need ROUNDS >= 1 and 1 <= CLIENTS <= 5000"
((BODY_SIZE <= 64 * 1048576)) || die "BODY_SIZE larger than 64 MiB (Tern's default max_object_size)"
(($(ulimit -n) > CLIENTS + 64)) || ulimit -n $((CLIENTS + 1024)) 2>/dev/null || die "open-files limit too low for $CLIENTS clients"

bench_install_packages nginx:nginx-light taskset:util-linux ps:procps curl:curl python3:python3
bench_build_tern
bench_setup_pinning
bench_setup_work tern-bench-coalesce
[[ -n ${PIN_LOAD[*]} ]] && PINNING="on (caches: CPU $PROXY_CPU; burst client + origin: CPU $LOAD_CPU)"

origin_count() { python3 "$TOOL" stats --port "$ORIGIN_PORT" --path "$1"; }
forget_pid() {
    local p keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# ---------------------------------------------------------------------------------------------------
# 1. The slow origin (Python asyncio), on the load core
# ---------------------------------------------------------------------------------------------------
pick_port; ORIGIN_PORT=$PORT
"${PIN_LOAD[@]}" python3 "$TOOL" origin --port "$ORIGIN_PORT" --delay-ms "$DELAY_MS" --body-size "$BODY_SIZE" \
    >"$WORK/origin.log" 2>&1 &
ORIGIN_PID=$!
PIDS+=("$ORIGIN_PID")
wait_ready origin "$ORIGIN_PID" "http://127.0.0.1:$ORIGIN_PORT/__stats" "$WORK/origin.log"
log "origin: PID $ORIGIN_PID, port $ORIGIN_PORT, ${DELAY_MS} ms before each /obj/ response head, $BODY_SIZE-byte bodies"

# ---------------------------------------------------------------------------------------------------
# 2. The caches, both on PROXY_CPU
# ---------------------------------------------------------------------------------------------------
pick_port; TERN_PORT=$PORT
TERN_ARGS=(serve --listen "127.0.0.1:$TERN_PORT" --origin "http://127.0.0.1:$ORIGIN_PORT" --workers 1
    --access-log off --log-level error)
"${PIN_PROXY[@]}" "$TERN_BIN" "${TERN_ARGS[@]}" >"$WORK/tern.log" 2>&1 &
TERN_PID=$!
PIDS+=("$TERN_PID")
log "tern: PID $TERN_PID, port $TERN_PORT"

pick_port; NGINX_PORT=$PORT
render_nginx "$BENCH_DIR/nginx-coalesce-proxy.conf.template" "$WORK/proxy" "$NGINX_PORT"
start_nginx nginx-proxy "$WORK/proxy" "${PIN_PROXY[@]}"
NGINX_PID=$STARTED_PID

wait_ready tern "$TERN_PID" "http://127.0.0.1:$TERN_PORT/obj/ready-tern" "$WORK/tern.log"
wait_ready nginx-proxy "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/obj/ready-nginx" "$WORK/proxy/error.log"

# nginx_pids: master + worker + cache manager (the cache loader starts a minute in and exits; left out).
nginx_pids() {
    local pid out="$NGINX_PID"
    for pid in $(children "$NGINX_PID"); do
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"cache loader"* ]] || out+=" $pid"
    done
    echo "$out"
}
NGINX_CHILDREN=$(nginx_pids); NGINX_CHILDREN=${NGINX_CHILDREN#"$NGINX_PID"}
PIDS+=($NGINX_CHILDREN)

port_of() { case $1 in tern) echo "$TERN_PORT" ;; nginx) echo "$NGINX_PORT" ;; esac; }
target_pids() { case $1 in tern) echo "$TERN_PID" ;; nginx) nginx_pids ;; esac; }

# ---------------------------------------------------------------------------------------------------
# 3. Sanity: a miss then a hit with the origin's exact bytes, and one origin request, per target
# ---------------------------------------------------------------------------------------------------
for target in "${TARGETS[@]}"; do
    path=/obj/check-$target
    url="http://127.0.0.1:$(port_of "$target")$path"
    python3 -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import coalesce_tool as t; sys.stdout.buffer.write(t.body_for(sys.argv[2], int(sys.argv[3])))' \
        "$BENCH_DIR" "$path" "$BODY_SIZE" >"$WORK/expected.$target"
    statuses=()
    for n in 1 2; do
        code=$(curl -s -D "$WORK/check.$target.$n.h" -o "$WORK/check.$target.$n.b" -w '%{http_code}' "$url") || die "$target: curl $url failed"
        [[ $code == 200 ]] || die "$target: $url answered $code"
        cmp -s "$WORK/check.$target.$n.b" "$WORK/expected.$target" || die "$target: $url returned a body that differs from the origin's"
        statuses+=("$(tr -d '\r' <"$WORK/check.$target.$n.h" | awk -F': ' 'tolower($1) == "cache-status" || tolower($1) == "x-cache-status" { print $2 }')")
        sleep 0.1
    done
    case $target in
        tern)  [[ ${statuses[0]} == *fwd=uri-miss*stored* && ${statuses[1]} == "tern; hit"* ]] \
                   || die "tern: expected a stored miss then a hit, got '${statuses[0]}' then '${statuses[1]}'" ;;
        nginx) [[ ${statuses[0]} == MISS && ${statuses[1]} == HIT ]] \
                   || die "nginx: expected MISS then HIT, got '${statuses[0]}' then '${statuses[1]}'" ;;
    esac
    n=$(origin_count "$path")
    ((n == 1)) || die "$target: the origin saw $n requests for $path (expected 1)"
    log "check: $target $path: '${statuses[0]}' then '${statuses[1]}', body identical, 1 origin request"
done

# ---------------------------------------------------------------------------------------------------
# Results file
# ---------------------------------------------------------------------------------------------------
RESULTS_DIR=$BENCH_DIR/results
mkdir -p "$RESULTS_DIR"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$RESULTS_DIR/coalesce-$STAMP.txt
RAW=$RESULTS_DIR/coalesce-$STAMP.json
ROW_FORMAT='%-6s %-6s %-5s %-18s %6s %8s %8s %8s %8s %7s %9s %6s %6s %6s %7s %7s %s\n'
{
    echo "# Cold-miss burst (request coalescing), Tern vs nginx proxy_cache_lock — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# git: $(git_rev)"
    echo "# host: $(host_line)"
    echo "# pinning: $PINNING"
    echo "# tern:  $TERN_BIN ${TERN_ARGS[*]}  (binary built $(date -u -r "$TERN_BIN" '+%Y-%m-%d %H:%M:%S UTC'))"
    echo "# nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); proxy_cache + proxy_cache_lock on, lock_timeout 10s, lock_age 10s; 1 worker"
    echo "# origin: Bench/coalesce_tool.py origin (python $(python3 -c 'import platform; print(platform.python_version())'), asyncio), ${DELAY_MS} ms before the head, $BODY_SIZE-byte body, max-age=3600"
    echo "# knobs: ROUNDS=$ROUNDS CLIENTS=$CLIENTS BODY_SIZE=$BODY_SIZE DELAY_MS=$DELAY_MS WARMUP=$WARMUP CLIENT_TIMEOUT=$CLIENT_TIMEOUT"
    echo "# origin = origin requests for the round's URL (ideal 1), read 0.5 s after the burst; ms columns from the release"
    echo "# (all requests written) : wall = last complete response; ttfb = first response byte; cpu_ms = target utime+stime"
    echo "# from before the connects to after the closes (10 ms ticks, as lib.sh); sched_ms = the same window's exact runtime from"
    echo "# /proc/PID/task/*/schedstat; others_pct = busy time of CPU $PROXY_CPU not used by the target, in % of that window (noise)"
    echo "#"
    printf "$ROW_FORMAT" round target order path origin wall_ms ttfb_p50 ttfb_max done_p50 cpu_ms sched_ms non200 wrong failed others_pct send_ms cache_status
} >"$RESULTS"
: >"$RAW"

# ---------------------------------------------------------------------------------------------------
# 4. Bursts
# ---------------------------------------------------------------------------------------------------
declare -A WALL=() TTFB50=() TTFBMAX=() CPUMS=() SCHED=() ORIG=() CACHE_TALLY=()
BAD=0 TERN_EXTRA=0 ERRORS=0
OTHERS=""

# burst TARGET PATH → sets B_* from the tool's JSON.
burst() {
    local target=$1 path=$2 json
    json=$("${PIN_LOAD[@]}" python3 "$TOOL" burst --port "$(port_of "$target")" --path "$path" --clients "$CLIENTS" \
        --body-size "$BODY_SIZE" --cpu-pids "$(target_pids "$target")" --cpu "$PROXY_CPU" --timeout "$CLIENT_TIMEOUT" \
        --ttfb-out "$WORK/ttfb.txt") || die "burst client failed against $target"
    B_JSON=$json
    read -r B_OK B_NON200 B_WRONG B_FAILED B_WALL B_TTFB50 B_TTFBMAX B_DONE50 B_CPU B_SCHED B_WINDOW B_BUSY B_SEND B_CACHE B_ERRS < <(
        python3 -c '
import json, sys
d = json.loads(sys.argv[1])
f = lambda v: "-" if v is None else v
def label(k):
    return k.replace(" ", "").replace(",", "|")
cache = ",".join(label(k) + ":" + str(n) for k, n in sorted(d["cache_status"].items(), key=lambda kv: -kv[1])) or "-"
errs = ",".join(k.replace(" ", "_") + ":" + str(n) for k, n in d["errors"].items()) or "-"
wall = d["wall_ms"] if d["wall_ms"] is not None else d["last_done_ms"]
print(d["ok"], d["non200"], d["wrong_body"], d["failed"], f(wall), f(d["ttfb_p50_ms"]), f(d["ttfb_max_ms"]),
      f(d["done_p50_ms"]), d["cpu_ms"], d["sched_cpu_ms"], d["window_ms"], f(d["core_busy_ms"]), d["send_spread_ms"], cache, errs)' "$json")
}

# run TARGET ROUND ORDER: one measured (or, with ROUND=warmup, unmeasured) burst on a fresh URL.
run() {
    local target=$1 round=$2 order=$3 path before after others bad
    path=/obj/$round-$target
    before=$(origin_count "$path")
    ((before == 0)) || die "the origin already saw $path (not a fresh URL)"
    burst "$target" "$path"
    sleep 0.5                                        # late origin requests still count for this round
    after=$(origin_count "$path")
    others=$(awk -v b="$B_BUSY" -v c="$B_CPU" -v w="$B_WINDOW" 'BEGIN { if (b == "-") print "-"; else { o = b - c; if (o < 0) o = 0; printf "%.0f", 100 * o / w } }')
    echo "{\"round\": \"$round\", \"target\": \"$target\", \"order\": \"$order\", \"path\": \"$path\", \"origin_requests\": $after, \"burst\": $B_JSON, \"ttfb_ms\": [$(tr ' ' ',' <"$WORK/ttfb.txt" | sed 's/,$//')]}" >>"$RAW"
    bad=$((B_NON200 + B_WRONG + B_FAILED))
    if [[ $round == warmup ]]; then
        log "  warmup $target: origin $after, wall ${B_WALL} ms, ttfb p50 ${B_TTFB50} ms, cpu ${B_CPU} ms, $B_OK/$CLIENTS ok, $B_CACHE"
        printf "$ROW_FORMAT" "$round" "$target" "$order" "$path" "$after" "$B_WALL" "$B_TTFB50" "$B_TTFBMAX" "$B_DONE50" \
            "$B_CPU" "$B_SCHED" "$B_NON200" "$B_WRONG" "$B_FAILED" "$others" "$B_SEND" "$B_CACHE" | sed 's/^/# /' >>"$RESULTS"
    else
        WALL[$target]+="$B_WALL " TTFB50[$target]+="$B_TTFB50 " TTFBMAX[$target]+="$B_TTFBMAX " CPUMS[$target]+="$B_CPU " SCHED[$target]+="$B_SCHED "
        ORIG[$target]+="$after "
        [[ $others != - ]] && OTHERS+="$others "
        printf "$ROW_FORMAT" "$round" "$target" "$order" "$path" "$after" "$B_WALL" "$B_TTFB50" "$B_TTFBMAX" "$B_DONE50" \
            "$B_CPU" "$B_SCHED" "$B_NON200" "$B_WRONG" "$B_FAILED" "$others" "$B_SEND" "$B_CACHE" >>"$RESULTS"
        log "  round $round/$ROUNDS $target: origin $after, wall ${B_WALL} ms, ttfb p50/max ${B_TTFB50}/${B_TTFBMAX} ms, cpu ${B_CPU} ms (sched ${B_SCHED} ms), $B_OK/$CLIENTS ok, others ${others}% of CPU $PROXY_CPU, $B_CACHE"
    fi
    CACHE_TALLY[$target]+="$B_CACHE "
    if ((bad > 0)); then
        BAD=$((BAD + bad))
        log "  ERROR: $target $round: $B_NON200 non-200, $B_WRONG wrong bodies, $B_FAILED failed clients ($B_ERRS)"
        echo "# ERROR: $round $target: $B_NON200 non-200, $B_WRONG wrong bodies, $B_FAILED failed ($B_ERRS)" >>"$RESULTS"
    fi
    if [[ $target == tern ]] && ((after != 1)); then
        TERN_EXTRA=$((TERN_EXTRA + after - 1))
        log "  ERROR: tern sent $after origin requests for $path (coalescing should make it 1)"
        echo "# ERROR: $round tern: $after origin requests for $path (expected 1)" >>"$RESULTS"
    fi
    local pid
    for pid in $(target_pids "$target"); do kill -0 "$pid" 2>/dev/null || die "$target (PID $pid) exited during the burst"; done
    [[ $target != nginx || $(nginx_pids) == "$NGINX_PID$NGINX_CHILDREN" ]] || die "nginx's workers changed during the burst (a crash?)"
}

log "benchmark: $ROUNDS rounds x ${#TARGETS[@]} targets, $CLIENTS clients per burst, origin delay ${DELAY_MS} ms, body $BODY_SIZE bytes; pinning $PINNING"
log "ports: origin $ORIGIN_PORT, tern $TERN_PORT, nginx $NGINX_PORT"
if ((WARMUP > 0)); then
    for target in "${TARGETS[@]}"; do run "$target" warmup -; done
fi
for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2)); then order=(tern nginx); else order=(nginx tern); fi
    run "${order[0]}" "$round" 1st
    run "${order[1]}" "$round" 2nd
done

# Late origin requests: re-read every round's count once more, after a pause.
sleep 1
declare -A TOTAL=()
for target in "${TARGETS[@]}"; do
    total=0
    for ((round = 1; round <= ROUNDS; round++)); do total=$((total + $(origin_count "/obj/$round-$target"))); done
    TOTAL[$target]=$total
done

# ---------------------------------------------------------------------------------------------------
# 5. Summary
# ---------------------------------------------------------------------------------------------------
declare -A MED_WALL MED_CPU MED_SCHED
summary() {
    local t min max tally noise_max
    echo
    echo "Cold-miss burst: $CLIENTS clients at once on a fresh URL, origin answers after ${DELAY_MS} ms ($BODY_SIZE-byte body), $ROUNDS rounds"
    echo "pinning: $PINNING; nproc=$NPROC"
    echo
    printf '%-6s  %9s  %11s  %9s  %9s  %7s  %9s  %-22s  %s\n' target "wall ms" "wall min-max" "ttfb p50" "ttfb max" "CPU ms" "sched ms" "origin reqs (rounds)" "non200/wrong/failed"
    printf '%-6s  %9s  %11s  %9s  %9s  %7s  %9s  %-22s  %s\n' ------ --------- ----------- --------- --------- ------- --------- ---------------------- -------------------
    for t in "${TARGETS[@]}"; do
        # shellcheck disable=SC2086
        MED_WALL[$t]=$(stat_of median ${WALL[$t]}); min=$(stat_of min ${WALL[$t]}); max=$(stat_of max ${WALL[$t]})
        # shellcheck disable=SC2086
        MED_CPU[$t]=$(stat_of median ${CPUMS[$t]}); MED_SCHED[$t]=$(stat_of median ${SCHED[$t]})
        # shellcheck disable=SC2086
        printf '%-6s  %9.1f  %11s  %9.1f  %9.1f  %7.0f  %9.1f  %-22s  %s\n' "$t" "${MED_WALL[$t]}" "$(printf '%.0f-%.0f' "$min" "$max")" \
            "$(stat_of median ${TTFB50[$t]})" "$(stat_of median ${TTFBMAX[$t]})" "${MED_CPU[$t]}" "${MED_SCHED[$t]}" \
            "${TOTAL[$t]} ($(echo ${ORIG[$t]} | tr ' ' '+'))" \
            "$(grep -E "^[0-9]+ +$t " "$RESULTS" | awk '{ a += $12; b += $13; c += $14 } END { printf "%d/%d/%d", a, b, c }')"
    done
    echo
    awk -v w1="${MED_WALL[tern]}" -v w2="${MED_WALL[nginx]}" -v c1="${MED_CPU[tern]}" -v c2="${MED_CPU[nginx]}" \
        -v s1="${MED_SCHED[tern]}" -v s2="${MED_SCHED[nginx]}" 'BEGIN {
        printf "Tern/nginx: wall time %.2fx; CPU per burst %s (ticks), %s (sched)   (< 1: better for Tern)\n", w1 / w2,
            (c2 > 0 ? sprintf("%.2fx", c1 / c2) : "n/a"), (s2 > 0 ? sprintf("%.2fx", s1 / s2) : "n/a") }'
    echo "(medians over the rounds. wall: release → last complete response; ttfb: median over rounds of each round's p50 / max"
    echo " first-byte time; CPU ms: the cache's utime+stime per burst in 10 ms ticks (as lib.sh); sched ms: the same window from"
    echo " /proc/PID/task/*/schedstat, exact; origin reqs: total for the measured rounds' URLs (per round), ideal 1 each)"
    echo
    echo "Cache-Status / X-Cache-Status of the answers (warm-up and measured bursts):"
    for t in "${TARGETS[@]}"; do
        tally=$(echo "${CACHE_TALLY[$t]}" | tr ' ,' '\n\n' | awk -F: 'NF >= 2 { n = $NF; sub(/:[0-9]+$/, ""); c[$0] += n } END { for (k in c) printf "%s x%d, ", k, c[k] }' | sed 's/, $//')
        echo "  $t: $tally"
    done
    if [[ -n $OTHERS ]]; then
        # shellcheck disable=SC2086
        noise_max=$(stat_of max $OTHERS)
        # shellcheck disable=SC2086
        echo "other programs' share of CPU $PROXY_CPU during the bursts (median / max): $(stat_of median $OTHERS)% / ${noise_max}%"
        ((noise_max <= 10)) || echo "WARNING: other programs used up to ${noise_max}% of the cache core: the machine was busy, numbers are noisy"
    fi
    if ((BAD == 0)); then
        echo "every client got a 200 with the origin's exact bytes"
    else
        echo "ERROR: $BAD client(s) got a non-200, a wrong body, or no complete answer (see the results file)"
    fi
    if ((TERN_EXTRA > 0)); then
        echo "ERROR: Tern sent $TERN_EXTRA origin request(s) more than one per URL: coalescing did not hold"
    fi
}
summary | tee -a "$RESULTS"
FINISHED=1
echo
echo "raw per-round numbers: $RESULTS"
echo "raw burst output:      $RAW"
((BAD == 0 && TERN_EXTRA == 0)) || ERRORS=1

if ! kill -0 "$TERN_PID" 2>/dev/null; then echo "ERROR: tern exited during the benchmark" >&2; ERRORS=1; fi
if [[ -s $WORK/tern.log ]]; then
    echo "ERROR: tern wrote $(wc -l <"$WORK/tern.log") line(s) to its log at --log-level error:" >&2
    head -n 20 "$WORK/tern.log" >&2
    { echo "# tern log:"; sed 's/^/# /' "$WORK/tern.log"; } >>"$RESULTS"
    ERRORS=1
fi
if grep -qE '\[(error|crit|alert|emerg)\]' "$WORK/proxy/error.log" 2>/dev/null; then
    echo "ERROR: nginx logged errors:" >&2
    grep -E '\[(error|crit|alert|emerg)\]' "$WORK/proxy/error.log" | head -n 20 >&2
    ERRORS=1
fi
if [[ -s $WORK/origin.log ]]; then
    echo "note: the origin wrote to its log:" >&2; head -n 20 "$WORK/origin.log" >&2
fi
exit "$ERRORS"
