#!/usr/bin/env bash
# Bench/cache-vs-nginx.sh — cache-HIT throughput: Tern (quick mode) vs nginx proxy_cache, and Tern's
# memory tier vs its disk tier. Same origin, same box, same load.
#
#   Bench/cache-vs-nginx.sh              # 5 rounds x 8 s per target and size (the default run)
#   QUICK=1 Bench/cache-vs-nginx.sh      # 2 rounds x 3 s smoke run
#   make bench-cache                     # installs packages, builds, runs this script
#
# Topology (all on 127.0.0.1, ports picked at random among free ones):
#
#   wrk ──► tern       (1 event loop, memory tier 256MiB)          ──┐
#   wrk ──► nginx      (1 worker, proxy_cache)                      ─┼──► nginx origin (1 worker):
#   wrk ──► tern-disk  (1 event loop, --memory 0 --cache-dir: LMDB) ──┘    obj-<bytes>.bin, max-age=3600
#   └ CPU 1 ┘  └─────────────────────── CPU 0 ────────────────────┘    └──────── CPU 1 ────────┘
#
# The three caches run at the same time but only one is under load at any moment. Before timing,
# each cache is warmed and curl checks that it answers with a HIT and the origin's exact bytes. Each
# timed run counts the origin's access-log lines before and after: any growth means a request that was
# not served from the cache (reported, and the script exits non-zero).
#
# Rounds are interleaved per object size: the order of the three targets rotates every round
# (tern nginx tern-disk / nginx tern-disk tern / tern-disk tern nginx / ...), so drift on the
# shared machine hits all of them equally. Per run: requests/s and p99 (wrk --latency) and the
# target's CPU time (utime+stime from /proc, all threads; nginx: master + worker + cache manager)
# per request completed.
#
# Table 1: Tern (memory tier) vs nginx proxy_cache. Table 2: Tern memory-tier hits vs disk-tier hits
# (same Tern runs as table 1 for the memory side).
#
# Knobs (environment):
#   ROUNDS=5  DURATION=8 (seconds per run)  CONNECTIONS=32
#   SIZES="1K 128K 1M"   object sizes: bytes, or K / M suffix (KiB / MiB)
#   WARMUP=2 (seconds of unmeasured load per target and size before round 1; 0 disables)
#   QUICK=1   → defaults become ROUNDS=2 DURATION=3 WARMUP=1 (explicit ROUNDS/DURATION still win)
#   PROXY_CPU=0  LOAD_CPU=1   cores for the caches / for wrk + origin
#   WRK_THREADS=1             wrk -t
#   TERN_MEMORY=256MiB        Tern's memory tier for the "tern" target
#   SKIP_BUILD=1              never run `swift build` (use the existing .build/release/tern)
#   TERN_BIN=path             use this binary (implies SKIP_BUILD=1)
#   KEEP_WORK=1               keep the mktemp work dir (configs, logs, caches, raw wrk output)
#
# Exit status: 0 on success; non-zero if anything failed: a cache that does not hit after warming,
# a body that differs from the origin's, any non-2xx/3xx or socket error from wrk (stops at once),
# origin requests during a timed run, or error lines in Tern's or nginx's logs (after the tables).

set -euo pipefail

# ---------------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------------
BENCH_NAME=cache-vs-nginx
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
SIZES=${SIZES:-1K 128K 1M}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
WRK_THREADS=${WRK_THREADS:-1}
TERN_MEMORY=${TERN_MEMORY:-256MiB}
KEEP_WORK=${KEEP_WORK:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
if [[ -n ${TERN_BIN:-} ]]; then SKIP_BUILD=1; else TERN_BIN=$ROOT/.build/release/tern; fi
TARGETS=(tern nginx tern-disk)

for knob in ROUNDS DURATION CONNECTIONS WARMUP PROXY_CPU LOAD_CPU WRK_THREADS; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "$knob must be a non-negative integer, got '${!knob}'"
done
((ROUNDS >= 1)) || die "ROUNDS must be >= 1"
((DURATION >= 1)) || die "DURATION must be >= 1"
((CONNECTIONS >= WRK_THREADS && WRK_THREADS >= 1)) || die "need CONNECTIONS >= WRK_THREADS >= 1"

# SIZES → BYTES (numbers) and LABELS (1KiB, 128KiB, 1MiB, 1000B).
BYTES=() LABELS=()
for s in $SIZES; do
    case $s in
        *[Kk]) n=${s%?}; mult=1024 ;;
        *[Mm]) n=${s%?}; mult=1048576 ;;
        *) n=$s; mult=1 ;;
    esac
    [[ $n =~ ^[0-9]+$ ]] && ((n >= 1)) || die "SIZES: '$s' is not a size (bytes, or a number with K or M)"
    b=$((n * mult))
    ((b <= 64 * 1048576)) || die "SIZES: '$s' is larger than 64M (Tern's default max_object_size)"
    BYTES+=("$b")
    if ((b % 1048576 == 0)); then LABELS+=("$((b / 1048576))MiB")
    elif ((b % 1024 == 0)); then LABELS+=("$((b / 1024))KiB")
    else LABELS+=("${b}B"); fi
done
((${#BYTES[@]})) || die "SIZES is empty"

# ---------------------------------------------------------------------------------------------------
# 1. Packages (only the missing ones) and the Tern release binary (only when stale)
# ---------------------------------------------------------------------------------------------------
bench_install_packages nginx:nginx-light wrk:wrk taskset:util-linux ps:procps curl:curl
bench_build_tern

# CPU pinning (caches on PROXY_CPU, wrk + origin on LOAD_CPU), the work dir and the cleanup trap.
bench_setup_pinning
bench_setup_work tern-bench-cache

# ---------------------------------------------------------------------------------------------------
# 2. The origin: nginx serving obj-<bytes>.bin with max-age=3600, logging every request.
# ---------------------------------------------------------------------------------------------------
mkdir -p "$WORK/docroot"
for b in "${BYTES[@]}"; do head -c "$b" /dev/urandom >"$WORK/docroot/obj-$b.bin"; done
chmod -R a+rX "$WORK/docroot"

pick_port; ORIGIN_PORT=$PORT
render_nginx "$BENCH_DIR/nginx-cache-origin.conf.template" "$WORK/origin" "$ORIGIN_PORT"
start_nginx origin "$WORK/origin" "${PIN_LOAD[@]}"
ORIGIN_PID=$STARTED_PID
ORIGIN_LOG=$WORK/origin/access.log
wait_ready origin "$ORIGIN_PID" "http://127.0.0.1:$ORIGIN_PORT/obj-${BYTES[0]}.bin" "$WORK/origin/error.log"
ORIGIN_WORKERS=$(children "$ORIGIN_PID")
PIDS+=($ORIGIN_WORKERS)
grep -qi '^Cache-Control: max-age=3600' <(curl -s -D - -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/obj-${BYTES[0]}.bin" | tr -d '\r') \
    || die "the origin does not send Cache-Control: max-age=3600"

# origin_requests: requests the origin has answered so far (lines of its access log).
origin_requests() { wc -l <"$ORIGIN_LOG"; }

# ---------------------------------------------------------------------------------------------------
# 3. The caches, all pinned to PROXY_CPU:
#    tern       quick mode, memory tier only (TERN_MEMORY)
#    tern-disk  quick mode, --memory 0 --cache-dir: every hit is read from LMDB
#    nginx      proxy_cache (bodies in files under proxy_cache_path, served from the page cache)
# ---------------------------------------------------------------------------------------------------
TERN_COMMON=(--origin "http://127.0.0.1:$ORIGIN_PORT" --workers 1 --log-level error)

pick_port; TERN_PORT=$PORT
"${PIN_PROXY[@]}" "$TERN_BIN" serve --listen "127.0.0.1:$TERN_PORT" "${TERN_COMMON[@]}" \
    --memory "$TERN_MEMORY" --access-log off >"$WORK/tern.log" 2>&1 &
TERN_PID=$!
PIDS+=("$TERN_PID")
log "tern: PID $TERN_PID (--memory $TERN_MEMORY)"

pick_port; TERN_DISK_PORT=$PORT
mkdir -p "$WORK/tern-disk-cache"
"${PIN_PROXY[@]}" "$TERN_BIN" serve --listen "127.0.0.1:$TERN_DISK_PORT" "${TERN_COMMON[@]}" \
    --memory 0 --cache-dir "$WORK/tern-disk-cache" --disk 4GiB --access-log off >"$WORK/tern-disk.log" 2>&1 &
TERN_DISK_PID=$!
PIDS+=("$TERN_DISK_PID")
log "tern-disk: PID $TERN_DISK_PID (--memory 0 --cache-dir $WORK/tern-disk-cache --disk 4GiB)"

pick_port; NGINX_PORT=$PORT
render_nginx "$BENCH_DIR/nginx-cache-proxy.conf.template" "$WORK/proxy" "$NGINX_PORT"
start_nginx proxy "$WORK/proxy" "${PIN_PROXY[@]}"
NGINX_PID=$STARTED_PID

# wait_ready fetches /obj-<first size>.bin through each cache; that is the first fill of that object.
wait_ready tern "$TERN_PID" "http://127.0.0.1:$TERN_PORT/obj-${BYTES[0]}.bin" "$WORK/tern.log"
wait_ready tern-disk "$TERN_DISK_PID" "http://127.0.0.1:$TERN_DISK_PORT/obj-${BYTES[0]}.bin" "$WORK/tern-disk.log"
wait_ready nginx-proxy "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/obj-${BYTES[0]}.bin" "$WORK/proxy/error.log"

# nginx_pids: master + worker + cache manager. The cache loader is left out: it starts a minute
# after nginx and exits when done, which would look like a crashed process mid-run.
nginx_pids() {
    local pid out="$NGINX_PID"
    for pid in $(children "$NGINX_PID"); do
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"cache loader"* ]] || out+=" $pid"
    done
    echo "$out"
}
NGINX_CHILDREN=$(nginx_pids); NGINX_CHILDREN=${NGINX_CHILDREN#"$NGINX_PID"}
PIDS+=($NGINX_CHILDREN)

port_of() {
    case $1 in tern) echo "$TERN_PORT" ;; nginx) echo "$NGINX_PORT" ;; tern-disk) echo "$TERN_DISK_PORT" ;; esac
}

# ---------------------------------------------------------------------------------------------------
# 4. Warm every cache with every object and prove that the next request is a hit with the right bytes.
# ---------------------------------------------------------------------------------------------------
# hit_check TARGET BYTES: one GET; dies unless it is a hit (per the target's header) with the exact body.
hit_check() {
    local target=$1 b=$2 url hdr status
    url="http://127.0.0.1:$(port_of "$target")/obj-$b.bin"
    hdr=$WORK/check.$target.$b.headers
    curl -s -D "$hdr" -o "$WORK/check.$target.$b.body" "$url" || die "$target: curl $url failed"
    tr -d '\r' <"$hdr" >"$hdr.txt"
    cmp -s "$WORK/check.$target.$b.body" "$WORK/docroot/obj-$b.bin" || die "$target returned a body that differs from the origin's obj-$b.bin"
    case $target in
        nginx) status=$(awk -F': ' 'tolower($1) == "x-cache-status" { print $2 }' "$hdr.txt")
               [[ $status == HIT ]] || die "nginx: X-Cache-Status is '$status', not HIT, for obj-$b.bin after warming" ;;
        *)     status=$(awk -F': ' 'tolower($1) == "cache-status" { print $2 }' "$hdr.txt")
               [[ $status == "tern; hit"* ]] || die "$target: Cache-Status is '$status', not a hit, for obj-$b.bin after warming" ;;
    esac
    echo "$status"
}

for i in "${!BYTES[@]}"; do
    b=${BYTES[$i]}
    for target in "${TARGETS[@]}"; do
        # First request: a miss that fills the cache (Tern must say `stored`).
        first=$(curl -s -D - -o /dev/null "http://127.0.0.1:$(port_of "$target")/obj-$b.bin" | tr -d '\r' \
            | awk -F': ' 'tolower($1) == "cache-status" || tolower($1) == "x-cache-status" { print $2 }')
        if [[ $target == tern* && $first != *"hit"* && $first != *stored* ]]; then
            die "$target did not store obj-$b.bin: Cache-Status '$first'"
        fi
        # nginx writes the cache file when the response completes; Tern's disk writer commits in
        # batches of a few ms. Give both a moment, then require a hit.
        for ((try = 0; try < 20; try++)); do
            status=$( (hit_check "$target" "$b") 2>/dev/null) && break
            sleep 0.05
        done
        status=$(hit_check "$target" "$b")
        log "warm: $target obj-$b.bin (${LABELS[$i]}): first '${first:-?}', then '$status'"
    done
done

# forget_pid PID: drop a process we already stopped from PIDS (cleanup must not signal a reused PID).
forget_pid() {
    local p keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# The disk-tier configuration really serves from disk: a separate instance with the same flags and
# the access log on (never used for timing) must log cache=HIT-DISK for a repeat request; and the
# memory configuration logs cache=HIT.
check_tier() {
    local name=$1 expect=$2; shift 2
    local port pid logf b n i line
    pick_port; port=$PORT
    logf=$WORK/$name.access.log
    "$TERN_BIN" serve --listen "127.0.0.1:$port" "${TERN_COMMON[@]}" --access-log stderr "$@" >"$logf" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_ready "$name" "$pid" "http://127.0.0.1:$port/obj-${BYTES[0]}.bin" "$logf"
    for b in "${BYTES[@]}"; do
        curl -s -o /dev/null "http://127.0.0.1:$port/obj-$b.bin"; sleep 0.1
        curl -s -o /dev/null "http://127.0.0.1:$port/obj-$b.bin"
    done
    n=$((2 * ${#BYTES[@]} + 1))
    for ((i = 0; i < 50; i++)); do (($(grep -c ' cache=' "$logf") >= n)) && break; sleep 0.1; done
    for b in "${BYTES[@]}"; do
        line=$(grep "GET /obj-$b.bin " "$logf" | tail -1)
        [[ $line == *" cache=$expect" ]] || { cat "$logf" >&2; die "$name: repeat request for obj-$b.bin logged '${line##* }', expected cache=$expect"; }
    done
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
    log "tier check: $name ($*) logs cache=$expect for repeat requests of every size"
}
mkdir -p "$WORK/check-disk-cache"
check_tier tern-disk-check HIT-DISK --memory 0 --cache-dir "$WORK/check-disk-cache" --disk 4GiB
check_tier tern-memory-check HIT --memory "$TERN_MEMORY"

# ---------------------------------------------------------------------------------------------------
# Results files
# ---------------------------------------------------------------------------------------------------
RESULTS_DIR=$BENCH_DIR/results
mkdir -p "$RESULTS_DIR"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$RESULTS_DIR/cache-$STAMP.txt
WRK_LOG=$RESULTS_DIR/cache-$STAMP.wrk.txt
ROW_FORMAT='%-8s %-5s %-9s %-5s %12s %9s %10s %14s %8s %11s %11s %11s\n'
{
    echo "# Tern vs nginx proxy_cache, cache hits — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# git: $(git_rev)"
    echo "# host: $(host_line)"
    echo "# pinning: $PINNING"
    echo "# tern:      $TERN_BIN serve --workers 1 --access-log off --log-level error --memory $TERN_MEMORY"
    echo "# tern-disk: $TERN_BIN serve --workers 1 --access-log off --log-level error --memory 0 --cache-dir DIR --disk 4GiB"
    echo "# nginx: $(versions_line)"
    echo "# knobs: ROUNDS=$ROUNDS DURATION=${DURATION}s CONNECTIONS=$CONNECTIONS WRK_THREADS=$WRK_THREADS SIZES='$SIZES' WARMUP=${WARMUP}s"
    echo "# cpu_us_per_req = target utime+stime / requests; util = target CPU seconds / wall seconds of the run"
    echo "# origin_reqs = requests the origin logged during the run (must be 0: every request a cache hit)"
    echo "# others_cpuN = busy time of core N not spent by the benchmark's own processes (cache on $PROXY_CPU; wrk + origin on $LOAD_CPU),"
    echo "#               in % of the run: other programs on a shared machine = noise (only with pinning)"
    echo "#"
    printf "$ROW_FORMAT" size round target order req_per_s p99_ms requests cpu_us_per_req util_pct origin_reqs \
        others_cpu$PROXY_CPU others_cpu$LOAD_CPU
} >"$RESULTS"
: >"$WRK_LOG"

# ---------------------------------------------------------------------------------------------------
# One wrk run against a target (wrk_measure in lib.sh), plus the origin-request count around it.
# ---------------------------------------------------------------------------------------------------
declare -A RPS=() P99=() CPU=() UTIL=()
OTHERS="" OTHERS_LOAD=""
ERRORS=0 ORIGIN_LEAKS=0
CUR_BYTES=""

bench_target_pids() {
    case $1 in
        tern) echo "$TERN_PID" ;;
        tern-disk) echo "$TERN_DISK_PID" ;;
        nginx) nginx_pids ;;
    esac
}
bench_target_url() { echo "http://127.0.0.1:$(port_of "$1")/obj-$CUR_BYTES.bin"; }
bench_dump_logs() {
    echo "--- tern log" >&2; cat "$WORK/tern.log" >&2 || true
    echo "--- tern-disk log" >&2; cat "$WORK/tern-disk.log" >&2 || true
    echo "--- nginx proxy error.log" >&2; cat "$WORK/proxy/error.log" >&2 || true
}

# measure TARGET DURATION LABEL ROUND ORDER SIZE_LABEL: run wrk; unless LABEL is "warmup", record.
measure() {
    local target=$1 duration=$2 label=$3 round=$4 order=$5 size=$6 r0 r1 leaked key
    r0=$(origin_requests)
    wrk_measure "$target" "$duration" "$label" "$round" "$order"
    r1=$(origin_requests)
    leaked=$((r1 - r0))
    if ((leaked != 0)); then
        log "  ERROR: $target $size: the origin saw $leaked request(s) during this run — not all were cache hits"
        ORIGIN_LEAKS=$((ORIGIN_LEAKS + leaked))
        echo "# ERROR: $label $target $size round $round: origin saw $leaked request(s)" >>"$RESULTS"
    fi
    if [[ $label == warmup ]]; then
        log "  warmup $target $size: $M_RPS req/s"
        return 0
    fi
    key="$target/$size"
    RPS[$key]+="$M_RPS " P99[$key]+="$M_P99 " CPU[$key]+="$M_CPU " UTIL[$key]+="$M_UTIL " OTHERS+="$M_OTHERS " OTHERS_LOAD+="$M_OTHERS_LOAD "
    printf "$ROW_FORMAT" "$size" "$round" "$target" "$order" "$M_RPS" "$M_P99" "$M_REQUESTS" "$M_CPU" "$M_UTIL" \
        "$leaked" "$M_OTHERS" "$M_OTHERS_LOAD" >>"$RESULTS"
    log "  $size round $round/$ROUNDS $target: $M_RPS req/s, p99 ${M_P99} ms, ${M_CPU} µs CPU/req, core ${M_UTIL}% busy, origin +$leaked, others ${M_OTHERS}%/${M_OTHERS_LOAD}% on CPU $PROXY_CPU/$LOAD_CPU"
}

# ---------------------------------------------------------------------------------------------------
# Per size: warm-up, then interleaved rounds; the target order rotates every round.
# ---------------------------------------------------------------------------------------------------
log "benchmark: sizes ${LABELS[*]}; $ROUNDS rounds x ${DURATION}s per target and size, $CONNECTIONS connections; pinning $PINNING"
log "ports: origin $ORIGIN_PORT, tern $TERN_PORT, nginx $NGINX_PORT, tern-disk $TERN_DISK_PORT"
ordinals=(1st 2nd 3rd)
for i in "${!BYTES[@]}"; do
    CUR_BYTES=${BYTES[$i]} size=${LABELS[$i]}
    if ((WARMUP > 0)); then
        for target in "${TARGETS[@]}"; do measure "$target" "$WARMUP" warmup 0 - "$size"; done
    fi
    for ((round = 1; round <= ROUNDS; round++)); do
        for ((k = 0; k < 3; k++)); do
            target=${TARGETS[$(((round - 1 + k) % 3))]}
            measure "$target" "$DURATION" run "$round" "${ordinals[$k]}" "$size"
        done
    done
done

# ---------------------------------------------------------------------------------------------------
# 5. Summary tables (stdout and the results file)
# ---------------------------------------------------------------------------------------------------
declare -A MED_RPS MED_P99 MED_CPU
summary_rows() {   # summary_rows TARGET...: one row per size and target
    local i size t key min max
    # printf pads by bytes: "µs" is 3 bytes for 2 columns, hence %11s for a 10-wide header column.
    printf '%-7s  %-9s  %12s  %15s  %8s  %11s  %14s\n' size target "req/s median" "req/s min-max" "p99 ms" "CPU µs/req" "cache CPU busy"
    printf '%-7s  %-9s  %12s  %15s  %8s  %10s  %14s\n' ------- --------- ------------ --------------- -------- ---------- --------------
    for i in "${!BYTES[@]}"; do
        size=${LABELS[$i]}
        for t in "$@"; do
            key="$t/$size"
            # shellcheck disable=SC2086  # the per-target lists are space separated on purpose
            MED_RPS[$key]=$(stat_of median ${RPS[$key]}); min=$(stat_of min ${RPS[$key]}); max=$(stat_of max ${RPS[$key]})
            MED_P99[$key]=$(stat_of median ${P99[$key]})
            MED_CPU[$key]=$(stat_of median ${CPU[$key]})
            printf '%-7s  %-9s  %12.0f  %15s  %8.3f  %10.2f  %13.0f%%\n' "$size" "$t" "${MED_RPS[$key]}" \
                "$(printf '%.0f-%.0f' "$min" "$max")" "${MED_P99[$key]}" "${MED_CPU[$key]}" "$(stat_of median ${UTIL[$key]})"
        done
    done
}
ratio_rows() {     # ratio_rows A B TITLE: A/B medians per size
    local a=$1 b=$2 i size
    echo
    printf '%-18s  %-7s  %10s  %11s  %7s\n' "$3" size throughput "CPU per req" "p99"
    for i in "${!BYTES[@]}"; do
        size=${LABELS[$i]}
        awk -v t="$3" -v s="$size" -v r1="${MED_RPS[$a/$size]}" -v r2="${MED_RPS[$b/$size]}" \
            -v c1="${MED_CPU[$a/$size]}" -v c2="${MED_CPU[$b/$size]}" -v p1="${MED_P99[$a/$size]}" -v p2="${MED_P99[$b/$size]}" \
            'BEGIN { printf "%-18s  %-7s  %9.2fx  %10.2fx  %6.2fx\n", "", s, r1 / r2, c1 / c2, (p2 > 0 ? p1 / p2 : 0) }'
    done
}
summary() {
    local noise_max
    echo
    echo "Cache hits, Tern (memory tier) vs nginx proxy_cache: ${CONNECTIONS} connections, ${ROUNDS} rounds x ${DURATION}s per target and size"
    echo "pinning: $PINNING; nproc=$NPROC"
    echo
    summary_rows tern nginx
    ratio_rows tern nginx "Tern/nginx"
    echo "(throughput > 1: Tern serves more; CPU per request < 1: Tern is cheaper; p99 < 1: Tern has the lower tail)"
    echo
    echo "Tern memory-tier hits vs disk-tier hits (--memory 0 --cache-dir, LMDB): same rounds"
    echo
    summary_rows tern tern-disk
    ratio_rows tern-disk tern "disk/memory"
    echo "(throughput < 1: disk hits are slower; CPU per request > 1: disk hits cost more CPU)"
    echo
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
    if ((ORIGIN_LEAKS == 0)); then
        echo "origin requests during all wrk runs: 0 (every timed request was a cache hit)"
    else
        echo "ERROR: the origin saw $ORIGIN_LEAKS request(s) during wrk runs: some requests were NOT cache hits (see the results file)"
    fi
}
summary | tee -a "$RESULTS"
FINISHED=1
echo
echo "raw per-round numbers: $RESULTS"
echo "raw wrk output:        $WRK_LOG"
((ORIGIN_LEAKS == 0)) || ERRORS=1

# ---------------------------------------------------------------------------------------------------
# Anything the servers logged is suspicious: Tern runs at --log-level error, nginx logs at warn.
# ---------------------------------------------------------------------------------------------------
for t in tern tern-disk; do
    if [[ $t == tern ]]; then pid=$TERN_PID; else pid=$TERN_DISK_PID; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "ERROR: $t exited during the benchmark" >&2; ERRORS=1; fi
    if [[ -s $WORK/$t.log ]]; then
        echo "ERROR: $t wrote $(wc -l <"$WORK/$t.log") line(s) to its log at --log-level error:" >&2
        head -n 20 "$WORK/$t.log" >&2
        { echo "# $t log:"; sed 's/^/# /' "$WORK/$t.log"; } >>"$RESULTS"
        ERRORS=1
    fi
done
for prefix in "$WORK/proxy" "$WORK/origin"; do
    if grep -qE '\[(error|crit|alert|emerg)\]' "$prefix/error.log" 2>/dev/null; then
        echo "ERROR: nginx ($prefix) logged errors:" >&2
        grep -E '\[(error|crit|alert|emerg)\]' "$prefix/error.log" | head -n 20 >&2
        ERRORS=1
    fi
done
exit "$ERRORS"
