#!/usr/bin/env bash
# Bench/proxy-vs-nginx.sh — Tern (quick mode) vs nginx as a plain reverse proxy, same origin, same box.
#
#   Bench/proxy-vs-nginx.sh              # 5 rounds x 8 s per proxy (the default run)
#   QUICK=1 Bench/proxy-vs-nginx.sh      # 2 rounds x 3 s smoke run
#   make bench                           # installs packages, builds, runs this script
#
# Topology (all on 127.0.0.1, ports picked at random among free ones):
#
#   wrk ──► Tern  (1 event loop)  ──┐
#   wrk ──► nginx (1 worker) proxy ─┴──► nginx origin (1 worker) serving file.bin (BODY_SIZE bytes)
#   └── CPU 1 ──┘ └──────── CPU 0 ────────┘          └── CPU 1 ──┘
#
# Both proxies run at the same time but only one is under load at any moment; the runs are
# interleaved (Tern, nginx, nginx, Tern, ...) so drift on the shared machine hits both equally.
# The proxies share CPU 0; the load generator and the origin share CPU 1 (with only 2 cores there is
# nowhere else to put them). The origin is as cheap as nginx gets (open_file_cache, sendfile, no
# logs), so on CPU 1 most of the time goes to wrk.
#
# Per run it records: requests/s and p99 latency (from `wrk --latency`), and the proxy's CPU time
# (utime+stime from /proc/PID/stat, all threads; for nginx master + worker) divided by the number
# of requests wrk completed → CPU µs per request.
#
# Knobs (environment):
#   ROUNDS=5  DURATION=8 (seconds per run)  CONNECTIONS=32  BODY_SIZE=1024 (bytes)
#   WARMUP=2 (seconds of unmeasured load per proxy before round 1; 0 disables)
#   QUICK=1   → defaults become ROUNDS=2 DURATION=3 WARMUP=1 (explicit ROUNDS/DURATION still win)
#   PROXY_CPU=0  LOAD_CPU=1   cores for the proxies / for wrk + origin
#   WRK_THREADS=1             wrk -t
#   SKIP_BUILD=1              never run `swift build` (use the existing .build/release/tern)
#   TERN_BIN=path             use this binary (implies SKIP_BUILD=1)
#   KEEP_WORK=1               keep the mktemp work dir (configs, logs, raw wrk output)
#   WRK_PATH=/file.bin        path wrk requests (e.g. WRK_PATH=/nope checks that 404s abort the run)
#
# Exit status: 0 on success; non-zero if anything failed, including any non-2xx/3xx response or
# socket error reported by wrk (the run stops immediately), or error lines in Tern's or the
# nginx proxy's log (reported after the table).

set -euo pipefail

# ---------------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------------
BENCH_NAME=proxy-vs-nginx
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=Bench/lib.sh
source "$BENCH_DIR/lib.sh"     # sets ROOT; die, log, pick_port, render_nginx, wrk_measure, ...

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    : "${ROUNDS:=2}" "${DURATION:=3}" "${WARMUP:=1}"
else
    : "${ROUNDS:=5}" "${DURATION:=8}" "${WARMUP:=2}"
fi
CONNECTIONS=${CONNECTIONS:-32}
BODY_SIZE=${BODY_SIZE:-1024}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
WRK_THREADS=${WRK_THREADS:-1}
KEEP_WORK=${KEEP_WORK:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
WRK_PATH=${WRK_PATH:-/file.bin}
if [[ -n ${TERN_BIN:-} ]]; then SKIP_BUILD=1; else TERN_BIN=$ROOT/.build/release/tern; fi

for knob in ROUNDS DURATION CONNECTIONS BODY_SIZE WARMUP PROXY_CPU LOAD_CPU WRK_THREADS; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "$knob must be a non-negative integer, got '${!knob}'"
done
((ROUNDS >= 1)) || die "ROUNDS must be >= 1"
((DURATION >= 1)) || die "DURATION must be >= 1"
((CONNECTIONS >= WRK_THREADS && WRK_THREADS >= 1)) || die "need CONNECTIONS >= WRK_THREADS >= 1"
((BODY_SIZE >= 1)) || die "BODY_SIZE must be >= 1"

# ---------------------------------------------------------------------------------------------------
# 1. Packages (only the missing ones) and the Tern release binary (only when stale)
# ---------------------------------------------------------------------------------------------------
bench_install_packages nginx:nginx-light wrk:wrk taskset:util-linux ps:procps curl:curl
bench_build_tern

# CPU pinning (proxies on PROXY_CPU, wrk + origin on LOAD_CPU), the work dir and the cleanup trap.
bench_setup_pinning
bench_setup_work tern-bench

# ---------------------------------------------------------------------------------------------------
# 2. The origin: nginx serving a fixed BODY_SIZE-byte file, pinned to LOAD_CPU (shared with wrk).
# ---------------------------------------------------------------------------------------------------
mkdir -p "$WORK/docroot"
head -c "$BODY_SIZE" /dev/urandom >"$WORK/docroot/file.bin"
chmod -R a+rX "$WORK/docroot"

pick_port; ORIGIN_PORT=$PORT
render_nginx "$BENCH_DIR/nginx-origin.conf.template" "$WORK/origin" "$ORIGIN_PORT"
start_nginx origin "$WORK/origin" "${PIN_LOAD[@]}"
ORIGIN_PID=$STARTED_PID
wait_ready origin "$ORIGIN_PID" "http://127.0.0.1:$ORIGIN_PORT/file.bin" "$WORK/origin/error.log"
ORIGIN_WORKERS=$(children "$ORIGIN_PID")
PIDS+=($ORIGIN_WORKERS)

# ---------------------------------------------------------------------------------------------------
# 3. Tern in quick mode, one event loop, pinned to PROXY_CPU. `--memory 0` turns the cache off:
#    this benchmark compares plain proxying (nginx has no proxy_cache here either).
# ---------------------------------------------------------------------------------------------------
pick_port; TERN_PORT=$PORT
"${PIN_PROXY[@]}" "$TERN_BIN" serve --listen "127.0.0.1:$TERN_PORT" --origin "http://127.0.0.1:$ORIGIN_PORT" \
    --memory 0 --workers 1 --access-log off --log-level error >"$WORK/tern.log" 2>&1 &
TERN_PID=$!
PIDS+=("$TERN_PID")
log "tern: PID $TERN_PID"
wait_ready tern "$TERN_PID" "http://127.0.0.1:$TERN_PORT/file.bin" "$WORK/tern.log"

# ---------------------------------------------------------------------------------------------------
# 4. nginx as reverse proxy (upstream keepalive 32, no cache), pinned to PROXY_CPU.
# ---------------------------------------------------------------------------------------------------
pick_port; NGINX_PORT=$PORT
render_nginx "$BENCH_DIR/nginx-proxy.conf.template" "$WORK/proxy" "$NGINX_PORT"
start_nginx proxy "$WORK/proxy" "${PIN_PROXY[@]}"
NGINX_PID=$STARTED_PID
wait_ready nginx-proxy "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/file.bin" "$WORK/proxy/error.log"
NGINX_WORKERS=$(children "$NGINX_PID")
PIDS+=($NGINX_WORKERS)

# Every path must return the origin's exact bytes before we time anything.
for target in origin:$ORIGIN_PORT tern:$TERN_PORT nginx:$NGINX_PORT; do
    name=${target%%:*} port=${target#*:}
    code=$(curl -s -o "$WORK/check.$name" -w '%{http_code}' "http://127.0.0.1:$port/file.bin")
    [[ $code == 200 ]] || die "$name answered $code for /file.bin"
    cmp -s "$WORK/check.$name" "$WORK/docroot/file.bin" || die "$name returned a body that differs from the origin's file"
done
log "all three serve the same $BODY_SIZE-byte body; ports: origin $ORIGIN_PORT, tern $TERN_PORT, nginx $NGINX_PORT"

# ---------------------------------------------------------------------------------------------------
# Results files
# ---------------------------------------------------------------------------------------------------
RESULTS_DIR=$BENCH_DIR/results
mkdir -p "$RESULTS_DIR"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$RESULTS_DIR/proxy-$STAMP.txt
WRK_LOG=$RESULTS_DIR/proxy-$STAMP.wrk.txt
{
    echo "# Tern vs nginx reverse proxy — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
    echo "# host: nproc=$NPROC, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
    echo "# pinning: $PINNING"
    echo "# tern: $TERN_BIN (serve --workers 1 --access-log off --log-level error)"
    echo "# nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2 || true)"
    echo "# knobs: ROUNDS=$ROUNDS DURATION=${DURATION}s CONNECTIONS=$CONNECTIONS WRK_THREADS=$WRK_THREADS BODY_SIZE=$BODY_SIZE WARMUP=${WARMUP}s"
    echo "# cpu_us_per_req = proxy utime+stime / requests; util = proxy CPU seconds / wall seconds of the run"
    echo "# origin_us_per_req = the origin nginx's CPU per request during the same run (context only)"
    echo "# others_cpuN = busy time of core N not spent by the benchmark's own processes (proxy on $PROXY_CPU; wrk + origin on $LOAD_CPU),"
    echo "#               in % of the run: other programs on a shared machine = noise (only with pinning)"
    echo "#"
    printf '%-5s %-6s %-5s %12s %9s %10s %12s %8s %14s %11s %11s\n' \
        round target order req_per_s p99_ms requests cpu_us_per_req util_pct origin_us_per_req others_cpu$PROXY_CPU others_cpu$LOAD_CPU
} >"$RESULTS"
: >"$WRK_LOG"

# ---------------------------------------------------------------------------------------------------
# One wrk run against a target, with CPU accounting around it (wrk_measure in lib.sh).
# ---------------------------------------------------------------------------------------------------
declare -A RPS=() P99=() CPU=() UTIL=()
OTHERS="" OTHERS_LOAD=""
ERRORS=0

# bench_target_pids TARGET: the processes whose CPU counts for that proxy.
bench_target_pids() {
    case $1 in
        tern) echo "$TERN_PID" ;;
        nginx) echo "$NGINX_PID $(children "$NGINX_PID")" ;;   # master + worker(s)
    esac
}
bench_target_url() {
    case $1 in tern) echo "http://127.0.0.1:$TERN_PORT$WRK_PATH" ;; nginx) echo "http://127.0.0.1:$NGINX_PORT$WRK_PATH" ;; esac
}
bench_dump_logs() {
    echo "--- tern log" >&2; cat "$WORK/tern.log" >&2 || true
    echo "--- nginx proxy error.log" >&2; cat "$WORK/proxy/error.log" >&2 || true
}

# measure TARGET DURATION LABEL ROUND ORDER: run wrk; unless LABEL is "warmup", record the numbers.
measure() {
    local target=$1 duration=$2 label=$3 round=$4 order=$5
    wrk_measure "$target" "$duration" "$label" "$round" "$order"
    if [[ $label == warmup ]]; then
        log "  warmup $target: $M_RPS req/s"
        return 0
    fi
    RPS[$target]+="$M_RPS " P99[$target]+="$M_P99 " CPU[$target]+="$M_CPU " UTIL[$target]+="$M_UTIL " OTHERS+="$M_OTHERS " OTHERS_LOAD+="$M_OTHERS_LOAD "
    printf '%-5s %-6s %-5s %12s %9s %10s %12s %8s %14s %11s %11s\n' \
        "$round" "$target" "$order" "$M_RPS" "$M_P99" "$M_REQUESTS" "$M_CPU" "$M_UTIL" "$M_ORIGIN_CPU" "$M_OTHERS" "$M_OTHERS_LOAD" >>"$RESULTS"
    log "  round $round/$ROUNDS $target: $M_RPS req/s, p99 ${M_P99} ms, ${M_CPU} µs CPU/req, proxy core ${M_UTIL}% busy, others ${M_OTHERS}%/${M_OTHERS_LOAD}% on CPU $PROXY_CPU/$LOAD_CPU"
}

# ---------------------------------------------------------------------------------------------------
# Warm-up, then interleaved rounds (odd rounds: Tern first; even rounds: nginx first).
# ---------------------------------------------------------------------------------------------------
log "benchmark: $ROUNDS rounds x ${DURATION}s per proxy, $CONNECTIONS connections, $BODY_SIZE-byte body; pinning $PINNING"
if ((WARMUP > 0)); then
    measure tern "$WARMUP" warmup 0 -
    measure nginx "$WARMUP" warmup 0 -
fi
for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2)); then order=(tern nginx); else order=(nginx tern); fi
    measure "${order[0]}" "$DURATION" run "$round" 1st
    measure "${order[1]}" "$DURATION" run "$round" 2nd
done

# ---------------------------------------------------------------------------------------------------
# 5. Summary table (stdout and the results file)
# ---------------------------------------------------------------------------------------------------
declare -A MED_RPS MED_P99 MED_CPU
summary() {
    local t min max noise_max
    echo
    echo "Tern vs nginx reverse proxy: ${BODY_SIZE}-byte body, ${CONNECTIONS} connections, ${ROUNDS} rounds x ${DURATION}s per proxy"
    echo "pinning: $PINNING; nproc=$NPROC"
    echo
    # printf pads by bytes: "µs" is 3 bytes for 2 columns, hence %11s for a 10-wide header column.
    printf '%-7s  %12s  %15s  %8s  %11s  %14s\n' target "req/s median" "req/s min-max" "p99 ms" "CPU µs/req" "proxy CPU busy"
    printf '%-7s  %12s  %15s  %8s  %10s  %14s\n' ------- ------------ --------------- -------- ---------- --------------
    for t in tern nginx; do
        # shellcheck disable=SC2086  # the per-target lists are space separated on purpose
        MED_RPS[$t]=$(stat_of median ${RPS[$t]}); min=$(stat_of min ${RPS[$t]}); max=$(stat_of max ${RPS[$t]})
        MED_P99[$t]=$(stat_of median ${P99[$t]})
        MED_CPU[$t]=$(stat_of median ${CPU[$t]})
        printf '%-7s  %12.0f  %15s  %8.3f  %10.2f  %13.0f%%\n' "$t" "${MED_RPS[$t]}" \
            "$(printf '%.0f-%.0f' "$min" "$max")" "${MED_P99[$t]}" "${MED_CPU[$t]}" "$(stat_of median ${UTIL[$t]})"
    done
    if ((${#PIN_PROXY[@]})); then
        # shellcheck disable=SC2086
        noise_max=$(stat_of max $OTHERS $OTHERS_LOAD)
        echo "other programs' share of the cores during the runs (median / max):" \
            "CPU $PROXY_CPU $(stat_of median $OTHERS)% / $(stat_of max $OTHERS)%," \
            "CPU $LOAD_CPU $(stat_of median $OTHERS_LOAD)% / $(stat_of max $OTHERS_LOAD)%"
        if ((noise_max > 10)); then
            echo "WARNING: other programs used up to ${noise_max}% of a benchmark core: the machine was busy, numbers are noisy"
        fi
    fi
    echo
    awk -v a="${MED_RPS[tern]}" -v b="${MED_RPS[nginx]}" \
        'BEGIN { printf "Tern/nginx throughput       %.2fx   (req/s; > 1 means Tern serves more)\n", a / b }'
    awk -v a="${MED_CPU[tern]}" -v b="${MED_CPU[nginx]}" \
        'BEGIN { printf "Tern/nginx CPU per request  %.2fx   (µs/req; < 1 means Tern is cheaper per request)\n", a / b }'
    awk -v a="${MED_P99[tern]}" -v b="${MED_P99[nginx]}" \
        'BEGIN { printf "Tern/nginx p99 latency      %.2fx   (< 1 means Tern has the lower tail)\n", a / b }'
}
summary | tee -a "$RESULTS"
FINISHED=1
echo
echo "raw per-round numbers: $RESULTS"
echo "raw wrk output:        $WRK_LOG"

# ---------------------------------------------------------------------------------------------------
# Anything the servers logged is suspicious: Tern runs at --log-level error, nginx logs at warn.
# ---------------------------------------------------------------------------------------------------
if ! kill -0 "$TERN_PID" 2>/dev/null; then echo "ERROR: Tern exited during the benchmark" >&2; ERRORS=1; fi
if [[ -s $WORK/tern.log ]]; then
    echo "ERROR: Tern wrote $(wc -l <"$WORK/tern.log") line(s) to its log at --log-level error:" >&2
    head -n 20 "$WORK/tern.log" >&2
    { echo "# Tern log:"; sed 's/^/# /' "$WORK/tern.log"; } >>"$RESULTS"
    ERRORS=1
fi
for prefix in "$WORK/proxy" "$WORK/origin"; do
    if grep -qE '\[(error|crit|alert|emerg)\]' "$prefix/error.log" 2>/dev/null; then
        echo "ERROR: nginx ($prefix) logged errors:" >&2
        grep -E '\[(error|crit|alert|emerg)\]' "$prefix/error.log" | head -n 20 >&2
        ERRORS=1
    fi
done
exit "$ERRORS"
