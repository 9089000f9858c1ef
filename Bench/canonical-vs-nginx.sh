#!/usr/bin/env bash
# Issue 12 side by side: 35 spellings of a path under a denied route, and the cache-poisoning
# reproductions, sent to Tern and to nginx in front of the same two origins. Prints a Markdown table
# (and writes it to Bench/results/canonical-<time>.md). A behaviour comparison, not a timing: no pinning.
#
#   Bench/canonical-vs-nginx.sh            # uses .build/release/tern, else .build/debug/tern
#   TERN_BIN=path/to/tern Bench/canonical-vs-nginx.sh
#
# nginx: `location /private { deny all; }` (ACL case); `location /private` → origin B with proxy_cache,
# `location /` → origin A with proxy_cache (poisoning case); merge_slashes on (the default).
set -euo pipefail
BENCH_NAME=canonical-vs-nginx
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_DIR/lib.sh"

bench_install_packages nginx:nginx-light python3:python3
if [[ -z ${TERN_BIN:-} ]]; then
    TERN_BIN=$ROOT/.build/release/tern
    [[ -x $TERN_BIN ]] || TERN_BIN=$ROOT/.build/debug/tern
fi
[[ -x $TERN_BIN ]] || die "no tern binary (make build, or swift build)"

WORK=$(mktemp -d /tmp/tern-canonical.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
A=$(free_port); B=$(free_port); NGX_ACL=$(free_port); NGX_CACHE=$(free_port); TERN_ACL=$(free_port); TERN_CACHE=$(free_port)

python3 "$BENCH_DIR/canonical_compare.py" origin A "$A" & PIDS+=($!)
python3 "$BENCH_DIR/canonical_compare.py" origin B "$B" & PIDS+=($!)

mkdir -p "$WORK/nginx/cache"
cat >"$WORK/nginx/nginx.conf" <<EOF
$([[ $(id -u) == 0 ]] && echo "user root;")
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    proxy_cache_path $WORK/nginx/cache keys_zone=c:1m;
    server {
        listen 127.0.0.1:$NGX_ACL;
        location /private { deny all; proxy_pass http://127.0.0.1:$A; }
        location / { proxy_pass http://127.0.0.1:$A; }
    }
    server {
        listen 127.0.0.1:$NGX_CACHE;
        proxy_cache c;
        location /private { proxy_pass http://127.0.0.1:$B; }
        location / { proxy_pass http://127.0.0.1:$A; }
    }
}
EOF
"$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" & PIDS+=($!)

cat >"$WORK/acl.yaml" <<EOF
listeners: ["127.0.0.1:$TERN_ACL"]
logging: {access: {path: "off"}}
workers: 1
cache: {enabled: false}
origins:
  a: {members: ["http://127.0.0.1:$A"]}
routes:
  - {path: /private, origin: a, access: {deny: [0.0.0.0/0, "::/0"]}}
  - {path: /, origin: a}
EOF
cat >"$WORK/cache.yaml" <<EOF
listeners: ["127.0.0.1:$TERN_CACHE"]
logging: {access: {path: "off"}}
workers: 1
origins:
  a: {members: ["http://127.0.0.1:$A"]}
  b: {members: ["http://127.0.0.1:$B"]}
routes:
  - {path: /private, origin: b}
  - {path: /, origin: a}
EOF
"$TERN_BIN" serve --config "$WORK/acl.yaml" >"$WORK/tern-acl.log" 2>&1 & PIDS+=($!)
"$TERN_BIN" serve --config "$WORK/cache.yaml" >"$WORK/tern-cache.log" 2>&1 & PIDS+=($!)

for port in "$A" "$B" "$NGX_ACL" "$NGX_CACHE" "$TERN_ACL" "$TERN_CACHE"; do
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
done

mkdir -p "$BENCH_DIR/results"
OUT="$BENCH_DIR/results/canonical-$(date -u +%Y%m%dT%H%M%SZ).md"
{
    echo "# Canonical requests: Tern vs nginx ($("$NGINX" -v 2>&1 | sed 's/.*: //'), $(date -u +%Y-%m-%d))"
    echo
    python3 "$BENCH_DIR/canonical_compare.py" "$TERN_ACL" "$NGX_ACL" "$TERN_CACHE" "$NGX_CACHE"
} | tee "$OUT"
log "written to $OUT"
