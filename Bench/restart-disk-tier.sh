#!/usr/bin/env bash
# Bench/restart-disk-tier.sh — the disk tier's restart guarantee: what Tern said it stored survives
# `kill -9`, and a restarted Tern serves it as a hit, byte for byte, without asking the origin.
#
#   Bench/restart-disk-tier.sh                   # 10,000 objects
#   QUICK=1 Bench/restart-disk-tier.sh           # 1,000 objects
#   TERN_MEMORY=0 Bench/restart-disk-tier.sh     # disk tier only (--memory 0)
#
# Steps (all on 127.0.0.1, random free ports):
#   1. origin: Bench/restart_tool.py origin — GET /obj/N answers a deterministic 1–4 KiB body with
#      `Cache-Control: max-age=3600` and counts the requests it gets (GET /__stats, not counted).
#   2. Tern: serve --origin ... --cache-dir $WORK/cache --workers 1 [--memory TERN_MEMORY]
#      --access-log stderr (throughput does not matter here, so the access log is on).
#   3. fill: GET /obj/0 .. /obj/OBJECTS-1 through Tern (PARALLEL keep-alive connections). Each must be
#      200, the origin's exact body, and `Cache-Status: tern; fwd=uri-miss; ...; stored`.
#   4. `kill -9` Tern right after the last response: the fetcher sends SIGKILL itself SETTLE_MS after
#      it has read the last body (default 20 ms). The disk writer commits batches within ~2 ms of a
#      fill, so objects whose fill ended inside that window at the moment of a crash are refetched
#      (never corrupted); SETTLE_MS=0 shows that window (a few of the last objects come back as misses).
#   5. restart Tern on the same directory and poll GET /obj/0 every 10 ms: time from just before exec
#      to the first response and to the first hit.
#   6. verify: GET every object again. Each must be 200, `Cache-Status` starting with `tern; hit`,
#      and byte-identical (sha256) to what the fill received; the origin must see zero new requests.
#      Tern's access log must say cache=HIT-DISK for them (memory is empty after a restart).
#
# Knobs (environment):
#   OBJECTS=10000 (QUICK=1: 1000)  PARALLEL=8 (fetcher connections)
#   TERN_MEMORY=             memory tier (empty: Tern's default 256MiB; 0: disk only)
#   SETTLE_MS=20             wait this long between the last fill response and kill -9 (0: strict)
#   SKIP_BUILD=1  TERN_BIN=path  KEEP_WORK=1   as in the other Bench scripts
#
# Exit status: 0 when every stored object came back as a byte-identical hit with no origin request;
# 1 otherwise (the figures are printed either way).

set -euo pipefail

BENCH_NAME=restart-disk-tier
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=Bench/lib.sh
source "$BENCH_DIR/lib.sh"     # sets ROOT; die, log, pick_port, wait_ready, ...

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then : "${OBJECTS:=1000}"; else : "${OBJECTS:=10000}"; fi
PARALLEL=${PARALLEL:-8}
TERN_MEMORY=${TERN_MEMORY:-}
SETTLE_MS=${SETTLE_MS:-20}
KEEP_WORK=${KEEP_WORK:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
if [[ -n ${TERN_BIN:-} ]]; then SKIP_BUILD=1; else TERN_BIN=$ROOT/.build/release/tern; fi
TOOL=$BENCH_DIR/restart_tool.py

for knob in OBJECTS PARALLEL SETTLE_MS; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "$knob must be a non-negative integer, got '${!knob}'"
done
((OBJECTS >= 1 && PARALLEL >= 1 && PARALLEL <= 64)) || die "need OBJECTS >= 1 and 1 <= PARALLEL <= 64"

bench_install_packages python3:python3 curl:curl
bench_build_tern
bench_setup_work tern-restart
ERRORS=0

json_field() { python3 -c 'import json,sys; v = json.loads(sys.argv[1]).get(sys.argv[2]); print("-" if v is None else v)' "$1" "$2"; }
origin_obj_requests() { json_field "$(python3 "$TOOL" stats --port "$ORIGIN_PORT")" obj_requests; }
forget_pid() {
    local p keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# ---------------------------------------------------------------------------------------------------
# Origin and the first Tern
# ---------------------------------------------------------------------------------------------------
pick_port; ORIGIN_PORT=$PORT
python3 "$TOOL" origin --port "$ORIGIN_PORT" >"$WORK/origin.log" 2>&1 &
ORIGIN_PID=$!
PIDS+=("$ORIGIN_PID")
wait_ready origin "$ORIGIN_PID" "http://127.0.0.1:$ORIGIN_PORT/__stats" "$WORK/origin.log"
log "origin: PID $ORIGIN_PID, port $ORIGIN_PORT"

CACHE_DIR=$WORK/cache
mkdir -p "$CACHE_DIR"
pick_port; TERN_PORT=$PORT
TERN_ARGS=(serve --listen "127.0.0.1:$TERN_PORT" --origin "http://127.0.0.1:$ORIGIN_PORT" --workers 1
    --log-level error --access-log stderr --cache-dir "$CACHE_DIR")
[[ -n $TERN_MEMORY ]] && TERN_ARGS+=(--memory "$TERN_MEMORY")

"$TERN_BIN" "${TERN_ARGS[@]}" >"$WORK/tern1.log" 2>&1 &
TERN1_PID=$!
PIDS+=("$TERN1_PID")
wait_ready tern "$TERN1_PID" "http://127.0.0.1:$TERN_PORT/__stats" "$WORK/tern1.log"   # /__stats: no-store, never cached
log "tern #1: PID $TERN1_PID: $TERN_BIN ${TERN_ARGS[*]}"

# ---------------------------------------------------------------------------------------------------
# Fill, then kill -9
# ---------------------------------------------------------------------------------------------------
before_fill=$(origin_obj_requests)
log "fill: $OBJECTS objects through Tern with $PARALLEL connections"
# The fetcher itself sends SIGKILL to Tern right after the last response (plus SETTLE_MS).
fill_json=$(python3 "$TOOL" fill --port "$TERN_PORT" --objects "$OBJECTS" --parallel "$PARALLEL" --out "$WORK/hashes.txt" \
    --kill-pid "$TERN1_PID" --settle-ms "$SETTLE_MS") || ERRORS=1
stored=$(json_field "$fill_json" stored)
killed_after=$(json_field "$fill_json" killed_after_ms)
kill -KILL "$TERN1_PID" 2>/dev/null || true      # in case the fetcher failed before killing it
wait "$TERN1_PID" 2>/dev/null || true
forget_pid "$TERN1_PID"
after_fill=$(origin_obj_requests)
log "kill -9 tern #1 (PID $TERN1_PID) ${killed_after} ms after the last fill response; origin served $((after_fill - before_fill)) fill requests"
disk_usage=$(du -sh "$CACHE_DIR" | cut -f1)

# ---------------------------------------------------------------------------------------------------
# Restart on the same directory; time to the first hit
# ---------------------------------------------------------------------------------------------------
set +e
restart_json=$(python3 "$TOOL" restart --port "$TERN_PORT" --pidfile "$WORK/tern2.pid" --log "$WORK/tern2.log" \
    -- "$TERN_BIN" "${TERN_ARGS[@]}")
restart_rc=$?
set -e
[[ -s $WORK/tern2.pid ]] && { TERN2_PID=$(<"$WORK/tern2.pid"); PIDS+=("$TERN2_PID"); }
log "tern #2: PID ${TERN2_PID:-?}: $restart_json"
((restart_rc == 0)) || { ERRORS=1; cat "$WORK/tern2.log" >&2; die "restarted Tern never answered a hit for /obj/0: $restart_json"; }

# ---------------------------------------------------------------------------------------------------
# Verify every object
# ---------------------------------------------------------------------------------------------------
before_verify=$(origin_obj_requests)
verify_json=$(python3 "$TOOL" verify --port "$TERN_PORT" --hashes "$WORK/hashes.txt" --parallel "$PARALLEL") || ERRORS=1
after_verify=$(origin_obj_requests)
new_origin=$((after_verify - after_fill))

kill -TERM "$TERN2_PID"
wait "$TERN2_PID" 2>/dev/null || true
forget_pid "$TERN2_PID"
count_cache() { grep -c " cache=$2\$" "$1" || true; }
tiers=$(grep -o ' cache=[A-Z-]*$' "$WORK/tern2.log" | sort | uniq -c | awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " }' | sed 's/cache=//g')
stored_logged=$(count_cache "$WORK/tern1.log" MISS-STORED)
tern_errors=$(grep -hv ' cache=[A-Z-]*$' "$WORK/tern1.log" "$WORK/tern2.log" || true)

hits=$(json_field "$verify_json" hits)
not_hits=$(json_field "$verify_json" not_hits)
mismatches=$(json_field "$verify_json" mismatches)
errors=$(json_field "$verify_json" errors)
((stored == OBJECTS && hits == OBJECTS && mismatches == 0 && errors == 0 && new_origin == 0)) || ERRORS=1
[[ -z $tern_errors ]] || ERRORS=1

# ---------------------------------------------------------------------------------------------------
# Figures (stdout and Bench/results/restart-<stamp>.txt)
# ---------------------------------------------------------------------------------------------------
RESULTS_DIR=$BENCH_DIR/results
mkdir -p "$RESULTS_DIR"
RESULTS=$RESULTS_DIR/restart-$(date -u +%Y%m%dT%H%M%SZ).txt
report() {
    echo "Tern disk tier across kill -9: $OBJECTS objects (1-4 KiB), --cache-dir, memory ${TERN_MEMORY:-default (256MiB)}, kill -9 ${killed_after} ms after the last fill response"
    echo "git: $(git_rev); tern: $TERN_BIN ${TERN_ARGS[*]}"
    echo
    printf '  %-44s %s\n' "objects stored (Cache-Status '; stored')" "$stored / $OBJECTS"
    printf '  %-44s %s\n' "fill requests seen by the origin" "$((after_fill - before_fill))"
    printf '  %-44s %s\n' "MISS-STORED lines in Tern #1's access log" "$stored_logged (lines still buffered at kill -9 are lost)"
    printf '  %-44s %s\n' "cache dir size after kill -9" "$disk_usage"
    printf '  %-44s %s ms\n' "restart: exec to first response" "$(json_field "$restart_json" first_response_ms)"
    printf '  %-44s %s ms (polling every 10 ms)\n' "restart: exec to first hit" "$(json_field "$restart_json" first_hit_ms)"
    printf '  %-44s %s\n' "non-hit answers while polling" "$(json_field "$restart_json" non_hit_responses)"
    printf '  %-44s %s / %s\n' "hits after restart" "$hits" "$OBJECTS"
    printf '  %-44s %s\n' "not hits (forwarded) after restart" "$not_hits"
    printf '  %-44s %s\n' "body mismatches" "$mismatches"
    printf '  %-44s %s\n' "failed requests" "$errors"
    printf '  %-44s %s\n' "new origin requests after the restart" "$new_origin"
    printf '  %-44s %s\n' "Tern #2 access log, cache= values" "${tiers:-none}"
    printf '  %-44s %s\n' "verify pass duration" "$(json_field "$verify_json" verify_seconds) s"
    if [[ -n $tern_errors ]]; then
        echo
        echo "ERROR: Tern logged lines other than access-log lines (at --log-level error):"
        echo "$tern_errors" | head -n 20 | sed 's/^/  /'
    fi
    echo
    if ((ERRORS == 0)); then echo "RESULT: PASS — every stored object survived kill -9 and came back as a byte-identical hit"
    else echo "RESULT: FAIL — see the figures above"; fi
}
report | tee "$RESULTS"
FINISHED=1
echo
echo "results: $RESULTS"
exit "$ERRORS"
