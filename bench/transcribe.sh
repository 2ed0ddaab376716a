#!/usr/bin/env bash
# Transcription of a 60-minute two-speaker recording (generated: flite
# voices, one per channel, taking turns), end to end against the raw
# recogniser on the same segments; prints a Markdown row for
# docs/benchmarks.md.
#   bench/transcribe.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${COMPANION_BENCH:-$PWD/build/companion_bench}
source bench/lib.sh
minutes=${1:-60}
work=$(mktemp -d /tmp/companion-transcribe.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
make_call "$minutes" call.wav

COMPANION_BENCH_AUDIO="$work/call.wav" "$BENCH" --benchmark_filter=Transcribe \
  --benchmark_format=json 2>/dev/null >result.json
python3 - result.json "$minutes" <<'PY'
import json, sys, os
b = json.load(open(sys.argv[1]))["benchmarks"][0]
print(f"Machine: {os.cpu_count()} cores; {sys.argv[2]}-minute two-speaker recording; 2 recogniser threads")
print("| audio | wall | real-time factor | raw recogniser | overhead | peak RSS | segments |")
print("|---:|---:|---:|---:|---:|---:|---:|")
print(f"| {b['audio_s']/60:.1f} min | {b['wall_s']:.0f} s ({b['wall_s']/60:.1f} min) | {b['rtf']:.3f} | "
      f"{b['raw_s']:.0f} s | {b['overhead_pct']:.1f} % | {b['peak_rss_mb']:.0f} MB | {b['segments']:.0f} |")
PY
