#!/usr/bin/env bash
# HTTP throughput and latency of the real binary, measured with wrk on
# loopback, on SQLite and on PostgreSQL, beside its references in the same
# run: nginx (one worker, access log off, `return 200` of the same JSON) for
# the HTTP core, and our own /healthz for the read route. Bounded: each
# route runs a 3 s warm-up and a 10 s measurement at 64 connections
# (wrk -t1 -c64).
#
#   bench/http.sh [sqlite|postgresql|both]     (default both)
#
# Besides req/s and latency, each line gives the server's CPU time per
# request (user + system, from /proc/PID/stat), which the other load on a
# shared machine disturbs far less than req/s.
# Prints a Markdown table (also written to bench/results/http-<date>.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${COMPANION_BINARY:-$ROOT/build/interview-companion}
WHICH=${1:-both}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
command -v wrk >/dev/null || { echo "wrk is required (scripts/install-deps.sh installs it)" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || { echo "nginx is required (scripts/install-deps.sh installs nginx-light)" >&2; exit 1; }

work=$(mktemp -d /tmp/companion-bench.XXXXXX)
chmod 755 "$work"
server_pid=
nginx_pid=
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  scripts/pg-test-cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

source bench/lib.sh

mkdir -p bench/results
out="bench/results/http-$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "Command: wrk -t1 -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), $(date -u +%Y-%m-%d); $($NGINX -v 2>&1)"
  echo
  echo "| server | route | req/s | p50 | p99 | server CPU per request | RSS after |"
  echo "|---|---|---:|---:|---:|---:|---:|"
} | tee "$out"

# Start nginx (one worker, no access log) answering /healthz like ours.
start_nginx() {
  local port
  port=$(free_port)
  mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
error_log $work/nginx/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    location = /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
  "$NGINX" -c "$work/nginx/nginx.conf" -p "$work/nginx" &
  nginx_pid=$!
  nginx_base="http://127.0.0.1:$port"
  wait_healthy "$nginx_base" "$work/nginx/error.log" nginx
}
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Benchmark interview","company":"Acme","role":"Backend engineer"}'
LUA

# run_wrk LABEL SERVER PID URL [wrk args...]: one table line; sets rps and p99.
run_wrk() {
  local label=$1 server=$2 target_pid=$3 url=$4
  shift 4
  wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "$@" "$url" >/dev/null 2>&1 || true
  local result before after
  before=$(cpu_ticks "$target_pid")
  result=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
  after=$(cpu_ticks "$target_pid")
  local p50 requests cpu errors
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$result")
  p50=$(awk '$1=="50%" {print $2}' <<<"$result")
  p99=$(awk '$1=="99%" {print $2}' <<<"$result")
  requests=$(awk '/requests in/ {print $1}' <<<"$result")
  # Clock ticks (1/100 s) to microseconds per request.
  cpu=$(python3 -c "print(f'{($after - $before) * 1e6 / $(getconf CLK_TCK) / max($requests, 1):.1f} µs')")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$result" | tr '\n' ' ' || true)
  echo "| $server | $label | $rps | $p50 | $p99 | $cpu | $(( $(rss_kb "$target_pid") / 1024 )) MB |${errors:+ $errors}" | tee -a "$out"
}

# to_ms 1.23ms|850.00us|1.02s -> milliseconds
to_ms() { python3 -c "import re,sys;v,u=re.match(r'([0-9.]+)(us|ms|s)','$1').groups();print(float(v)*{'us':1e-3,'ms':1,'s':1e3}[u])"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

bench_db() {  # bench_db NAME [DATABASE_URL]
  local db=$1 url=${2:-}
  start_server "$work/$db" ${url:+--database-url "$url"}
  server_pid=$pid
  local idle_rss
  idle_rss=$(( $(rss_kb "$server_pid") / 1024 ))
  local token id
  token=$(register_token "bench-$db@example.com")
  for i in $(seq 1 200); do
    curl -fsS -o "$work/last.json" -XPOST "$base/v1/interviews" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d "{\"title\":\"Seeded interview $i\",\"company\":\"Acme\"}"
  done
  id=$(json_field "['id']" <"$work/last.json")
  run_wrk "GET /healthz" "$db" "$server_pid" "$base/healthz"
  local health_rps=$rps health_p99=$p99
  if [[ $db == sqlite ]]; then
    # The HTTP core's reference, measured right after ours.
    start_nginx
    run_wrk "GET /healthz" "nginx" "$nginx_pid" "$nginx_base/healthz"
    ratios+=("| HTTP core: /healthz req/s, ours ÷ nginx | $(ratio "$health_rps" "$rps") | ≥ 0.8 |")
    ratios+=("| HTTP core: /healthz p99, ours ÷ nginx | $(ratio "$(to_ms "$health_p99")" "$(to_ms "$p99")") | ≤ 2 |")
    kill "$nginx_pid"
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
  fi
  run_wrk "GET /v1/interviews/{id}" "$db" "$server_pid" "$base/v1/interviews/$id" -H "Authorization: Bearer $token"
  ratios+=("| $db: GET /v1/interviews/{id} ÷ our /healthz | $(ratio "$rps" "$health_rps") | ≥ 0.6 |")
  run_wrk "GET /v1/interviews?limit=20" "$db" "$server_pid" "$base/v1/interviews?limit=20" -H "Authorization: Bearer $token"
  run_wrk "POST /v1/interviews" "$db" "$server_pid" "$base/v1/interviews" -H "Authorization: Bearer $token" -s "$work/post.lua"
  echo "| $db | RSS idle / peak | | | | | $idle_rss MB / $(( $(hwm_kb "$server_pid") / 1024 )) MB |" | tee -a "$out"
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

ratios=()
if [[ $WHICH == sqlite || $WHICH == both ]]; then bench_db sqlite; fi
if [[ $WHICH == postgresql || $WHICH == both ]]; then
  pg_url=$(scripts/pg-test-cluster.sh start "$work/pg")
  bench_db postgresql "$pg_url"
fi
{
  echo
  echo "| ratio, same run | measured | target |"
  echo "|---|---:|---|"
  printf '%s\n' "${ratios[@]}"
} | tee -a "$out"
echo
echo "written to $out"
