# Bench/lib.sh — helpers shared by the Bench/*.sh benchmarks. Source it, do not run it:
#
#   BENCH_NAME=proxy-vs-nginx                   # prefix of error messages
#   BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
#   source "$BENCH_DIR/lib.sh"
#
# Sets ROOT (the checkout) and CLK_TCK, and defines functions only; nothing runs until the caller
# calls bench_install_packages, bench_build_tern, bench_setup_pinning and bench_setup_work.
#
# Globals the functions read (set by the caller): KEEP_WORK, SKIP_BUILD, TERN_BIN, PROXY_CPU, LOAD_CPU,
# WRK_THREADS, CONNECTIONS, RESULTS (results file, once it exists), WRK_LOG, ORIGIN_PID + ORIGIN_WORKERS
# (for wrk_measure), ORIGIN_PORT (for render_nginx), optionally WRK_ARGS (array of extra wrk arguments,
# e.g. -H "Header: value" pairs; unset or empty = none).
# Globals the functions set: NGINX, PIN_PROXY, PIN_LOAD, PINNING, NPROC, WORK, PIDS, FINISHED, PORT,
# STARTED_PID, and M_* (wrk_measure's results).

# shellcheck shell=bash
ROOT=$(cd "$BENCH_DIR/.." && pwd)
CLK_TCK=$(getconf CLK_TCK)

die() {
    echo "${BENCH_NAME:-bench}: error: $*" >&2
    [[ -n ${RESULTS:-} && -f ${RESULTS:-} ]] && echo "# ABORTED: $*" >>"$RESULTS"
    exit 1
}
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------------------------------------------
# Packages (only the missing ones) and the Tern release binary (only when stale)
# ---------------------------------------------------------------------------------------------------

# bench_install_packages COMMAND:PACKAGE...: apt-get installs the packages whose command is missing;
# sets NGINX. Checking the command (not the package) avoids fighting an nginx that came from another
# package (nginx, nginx-full, ...).
bench_install_packages() {
    local pair sudo="" missing=()
    [[ $(id -u) == 0 ]] || sudo=sudo
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    # nginx lives in /usr/sbin, which may not be on a non-root PATH.
    [[ " ${missing[*]} " == *" nginx-light "* && -x /usr/sbin/nginx ]] && missing=("${missing[@]/nginx-light}")
    read -ra missing <<<"${missing[*]}"
    if ((${#missing[@]})); then
        log "installing Debian packages: ${missing[*]}"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    [[ -x $NGINX ]] || die "nginx not found"
    NGINX_V=$("$NGINX" -V 2>&1)
}

# bench_build_tern: unless SKIP_BUILD=1, builds TERN_BIN when it is missing or older than the sources.
# The release build, with the Makefile's flags (RELEASE_FLAGS: exclusivity checks compiled out).
TERN_BUILD="swift build -c release --product tern -Xswiftc -enforce-exclusivity=unchecked"

bench_build_tern() {
    local stale="" sources
    if [[ $SKIP_BUILD != 1 ]]; then
        cd "$ROOT"
        if [[ ! -x $TERN_BIN ]]; then
            stale="missing"
        else
            sources=(Sources Package.swift); [[ -f Package.resolved ]] && sources+=(Package.resolved)
            [[ -n $(find "${sources[@]}" -newer "$TERN_BIN" -print -quit) ]] && stale="older than the sources"
        fi
        if [[ -n $stale ]]; then
            # A clean release build takes ~5 minutes on 2 cores. If another `swift build` holds the
            # .build lock, SwiftPM waits for it.
            log "building Tern release ($TERN_BIN is $stale): $TERN_BUILD"
            $TERN_BUILD
        fi
    fi
    [[ -x $TERN_BIN ]] || die "Tern binary $TERN_BIN not found (build with: $TERN_BUILD)"
}

# ---------------------------------------------------------------------------------------------------
# CPU pinning: proxies on PROXY_CPU, wrk + origin on LOAD_CPU. Without 2 usable cores, run unpinned.
# ---------------------------------------------------------------------------------------------------
bench_setup_pinning() {
    NPROC=$(nproc)
    PIN_PROXY=() PIN_LOAD=() PINNING="off"
    if ((PROXY_CPU != LOAD_CPU)) && taskset -c "$PROXY_CPU" true 2>/dev/null && taskset -c "$LOAD_CPU" true 2>/dev/null; then
        PIN_PROXY=(taskset -c "$PROXY_CPU")
        PIN_LOAD=(taskset -c "$LOAD_CPU")
        PINNING="on (proxies: CPU $PROXY_CPU; wrk + origin: CPU $LOAD_CPU)"
    else
        log "WARNING: cannot pin to CPUs $PROXY_CPU and $LOAD_CPU (nproc=$NPROC); running UNPINNED — numbers are noisier"
    fi
}

# ---------------------------------------------------------------------------------------------------
# Work dir and cleanup. Everything we start goes into PIDS and is stopped by PID on exit.
# ---------------------------------------------------------------------------------------------------

# bench_setup_work [MKTEMP_NAME]: creates WORK and installs the EXIT/INT/TERM traps.
bench_setup_work() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/${1:-tern-bench}.XXXXXX")
    chmod 755 "$WORK"
    PIDS=()
    FINISHED=0
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
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

# ---------------------------------------------------------------------------------------------------
# nginx instances: config rendering and start-up
# ---------------------------------------------------------------------------------------------------

# Temp-path directives for every temp dir this nginx build knows (some builds drop fastcgi/uwsgi/scgi),
# so nginx never touches /var/lib/nginx.
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

# ---------------------------------------------------------------------------------------------------
# CPU accounting and statistics
# ---------------------------------------------------------------------------------------------------

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
# One wrk run against a target, with CPU accounting around it.
#
# wrk_measure TARGET DURATION LABEL ROUND ORDER
#   The caller defines:  bench_target_url TARGET  → the URL wrk requests
#                        bench_target_pids TARGET → the PIDs whose CPU counts for that target
#                        bench_dump_logs          → prints the servers' logs (on a failed run)
#   Appends wrk's raw output to WRK_LOG and sets M_RPS M_P99 (ms) M_REQUESTS M_CPU (µs/req) M_UTIL (%)
#   M_ORIGIN_CPU (µs/req) M_OTHERS M_OTHERS_LOAD (% of a core; "-" without pinning).
#   Dies on wrk failure, on any non-2xx/3xx response or socket error, or if the target's processes changed.
# ---------------------------------------------------------------------------------------------------
wrk_measure() {
    local target=$1 duration=$2 label=$3 round=$4 order=$5 url pids out
    local t0 t1 c0 c1 o0 o1 b0 b1 l0 l1 w0 w1 non2xx sockerr p99raw
    url=$(bench_target_url "$target")
    pids=$(bench_target_pids "$target")
    out=$WORK/wrk.$target.$label
    c0=$(cpu_ticks $pids); o0=$(cpu_ticks "$ORIGIN_PID" $ORIGIN_WORKERS); b0=$(core_busy "$PROXY_CPU"); l0=$(core_busy "$LOAD_CPU")
    children_ticks >"$WORK/w0"; t0=$(date +%s%N)
    "${PIN_LOAD[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${duration}s" --latency ${WRK_ARGS[@]+"${WRK_ARGS[@]}"} \
        "$url" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed against $target"; }
    t1=$(date +%s%N); children_ticks >"$WORK/w1"
    c1=$(cpu_ticks $pids); o1=$(cpu_ticks "$ORIGIN_PID" $ORIGIN_WORKERS); b1=$(core_busy "$PROXY_CPU"); l1=$(core_busy "$LOAD_CPU")
    w0=$(<"$WORK/w0"); w1=$(<"$WORK/w1")
    [[ $(bench_target_pids "$target") == "$pids" ]] || die "$target's processes changed during the run (a worker crashed?)"
    { echo "===== $label $target (round $round, order $order)"; cat "$out"; echo; } >>"$WRK_LOG"

    # Fail loudly on anything but clean 2xx/3xx answers.
    non2xx=$(awk -F: '/Non-2xx or 3xx responses/ { gsub(/ /, "", $2); print $2 }' "$out")
    sockerr=$(grep 'Socket errors' "$out" || true)
    if [[ -n $non2xx || -n $sockerr ]]; then
        cat "$out" >&2
        bench_dump_logs
        die "$target: wrk reported ${non2xx:+$non2xx non-2xx/3xx responses }${sockerr:+($sockerr)} — results are invalid"
    fi

    M_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    M_REQUESTS=$(awk '/ requests in / { print $1 }' "$out")
    p99raw=$(awk '$1 == "99%" { print $2 }' "$out")
    [[ -n $M_RPS && -n $M_REQUESTS && -n $p99raw && $M_REQUESTS -gt 0 ]] || { cat "$out" >&2; die "cannot parse wrk output for $target"; }
    M_P99=$(to_ms "$p99raw") || die "unknown wrk time unit in '$p99raw'"
    M_CPU=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$M_REQUESTS" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
    M_UTIL=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", 100 * t / hz / (ns / 1e9) }')
    M_OTHERS=$(awk -v b=$((b1 - b0)) -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) \
        'BEGIN { o = b - t; if (o < 0) o = 0; printf "%.0f", 100 * o / hz / (ns / 1e9) }')
    M_OTHERS_LOAD=$(awk -v b=$((l1 - l0)) -v t=$((o1 - o0 + w1 - w0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) \
        'BEGIN { o = b - t; if (o < 0) o = 0; printf "%.0f", 100 * o / hz / (ns / 1e9) }')
    ((${#PIN_PROXY[@]})) || { M_OTHERS="-"; M_OTHERS_LOAD="-"; }
    M_ORIGIN_CPU=$(awk -v t=$((o1 - o0)) -v hz="$CLK_TCK" -v n="$M_REQUESTS" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
}

# machine_notes: the "# host/git/versions" lines every results file starts with.
git_rev() {
    echo "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
}
host_line() {
    echo "nproc=$NPROC, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
}
versions_line() {
    echo "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2 || true)"
}
