#!/usr/bin/env bash
# Upload cost of the real binary through loopback, filesystem store,
# encryption on, against the peer reference, all in one run:
#   - tus with tus-js-client (CHUNK_MIB chunks) of one SIZE_MIB WAV to
#     interview-companion, then the same client and file to @tus/server with
#     @tus/file-store: MiB/s and the server process's CPU-seconds per GiB
#     (utime + stime from /proc/PID/stat, before and after) for both, and
#     the ratios;
#   - N concurrent tus uploads of a CONC_MIB WAV to interview-companion:
#     aggregate MiB/s against the single upload's, and RSS growth;
#   - one direct PUT with curl, and `dd` of the same bytes to the same disk.
# RSS growth is VmHWM minus the idle VmRSS, each on a fresh server. The
# pipeline does not run (--workers none): only the upload is measured.
#
#   bench/upload.sh [SIZE_MIB] [CHUNK_MIB] [N] [CONC_MIB]   (defaults 1024 8 8 256)
#
# PROFILE=FILE records `perf record -g` of our server during the single tus
# upload into FILE (its CPU figure then includes perf's own cost).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${COMPANION_BINARY:-$PWD/build/interview-companion}
MIB=${1:-1024}
CHUNK=${2:-8}
N=${3:-8}
CONC_MIB=${4:-256}
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
make_wav() { sox -n -r 48000 -c 2 -b 16 "$2" synth "$(($1 * 1048576 / (48000 * 4)))" sine 440 2>/dev/null; }
make_wav "$MIB" "$work/in.wav"
size=$(stat -c %s "$work/in.wav")
make_wav "$CONC_MIB" "$work/conc.wav"
conc_size=$(stat -c %s "$work/conc.wav")

py() { python3 -c "print($1)"; }
mibs() { py "round($1/1048576/$2,1)"; }             # BYTES SECONDS
cpu_per_gib() { py "round($1/$(getconf CLK_TCK)/($2/2**30),2)"; }  # TICKS BYTES
stop_server() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; rm -rf "$work/data"; }
# A fresh server (its peak is its own) with a user and an interview; its
# idle RSS and the CPU it has used so far.
fresh_server() {
  start_server "$work/data" --workers none "$@"
  token=$(register_token bench@example.com)
  id=$(new_interview "$token" bench)
  idle_kb=$(rss_kb "$pid")
  sync
  cpu0=$(cpu_ticks "$pid")
}
meta() { printf '{"interviewId":"%s","consent":"self-only","filename":"in.wav"}' "$1"; }

# tus to interview-companion.
fresh_server
if [[ -n "${PROFILE:-}" ]]; then
  perf record -g -o "$PROFILE" -p "$pid" 2>/dev/null &
  perf_pid=$!
  sleep 0.5
fi
tus_s=$(node bench/tus-upload.mjs "$base/v1/uploads" "$work/in.wav" "$CHUNK" "$token" "$(meta "$id")")
cpu1=$(cpu_ticks "$pid")
if [[ -n "${PROFILE:-}" ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
tus_mibs=$(mibs "$size" "$tus_s")
tus_cpu=$(cpu_per_gib $((cpu1 - cpu0)) "$size")
tus_kb=$(($(hwm_kb "$pid") - idle_kb))
status=$(curl -fsS "$base/v1/interviews/$id" -H "Authorization: Bearer $token" | json_field "['status']")
[[ "$status" == uploaded ]] || { echo "the tus upload did not become a recording ($status)" >&2; exit 1; }
stop_server

# The peer: @tus/server (file store) with the same client, file and chunks.
mkdir -p "$work/peer"
port=$(free_port)
node bench/tus-peer-server.mjs "$port" "$work/peer" >"$work/peer.log" 2>&1 &
peer=$!
for _ in $(seq 1 100); do grep -q listening "$work/peer.log" 2>/dev/null && break; sleep 0.1; done
peer_idle_kb=$(rss_kb "$peer")
sync
cpu0=$(cpu_ticks "$peer")
peer_s=$(node bench/tus-upload.mjs "http://127.0.0.1:$port/files" "$work/in.wav" "$CHUNK")
cpu1=$(cpu_ticks "$peer")
peer_mibs=$(mibs "$size" "$peer_s")
peer_cpu=$(cpu_per_gib $((cpu1 - cpu0)) "$size")
peer_kb=$(($(hwm_kb "$peer") - peer_idle_kb))
kill "$peer"; wait "$peer" 2>/dev/null || true
peer=
rm -rf "$work/peer"
sync  # the peer's unsynced bytes must not slow what follows

# N concurrent tus uploads (one user; the per-user stream and open-upload
# limits raised to N).
fresh_server --max-concurrent-uploads "$N" --max-open-uploads "$N"
ids=()
for i in $(seq 1 "$N"); do ids+=("$(new_interview "$token" "bench $i")"); done
read -r conc_ok conc_s < <(node bench/tus-concurrent.mjs "$base/v1/uploads" "$token" "$work/conc.wav" "$CHUNK" "${ids[@]}")
cpu1=$(cpu_ticks "$pid")
conc_mibs=$(mibs $((N * conc_size)) "$conc_s")
conc_cpu=$(cpu_per_gib $((cpu1 - cpu0)) $((N * conc_size)))
conc_kb=$(($(hwm_kb "$pid") - idle_kb))
uploaded=0
for id in "${ids[@]}"; do
  s=$(curl -fsS "$base/v1/interviews/$id" -H "Authorization: Bearer $token" | json_field "['status']")
  [[ "$s" == uploaded ]] && uploaded=$((uploaded + 1))
done
stop_server

# One direct PUT (a fresh server, so its peak is its own).
fresh_server
put_s=$(seconds_of curl -fsS -o /dev/null -XPUT "$base/v1/interviews/$id/recording" \
  -H "Authorization: Bearer $token" -H 'Content-Type: audio/wav' -H 'Recording-Consent: self-only' \
  -T "$work/in.wav")
cpu1=$(cpu_ticks "$pid")
put_mibs=$(mibs "$size" "$put_s")
put_cpu=$(cpu_per_gib $((cpu1 - cpu0)) "$size")
put_kb=$(($(hwm_kb "$pid") - idle_kb))
stop_server

sync
dd_s=$(seconds_of dd if="$work/in.wav" of="$work/dd.out" bs=1M conv=fsync status=none)
dd_mibs=$(mibs "$size" "$dd_s")

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1e6}' /proc/meminfo); $(date -u +%Y-%m-%d); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "File: $((size / 1048576)) MiB WAV; tus-js-client, $CHUNK MiB chunks; concurrent: $N x $((conc_size / 1048576)) MiB"
echo "| what | MiB/s | server CPU-s/GiB | server RSS growth |"
echo "|---|---:|---:|---:|"
echo "| tus → interview-companion (encrypted, fsynced per PATCH, probed) | $tus_mibs | $tus_cpu | $((tus_kb / 1024)) MB |"
echo "| tus → @tus/server + @tus/file-store (plaintext, no fsync) | $peer_mibs | $peer_cpu | $((peer_kb / 1024)) MB |"
echo "| $N concurrent tus → interview-companion ($uploaded/$N uploaded, $conc_ok/$N client ok) | $conc_mibs | $conc_cpu | $((conc_kb / 1024)) MB |"
echo "| PUT (curl -T) → interview-companion | $put_mibs | $put_cpu | $((put_kb / 1024)) MB |"
echo "| dd bs=1M conv=fsync, same disk | $dd_mibs | | |"
echo "ours/peer: MiB/s $(py "round($tus_mibs/$peer_mibs,2)")x, CPU-s/GiB $(py "round($tus_cpu/$peer_cpu,2)")x;" \
  "concurrent aggregate / single: $(py "round($conc_mibs/$tus_mibs,2)")x"
[[ "$uploaded" == "$N" && "$conc_ok" == "$N" ]]
