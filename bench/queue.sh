#!/usr/bin/env bash
# The queue on the product's path, end to end: 20,000 events committed to
# the outbox, published by the real OutboxRelay (passes of 200) and run by
# the real Worker (one, concurrency 16) with a no-op stage, until the last
# ack (bench/queue_end_to_end.cpp); on the embedded queue (SQLite), on
# PostgreSQL (app database and queue in one) and on Redis Streams. BullMQ does the same work on the same Redis as the peer:
# addBulk in batches of 200, one Worker of concurrency 16, three runs.
# Redis runs with appendonly yes (fsync every second) for both, flushed
# between. Starts its own redis-server and PostgreSQL cluster on free
# loopback ports in a temporary directory; every run is bounded in jobs and
# in time.
#   bench/queue.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${COMPANION_BENCH:-$PWD/build/companion_bench}
JOBS=20000 BATCH=200 WORKERS=1 CONCURRENCY=16  # as bench/queue_end_to_end.cpp
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

port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync everysec \
  --dir "$work" --loglevel warning >/dev/null 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
[[ $(redis-cli -p "$port" config get appendonly | tail -n 1) == yes ]] || { echo "redis-server did not start" >&2; exit 1; }

pg_url=$(scripts/pg-test-cluster.sh start "$work/pg")
psql -q "$pg_url" -c "CREATE DATABASE queue_bench" >/dev/null

# redis-server's CPU time (user + system, clock ticks): what each side's
# jobs cost the one Redis thread they share.
redis_ticks() { awk '{print $14 + $15}' "/proc/$redis_pid/stat"; }
ticks0=$(redis_ticks)
COMPANION_BENCH_REDIS_URL="redis://127.0.0.1:$port" COMPANION_BENCH_PG_URL="${pg_url%/*}/queue_bench" \
  timeout 300 "$BENCH" \
  --benchmark_filter="QueueEndToEnd.*/workers:$WORKERS/concurrency:$CONCURRENCY/" \
  --benchmark_format=csv 2>/dev/null >"$work/ours.csv"
ours_ticks=$(($(redis_ticks) - ticks0))
bullmq=()
ticks0=$(redis_ticks)
for _ in 1 2 3; do
  redis-cli -p "$port" flushall >/dev/null
  bullmq+=("$(timeout 180 node bench/bullmq-throughput.mjs "$port" "$JOBS" "$BATCH" "$WORKERS" "$CONCURRENCY")")
done
bullmq_ticks=$(($(redis_ticks) - ticks0))
version=$(node -e "console.log(require('./tests/tools/node_modules/bullmq/package.json').version)")

echo "Machine: $(nproc) cores, $(uname -m); $(date -u +%Y-%m-%d); $(redis-server --version | cut -d' ' -f3)"
echo "$JOBS no-op jobs, relay passes and addBulk of $BATCH, $WORKERS worker of concurrency $CONCURRENCY"
echo
python3 - "$work/ours.csv" "$version" "$(getconf CLK_TCK)" "$JOBS" "$ours_ticks" "$bullmq_ticks" "${bullmq[@]}" <<'PY'
import csv, sys
ours_file, version, hz, jobs, ours_ticks, bullmq_ticks, *runs = sys.argv[1:]
def redis_us(ticks, n):
    return f"{int(ticks) / int(hz) * 1e6 / n:.0f}"
# Jobs over total time, as Google Benchmark's items_per_second is.
bullmq = len(runs) / sum(1 / float(r) for r in runs)
names = {"BM_QueueEndToEndSqlite": "embedded, SQLite", "BM_QueueEndToEndPostgres": "PostgreSQL",
         "BM_QueueEndToEndRedis": "Redis Streams"}
print("| queue | jobs/s | × BullMQ | relay done after (s) | process CPU a job (µs) | redis-server CPU a job (µs) |")
print("|---|---:|---:|---:|---:|---:|")
for row in csv.DictReader(l for l in open(ours_file) if not l.startswith(('Run', '-'))):
    name = row["name"].split("/")[0]
    if name not in names:
        continue
    if row.get("error_occurred") == "true" or not row.get("items_per_second"):
        print(f"| {names[name]} | failed: {row.get('error_message', '')} | | | | |")
        continue
    rate = float(row["items_per_second"])
    # Only the Redis variant uses the redis-server (its iterations' jobs).
    on_redis = redis_us(ours_ticks, int(row["iterations"]) * int(jobs)) if "Redis" in name else ""
    print(f"| {names[name]} | {rate:,.0f} | {rate / bullmq:.1f} | {float(row['relay_s']):.2f} "
          f"| {float(row['cpu_us_per_job']):.0f} | {on_redis} |")
print(f"| BullMQ {version}, same Redis | {bullmq:,.0f} ({', '.join(f'{float(r):,.0f}' for r in runs)}) "
      f"| 1.0 | | | {redis_us(bullmq_ticks, len(runs) * int(jobs))} |")
PY
