#!/usr/bin/env bash
# Bench/compression-vs-nginx.sh — COMPRESSED cache hits: Tern (quick mode, cache on) serving its stored
# gzip / br variants vs nginx proxy_cache + `gzip on` (which compresses again on every hit), plus the
# brotli-vs-gzip sizes of Config/site as served by Tern.
#
#   Bench/compression-vs-nginx.sh              # 5 rounds x 8 s per target (the default run, ~3 minutes)
#   QUICK=1 Bench/compression-vs-nginx.sh      # 2 rounds x 3 s smoke run
#
# Topology (all on 127.0.0.1, ports picked at random among free ones):
#
#   wrk -H 'Accept-Encoding: gzip' ──► tern  (1 event loop, memory tier) ──┐
#   wrk -H 'Accept-Encoding: br'   ──► tern  (the same process)           ─┼──► nginx origin (1 worker):
#   wrk -H 'Accept-Encoding: gzip' ──► nginx (1 worker, proxy_cache,       │    bundle.js (128 KiB of JS),
#                                            gzip on, comp_level 6)      ──┘    site/…, max-age=3600
#   └──────── CPU 1 ────────┘         └──────────── CPU 0 ────────────┘        └──── CPU 1 ────┘
#
# Targets: tern-gzip, nginx-gzip, tern-br (nginx-light has no brotli module: br is Tern only).
# Tern encodes a stored object once per coding, in the background, after the fill; the script polls
# until Tern serves `Content-Encoding: gzip` / `br` with `Cache-Status: tern; hit`, and nginx
# `X-Cache-Status: HIT` with `Content-Encoding: gzip`. Before timing, every target's body must
# decode (`gzip -d`, `brotli -d`) to the origin's exact bytes and carry `Vary: Accept-Encoding`.
# During timing the origin's access log must not grow, and wrk's bytes read per response must be
# those of a compressed response (wrk cannot see headers; this proves the timed responses were encoded).
#
# Rounds are interleaved: the order of the three targets rotates every round. Per run: requests/s and
# p99 (wrk --latency), the target's CPU time per request (utime+stime from /proc: Tern's whole
# process; nginx master + worker + cache manager), and bytes read per response.
#
# Knobs (environment):
#   ROUNDS=5  DURATION=8 (seconds per run)  CONNECTIONS=32  WARMUP=2 (seconds per target, 0 = none)
#   QUICK=1   → defaults become ROUNDS=2 DURATION=3 WARMUP=1 (explicit values still win)
#   JS_SIZE=131072            bytes of the generated JavaScript object (Bench/gen_bundle_js.py)
#   ENCODE_WAIT=15            seconds to wait for Tern's background encoding of a stored object
#   PROXY_CPU=0  LOAD_CPU=1   cores for the caches / for wrk + origin
#   WRK_THREADS=1  TERN_MEMORY=256MiB  SKIP_BUILD=1  TERN_BIN=path  KEEP_WORK=1   as in cache-vs-nginx.sh
#
# Exit status: 0 on success; non-zero if a target never serves an encoded hit, a body does not decode
# to the origin's bytes (both stop before timing), wrk errors (stop at once), origin requests or
# uncompressed responses during timing, a missing `Vary: Accept-Encoding` or a variant ETag equal to
# the identity's (reported as BUG lines, the run continues), or error lines in the servers' logs.

set -euo pipefail

# ---------------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------------
BENCH_NAME=compression-vs-nginx
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
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
WRK_THREADS=${WRK_THREADS:-1}
TERN_MEMORY=${TERN_MEMORY:-256MiB}
JS_SIZE=${JS_SIZE:-131072}
ENCODE_WAIT=${ENCODE_WAIT:-15}
KEEP_WORK=${KEEP_WORK:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
if [[ -n ${TERN_BIN:-} ]]; then SKIP_BUILD=1; else TERN_BIN=$ROOT/.build/release/tern; fi
TARGETS=(tern-gzip nginx-gzip tern-br)

for knob in ROUNDS DURATION CONNECTIONS WARMUP PROXY_CPU LOAD_CPU WRK_THREADS JS_SIZE ENCODE_WAIT; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "$knob must be a non-negative integer, got '${!knob}'"
done
((ROUNDS >= 1)) || die "ROUNDS must be >= 1"
((DURATION >= 1)) || die "DURATION must be >= 1"
((JS_SIZE >= 4096)) || die "JS_SIZE must be >= 4096"
((CONNECTIONS >= WRK_THREADS && WRK_THREADS >= 1)) || die "need CONNECTIONS >= WRK_THREADS >= 1"
# wrk_measure passes WRK_ARGS (the Accept-Encoding header) to wrk.
grep -q 'WRK_ARGS' "$BENCH_DIR/lib.sh" || die "Bench/lib.sh's wrk_measure does not pass WRK_ARGS to wrk"

# ---------------------------------------------------------------------------------------------------
# 1. Packages (only the missing ones) and the Tern release binary (only when stale)
# ---------------------------------------------------------------------------------------------------
bench_install_packages nginx:nginx-light wrk:wrk taskset:util-linux ps:procps curl:curl brotli:brotli \
    gzip:gzip python3:python3
bench_build_tern
bench_setup_pinning
bench_setup_work tern-bench-compression

# ---------------------------------------------------------------------------------------------------
# 2. The origin: bundle.js and site/… (a copy of Config/site), unencoded, max-age=3600, logged.
# ---------------------------------------------------------------------------------------------------
DOC=$WORK/docroot
mkdir -p "$DOC/site"
python3 "$BENCH_DIR/gen_bundle_js.py" "$JS_SIZE" "$DOC/bundle.js"
cp -R "$ROOT/Config/site/." "$DOC/site/"
chmod -R a+rX "$DOC"
JS_GZ6=$(gzip -6 -c "$DOC/bundle.js" | wc -c)
JS_RATIO=$(awk -v a="$JS_SIZE" -v b="$JS_GZ6" 'BEGIN { printf "%.2f", a / b }')
log "bundle.js: $JS_SIZE bytes, gzip -6 → $JS_GZ6 bytes (${JS_RATIO}x)"
awk -v r="$JS_RATIO" 'BEGIN { exit !(r >= 3 && r <= 8) }' || die "bundle.js compresses ${JS_RATIO}x with gzip -6 (expected ~4-6x)"
SITE_FILES=()
while IFS= read -r f; do SITE_FILES+=("$f"); done < <(cd "$DOC/site" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)

pick_port; ORIGIN_PORT=$PORT
render_nginx "$BENCH_DIR/nginx-compression-origin.conf.template" "$WORK/origin" "$ORIGIN_PORT"
start_nginx origin "$WORK/origin" "${PIN_LOAD[@]}"
ORIGIN_PID=$STARTED_PID
ORIGIN_LOG=$WORK/origin/access.log
wait_ready origin "$ORIGIN_PID" "http://127.0.0.1:$ORIGIN_PORT/bundle.js" "$WORK/origin/error.log"
ORIGIN_WORKERS=$(children "$ORIGIN_PID")
PIDS+=($ORIGIN_WORKERS)
origin_requests() { wc -l <"$ORIGIN_LOG"; }

# ---------------------------------------------------------------------------------------------------
# 3. The caches, pinned to PROXY_CPU: one Tern (serves both tern-gzip and tern-br) and nginx.
# ---------------------------------------------------------------------------------------------------
pick_port; TERN_PORT=$PORT
"${PIN_PROXY[@]}" "$TERN_BIN" serve --listen "127.0.0.1:$TERN_PORT" --origin "http://127.0.0.1:$ORIGIN_PORT" \
    --workers 1 --log-level error --memory "$TERN_MEMORY" --access-log off >"$WORK/tern.log" 2>&1 &
TERN_PID=$!
PIDS+=("$TERN_PID")
log "tern: PID $TERN_PID (--memory $TERN_MEMORY)"

pick_port; NGINX_PORT=$PORT
render_nginx "$BENCH_DIR/nginx-compression-proxy.conf.template" "$WORK/proxy" "$NGINX_PORT"
start_nginx proxy "$WORK/proxy" "${PIN_PROXY[@]}"
NGINX_PID=$STARTED_PID

# wait_ready's request is the first fill of bundle.js (identity, no Accept-Encoding) in each cache.
wait_ready tern "$TERN_PID" "http://127.0.0.1:$TERN_PORT/bundle.js" "$WORK/tern.log"
wait_ready nginx-proxy "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/bundle.js" "$WORK/proxy/error.log"

nginx_pids() {   # master + worker + cache manager (the short-lived cache loader is left out)
    local pid out="$NGINX_PID"
    for pid in $(children "$NGINX_PID"); do
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"cache loader"* ]] || out+=" $pid"
    done
    echo "$out"
}
NGINX_CHILDREN=$(nginx_pids); NGINX_CHILDREN=${NGINX_CHILDREN#"$NGINX_PID"}
PIDS+=($NGINX_CHILDREN)

port_of() { case $1 in tern*) echo "$TERN_PORT" ;; nginx*) echo "$NGINX_PORT" ;; esac; }
coding_of() { echo "${1##*-}"; }     # tern-gzip → gzip

# ---------------------------------------------------------------------------------------------------
# 4. Checks: encoded hits with the right bytes, Vary, distinct validators. BUG lines do not stop the run.
# ---------------------------------------------------------------------------------------------------
BUGS=()
bug() { BUGS+=("$*"); log "BUG: $*"; }

# fetch PORT PATH CODING OUT: GET with `Accept-Encoding: CODING` (identity: no header); headers in
# OUT.h (CR stripped), body in OUT.body. Sets F_CE F_STATUS (Cache-Status or X-Cache-Status) F_VARY
# F_ETAG F_LEN F_CODE.
fetch() {
    local port=$1 path=$2 coding=$3 out=$4 args=()
    [[ $coding == identity ]] || args=(-H "Accept-Encoding: $coding")
    F_CODE=$(curl -s -D "$out.raw" -o "$out.body" -w '%{http_code}' ${args[@]+"${args[@]}"} "http://127.0.0.1:$port$path") \
        || die "curl http://127.0.0.1:$port$path failed"
    tr -d '\r' <"$out.raw" >"$out.h"
    hdr() { awk -v n="$1" 'BEGIN { FS = ": " } tolower($1) == n { sub(/^[^:]*: /, ""); v = (v == "" ? $0 : v ", " $0) } END { print v }' "$out.h"; }
    F_CE=$(hdr content-encoding); F_VARY=$(hdr vary); F_ETAG=$(hdr etag); F_LEN=$(hdr content-length)
    # nginx's gzip filter sends chunked (no Content-Length): count the body instead.
    [[ -n $F_LEN ]] || F_LEN=$(stat -c %s "$out.body")
    F_STATUS=$(hdr cache-status); [[ -n $F_STATUS ]] || F_STATUS=$(hdr x-cache-status)
}

# decoded_matches OUT CODING FILE: the body of OUT, decoded per CODING, equals FILE byte for byte.
decoded_matches() {
    case $2 in
        gzip) gzip -dc <"$1.body" 2>/dev/null | cmp -s - "$3" ;;
        br) brotli -dc <"$1.body" 2>/dev/null | cmp -s - "$3" ;;
        *) cmp -s "$1.body" "$3" ;;
    esac
}

is_hit() { [[ $1 == "tern; hit"* || $1 == HIT ]]; }

# warm_encoded TARGET PATH CODING FILE [REQUIRED [WAIT]]: polls until TARGET serves PATH as a hit
# encoded with CODING (identity: any hit), for up to WAIT (default ENCODE_WAIT) seconds. Dies if
# REQUIRED (default 1) and it never happens, or if the body does not decode to FILE. Leaves the last
# response in $WORK/w.
warm_encoded() {
    local target=$1 path=$2 coding=$3 file=$4 required=${5:-1} wait=${6:-$ENCODE_WAIT} deadline
    deadline=$(($(date +%s%N) + wait * 1000000000))
    while :; do
        fetch "$(port_of "$target")" "$path" "$coding" "$WORK/w"
        [[ $F_CODE == 200 ]] || die "$target: $path answered $F_CODE"
        if is_hit "$F_STATUS" && { [[ $coding == identity && -z $F_CE ]] || [[ $F_CE == "$coding" ]]; }; then break; fi
        if (($(date +%s%N) > deadline)); then
            ((required)) && die "$target: no $coding-encoded hit for $path within ${wait}s (last: Content-Encoding '${F_CE:-none}', cache status '$F_STATUS')"
            break
        fi
        sleep 0.1
    done
    decoded_matches "$WORK/w" "${F_CE:-identity}" "$file" \
        || die "$target: $path with Accept-Encoding $coding (Content-Encoding '${F_CE:-none}') does not decode to the origin's bytes"
    # Vary is required on anything encoded, and on any response that could have been (at least the
    # policy's minimumSize, 256 bytes: every file here has a compressible type). Below that size Tern
    # never encodes, so a missing Vary there is a note, not a bug.
    if [[ ,${F_VARY// /}, != *,[Aa]ccept-[Ee]ncoding,* ]]; then
        if [[ -n $F_CE ]] || (($(stat -c %s "$file") >= 256)); then
            bug "$target: $path ($coding, status '$F_STATUS') has no 'Vary: Accept-Encoding' (Vary: '${F_VARY:-absent}')"
        else
            NOVARY_NOTES+=("$target: $path ($(stat -c %s "$file") bytes, below minimumSize) has no Vary with Accept-Encoding '$coding'")
        fi
    fi
}
NOVARY_NOTES=()

declare -A ETAG_OF=() BYTES_OF=()
for target in tern-gzip tern-br nginx-gzip; do
    coding=$(coding_of "$target")
    warm_encoded "$target" /bundle.js "$coding" "$DOC/bundle.js"
    ETAG_OF[$target]=$F_ETAG BYTES_OF[$target]=$F_LEN
    log "warm: $target bundle.js: Content-Encoding $F_CE, $F_LEN bytes, '$F_STATUS', Vary '$F_VARY', ETag ${F_ETAG:-none}; decodes to the origin's bytes"
done
for target in tern nginx; do
    warm_encoded "$target" /bundle.js identity "$DOC/bundle.js"
    ETAG_OF[$target-identity]=$F_ETAG
    [[ -z $F_CE && $F_LEN == "$JS_SIZE" ]] || die "$target: a request without Accept-Encoding got Content-Encoding '$F_CE', $F_LEN bytes"
    log "warm: $target bundle.js without Accept-Encoding: identity, '$F_STATUS', Vary '$F_VARY', ETag ${F_ETAG:-none}"
done
if [[ -n ${ETAG_OF[tern-identity]} ]]; then
    for target in tern-gzip tern-br; do
        [[ ${ETAG_OF[$target]} != "${ETAG_OF[tern-identity]}" ]] \
            || bug "$target: the encoded variant has the identity's ETag ${ETAG_OF[$target]} (validators must differ per coding)"
    done
    [[ ${ETAG_OF[tern-gzip]} != "${ETAG_OF[tern-br]}" ]] || bug "tern: gzip and br variants share the ETag ${ETAG_OF[tern-br]}"
fi

# ---------------------------------------------------------------------------------------------------
# 5. Site table: every Config/site file through Tern, identity / gzip / br, after warming.
# ---------------------------------------------------------------------------------------------------
declare -A SITE_ID=() SITE_GZ=() SITE_BR=()
SITE_NOTES=()
for f in "${SITE_FILES[@]}"; do
    warm_encoded tern "/site/$f" identity "$DOC/site/$f"
    SITE_ID[$f]=$F_LEN
    [[ $F_LEN == $(stat -c %s "$DOC/site/$f") ]] || bug "tern: /site/$f identity Content-Length $F_LEN differs from the file size"
    # Below the default minimumSize (256 bytes) Tern is not expected to encode: wait 2 s, not ENCODE_WAIT.
    wait=$ENCODE_WAIT; ((SITE_ID[$f] >= 256)) || wait=2
    for coding in gzip br; do
        warm_encoded tern "/site/$f" "$coding" "$DOC/site/$f" 0 "$wait"
        if [[ $F_CE == "$coding" ]]; then
            if [[ $coding == gzip ]]; then SITE_GZ[$f]=$F_LEN; else SITE_BR[$f]=$F_LEN; fi
        else
            if [[ $coding == gzip ]]; then SITE_GZ[$f]=-; else SITE_BR[$f]=-; fi
            SITE_NOTES+=("$f: no $coding variant after ${wait}s (served '${F_CE:-identity}', '$F_STATUS'; ${SITE_ID[$f]} bytes$( ((SITE_ID[$f] < 256)) && echo ', below minimumSize 256: expected'))")
            ((SITE_ID[$f] < 256)) || bug "tern: /site/$f (${SITE_ID[$f]} bytes, compressible) never served a $coding variant"
        fi
    done
done

# ---------------------------------------------------------------------------------------------------
# Results files
# ---------------------------------------------------------------------------------------------------
RESULTS_DIR=$BENCH_DIR/results
mkdir -p "$RESULTS_DIR"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$RESULTS_DIR/compression-$STAMP.txt
WRK_LOG=$RESULTS_DIR/compression-$STAMP.wrk.txt
ROW_FORMAT='%-5s %-10s %-5s %12s %9s %10s %14s %8s %12s %11s %11s %11s\n'
{
    echo "# Tern vs nginx proxy_cache + gzip, compressed cache hits — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# git: $(git_rev)"
    echo "# host: $(host_line)"
    echo "# pinning: $PINNING"
    echo "# tern:  $TERN_BIN serve --workers 1 --access-log off --log-level error --memory $TERN_MEMORY ($(stat -c %y "$TERN_BIN" | cut -d. -f1))"
    echo "# nginx: $(versions_line); proxy_cache + gzip on, gzip_comp_level 6, gzip_types application/javascript"
    echo "# object: bundle.js, $JS_SIZE bytes of generated JavaScript (Bench/gen_bundle_js.py), gzip -6 $JS_GZ6 bytes (${JS_RATIO}x)"
    echo "# response bytes: tern gzip ${BYTES_OF[tern-gzip]}, tern br ${BYTES_OF[tern-br]}, nginx gzip ${BYTES_OF[nginx-gzip]}"
    echo "# etags: origin/tern identity ${ETAG_OF[tern-identity]:-none}, tern gzip ${ETAG_OF[tern-gzip]:-none}, tern br ${ETAG_OF[tern-br]:-none}, nginx gzip ${ETAG_OF[nginx-gzip]:-none}"
    echo "# knobs: ROUNDS=$ROUNDS DURATION=${DURATION}s CONNECTIONS=$CONNECTIONS WRK_THREADS=$WRK_THREADS WARMUP=${WARMUP}s"
    echo "# cpu_us_per_req = target utime+stime / requests; util = target CPU seconds / wall seconds of the run"
    echo "# bytes_per_resp = wrk's bytes read / requests (headers + body); origin_reqs = origin requests during the run (must be 0)"
    echo "# others_cpuN = busy time of core N not spent by the benchmark's own processes, % of the run (noise)"
    echo "#"
    printf "$ROW_FORMAT" round target order req_per_s p99_ms requests cpu_us_per_req util_pct bytes_per_resp origin_reqs \
        others_cpu$PROXY_CPU others_cpu$LOAD_CPU
} >"$RESULTS"
: >"$WRK_LOG"

# ---------------------------------------------------------------------------------------------------
# 6. Timed runs
# ---------------------------------------------------------------------------------------------------
declare -A RPS=() P99=() CPU=() UTIL=() RESP_BYTES=()
OTHERS="" OTHERS_LOAD=""
ERRORS=0 ORIGIN_LEAKS=0 UNENCODED=0

bench_target_pids() { case $1 in tern*) echo "$TERN_PID" ;; nginx*) nginx_pids ;; esac; }
bench_target_url() { echo "http://127.0.0.1:$(port_of "$1")/bundle.js"; }
bench_dump_logs() {
    echo "--- tern log" >&2; cat "$WORK/tern.log" >&2 || true
    echo "--- nginx proxy error.log" >&2; cat "$WORK/proxy/error.log" >&2 || true
}

# wrk_bytes FILE: the "N MB read" of a wrk output, in bytes.
wrk_bytes() {
    awk '/ requests in / { v = $(NF - 1); u = v; sub(/^[0-9.]+/, "", u); sub(/[A-Za-z]+$/, "", v)
        f = 1; if (u == "KB") f = 1024; else if (u == "MB") f = 1048576; else if (u == "GB") f = 1073741824; else if (u == "TB") f = 1099511627776
        printf "%.0f", v * f }' "$1"
}

measure() {   # measure TARGET DURATION LABEL ROUND ORDER
    local target=$1 duration=$2 label=$3 round=$4 order=$5 r0 r1 leaked per
    WRK_ARGS=(-H "Accept-Encoding: $(coding_of "$target")")
    r0=$(origin_requests)
    wrk_measure "$target" "$duration" "$label" "$round" "$order"
    r1=$(origin_requests)
    leaked=$((r1 - r0))
    per=$(awk -v b="$(wrk_bytes "$WORK/wrk.$target.$label")" -v n="$M_REQUESTS" 'BEGIN { printf "%.0f", b / n }')
    if ((leaked != 0)); then
        log "  ERROR: $target: the origin saw $leaked request(s) during this run — not all were cache hits"
        ORIGIN_LEAKS=$((ORIGIN_LEAKS + leaked))
        echo "# ERROR: $label $target round $round: origin saw $leaked request(s)" >>"$RESULTS"
    fi
    # wrk's MB are rounded to 2 decimals: ±0.5 % on a few hundred MB. Compressed ≈ 28 KB, identity 128 KiB.
    if ((per > JS_SIZE * 3 / 5)); then
        log "  ERROR: $target: $per bytes per response — the timed responses were not compressed"
        UNENCODED=1
        echo "# ERROR: $label $target round $round: $per bytes per response (not compressed)" >>"$RESULTS"
    fi
    if [[ $label == warmup ]]; then
        log "  warmup $target: $M_RPS req/s, $per bytes/response"
        return 0
    fi
    RPS[$target]+="$M_RPS " P99[$target]+="$M_P99 " CPU[$target]+="$M_CPU " UTIL[$target]+="$M_UTIL " RESP_BYTES[$target]+="$per "
    OTHERS+="$M_OTHERS " OTHERS_LOAD+="$M_OTHERS_LOAD "
    printf "$ROW_FORMAT" "$round" "$target" "$order" "$M_RPS" "$M_P99" "$M_REQUESTS" "$M_CPU" "$M_UTIL" "$per" \
        "$leaked" "$M_OTHERS" "$M_OTHERS_LOAD" >>"$RESULTS"
    log "  round $round/$ROUNDS $target: $M_RPS req/s, p99 ${M_P99} ms, ${M_CPU} µs CPU/req, core ${M_UTIL}% busy, $per B/resp, origin +$leaked, others ${M_OTHERS}%/${M_OTHERS_LOAD}%"
}

log "benchmark: bundle.js ($JS_SIZE bytes); $ROUNDS rounds x ${DURATION}s per target, $CONNECTIONS connections; pinning $PINNING"
log "ports: origin $ORIGIN_PORT, tern $TERN_PORT, nginx $NGINX_PORT"
ordinals=(1st 2nd 3rd)
if ((WARMUP > 0)); then
    for target in "${TARGETS[@]}"; do measure "$target" "$WARMUP" warmup 0 -; done
fi
for ((round = 1; round <= ROUNDS; round++)); do
    for ((k = 0; k < 3; k++)); do
        target=${TARGETS[$(((round - 1 + k) % 3))]}
        measure "$target" "$DURATION" run "$round" "${ordinals[$k]}"
    done
done

# ---------------------------------------------------------------------------------------------------
# 7. Summary tables (stdout and the results file)
# ---------------------------------------------------------------------------------------------------
declare -A MED_RPS MED_P99 MED_CPU
row() {   # row TARGET CODING LABEL
    local t=$1 min max
    # shellcheck disable=SC2086  # the per-target lists are space separated on purpose
    MED_RPS[$t]=$(stat_of median ${RPS[$t]}); min=$(stat_of min ${RPS[$t]}); max=$(stat_of max ${RPS[$t]})
    MED_P99[$t]=$(stat_of median ${P99[$t]}); MED_CPU[$t]=$(stat_of median ${CPU[$t]})
    # shellcheck disable=SC2086
    printf '%-6s %-14s %12.0f  %15s  %8.3f  %10.2f  %13.0f%%  %10.0f\n' "$2" "$3" "${MED_RPS[$t]}" \
        "$(printf '%.0f-%.0f' "$min" "$max")" "${MED_P99[$t]}" "${MED_CPU[$t]}" "$(stat_of median ${UTIL[$t]})" \
        "$(stat_of median ${RESP_BYTES[$t]})"
}
header() {
    printf '%-6s %-14s %12s  %15s  %8s  %11s  %14s  %10s\n' coding cache "req/s median" "req/s min-max" "p99 ms" "CPU µs/req" "cache CPU busy" "bytes/resp"
    printf '%-6s %-14s %12s  %15s  %8s  %10s  %14s  %10s\n' ------ -------------- ------------ --------------- -------- ---------- -------------- ----------
}
ratio() {   # ratio A B TITLE
    awk -v t="$3" -v r1="${MED_RPS[$1]}" -v r2="${MED_RPS[$2]}" -v c1="${MED_CPU[$1]}" -v c2="${MED_CPU[$2]}" \
        -v p1="${MED_P99[$1]}" -v p2="${MED_P99[$2]}" \
        'BEGIN { printf "%-22s throughput %7.2fx   CPU per request %7.3fx   p99 %7.3fx\n", t, r1 / r2, c1 / c2, (p2 > 0 ? p1 / p2 : 0) }'
}
site_table() {
    local f ti=0 tg=0 tb=0 type
    printf '%-18s %-24s %9s %9s %9s %9s %10s %9s\n' file "Content-Type (origin)" identity gzip br "br/gzip" "gzip/id" "br/id"
    printf '%-18s %-24s %9s %9s %9s %9s %10s %9s\n' ------------------ ------------------------ --------- --------- --------- --------- ---------- ---------
    for f in "${SITE_FILES[@]}"; do
        case $f in *.html) type=text/html ;; *.css) type=text/css ;; *.js) type=application/javascript ;;
            *.json) type=application/json ;; *.svg) type=image/svg+xml ;; *) type=? ;; esac
        awk -v f="$f" -v t="$type" -v i="${SITE_ID[$f]}" -v g="${SITE_GZ[$f]}" -v b="${SITE_BR[$f]}" 'BEGIN {
            r = (g != "-" && b != "-") ? sprintf("%.3f", b / g) : "-"
            gi = (g != "-") ? sprintf("%.1f%%", 100 * g / i) : "-"; bi = (b != "-") ? sprintf("%.1f%%", 100 * b / i) : "-"
            printf "%-18s %-24s %9s %9s %9s %9s %10s %9s\n", f, t, i, g, b, r, gi, bi }'
        if [[ ${SITE_GZ[$f]} != - && ${SITE_BR[$f]} != - ]]; then
            ti=$((ti + SITE_ID[$f])) tg=$((tg + SITE_GZ[$f])) tb=$((tb + SITE_BR[$f]))
        fi
    done
    ((tg > 0)) && awk -v i="$ti" -v g="$tg" -v b="$tb" 'BEGIN {
        printf "%-18s %-24s %9s %9s %9s %9.3f %9.1f%% %8.1f%%\n", "total (encoded)", "", i, g, b, b / g, 100 * g / i, 100 * b / i }'
    if ((${#SITE_NOTES[@]})); then printf '  note: %s\n' "${SITE_NOTES[@]}"; fi
    if ((${#NOVARY_NOTES[@]})); then printf '  note: %s\n' "${NOVARY_NOTES[@]}"; fi
}
summary() {
    local noise_max
    echo
    echo "Compressed cache hits, bundle.js ($JS_SIZE bytes of JavaScript, gzip -6 ${JS_RATIO}x): ${CONNECTIONS} connections, ${ROUNDS} rounds x ${DURATION}s per target"
    echo "pinning: $PINNING; nproc=$NPROC"
    echo
    header
    row tern-gzip gzip "tern"
    row nginx-gzip gzip "nginx gzip on"
    row tern-br br "tern"
    printf '%-6s %-14s %12s\n' br "nginx" "n/a (nginx-light has no brotli module)"
    echo
    ratio tern-gzip nginx-gzip "gzip, Tern/nginx:"
    ratio tern-br tern-gzip "Tern, br/gzip:"
    echo "(throughput > 1 and CPU per request < 1: the first is better. nginx runs its gzip filter on every hit;"
    echo " Tern sends the variant it encoded once, in the background, after the fill.)"
    echo
    echo "Config/site as served by Tern (bytes of the body; gzip = Tern's stored gzip -6, br = stored br q8):"
    echo
    site_table
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
        echo "ERROR: the origin saw $ORIGIN_LEAKS request(s) during wrk runs: some requests were NOT cache hits"
    fi
    ((UNENCODED == 0)) || echo "ERROR: some timed runs read identity-sized responses (see the results file)"
    if ((${#BUGS[@]})); then printf 'BUG: %s\n' "${BUGS[@]}"; else echo "checks: every body decodes to the origin's bytes; every encoded or >= 256-byte response carries Vary: Accept-Encoding; Tern's variant ETags differ"; fi
}
summary | tee -a "$RESULTS"
FINISHED=1
echo
echo "raw per-round numbers: $RESULTS"
echo "raw wrk output:        $WRK_LOG"
((ORIGIN_LEAKS == 0 && UNENCODED == 0 && ${#BUGS[@]} == 0)) || ERRORS=1

# ---------------------------------------------------------------------------------------------------
# Anything the servers logged is suspicious: Tern runs at --log-level error, nginx logs at warn.
# ---------------------------------------------------------------------------------------------------
if ! kill -0 "$TERN_PID" 2>/dev/null; then echo "ERROR: tern exited during the benchmark" >&2; ERRORS=1; fi
if [[ -s $WORK/tern.log ]]; then
    echo "ERROR: tern wrote $(wc -l <"$WORK/tern.log") line(s) to its log at --log-level error:" >&2
    head -n 20 "$WORK/tern.log" >&2
    { echo "# tern log:"; sed 's/^/# /' "$WORK/tern.log"; } >>"$RESULTS"
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
