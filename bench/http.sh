#!/usr/bin/env bash
# HTTP throughput and latency of the real binary, measured with wrk on
# loopback, on SQLite and on PostgreSQL. Bounded: each route runs a 3 s
# warm-up and a 10 s measurement at 64 connections (wrk -t1 -c64).
#
#   bench/http.sh [sqlite|postgresql|both]     (default both)
#
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

work=$(mktemp -d /tmp/companion-bench.XXXXXX)
chmod 755 "$work"
server_pid=
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  scripts/pg-test-cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

source bench/lib.sh

mkdir -p bench/results
out="bench/results/http-$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "Command: wrk -t1 -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), $(date -u +%Y-%m-%d)"
  echo
  echo "| database | route | req/s | p50 | p99 | RSS after |"
  echo "|---|---|---:|---:|---:|---:|"
} | tee "$out"

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Benchmark interview","company":"Acme","role":"Backend engineer"}'
LUA

run_wrk() {  # run_wrk LABEL DB URL [wrk args...]
  local label=$1 db=$2 url=$3
  shift 3
  wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "$@" "$url" >/dev/null 2>&1 || true
  local result
  result=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$result")
  p50=$(awk '$1=="50%" {print $2}' <<<"$result")
  p99=$(awk '$1=="99%" {print $2}' <<<"$result")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$result" | tr '\n' ' ' || true)
  echo "| $db | $label | $rps | $p50 | $p99 | $(( $(rss_kb "$server_pid") / 1024 )) MB |${errors:+ $errors}" | tee -a "$out"
}

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
  run_wrk "GET /healthz" "$db" "$base/healthz"
  run_wrk "GET /v1/interviews/{id}" "$db" "$base/v1/interviews/$id" -H "Authorization: Bearer $token"
  run_wrk "GET /v1/interviews?limit=20" "$db" "$base/v1/interviews?limit=20" -H "Authorization: Bearer $token"
  run_wrk "POST /v1/interviews" "$db" "$base/v1/interviews" -H "Authorization: Bearer $token" -s "$work/post.lua"
  echo "| $db | RSS idle / peak | | | | $idle_rss MB / $(( $(hwm_kb "$server_pid") / 1024 )) MB |" | tee -a "$out"
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

if [[ $WHICH == sqlite || $WHICH == both ]]; then bench_db sqlite; fi
if [[ $WHICH == postgresql || $WHICH == both ]]; then
  pg_url=$(scripts/pg-test-cluster.sh start "$work/pg")
  bench_db postgresql "$pg_url"
fi
echo
echo "written to $out"
