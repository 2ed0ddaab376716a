#!/usr/bin/env bash
# N concurrent uploads (default 50 × 10 MiB WAV) to one server, first as
# direct PUTs (curl), then with tus (tus-js-client, 2 MiB chunks): every one
# must succeed; reports wall time, aggregate MB/s and RSS growth of each.
# One user makes them all, so its limits on uploads streaming and open at
# once are raised to N; the pipeline does not run (--workers none).
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
start_server "$work/data" --workers none --max-concurrent-uploads "$N" --max-open-uploads "$N"
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
put_row=$(python3 -c "print(f'| direct PUT | $N | $ok | {($end-$start):.1f} | {$N*$size/1e6/($end-$start):.0f} | $(( (peak_kb - idle_kb) / 1024 )) MB |')")
put_ok=$ok
kill "$pid"; wait "$pid" 2>/dev/null || true
rm -rf "$work/data"

# The same with tus, on a fresh server.
start_server "$work/data" --workers none --max-concurrent-uploads "$N" --max-open-uploads "$N"
token=$(register_token bench@example.com)
ids=()
for i in $(seq 1 "$N"); do ids+=("$(new_interview "$token" "bench $i")"); done
idle_kb=$(rss_kb "$pid")
read -r tus_ok tus_s < <(node bench/tus-concurrent.mjs "$base/v1/uploads" "$token" "$work/in.wav" 2 "${ids[@]}")
peak_kb=$(hwm_kb "$pid")
uploaded=0
for id in "${ids[@]}"; do
  s=$(curl -fsS "$base/v1/interviews/$id" -H "Authorization: Bearer $token" | json_field "['status']")
  [[ "$s" == uploaded ]] && uploaded=$((uploaded + 1))
done
tus_row=$(python3 -c "print(f'| tus | $N | $uploaded | {$tus_s:.1f} | {$N*$size/1e6/$tus_s:.0f} | $(( (peak_kb - idle_kb) / 1024 )) MB |')")

echo "Machine: $(nproc) cores; $(date -u +%Y-%m-%d); $N uploads of $((size / 1048576)) MiB at once"
echo "| how | uploads | succeeded | wall s | aggregate MB/s | RSS growth |"
echo "|---|---:|---:|---:|---:|---:|"
echo "$put_row"
echo "$tus_row"
[[ "$put_ok" == "$N" && "$tus_ok" == "$N" && "$uploaded" == "$N" ]]
