#!/usr/bin/env bash
# Upload throughput of the real binary: one direct PUT of a large WAV
# (default 1 GiB) through loopback with curl, filesystem store, encryption
# on; `dd` of the same bytes to the same disk as the physical reference.
# Reports MB/s and the server's RSS growth (VmHWM - idle VmRSS).
#
#   bench/upload.sh [SIZE_MIB]      (default 1024)
# (tus uploads and the @tus/server comparison come with the tus routes.)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${COMPANION_BINARY:-$PWD/build/interview-companion}
MIB=${1:-1024}
work=$(mktemp -d /tmp/companion-upload.XXXXXX)
pid=
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
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
idle_kb=$(rss_kb "$pid")
sync
start=$(date +%s.%N)
curl -fsS -o /dev/null -XPUT "$base/v1/interviews/$id/recording" -H "Authorization: Bearer $token" \
  -H 'Content-Type: audio/wav' -H 'Recording-Consent: self-only' --data-binary @"$work/in.wav"
end=$(date +%s.%N)
peak_kb=$(hwm_kb "$pid")
put_mbs=$(python3 -c "print(round($size/1e6/($end-$start),1))")

start=$(date +%s.%N)
dd if="$work/in.wav" of="$work/dd.out" bs=1M conv=fsync status=none
end=$(date +%s.%N)
dd_mbs=$(python3 -c "print(round($size/1e6/($end-$start),1))")

echo "Machine: $(nproc) cores; $(date -u +%Y-%m-%d); file: $((size / 1048576)) MiB WAV"
echo "| what | MB/s | RSS growth |"
echo "|---|---:|---:|"
echo "| PUT /v1/interviews/{id}/recording (curl, encrypted, probed) | $put_mbs | $(( (peak_kb - idle_kb) / 1024 )) MB |"
echo "| dd bs=1M conv=fsync, same disk | $dd_mbs | |"
