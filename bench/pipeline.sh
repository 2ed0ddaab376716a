#!/usr/bin/env bash
# The whole pipeline through the real binary: a generated two-speaker call
# (bench/lib.sh make_call) is uploaded to `serve` on the embedded defaults
# (SQLite, files, embedded queue, stages in-process), and timed from the
# upload's answer to `completed`: decode, segmentation, recognition,
# checkpoints, progress writes, the transcript's save, the analysis. Prints
# a Markdown row for docs/benchmarks.md with the server's peak RSS.
#   bench/pipeline.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${COMPANION_BIN:-$PWD/build/interview-companion}
source bench/lib.sh
minutes=${1:-60}
work=$(mktemp -d /tmp/companion-pipeline.XXXXXX)
pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
make_call "$minutes" call.wav

# One transcription with both cores, as bench/transcribe.sh measures.
start_server "$work/data" --transcribe-concurrency 1 --asr-threads 2
idle_kb=$(rss_kb "$pid")
token=$(register_token "bench@example.com")
id=$(new_interview "$token" "Pipeline bench")
curl -fsS -o /dev/null -XPUT "$base/v1/interviews/$id/recording" -H "Authorization: Bearer $token" \
  -H 'Content-Type: audio/wav' -H 'Recording-Consent: all-parties' --data-binary @call.wav
start=$(date +%s.%N)
deadline=$((SECONDS + minutes * 60))  # never longer than real time
status=
while ((SECONDS < deadline)); do
  status=$(curl -fsS "$base/v1/interviews/$id" -H "Authorization: Bearer $token" |
    json_field "['status']")
  [[ $status == completed || $status == failed ]] && break
  sleep 1
done
end=$(date +%s.%N)
[[ $status == completed ]] || { echo "ended $status" >&2; exit 1; }
segments=$(curl -fsS "$base/v1/interviews/$id/transcript" -H "Authorization: Bearer $token" |
  json_field "['segments'].__len__()")
python3 - "$minutes" "$start" "$end" "$(hwm_kb "$pid")" "$idle_kb" "$segments" <<'PY'
import os, sys
minutes, start, end, hwm, idle, segments = sys.argv[1:]
wall = float(end) - float(start)
print(f"Machine: {os.cpu_count()} cores; {minutes}-minute two-speaker call through `serve` (SQLite, embedded queue)")
print("| audio | upload to completed | real-time factor | server peak RSS | server idle RSS | segments |")
print("|---:|---:|---:|---:|---:|---:|")
print(f"| {float(minutes):.1f} min | {wall:.0f} s ({wall/60:.1f} min) | {wall/(float(minutes)*60):.3f} | "
      f"{int(hwm)/1024:.0f} MB | {int(idle)/1024:.0f} MB | {segments} |")
PY
