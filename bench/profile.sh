#!/usr/bin/env bash
# A flame graph of the server under wrk load, on the embedded defaults:
# perf samples the server at 400 Hz with DWARF call stacks for 5 s while
# wrk -t1 -c64 drives one route; bench/flamegraph.py draws the SVG.
#
#   bench/profile.sh healthz|interview OUT.svg
#
# Needs perf (linux-perf). Bounded: about 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${COMPANION_BINARY:-$ROOT/build/interview-companion}
WHAT=${1:?healthz or interview}
SVG=${2:?output SVG}
command -v perf >/dev/null || { echo "perf is required (apt-get install linux-perf)" >&2; exit 1; }
work=$(mktemp -d /tmp/companion-profile.XXXXXX)
pid=
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source bench/lib.sh
start_server "$work/data"
token=$(register_token "profile@example.com")
case $WHAT in
  healthz) url="$base/healthz"; title="GET /healthz" ;;
  interview) url="$base/v1/interviews/$(new_interview "$token" Profiled)"; title="GET /v1/interviews/{id}" ;;
  *) echo "unknown route: $WHAT" >&2; exit 1 ;;
esac
wrk -t1 -c64 -d8s -H "Authorization: Bearer $token" "$url" >/dev/null &
load=$!
sleep 1
perf record -q -F 400 --call-graph dwarf,16384 -p "$pid" -o "$work/perf.data" -- sleep 5 >/dev/null 2>&1
wait "$load"
perf script -i "$work/perf.data" 2>/dev/null |
  python3 bench/flamegraph.py --title "interview-companion serve (SQLite), $title, wrk -t1 -c64, $(date -u +%Y-%m-%d)" >"$SVG"
echo "written to $SVG"
