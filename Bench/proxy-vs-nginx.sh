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
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)

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

die() {
    echo "proxy-vs-nginx: error: $*" >&2
    [[ -n ${RESULTS:-} && -f ${RESULTS:-} ]] && echo "# ABORTED: $*" >>"$RESULTS"
    exit 1
}
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

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
SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
missing=()
# command → Debian package; checking the command (not the package) avoids fighting an nginx
# that came from another package (nginx, nginx-full, ...).
for pair in nginx:nginx-light wrk:wrk taskset:util-linux ps:procps curl:curl; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
# nginx lives in /usr/sbin, which may not be on a non-root PATH.
[[ " ${missing[*]} " == *" nginx-light "* && -x /usr/sbin/nginx ]] && missing=("${missing[@]/nginx-light}")
read -ra missing <<<"${missing[*]}"
if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || die "nginx not found"

if [[ $SKIP_BUILD != 1 ]]; then
    cd "$ROOT"
    stale=""
    if [[ ! -x $TERN_BIN ]]; then
        stale="missing"
    else
        sources=(Sources Package.swift); [[ -f Package.resolved ]] && sources+=(Package.resolved)
        [[ -n $(find "${sources[@]}" -newer "$TERN_BIN" -print -quit) ]] && stale="older than the sources"
    fi
    if [[ -n $stale ]]; then
        # A clean release build takes ~5 minutes on 2 cores. If another `swift build` holds the
        # .build lock, SwiftPM waits for it.
        log "building Tern release ($TERN_BIN is $stale): swift build -c release --product tern"
        swift build -c release --product tern
    fi
fi
[[ -x $TERN_BIN ]] || die "Tern binary $TERN_BIN not found (build with: swift build -c release --product tern)"

# ---------------------------------------------------------------------------------------------------
# CPU pinning: proxies on PROXY_CPU, wrk + origin on LOAD_CPU. Without 2 usable cores, run unpinned.
# ---------------------------------------------------------------------------------------------------
NPROC=$(nproc)
PIN_PROXY=() PIN_LOAD=() PINNING="off"
if ((PROXY_CPU != LOAD_CPU)) && taskset -c "$PROXY_CPU" true 2>/dev/null && taskset -c "$LOAD_CPU" true 2>/dev/null; then
    PIN_PROXY=(taskset -c "$PROXY_CPU")
    PIN_LOAD=(taskset -c "$LOAD_CPU")
    PINNING="on (proxies: CPU $PROXY_CPU; wrk + origin: CPU $LOAD_CPU)"
else
    log "WARNING: cannot pin to CPUs $PROXY_CPU and $LOAD_CPU (nproc=$NPROC); running UNPINNED — numbers are noisier"
fi

# ---------------------------------------------------------------------------------------------------
# Work dir and cleanup. Everything we start goes into PIDS and is stopped by PID on exit.
# ---------------------------------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-bench.XXXXXX")
chmod 755 "$WORK"
PIDS=()
FINISHED=0

cleanup() {
    local rc=$? pid i
    set +e
    trap - INT TERM
    # A results file from a run that did not reach the table says so (die() already wrote why).
    if [[ $FINISHED != 1 && -f ${RESULTS:-} ]] && ! grep -q '^# ABORTED' "$RESULTS"; then
        echo "# ABORTED: exit status $rc before the summary" >>"$RESULTS"
    fi
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    if [[ $KEEP_WORK == 1 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# pick_port: sets PORT to a TCP port no socket uses (per /proc/net/tcp{,6}) and not picked before.
PICKED=" "
pick_port() {
    local p hex _
    for _ in {1..500}; do
        p=$((20000 + RANDOM % 30000))
        hex=$(printf '%04X' "$p")
        [[ $PICKED == *" $p "* ]] && continue
        grep -qi ":$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null && continue
        PICKED+="$p "; PORT=$p; return 0
    done
    die "found no free TCP port"
}

# wait_ready NAME PID URL LOGFILE: until URL answers 200, or fail if the process died / 10 s passed.
wait_ready() {
    local name=$1 pid=$2 url=$3 logfile=$4 i code
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "--- $logfile" >&2; cat "$logfile" >&2 || true
            die "$name (PID $pid) exited during start-up"
        fi
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    echo "--- $logfile" >&2; cat "$logfile" >&2 || true
    die "$name did not answer 200 on $url within 10 s (last status: ${code:-none})"
}

# Temp-path directives for every temp dir this nginx build knows (some builds drop fastcgi/uwsgi/scgi),
# so nginx never touches /var/lib/nginx.
NGINX_V=$("$NGINX" -V 2>&1)
temp_paths() {
    local prefix=$1 mod
    echo "    client_body_temp_path $prefix/tmp/client_body;"
    for mod in proxy fastcgi uwsgi scgi; do
        [[ $NGINX_V == *"--without-http_${mod}_module"* ]] || echo "    ${mod}_temp_path $prefix/tmp/$mod;"
    done
}

# render_nginx TEMPLATE PREFIX PORT: writes PREFIX/nginx.conf from a Bench/*.conf.template.
USER_DIRECTIVE=""; [[ $(id -u) == 0 ]] && USER_DIRECTIVE="user root;"   # workers can read the 0700-free work dir
render_nginx() {
    local template=$1 prefix=$2 port=$3
    mkdir -p "$prefix/tmp" "$prefix/logs"
    temp_paths "$prefix" >"$prefix/temp-paths.inc"
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" -e "s|@ORIGIN_PORT@|${ORIGIN_PORT:-}|g" \
        -e "s|@DOCROOT@|$WORK/docroot|g" -e "s|@USER_DIRECTIVE@|$USER_DIRECTIVE|g" \
        -e "/@TEMP_PATHS@/{r $prefix/temp-paths.inc" -e "d}" \
        "$template" >"$prefix/nginx.conf"
    if grep -v '^[[:space:]]*#' "$prefix/nginx.conf" | grep -q '@[A-Z_]*@'; then
        die "unrendered placeholder in $prefix/nginx.conf"
    fi
    "$NGINX" -t -q -p "$prefix/" -e "$prefix/error.log" -c "$prefix/nginx.conf" \
        || die "nginx rejected $prefix/nginx.conf"
}

# start_nginx NAME PREFIX PIN...: runs nginx (daemon off) in the background; sets STARTED_PID.
start_nginx() {
    local name=$1 prefix=$2; shift 2
    "$@" "$NGINX" -p "$prefix/" -e "$prefix/error.log" -c "$prefix/nginx.conf" >"$prefix/stdout.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    log "$name: nginx master PID $STARTED_PID"
}

# children PID: PIDs of the direct children (nginx workers), space separated.
children() { ps -o pid= --ppid "$1" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }

# cpu_ticks PID...: sum of utime+stime (clock ticks) over the given processes. /proc/PID/stat of a
# thread-group leader already aggregates all of the process's threads.
cpu_ticks() {
    local total=0 pid line fields
    for pid in "$@"; do
        read -r line <"/proc/$pid/stat" || die "process $pid vanished"
        read -ra fields <<<"${line##*) }"          # fields[0] = state (field 3), utime = 14, stime = 15
        total=$((total + fields[11] + fields[12]))
    done
    echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

# core_busy CPU: clock ticks core CPU spent busy (user+nice+system+irq+softirq+steal) since boot,
# from /proc/stat. Busy ticks on the proxy core minus the proxy's own ticks = other programs' load
# on that core during a run: the noise gauge for a shared machine. Same for the load core, minus wrk
# and the origin.
core_busy() {
    awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# children_ticks: CPU time of this shell's finished children (wrk, once it has been waited for), in
# clock ticks, from the `times` builtin (run in this shell, not a subshell, to see our children).
children_ticks() {
    times >"$WORK/times"
    awk -v hz="$CLK_TCK" 'NR == 2 {
        t = 0
        for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }
        printf "%.0f", t * hz }' "$WORK/times"
}

# to_ms VALUE: wrk time ("812.00us", "1.23ms", "2.00s", "1.00m") → milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/)      { f = 0.001 }  else if (v ~ /ms$/) { f = 1 }
        else if (v ~ /s$/)  { f = 1000 }   else if (v ~ /m$/)  { f = 60000 }
        else if (v ~ /h$/)  { f = 3600000 } else { exit 1 }
        sub(/[a-z]+$/, "", v); printf "%.3f", v * f }'
}

# median / min / max of numbers given as arguments.
stat_of() {
    local what=$1; shift
    printf '%s\n' "$@" | sort -g | awk -v w="$what" '{ a[NR] = $1 } END {
        if (w == "min") print a[1]; else if (w == "max") print a[NR];
        else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

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
# 3. Tern in quick mode, one event loop, pinned to PROXY_CPU.
# ---------------------------------------------------------------------------------------------------
pick_port; TERN_PORT=$PORT
"${PIN_PROXY[@]}" "$TERN_BIN" serve --listen "127.0.0.1:$TERN_PORT" --origin "http://127.0.0.1:$ORIGIN_PORT" \
    --workers 1 --access-log off --log-level error >"$WORK/tern.log" 2>&1 &
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
# One wrk run against a target, with CPU accounting around it.
# ---------------------------------------------------------------------------------------------------
declare -A RPS=() P99=() CPU=() UTIL=()
OTHERS="" OTHERS_LOAD=""
ERRORS=0

# proxy_pids TARGET: the processes whose CPU counts for that proxy.
proxy_pids() {
    case $1 in
        tern) echo "$TERN_PID" ;;
        nginx) echo "$NGINX_PID $(children "$NGINX_PID")" ;;   # master + worker(s)
    esac
}

# measure TARGET DURATION LABEL ROUND ORDER: run wrk; unless LABEL is "warmup", record the numbers.
measure() {
    local target=$1 duration=$2 label=$3 round=$4 order=$5 port pids out
    local t0 t1 c0 c1 o0 o1 b0 b1 l0 l1 w0 w1 others others_load rps requests p99raw p99 non2xx sockerr cpu util origin_cpu
    case $target in tern) port=$TERN_PORT ;; nginx) port=$NGINX_PORT ;; esac
    pids=$(proxy_pids "$target")
    out=$WORK/wrk.$target.$label
    c0=$(cpu_ticks $pids); o0=$(cpu_ticks "$ORIGIN_PID" $ORIGIN_WORKERS); b0=$(core_busy "$PROXY_CPU"); l0=$(core_busy "$LOAD_CPU")
    children_ticks >"$WORK/w0"; t0=$(date +%s%N)
    "${PIN_LOAD[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${duration}s" --latency \
        "http://127.0.0.1:$port$WRK_PATH" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed against $target"; }
    t1=$(date +%s%N); children_ticks >"$WORK/w1"
    c1=$(cpu_ticks $pids); o1=$(cpu_ticks "$ORIGIN_PID" $ORIGIN_WORKERS); b1=$(core_busy "$PROXY_CPU"); l1=$(core_busy "$LOAD_CPU")
    w0=$(<"$WORK/w0"); w1=$(<"$WORK/w1")
    [[ $(proxy_pids "$target") == "$pids" ]] || die "$target's processes changed during the run (a worker crashed?)"
    { echo "===== $label $target (round $round, order $order)"; cat "$out"; echo; } >>"$WRK_LOG"

    # Fail loudly on anything but clean 2xx/3xx answers.
    non2xx=$(awk -F: '/Non-2xx or 3xx responses/ { gsub(/ /, "", $2); print $2 }' "$out")
    sockerr=$(grep 'Socket errors' "$out" || true)
    if [[ -n $non2xx || -n $sockerr ]]; then
        cat "$out" >&2
        echo "--- tern log" >&2; cat "$WORK/tern.log" >&2 || true
        echo "--- nginx proxy error.log" >&2; cat "$WORK/proxy/error.log" >&2 || true
        die "$target: wrk reported ${non2xx:+$non2xx non-2xx/3xx responses }${sockerr:+($sockerr)} — results are invalid"
    fi

    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    requests=$(awk '/ requests in / { print $1 }' "$out")
    p99raw=$(awk '$1 == "99%" { print $2 }' "$out")
    [[ -n $rps && -n $requests && -n $p99raw && $requests -gt 0 ]] || { cat "$out" >&2; die "cannot parse wrk output for $target"; }
    p99=$(to_ms "$p99raw") || die "unknown wrk time unit in '$p99raw'"
    cpu=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
    util=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", 100 * t / hz / (ns / 1e9) }')
    others=$(awk -v b=$((b1 - b0)) -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) \
        'BEGIN { o = b - t; if (o < 0) o = 0; printf "%.0f", 100 * o / hz / (ns / 1e9) }')
    others_load=$(awk -v b=$((l1 - l0)) -v t=$((o1 - o0 + w1 - w0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) \
        'BEGIN { o = b - t; if (o < 0) o = 0; printf "%.0f", 100 * o / hz / (ns / 1e9) }')
    ((${#PIN_PROXY[@]})) || { others="-"; others_load="-"; }
    origin_cpu=$(awk -v t=$((o1 - o0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')

    if [[ $label == warmup ]]; then
        log "  warmup $target: $rps req/s"
        return 0
    fi
    RPS[$target]+="$rps " P99[$target]+="$p99 " CPU[$target]+="$cpu " UTIL[$target]+="$util " OTHERS+="$others " OTHERS_LOAD+="$others_load "
    printf '%-5s %-6s %-5s %12s %9s %10s %12s %8s %14s %11s %11s\n' \
        "$round" "$target" "$order" "$rps" "$p99" "$requests" "$cpu" "$util" "$origin_cpu" "$others" "$others_load" >>"$RESULTS"
    log "  round $round/$ROUNDS $target: $rps req/s, p99 ${p99} ms, ${cpu} µs CPU/req, proxy core ${util}% busy, others ${others}%/${others_load}% on CPU $PROXY_CPU/$LOAD_CPU"
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
