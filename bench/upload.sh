#!/usr/bin/env bash
# Upload throughput of the real binary through loopback, filesystem store,
# encryption on, of one large WAV (default 1 GiB):
#   - tus with tus-js-client streaming the file in CHUNK_MIB chunks;
#   - one direct PUT with curl;
# the same tus client against @tus/server with its file store (the peer
# reference), and `dd` of the same bytes to the same disk (the physical
# one). Reports MB/s and each server's RSS growth (VmHWM - idle VmRSS).
#
#   bench/upload.sh [SIZE_MIB] [CHUNK_MIB]      (defaults 1024, 50)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${COMPANION_BINARY:-$PWD/build/interview-companion}
MIB=${1:-1024}
CHUNK=${2:-50}
work=$(mktemp -d /tmp/companion-upload.XXXXXX)
pid=
peer=
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  [[ -n "$peer" ]] && kill "$peer" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source bench/lib.sh

# A WAV header in front of MIB MiB of PCM (16-bit stereo 48 kHz): a real,
# probe-able recording of the requested size, made without holding it in memory.
seconds=$(( MIB * 1048576 / (48000 * 4) ))
sox -n -r 48000 -c 2 -b 16 "$work/in.wav" synth "$seconds" sine 440 2>/dev/null
size=$(stat -c %s "$work/in.wav")

start_server "$work/data"
token=$(register_token bench@example.com)
id=$(new_interview "$token" bench)
mbs() { python3 -c "print(round($size/1e6/$1,1))"; }
seconds_of() {  # runs a command, prints its wall time in seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  python3 -c "print($end-$start)"
}

# tus, with the official client.
idle_kb=$(rss_kb "$pid")
b64() { printf %s "$1" | base64 -w0; }
sync
tus_s=$(node bench/tus-upload.mjs "$base/v1/uploads" "$work/in.wav" "$CHUNK" "$token" \
  "{\"interviewId\":\"$id\",\"consent\":\"self-only\",\"filename\":\"in.wav\"}")
tus_mbs=$(mbs "$tus_s")
tus_kb=$(( $(hwm_kb "$pid") - idle_kb ))
status=$(curl -fsS "$base/v1/interviews/$id" -H "Authorization: Bearer $token" | json_field "['status']")
[[ "$status" == uploaded ]] || { echo "the tus upload did not become a recording ($status)" >&2; exit 1; }
kill "$pid"; wait "$pid" 2>/dev/null || true
rm -rf "$work/data"

# One direct PUT (a fresh server, so its peak is its own).
start_server "$work/data"
token=$(register_token bench@example.com)
id=$(new_interview "$token" bench)
idle_kb=$(rss_kb "$pid")
sync
put_s=$(seconds_of curl -fsS -o /dev/null -XPUT "$base/v1/interviews/$id/recording" \
  -H "Authorization: Bearer $token" -H 'Content-Type: audio/wav' -H 'Recording-Consent: self-only' \
  -T "$work/in.wav")
put_mbs=$(mbs "$put_s")
put_kb=$(( $(hwm_kb "$pid") - idle_kb ))
kill "$pid"; wait "$pid" 2>/dev/null || true
pid=
rm -rf "$work/data"

# The peer: @tus/server (file store) with the same client and chunks.
mkdir -p "$work/peer"
port=$(free_port)
node bench/tus-peer-server.mjs "$port" "$work/peer" >"$work/peer.log" 2>&1 &
peer=$!
for _ in $(seq 1 100); do grep -q listening "$work/peer.log" 2>/dev/null && break; sleep 0.1; done
peer_idle_kb=$(rss_kb "$peer")
sync
peer_s=$(node bench/tus-upload.mjs "http://127.0.0.1:$port/files" "$work/in.wav" "$CHUNK")
peer_mbs=$(mbs "$peer_s")
peer_kb=$(( $(hwm_kb "$peer") - peer_idle_kb ))
kill "$peer"; wait "$peer" 2>/dev/null || true
peer=
rm -rf "$work/peer"

sync
dd_s=$(seconds_of dd if="$work/in.wav" of="$work/dd.out" bs=1M conv=fsync status=none)
dd_mbs=$(mbs "$dd_s")

echo "Machine: $(nproc) cores; $(date -u +%Y-%m-%d); file: $((size / 1048576)) MiB WAV; tus chunks: $CHUNK MiB"
echo "| what | MB/s | server RSS growth |"
echo "|---|---:|---:|"
echo "| tus (tus-js-client) to interview-companion, encrypted, probed | $tus_mbs | $((tus_kb / 1024)) MB |"
echo "| PUT /v1/interviews/{id}/recording (curl), encrypted, probed | $put_mbs | $((put_kb / 1024)) MB |"
echo "| tus (tus-js-client) to @tus/server + @tus/file-store | $peer_mbs | $((peer_kb / 1024)) MB |"
echo "| dd bs=1M conv=fsync, same disk | $dd_mbs | |"
echo "tus vs @tus/server: $(python3 -c "print(round($tus_mbs/$peer_mbs,2))")x; tus vs dd: $(python3 -c "print(round(100*$tus_mbs/$dd_mbs))")%"
