#!/usr/bin/env bash
# Queue throughput: 20,000 no-op jobs enqueued (batches of 100) and drained
# by 4 workers, on the embedded queue (SQLite, PostgreSQL) and on Redis
# Streams, and BullMQ on the same Redis as the peer reference. Starts its
# own PostgreSQL and redis-server on free loopback ports.
#   bench/queue.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${COMPANION_BENCH:-$PWD/build/companion_bench}
work=$(mktemp -d /tmp/companion-queue.XXXXXX)
redis_pid=
cleanup() {
  [[ -n "$redis_pid" ]] && kill "$redis_pid" 2>/dev/null
  scripts/pg-test-cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

pg_url=$(scripts/pg-test-cluster.sh start "$work/pg")
psql "$pg_url" -qAt -c "CREATE DATABASE queue_bench"
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
  --loglevel warning >/dev/null 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

COMPANION_BENCH_PG_URL="${pg_url%/*}/queue_bench" COMPANION_BENCH_REDIS_URL="redis://127.0.0.1:$port" \
  "$BENCH" --benchmark_filter=Queue --benchmark_format=csv 2>/dev/null >"$work/ours.csv"
bullmq=$(node bench/bullmq-throughput.mjs "$port" 20000)

echo "Machine: $(nproc) cores; $(date -u +%Y-%m-%d); 20,000 no-op jobs, 4 workers"
echo "| queue | jobs/s |"
echo "|---|---:|"
python3 - "$work/ours.csv" <<'PY'
import csv, sys
names = {"BM_QueueEmbeddedSqlite": "embedded, SQLite", "BM_QueueEmbeddedPostgres": "embedded, PostgreSQL",
         "BM_QueueRedisStreams": "Redis Streams"}
for row in csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith(('Run', '-'))):
    name = row["name"].split("/")[0]
    if name in names and row.get("items_per_second"):
        print(f"| {names[name]} | {float(row['items_per_second']):,.0f} |")
PY
echo "| BullMQ $(node -e "console.log(require('./tests/tools/node_modules/bullmq/package.json').version)") on the same Redis | $bullmq |"
