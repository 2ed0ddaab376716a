#!/usr/bin/env bash
# A throwaway S3-compatible server (s3rver, from tests/tools) for the tests,
# on a free loopback port.
#   s3-test-server.sh start DIR   -> prints the endpoint URL; DIR is created
#   s3-test-server.sh stop DIR
# s3rver accepts the access key S3RVER with the secret S3RVER; it checks
# that requests are SigV4-shaped but does not verify the signature. Tests
# create a bucket of their own; the bucket "companion" exists from the start.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S3RVER=$ROOT/tests/tools/node_modules/.bin/s3rver

case "$cmd" in
  start)
    [[ -x "$S3RVER" ]] || { echo "s3rver not found (run scripts/install-deps.sh)" >&2; exit 1; }
    mkdir -p "$dir/data"
    : >"$dir/server.log"
    # Port 0: the server picks a free port and prints it, so no other
    # process can take the port between choosing and binding it.
    "$S3RVER" --directory "$dir/data" --address 127.0.0.1 --port 0 --silent \
      --configure-bucket companion </dev/null >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"
    endpoint=
    for _ in $(seq 1 100); do
      port=$(sed -n 's/^S3rver listening on 127\.0\.0\.1:\([0-9]\+\)$/\1/p' "$dir/server.log" || true)
      if [[ -n "$port" ]] && curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null; then
        endpoint="http://127.0.0.1:$port"
        break
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
      sleep 0.1
    done
    if [[ -z "$endpoint" ]]; then
      cat "$dir/server.log" >&2
      "$0" stop "$dir"
      exit 1
    fi
    echo "$endpoint" >"$dir/endpoint"
    echo "$endpoint"
    ;;
  stop)
    [[ -f "$dir/pid" ]] || exit 0
    pid=$(cat "$dir/pid")
    # Only the process this script started (it may be gone, its pid reused).
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q s3rver; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/pid"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
