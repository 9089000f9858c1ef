#!/usr/bin/env bash
# Bench/waf-vs-nginx.sh — cache-HIT throughput with a WAF: Tern (ModSecurity v3 + OWASP CRS 3.3.4, PL1) vs
# nginx + ModSecurity (Debian libnginx-mod-http-modsecurity, same libmodsecurity3, same CRS), and each
# with the WAF off. Same origin, same box, same load, 1 KiB objects, warmed caches.
#
#   Bench/waf-vs-nginx.sh              # 5 rounds x 8 s per target (about 5 minutes)
#   QUICK=1 Bench/waf-vs-nginx.sh      # 2 rounds x 3 s smoke run (about 1 minute)
#   make bench-waf                     # installs packages, builds, runs this script
#
# Targets (all caches pinned to PROXY_CPU — every thread of each process, WAF threads included —,
# wrk + origin on LOAD_CPU; only one target is under load at any moment):
#
#   tern-off         Tern, 1 event loop, waf.mode off                              GET /obj-1024.bin
#   tern-waf         Tern, 1 event loop, waf.mode on (threads: auto = one per core) GET /obj-1024.bin
#   tern-waf-static  the same Tern process, route /static/ has waf: {mode: off}    GET /static/obj-1024.bin
#   tern-waf-t1      Tern, 1 event loop, waf.mode on, waf.threads 1                GET /obj-1024.bin
#   nginx            nginx, 1 worker, proxy_cache, ModSecurity module loaded, `modsecurity off;`
#   nginx-modsec     nginx, 1 worker, proxy_cache, `modsecurity on;` + CRS 3.3.4 PL1 (Bench/nginx-modsecurity.conf.template)
#
# Every wrk request carries 7 browser-like headers (Host name, User-Agent, Accept, Accept-Language,
# Accept-Encoding, Referer, Cookie) that CRS at PL1 does not flag: the script proves it (Tern's WAF audit
# log must not grow during the runs; it records every request that matches any rule).
#
# Knobs (environment):
#   ROUNDS=5  DURATION=8 (seconds per run)  CONNECTIONS=32  BODY_SIZE=1024
#   WARMUP=2  (seconds of unmeasured load per target before round 1; 0 disables)
#   QUICK=1   → defaults become ROUNDS=2 DURATION=3 WARMUP=1
#   PROXY_CPU=0  LOAD_CPU=1   WRK_THREADS=1
#   TARGETS="tern-off tern-waf ..."   a subset of the targets above (default: all six)
#   SKIP_BUILD=1  TERN_BIN=path  KEEP_WORK=1   as in the other Bench scripts
#
# Exit status: 0 on success; non-zero on a failed start-up or check (attack not blocked / benign request
# blocked / no cache hit / wrong body), any non-2xx/3xx or socket error from wrk (stops at once), origin
# requests or WAF audit-log lines during timing, or error lines in Tern's or nginx's logs.

set -euo pipefail

BENCH_NAME=waf-vs-nginx
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=Bench/lib.sh
source "$BENCH_DIR/lib.sh"

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
if [[ -n ${TERN_BIN:-} ]]; then SKIP_BUILD=1; else TERN_BIN=$ROOT/.build/release/tern; fi
ALL_TARGETS=(tern-off tern-waf tern-waf-static tern-waf-t1 nginx nginx-modsec)
read -ra TARGETS <<<"${TARGETS:-${ALL_TARGETS[*]}}"
for t in "${TARGETS[@]}"; do [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || die "unknown target '$t' (targets: ${ALL_TARGETS[*]})"; done
((${#TARGETS[@]})) || die "TARGETS is empty"

for knob in ROUNDS DURATION CONNECTIONS WARMUP PROXY_CPU LOAD_CPU WRK_THREADS BODY_SIZE; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "$knob must be a non-negative integer, got '${!knob}'"
done
((ROUNDS >= 1 && DURATION >= 1 && BODY_SIZE >= 1)) || die "ROUNDS, DURATION and BODY_SIZE must be >= 1"
((CONNECTIONS >= WRK_THREADS && WRK_THREADS >= 1)) || die "need CONNECTIONS >= WRK_THREADS >= 1"

# Browser-like request headers: the same for wrk and for every curl check.
HOST_NAME=www.example.com
HEADERS=(
    "Host: $HOST_NAME"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
    "Accept-Language: en-US,en;q=0.9"
    "Accept-Encoding: gzip, deflate, br"
    "Referer: https://$HOST_NAME/index.html"
    "Cookie: session_id=6f1c2a9e4b7d3f08a1c5; theme=dark; lang=en-US"
)
WRK_ARGS=() CURL_H=()
for h in "${HEADERS[@]}"; do WRK_ARGS+=(-H "$h"); CURL_H+=(-H "$h"); done
ATTACK="?id=1'%20OR%20'1'='1"
MODSEC_SO=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
CRS_RULES=/usr/share/modsecurity-crs/rules

# ---------------------------------------------------------------------------------------------------
# 1. Packages, build, pinning, work dir
# ---------------------------------------------------------------------------------------------------
bench_install_packages nginx:nginx-light wrk:wrk taskset:util-linux ps:procps curl:curl
missing=()
[[ -f $MODSEC_SO ]] || missing+=(libnginx-mod-http-modsecurity)
[[ -d $CRS_RULES && -f /etc/modsecurity/crs/crs-setup.conf ]] || missing+=(modsecurity-crs)
if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    sudo=""; [[ $(id -u) == 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[[ -f $MODSEC_SO ]] || die "$MODSEC_SO not found (apt-get install libnginx-mod-http-modsecurity)"
bench_build_tern
bench_setup_pinning
bench_setup_work tern-bench-waf

# ---------------------------------------------------------------------------------------------------
# 2. Origin: nginx (Bench/nginx-cache-origin.conf.template) serving obj-<BODY_SIZE>.bin at / and /static/
#    with max-age=3600, one access-log line per request (counted around every run).
# ---------------------------------------------------------------------------------------------------
OBJ=obj-$BODY_SIZE.bin
mkdir -p "$WORK/docroot/static"
head -c "$BODY_SIZE" /dev/urandom >"$WORK/docroot/$OBJ"
cp "$WORK/docroot/$OBJ" "$WORK/docroot/static/$OBJ"
echo "index" >"$WORK/docroot/index.html"; cp "$WORK/docroot/index.html" "$WORK/docroot/static/index.html"
chmod -R a+rX "$WORK/docroot"

pick_port; ORIGIN_PORT=$PORT
render_nginx "$BENCH_DIR/nginx-cache-origin.conf.template" "$WORK/origin" "$ORIGIN_PORT"
start_nginx origin "$WORK/origin" "${PIN_LOAD[@]}"
ORIGIN_PID=$STARTED_PID
ORIGIN_LOG=$WORK/origin/access.log
wait_ready origin "$ORIGIN_PID" "http://127.0.0.1:$ORIGIN_PORT/$OBJ" "$WORK/origin/error.log"
ORIGIN_WORKERS=$(children "$ORIGIN_PID")
PIDS+=($ORIGIN_WORKERS)
origin_requests() { wc -l <"$ORIGIN_LOG"; }

# ---------------------------------------------------------------------------------------------------
# 3. Tern instances (config files; one event loop each; memory cache, the default 256MiB)
# ---------------------------------------------------------------------------------------------------
# tern_config NAME WAF_YAML: writes $WORK/NAME.yaml and sets PORT.
tern_config() {
    local name=$1 waf=$2
    pick_port
    cat >"$WORK/$name.yaml" <<EOF
# Bench/waf-vs-nginx.sh: $name
listeners: ["127.0.0.1:$PORT"]
workers: 1
origins:
  app: {members: ["http://127.0.0.1:$ORIGIN_PORT"]}
routes:
  - {path: /static/, origin: app, waf: {mode: "off"}}
  - {path: /, origin: app}
waf: $waf
logging: {level: error, access: {path: "off"}}
EOF
}
declare -A INST_PID=() INST_PORT=() INST_LOG=()
start_tern() {
    local name=$1 waf=$2
    tern_config "$name" "$waf"
    INST_PORT[$name]=$PORT
    INST_LOG[$name]=$WORK/$name.log
    "${PIN_PROXY[@]}" "$TERN_BIN" serve --config "$WORK/$name.yaml" >"${INST_LOG[$name]}" 2>&1 &
    INST_PID[$name]=$!
    PIDS+=("$!")
    log "$name: PID $! (waf: $waf)"
}
needs() { local t; for t in "$@"; do [[ " ${TARGETS[*]} " == *" $t "* ]] && return 0; done; return 1; }

needs tern-off && start_tern tern-off '{mode: "off"}'
needs tern-waf tern-waf-static && start_tern tern-waf "{mode: \"on\", paranoia_level: 1, audit_log: \"$WORK/tern-waf.audit.jsonl\"}"
needs tern-waf-t1 && start_tern tern-waf-t1 "{mode: \"on\", paranoia_level: 1, threads: 1, audit_log: \"$WORK/tern-waf-t1.audit.jsonl\"}"

# ---------------------------------------------------------------------------------------------------
# 4. nginx instances: one template, `modsecurity on;` (+ rules file) or `modsecurity off;`
# ---------------------------------------------------------------------------------------------------
start_nginx_waf() {
    local name=$1 on=$2 prefix=$WORK/$1
    pick_port
    INST_PORT[$name]=$PORT
    mkdir -p "$prefix/tmp"
    if [[ $on == on ]]; then
        sed "s|@PREFIX@|$prefix|g" "$BENCH_DIR/nginx-modsecurity.conf.template" >"$prefix/modsecurity.conf"
        printf 'modsecurity on;\nmodsecurity_rules_file %s/modsecurity.conf;\n' "$prefix" >"$prefix/modsec.inc"
    else
        echo 'modsecurity off;' >"$prefix/modsec.inc"
    fi
    render_nginx "$BENCH_DIR/nginx-waf-proxy.conf.template" "$prefix" "$PORT"
    start_nginx "$name" "$prefix" "${PIN_PROXY[@]}"
    INST_PID[$name]=$STARTED_PID
    INST_LOG[$name]=$prefix/error.log
}
needs nginx && start_nginx_waf nginx off
needs nginx-modsec && start_nginx_waf nginx-modsec on

for name in "${!INST_PID[@]}"; do
    wait_ready "$name" "${INST_PID[$name]}" "http://127.0.0.1:${INST_PORT[$name]}/static/index.html" "${INST_LOG[$name]}"
done
# nginx_pids MASTER: master + worker + cache manager (not the cache loader, which exits after a minute).
nginx_pids() {
    local pid out=$1
    for pid in $(children "$1"); do
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"cache loader"* ]] || out+=" $pid"
    done
    echo "$out"
}
for name in nginx nginx-modsec; do
    [[ -n ${INST_PID[$name]:-} ]] || continue
    kids=$(nginx_pids "${INST_PID[$name]}"); PIDS+=(${kids#"${INST_PID[$name]}"})
done

instance_of() { case $1 in tern-waf-static) echo tern-waf ;; *) echo "$1" ;; esac; }
path_of() { case $1 in tern-waf-static) echo "/static/$OBJ" ;; *) echo "/$OBJ" ;; esac; }
url_of() { echo "http://127.0.0.1:${INST_PORT[$(instance_of "$1")]}$2"; }
waf_on() { case $1 in tern-waf | tern-waf-t1 | nginx-modsec) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------------------------------------------
# 5. Checks before timing
# ---------------------------------------------------------------------------------------------------
# 5a. The attack is refused by the WAF-on targets (403; Tern: with X-Request-Id, in the audit log) and
#     passed by the WAF-off ones (200). Tern's WAF-off route gets the attack on /static/.
for target in "${TARGETS[@]}"; do
    base=/; [[ $target == tern-waf-static ]] && base=/static/
    url=$(url_of "$target" "$base$ATTACK")
    hdr=$WORK/attack.$target.headers
    code=$(curl -s -D "$hdr" -o /dev/null -w '%{http_code}' "${CURL_H[@]}" "$url") || die "$target: curl $url failed"
    if waf_on "$target"; then
        [[ $code == 403 ]] || die "$target: the attack $base$ATTACK got $code, expected 403 (WAF on)"
        if [[ $target == tern-* ]]; then
            rid=$(tr -d '\r' <"$hdr" | awk -F': ' 'tolower($1) == "x-request-id" { print $2 }')
            [[ -n $rid ]] || die "$target: the 403 has no X-Request-Id"
            audit=$WORK/$(instance_of "$target").audit.jsonl
            for ((i = 0; i < 30; i++)); do grep -q "\"request_id\":\"$rid\"" "$audit" 2>/dev/null && break; sleep 0.1; done
            grep "\"request_id\":\"$rid\"" "$audit" | grep -q '"outcome":"blocked"' \
                || die "$target: request $rid is not in the WAF audit log as blocked"
            log "attack check: $target → 403 (X-Request-Id $rid, audit log: blocked)"
        else
            log "attack check: $target → 403"
        fi
    else
        [[ $code == 200 ]] || die "$target: the attack $base$ATTACK got $code, expected 200 (WAF off)"
        log "attack check: $target → 200 (WAF off)"
    fi
done

# 5b. Warm every target's object (a miss that stores it), then require a hit with the exact bytes,
#     using the benchmark's own headers.
hit_check() {
    local target=$1 url hdr status
    url=$(url_of "$target" "$(path_of "$target")")
    hdr=$WORK/check.$target.headers
    curl -s -D "$hdr" -o "$WORK/check.$target.body" "${CURL_H[@]}" "$url" || die "$target: curl $url failed"
    tr -d '\r' <"$hdr" >"$hdr.txt"
    cmp -s "$WORK/check.$target.body" "$WORK/docroot/$OBJ" || die "$target returned a body that differs from the origin's $OBJ"
    ! grep -qi '^content-encoding:' "$hdr.txt" || die "$target answered with a Content-Encoding (expected the identity body)"
    case $target in
        nginx*) status=$(awk -F': ' 'tolower($1) == "x-cache-status" { print $2 }' "$hdr.txt")
                [[ $status == HIT ]] || die "$target: X-Cache-Status is '$status', not HIT, after warming" ;;
        *)      status=$(awk -F': ' 'tolower($1) == "cache-status" { print $2 }' "$hdr.txt")
                [[ $status == "tern; hit"* ]] || die "$target: Cache-Status is '$status', not a hit, after warming" ;;
    esac
    echo "$status"
}
for target in "${TARGETS[@]}"; do
    curl -s -o /dev/null "${CURL_H[@]}" "$(url_of "$target" "$(path_of "$target")")"
    for ((try = 0; try < 20; try++)); do
        status=$( (hit_check "$target") 2>/dev/null) && break
        sleep 0.05
    done
    status=$(hit_check "$target")
    log "warm: $target $(path_of "$target"): '$status'"
done

# 5c. The benign browser-like request matches no CRS rule: a Tern audit log may only hold the attack
#     (and wait_ready's numeric-Host request: 920350 "Host header is a numeric IP address").
audit_lines() { cat "$WORK"/*.audit.jsonl 2>/dev/null | wc -l; }
sleep 0.3
if grep -h "$HOST_NAME" "$WORK"/*.audit.jsonl 2>/dev/null | grep -v "OR%20" | grep -q .; then
    grep -h "$HOST_NAME" "$WORK"/*.audit.jsonl | head -3 >&2
    die "a benign benchmark request matched CRS rules (see above): change HEADERS"
fi
AUDIT0=$(audit_lines)
MODSEC_LOG_LINES() { cat "$WORK"/nginx*/error.log 2>/dev/null | grep -c 'ModSecurity' || true; }
MODSEC0=$(MODSEC_LOG_LINES)

# Thread layout of the Tern processes (the WAF pool is inside the pinned process: same core).
thread_layout() {
    local pid=$1 t
    for t in /proc/"$pid"/task/*; do
        printf '%s[%s] ' "$(cat "$t/comm")" "$(awk '/Cpus_allowed_list/ { print $2 }' "$t/status")"
    done | tr ' ' '\n' | sort | uniq -c | awk '{ printf "%s%s×%s", sep, $2, $1; sep = ", " }'
}

# ---------------------------------------------------------------------------------------------------
# Results files
# ---------------------------------------------------------------------------------------------------
RESULTS_DIR=$BENCH_DIR/results
mkdir -p "$RESULTS_DIR"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$RESULTS_DIR/waf-$STAMP.txt
WRK_LOG=$RESULTS_DIR/waf-$STAMP.wrk.txt
ROW_FORMAT='%-5s %-16s %-5s %12s %9s %10s %14s %8s %8s %11s %11s %11s\n'
{
    echo "# Tern WAF vs nginx + ModSecurity, cache hits of a $BODY_SIZE-byte object — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# git: $(git_rev)"
    echo "# host: $(host_line)"
    echo "# pinning: $PINNING"
    echo "# tern binary: $TERN_BIN ($(date -u -r "$TERN_BIN" '+%Y-%m-%d %H:%M:%S UTC'))"
    echo "# nginx: $(versions_line); $(dpkg-query -W -f='${Package} ${Version}' libnginx-mod-http-modsecurity libmodsecurity3 modsecurity-crs 2>/dev/null | tr '\n' ';')"
    for name in tern-off tern-waf tern-waf-t1; do
        [[ -n ${INST_PID[$name]:-} ]] || continue
        echo "# $name config: $(grep -v '^#' "$WORK/$name.yaml" | tr '\n' ' ' | sed 's/  */ /g')"
        echo "# $name threads[allowed CPUs]: $(thread_layout "${INST_PID[$name]}")"
    done
    echo "# request headers (wrk -H): ${HEADERS[*]/#/| }"
    echo "# knobs: ROUNDS=$ROUNDS DURATION=${DURATION}s CONNECTIONS=$CONNECTIONS WRK_THREADS=$WRK_THREADS WARMUP=${WARMUP}s TARGETS='${TARGETS[*]}'"
    echo "# cpu_us_per_req = target utime+stime (all threads; nginx master+worker+cache manager) / requests;"
    echo "# util = target CPU seconds / wall seconds; elt_pct = share of a Tern process's CPU spent on its event-loop thread"
    echo "# (the rest: WAF pool and other threads); origin_reqs must be 0; others_cpuN = other programs' load on core N"
    echo "#"
    printf "$ROW_FORMAT" round target order req_per_s p99_ms requests cpu_us_per_req util_pct elt_pct origin_reqs \
        others_cpu$PROXY_CPU others_cpu$LOAD_CPU
} >"$RESULTS"
: >"$WRK_LOG"

# ---------------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------------
bench_target_pids() {
    local inst; inst=$(instance_of "$1")
    case $1 in nginx*) nginx_pids "${INST_PID[$inst]}" ;; *) echo "${INST_PID[$inst]}" ;; esac
}
bench_target_url() { url_of "$1" "$(path_of "$1")"; }
bench_dump_logs() {
    local name
    for name in "${!INST_LOG[@]}"; do echo "--- $name log" >&2; tail -n 20 "${INST_LOG[$name]}" >&2 || true; done
}
# elt_ticks PID: CPU ticks of the process's NIO event-loop threads.
elt_ticks() {
    local t total=0 line fields
    for t in /proc/"$1"/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == NIO-ELT* ]] || continue
        read -r line <"$t/stat" || continue
        read -ra fields <<<"${line##*) }"
        total=$((total + fields[11] + fields[12]))
    done
    echo "$total"
}

declare -A RPS=() P99=() CPU=() UTIL=() ELT=()
OTHERS="" OTHERS_LOAD="" ORIGIN_LEAKS=0 ERRORS=0
measure() {
    local target=$1 duration=$2 label=$3 round=$4 order=$5 r0 r1 leaked e0="" e1 a0 a1 pid elt="-"
    r0=$(origin_requests)
    if [[ $target == tern* ]]; then pid=$(bench_target_pids "$target"); e0=$(elt_ticks "$pid"); a0=$(cpu_ticks "$pid"); fi
    wrk_measure "$target" "$duration" "$label" "$round" "$order"
    if [[ -n $e0 ]]; then
        e1=$(elt_ticks "$pid"); a1=$(cpu_ticks "$pid")
        elt=$(awk -v e=$((e1 - e0)) -v a=$((a1 - a0)) 'BEGIN { printf "%.0f", (a > 0 ? 100 * e / a : 0) }')
    fi
    r1=$(origin_requests); leaked=$((r1 - r0))
    if ((leaked != 0)); then
        log "  ERROR: $target: the origin saw $leaked request(s) during this run — not all were cache hits"
        ORIGIN_LEAKS=$((ORIGIN_LEAKS + leaked))
        echo "# ERROR: $label $target round $round: origin saw $leaked request(s)" >>"$RESULTS"
    fi
    if [[ $label == warmup ]]; then log "  warmup $target: $M_RPS req/s"; return 0; fi
    RPS[$target]+="$M_RPS " P99[$target]+="$M_P99 " CPU[$target]+="$M_CPU " UTIL[$target]+="$M_UTIL " OTHERS+="$M_OTHERS " OTHERS_LOAD+="$M_OTHERS_LOAD "
    [[ $elt != - ]] && ELT[$target]+="$elt "
    printf "$ROW_FORMAT" "$round" "$target" "$order" "$M_RPS" "$M_P99" "$M_REQUESTS" "$M_CPU" "$M_UTIL" "$elt" "$leaked" \
        "$M_OTHERS" "$M_OTHERS_LOAD" >>"$RESULTS"
    log "  round $round/$ROUNDS $target: $M_RPS req/s, p99 ${M_P99} ms, ${M_CPU} µs CPU/req, ${M_UTIL}% busy (event loop ${elt}%), origin +$leaked, others ${M_OTHERS}%/${M_OTHERS_LOAD}%"
}

N=${#TARGETS[@]}
log "benchmark: ${TARGETS[*]}; $ROUNDS rounds x ${DURATION}s, $CONNECTIONS connections; pinning $PINNING"
if ((WARMUP > 0)); then for target in "${TARGETS[@]}"; do measure "$target" "$WARMUP" warmup 0 -; done; fi
for ((round = 1; round <= ROUNDS; round++)); do
    for ((k = 0; k < N; k++)); do
        target=${TARGETS[$(((round - 1 + k) % N))]}
        measure "$target" "$DURATION" run "$round" "$((k + 1))"
    done
done

AUDIT1=$(audit_lines); MODSEC1=$(MODSEC_LOG_LINES)

# ---------------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------------
declare -A MED_RPS=() MED_P99=() MED_CPU=()
summary() {
    local t min max elt
    echo
    echo "Cache hits ($BODY_SIZE-byte object) with and without a WAF (ModSecurity v3 + OWASP CRS 3.3.4, PL1):"
    echo "$CONNECTIONS connections, ${#HEADERS[@]} browser-like request headers, $ROUNDS rounds x ${DURATION}s per target; pinning: $PINNING; nproc=$NPROC"
    echo
    printf '%-16s  %12s  %15s  %8s  %11s  %9s  %10s\n' target "req/s median" "req/s min-max" "p99 ms" "CPU µs/req" "CPU busy" "event loop"
    printf '%-16s  %12s  %15s  %8s  %10s  %9s  %10s\n' ---------------- ------------ --------------- -------- ---------- --------- ----------
    for t in "${TARGETS[@]}"; do
        # shellcheck disable=SC2086
        MED_RPS[$t]=$(stat_of median ${RPS[$t]}); min=$(stat_of min ${RPS[$t]}); max=$(stat_of max ${RPS[$t]})
        MED_P99[$t]=$(stat_of median ${P99[$t]}); MED_CPU[$t]=$(stat_of median ${CPU[$t]})
        elt="-"; [[ -n ${ELT[$t]:-} ]] && elt="$(stat_of median ${ELT[$t]})%"
        printf '%-16s  %12.0f  %15s  %8.3f  %10.2f  %8.0f%%  %10s\n' "$t" "${MED_RPS[$t]}" "$(printf '%.0f-%.0f' "$min" "$max")" \
            "${MED_P99[$t]}" "${MED_CPU[$t]}" "$(stat_of median ${UTIL[$t]})" "$elt"
    done
    echo "(CPU busy: the target's CPU time / wall time, all threads; every thread is pinned to CPU $PROXY_CPU, so 100% = one core."
    echo " event loop: share of Tern's CPU on its NIO event-loop thread; the rest is the WAF thread pool and other threads)"
    echo
    printf '%-44s  %10s  %11s  %7s\n' ratio throughput "CPU per req" p99
    ratio() {
        local a=$1 b=$2 title=$3
        [[ -n ${MED_RPS[$a]:-} && -n ${MED_RPS[$b]:-} ]] || return 0
        awk -v t="$title" -v r1="${MED_RPS[$a]}" -v r2="${MED_RPS[$b]}" -v c1="${MED_CPU[$a]}" -v c2="${MED_CPU[$b]}" \
            -v p1="${MED_P99[$a]}" -v p2="${MED_P99[$b]}" \
            'BEGIN { printf "%-44s  %9.2fx  %10.2fx  %6.2fx\n", t, r1 / r2, c1 / c2, (p2 > 0 ? p1 / p2 : 0) }'
    }
    ratio tern-waf nginx-modsec "tern-waf / nginx-modsec (WAF on)"
    ratio tern-waf-t1 nginx-modsec "tern-waf-t1 / nginx-modsec (WAF on, 1 thread)"
    ratio tern-waf-static tern-off "tern-waf-static / tern-off (route WAF off)"
    ratio tern-off nginx "tern-off / nginx (WAF off)"
    ratio tern-waf tern-off "tern-waf / tern-off (price of the WAF)"
    ratio nginx-modsec nginx "nginx-modsec / nginx (price of the WAF)"
    ratio tern-waf-t1 tern-waf "tern-waf-t1 / tern-waf (1 vs auto threads)"
    echo "(throughput > 1: the first serves more; CPU per request < 1: the first is cheaper; p99 < 1: lower tail)"
    echo
    if ((${#PIN_PROXY[@]})); then
        # shellcheck disable=SC2086
        echo "other programs' share of the cores during the runs (median / max):" \
            "CPU $PROXY_CPU $(stat_of median $OTHERS)% / $(stat_of max $OTHERS)%," \
            "CPU $LOAD_CPU $(stat_of median $OTHERS_LOAD)% / $(stat_of max $OTHERS_LOAD)%"
        (($(stat_of max $OTHERS $OTHERS_LOAD) > 10)) && echo "WARNING: other programs used more than 10% of a benchmark core: numbers are noisy"
    fi
    if ((ORIGIN_LEAKS == 0)); then echo "origin requests during the runs: 0 (every timed request was a cache hit)"
    else echo "ERROR: the origin saw $ORIGIN_LEAKS request(s) during the runs: not every request was a cache hit"; fi
    echo "Tern WAF audit-log lines written during the runs: $((AUDIT1 - AUDIT0)) (0 = no benign request matched a rule);" \
        "nginx ModSecurity error-log lines: $((MODSEC1 - MODSEC0))"
}
summary | tee -a "$RESULTS"
FINISHED=1
echo
echo "raw per-round numbers: $RESULTS"
echo "raw wrk output:        $WRK_LOG"
((ORIGIN_LEAKS == 0)) || ERRORS=1
((AUDIT1 == AUDIT0 && MODSEC1 == MODSEC0)) || { echo "ERROR: WAF log lines during the timed runs" >&2; ERRORS=1; }

for name in tern-off tern-waf tern-waf-t1; do
    [[ -n ${INST_PID[$name]:-} ]] || continue
    if ! kill -0 "${INST_PID[$name]}" 2>/dev/null; then echo "ERROR: $name exited during the benchmark" >&2; ERRORS=1; fi
    if [[ -s ${INST_LOG[$name]} ]]; then
        echo "ERROR: $name wrote to its log at level error:" >&2; head -n 20 "${INST_LOG[$name]}" >&2
        { echo "# $name log:"; sed 's/^/# /' "${INST_LOG[$name]}"; } >>"$RESULTS"
        ERRORS=1
    fi
done
# nginx: ModSecurity logs the attack check's interventions at [error]; anything else is an error.
for prefix in "$WORK/origin" "$WORK/nginx" "$WORK/nginx-modsec"; do
    [[ -f $prefix/error.log ]] || continue
    if grep -E '\[(error|crit|alert|emerg)\]' "$prefix/error.log" | grep -v 'ModSecurity: Access denied' | grep -q .; then
        echo "ERROR: nginx ($prefix) logged errors:" >&2
        grep -E '\[(error|crit|alert|emerg)\]' "$prefix/error.log" | grep -v 'ModSecurity: Access denied' | head -n 20 >&2
        ERRORS=1
    fi
done
exit "$ERRORS"
