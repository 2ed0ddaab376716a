#!/usr/bin/env bash
# N concurrent direct uploads (default 50 × 10 MiB WAV) to one server:
# every one must end 201; reports wall time, aggregate MB/s and peak RSS.
#   bench/upload-concurrent.sh [N] [MIB_EACH]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${COMPANION_BINARY:-$PWD/build/interview-companion}
N=${1:-50}
MIB=${2:-10}
work=$(mktemp -d /tmp/companion-upload.XXXXXX)
pid=
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
sox -n -r 48000 -c 2 -b 16 "$work/in.wav" synth $(( MIB * 1048576 / 192000 )) sine 440 2>/dev/null
size=$(stat -c %s "$work/in.wav")
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$BIN" serve --listen "127.0.0.1:$port" --data-dir "$work/data" --access-log false --log-level warn \
  --rate-limit-ip off --rate-limit-user off >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
token=$(curl -fsS -XPOST "$base/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com","password":"correct horse battery","displayName":"B"}' |
  python3 -c 'import sys,json;print(json.load(sys.stdin)["accessToken"])')
ids=()
for i in $(seq 1 "$N"); do
  ids+=("$(curl -fsS -XPOST "$base/v1/interviews" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"title\":\"bench $i\"}" |
    python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')")
done
idle_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
start=$(date +%s.%N)
for id in "${ids[@]}"; do
  curl -s -o /dev/null -w '%{http_code}\n' -XPUT "$base/v1/interviews/$id/recording" \
    -H "Authorization: Bearer $token" -H 'Content-Type: audio/wav' -H 'Recording-Consent: self-only' \
    --data-binary @"$work/in.wav" >>"$work/codes" &
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
end=$(date +%s.%N)
ok=$(grep -c '^201$' "$work/codes" || true)
peak_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
echo "Machine: $(nproc) cores; $(date -u +%Y-%m-%d); $N uploads of $((size / 1048576)) MiB at once"
echo "| uploads | 201 | wall s | aggregate MB/s | RSS growth |"
echo "|---:|---:|---:|---:|---:|"
python3 -c "print(f'| $N | $ok | {($end-$start):.1f} | {$N*$size/1e6/($end-$start):.0f} | $(( (peak_kb - idle_kb) / 1024 )) MB |')"
[[ "$ok" == "$N" ]]
