#!/usr/bin/env bash
# Realtime fan-out against its peers, same client, same workload
# (docs/benchmarks.md, "Realtime"): the product's `serve`, a Socket.IO 4.8
# server and a bare `ws` 8 server, each following one Redis pub/sub
# channel. For each: USERS users with PER_USER authenticated WebSocket
# connections each (10,000 by default) — resident memory idle and with
# them open — then RATE progress events a second for SECONDS, each to one
# user's connections (RATE × PER_USER deliveries a second), with
# publish-to-receipt latency. Bounded in connections and time; loopback
# only; starts its own redis-server.
#   bench/realtime/run.sh                      # 100 users × 100, 600 events/s, 10 s
#   USERS=1 PER_USER=1000 RATE=10 bench/realtime/run.sh   # one user's 1,000 tabs
#   USERS=10 DURABLE=1 bench/realtime/run.sh   # 5,000 stored events/s (DURABLE_RATE) from a
#                                      # worker-like writer; DURABLE_API=1 adds the API path
#   OURS_FLAGS="--threads 1" …         # extra flags for our server
#   PIN=1 …   # the server alone on core 1; client and Redis on core 0
#   CLIENT=node …   # the Node.js client (load.mjs) instead of the C++ one
#                   # (load_client.cpp, which needs a fraction of the CPU)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${COMPANION_BINARY:-$PWD/build/interview-companion}
USERS=${USERS:-100} PER_USER=${PER_USER:-100} RATE=${RATE:-600} DURATION=${DURATION:-10}
TARGETS=${TARGETS:-"ours ws socketio"}
(( USERS * PER_USER <= 20000 )) || { echo "at most 20,000 connections" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"  # 10,000 sockets a side fit in the usual 20,000
work=$(mktemp -d /tmp/companion-realtime.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
source bench/lib.sh

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
  --loglevel warning >/dev/null 2>&1 &
pids+=($!)
redis="redis://127.0.0.1:$rport"
for _ in $(seq 1 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done

export IC_JWT_SECRET
IC_JWT_SECRET=$(python3 -c 'import secrets;print(secrets.token_urlsafe(48))')
start_server "$work/data" --pubsub-url "$redis" --workers none --max-connections 100000 \
  --max-connections-per-address 0 ${OURS_FLAGS:-}
pids+=("$pid")
ours_pid=$pid
# pin PID CORE: every thread of PID on that core (PIN=1 only).
pin() { [[ "${PIN:-0}" == 1 ]] && taskset -a -p -c "$2" "$1" >/dev/null || true; }
on_core0=()
[[ "${PIN:-0}" == 1 ]] && on_core0=(taskset -c 0)
client=("${on_core0[@]}" node)
pin "$(pgrep -f "redis-server.*:$rport" | head -1)" 0
pin "$ours_pid" 1
ours_url="ws://${base#http://}/v1/ws"

# The users, with their ids and tokens (the peers check the same tokens).
python3 - "$base" "$USERS" >"$work/tokens.json" <<'PY'
import json, sys, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
out = []
for i in range(n):
    body = json.dumps({"email": f"rt{i}@bench.example", "password": "correct horse battery",
                       "displayName": "Bench"}).encode()
    req = urllib.request.Request(base + "/v1/auth/register", body, {"Content-Type": "application/json"})
    r = json.load(urllib.request.urlopen(req))
    out.append({"user": r["user"]["id"], "token": r["accessToken"]})
print(json.dumps(out))
PY

if [[ "${DURABLE:-0}" == 1 ]]; then
  # Stored events at DURABLE_RATE a second, committed by a writer built
  # like a `worker` (bench/realtime/event_writer.cpp: each in its own
  # transaction on this server's SQLite database, published on the same
  # Redis), to one WebSocket per user (bench/realtime/listen.mjs).
  rate=${DURABLE_RATE:-5000}
  python3 -c 'import json,sys;[print(u["user"]) for u in json.load(open(sys.argv[1]))]' \
    "$work/tokens.json" >"$work/users.txt"
  mkfifo "$work/listen"
  "${client[@]}" bench/realtime/listen.mjs "$ours_url" "$work/tokens.json" \
    "$(python3 -c "print(int($rate * $DURATION))")" >"$work/listen" &
  pids+=($!)
  exec 3<"$work/listen"
  read -r ready <&3
  [[ "$ready" == READY ]] || { echo "listener: $ready" >&2; exit 1; }
  cpu_before=$(cpu_ticks "$ours_pid")
  writer_out=$("$(dirname "$BIN")/companion_event_writer" "$rate" "$DURATION" "$work/users.txt" \
    worker --data-dir "$work/data" --pubsub-url "$redis" --log-level warn)
  cpu_after=$(cpu_ticks "$ours_pid")
  read -r listened <&3
  echo "writer: $writer_out"
  echo "listener: $listened"
  echo "serve CPU while writing: $(( (cpu_after - cpu_before) * 10 )) ms over ${DURATION} s"
  if [[ "${DURABLE_API:-0}" == 1 ]]; then
    # The same through the API: cancel and retry (bench/realtime/durable.mjs).
    sox -n -r 16000 -c 1 "$work/tone.wav" synth 1 sine 300
    node bench/realtime/durable.mjs "$base" "${DURABLE_USERS:-10}" "${DURABLE_INTERVIEWS:-20}" \
      "${DURABLE_CONCURRENCY:-32}" "$DURATION" "$work/tone.wav" "$ours_pid"
  fi
  exit 0
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $USERS users x $PER_USER connections, $RATE events/s for ${DURATION}s"
for target in $TARGETS; do
  if [[ "$target" == ours ]]; then
    server_pid=$ours_pid url=$ours_url
  else
    port=$(free_port)
    node bench/realtime/peer-server.mjs "$target" "$port" "$redis" "$IC_JWT_SECRET" >"$work/$target.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 1 100); do grep -q READY "$work/$target.log" && break; sleep 0.1; done
    pin "$server_pid" 1
    url="ws://127.0.0.1:$port"
    [[ "$target" == socketio ]] && url="http://127.0.0.1:$port"
  fi
  if [[ "${CLIENT:-cpp}" == node ]]; then
    "${client[@]}" bench/realtime/load.mjs "$target" "$url" "$work/tokens.json" "$PER_USER" \
      "$server_pid" "$redis" "$RATE" "$DURATION"
  else
    "${on_core0[@]}" "$(dirname "$BIN")/companion_realtime_load" "$target" "$url" \
      "$work/tokens.json" "$PER_USER" "$server_pid" "$redis" "$RATE" "$DURATION"
  fi
  [[ "$target" != ours ]] && kill "$server_pid" 2>/dev/null || true
done
