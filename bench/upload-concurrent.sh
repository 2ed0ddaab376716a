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
source bench/lib.sh
sox -n -r 48000 -c 2 -b 16 "$work/in.wav" synth $(( MIB * 1048576 / 192000 )) sine 440 2>/dev/null
size=$(stat -c %s "$work/in.wav")
start_server "$work/data"
token=$(register_token bench@example.com)
ids=()
for i in $(seq 1 "$N"); do ids+=("$(new_interview "$token" "bench $i")"); done
idle_kb=$(rss_kb "$pid")
start=$(date +%s.%N)
for id in "${ids[@]}"; do
  curl -s -o /dev/null -w '%{http_code}\n' -XPUT "$base/v1/interviews/$id/recording" \
    -H "Authorization: Bearer $token" -H 'Content-Type: audio/wav' -H 'Recording-Consent: self-only' \
    --data-binary @"$work/in.wav" >>"$work/codes" &
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
end=$(date +%s.%N)
ok=$(grep -c '^201$' "$work/codes" || true)
peak_kb=$(hwm_kb "$pid")
echo "Machine: $(nproc) cores; $(date -u +%Y-%m-%d); $N uploads of $((size / 1048576)) MiB at once"
echo "| uploads | 201 | wall s | aggregate MB/s | RSS growth |"
echo "|---:|---:|---:|---:|---:|"
python3 -c "print(f'| $N | $ok | {($end-$start):.1f} | {$N*$size/1e6/($end-$start):.0f} | $(( (peak_kb - idle_kb) / 1024 )) MB |')"
[[ "$ok" == "$N" ]]
