#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests, on a free loopback port.
#   pg-test-cluster.sh start DIR   -> prints the connection URL; DIR is created
#   pg-test-cluster.sh stop DIR
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# `postgres` system user (created by the postgresql package).
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$PGBIN/initdb" ]] || { echo "PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
      chmod a+x "$(dirname "$dir")"  # the server user must reach its directory
      chown postgres:postgres "$dir" && chmod 700 "$dir"
    fi
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [[ -d "$dir/data" ]] && as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
