# Shared by the bench scripts (sourced): start the real binary on a free
# loopback port with limits and access logs off, and talk to it.
# Expects: BIN, work (a scratch directory). Sets: pid, base.

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
json_field() { python3 -c "import sys,json;print(json.load(sys.stdin)$1)"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# start_server DATA_DIR [extra serve flags...]
start_server() {
  local data=$1 port
  shift
  port=$(free_port)
  "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$data" --access-log false --log-level warn \
    --rate-limit-ip off --rate-limit-user off --rate-limit-auth off "$@" >"$data.log" 2>&1 &
  pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && return 0; sleep 0.1; done
  echo "server did not start:" >&2
  cat "$data.log" >&2
  return 1
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
