#!/usr/bin/env bash
# `make bench`: every comparison of docs/benchmarks.md, each beside its
# reference in the same run, in this order:
#   1. the HTTP core and the API routes against nginx and our own /healthz
#      (bench/http.sh, SQLite and PostgreSQL);
#   2. recording upload against @tus/server with the same tus client
#      (bench/upload.sh);
#   3. the job queue through the real relay and worker against BullMQ on the
#      same Redis (bench/queue.sh);
#   4. the per-request micro-benchmarks with their references
#      (build/companion_bench: JWT, router, JSON, UUID, traces);
#   5. realtime fan-out against Socket.IO and ws with the same client,
#      and 5,000 stored events/s from a worker-like writer
#      (bench/realtime/run.sh).
# Bounded: about 10 minutes on 2 cores. BENCH_ONLY="http queue" runs some.
set -euo pipefail
cd "$(dirname "$0")/.."
ONLY=${BENCH_ONLY:-http upload queue micro realtime}
for part in $ONLY; do
  echo
  echo "## $part"
  case $part in
    http) bash bench/http.sh both ;;
    upload) bash bench/upload.sh ;;
    queue) bash bench/queue.sh ;;
    realtime)
      bash bench/realtime/run.sh
      USERS=10 DURABLE=1 bash bench/realtime/run.sh
      ;;
    micro)
      build/companion_bench \
        --benchmark_filter='Jwt|Uuid|Router|Interview|Trace|JsonText|BoostSerialize' \
        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
      ;;
    *) echo "unknown part: $part (http, upload, queue, micro, realtime)" >&2; exit 1 ;;
  esac
done
