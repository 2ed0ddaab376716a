#!/usr/bin/env bash
# Transcription of a 60-minute two-speaker recording (generated: flite
# voices, one per channel, taking turns), end to end against the raw
# recogniser on the same segments; prints a Markdown row for
# docs/benchmarks.md.
#   bench/transcribe.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${COMPANION_BENCH:-$PWD/build/companion_bench}
minutes=${1:-60}
work=$(mktemp -d /tmp/companion-transcribe.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Four exchanges of different lengths, so segments are not all alike.
questions=("Tell me about a time you solved a hard problem." "What would you do differently next time?"
  "How do you handle a disagreement with your manager?" "Why do you want to work here?")
answers=("I worked with the team to find the problem and we fixed it in two weeks."
  "I would ask for help sooner and write the plan down before starting."
  "I listen first, then I bring data, and we agree on a small experiment."
  "Your product helps people and I want to build tools that make their work easier.")
parts=()
for i in 0 1 2 3; do
  flite -voice rms -t "${questions[$i]}" -o q$i.wav
  flite -voice slt -t "${answers[$i]}" -o a$i.wav
  q=$(soxi -D q$i.wav)
  sox -V1 -D q$i.wav -r 16000 l$i.wav pad 0.4 0
  sox -V1 -D a$i.wav -r 16000 r$i.wav pad "$(python3 -c "print($q + 0.9)")" 0
  len=$(python3 -c "print(max($(soxi -D l$i.wav), $(soxi -D r$i.wav)) + 0.8)")
  sox -V1 -D l$i.wav l$i-p.wav pad 0 "$(python3 -c "print($len - $(soxi -D l$i.wav))")"
  sox -V1 -D r$i.wav r$i-p.wav pad 0 "$(python3 -c "print($len - $(soxi -D r$i.wav))")"
  sox -V1 -D -M l$i-p.wav r$i-p.wav d$i.wav
  parts+=(d$i.wav)
done
sox -V1 "${parts[@]}" block.wav
block=$(soxi -D block.wav)
repeats=$(python3 -c "import math; print(math.ceil($minutes * 60 / $block))")
list=()
for _ in $(seq "$repeats"); do list+=(block.wav); done
sox -V1 "${list[@]}" call.wav trim 0 "$((minutes * 60))"

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
