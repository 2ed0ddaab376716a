# Shared by the bench scripts (sourced): start the real binary on a free
# loopback port with limits and access logs off, and talk to it.
# Expects: BIN, work (a scratch directory). Sets: pid, base.

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
json_field() { python3 -c "import sys,json;print(json.load(sys.stdin)$1)"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
# utime + stime of a process, all its threads, in clock ticks (getconf CLK_TCK).
cpu_ticks() { cut -d')' -f2- "/proc/$1/stat" | awk '{print $12 + $13}'; }
# seconds_of COMMAND...: runs it, prints its wall time in seconds.
seconds_of() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  python3 -c "print($end-$start)"
}

# wait_healthy BASE_URL LOG NAME: polls BASE_URL/healthz for up to 10 s;
# prints LOG and fails when it never answers.
wait_healthy() {
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1/healthz" 2>/dev/null && return 0; sleep 0.1; done
  echo "$3 did not start:" >&2
  cat "$2" >&2
  return 1
}

# start_server DATA_DIR [extra serve flags...]
start_server() {
  local data=$1 port
  shift
  port=$(free_port)
  "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$data" --access-log false --log-level warn \
    --rate-limit-ip off --rate-limit-user off --rate-limit-auth off "$@" >"$data.log" 2>&1 &
  pid=$!
  base="http://127.0.0.1:$port"
  wait_healthy "$base" "$data.log" "the server"
}

# register_token EMAIL -> prints an access token
register_token() {
  curl -fsS -XPOST "$base/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"correct horse battery\",\"displayName\":\"Bench\"}" |
    json_field "['accessToken']"
}

# new_interview TOKEN TITLE -> prints the new interview's id
new_interview() {
  curl -fsS -XPOST "$base/v1/interviews" -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' -d "{\"title\":\"$2\"}" | json_field "['id']"
}

# make_call MINUTES OUT: a two-speaker call (flite voices rms and slt, one a
# channel, taking turns: four exchanges of different lengths, repeated),
# 16 kHz stereo WAV. Works in the current directory.
make_call() {
  local minutes=$1 out=$2 i q len block repeats
  local parts=() list=() questions answers
  # Four exchanges of different lengths, so segments are not all alike.
  questions=("Tell me about a time you solved a hard problem." "What would you do differently next time?"
    "How do you handle a disagreement with your manager?" "Why do you want to work here?")
  answers=("I worked with the team to find the problem and we fixed it in two weeks."
    "I would ask for help sooner and write the plan down before starting."
    "I listen first, then I bring data, and we agree on a small experiment."
    "Your product helps people and I want to build tools that make their work easier.")
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
  for _ in $(seq "$repeats"); do list+=(block.wav); done
  sox -V1 "${list[@]}" "$out" trim 0 "$((minutes * 60))"
}
