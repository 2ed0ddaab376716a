#!/usr/bin/env bash
# Runs every test layer against one shared build and prints the closing
# line "N passed, M failed":
#   1. unit and component tests (GoogleTest through CTest, in parallel), the
#      component ones against real SQLite and a real PostgreSQL started here;
#   2. end-to-end tests (node --test) against the real binary;
#   3. the shared contract check on SQLite and on PostgreSQL;
#   4. the OpenAPI document linted by @redocly/cli;
#   5. the sanitizer layer (scripts/test-sanitize.sh): a clang ASan + UBSan
#      build, the unit tests in it, and each fuzz target briefly.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
work=$(mktemp -d /tmp/companion-test.XXXXXX)
chmod 755 "$work"
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  scripts/pg-test-cluster.sh stop "$work/pg"
  scripts/s3-test-server.sh stop "$work/s3"
  rm -rf "$work"
}
trap cleanup EXIT

source scripts/count.sh

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# Waits for GET /healthz on a port, for a bounded time.
wait_healthy() {
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$1/healthz" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

echo "== starting PostgreSQL"
if ! PG_URL=$(scripts/pg-test-cluster.sh start "$work/pg"); then
  echo "could not start PostgreSQL"
  echo "0 passed, 1 failed"
  exit 1
fi
export COMPANION_TEST_PG_URL=$PG_URL
echo "== starting s3rver"
if ! S3_ENDPOINT=$(scripts/s3-test-server.sh start "$work/s3"); then
  echo "could not start s3rver"
  echo "0 passed, 1 failed"
  exit 1
fi
export COMPANION_TEST_S3_ENDPOINT=$S3_ENDPOINT
export COMPANION_TEST_S3_DIR=$work/s3/data
export COMPANION_BINARY=$ROOT/$BUILD/interview-companion
export COMPANION_ROOT=$ROOT

# 1. GoogleTest suites.
echo "== unit and component tests"
ctest --test-dir "$BUILD" -j "$JOBS" --output-on-failure --timeout 300 >"$work/ctest.log" 2>&1
grep -E '^\s*[0-9]+/[0-9]+ Test' "$work/ctest.log" | grep -v ' Passed ' | head -50
sed -n '/The following tests FAILED/,$p' "$work/ctest.log"
sed -n '/Output from these tests/,/^$/p' "$work/ctest.log" | head -5
g_total=$(grep -oE 'tests failed out of [0-9]+' "$work/ctest.log" | grep -oE '[0-9]+$' || echo 0)
g_failed=$(grep -oE '[0-9]+ tests failed' "$work/ctest.log" | grep -oE '^[0-9]+' || echo 0)
if [[ -z "$g_total" || "$g_total" == 0 ]]; then
  tail -30 "$work/ctest.log"
  count "unit + component (ctest)" 0 1
else
  count "unit + component (ctest)" $((g_total - g_failed)) "$g_failed"
fi
if [[ "$g_failed" != 0 ]]; then grep -B2 -A20 '\*\*\*Failed\|FAILED  \]' "$work/ctest.log" | head -120; fi

# 2. End-to-end tests against the binary.
echo "== end-to-end tests"
node --test --test-reporter=tap --test-concurrency="$JOBS" tests/e2e/ >"$work/e2e.log" 2>&1
e_pass=$(grep -E '^# pass ' "$work/e2e.log" | awk '{print $3}')
e_fail=$(grep -E '^# fail ' "$work/e2e.log" | awk '{print $3}')
if [[ -z "$e_pass" ]]; then tail -40 "$work/e2e.log"; e_pass=0; e_fail=1; fi
# The failing tests themselves (at any depth), with their errors.
[[ "$e_fail" != 0 ]] &&
  grep -B6 -A40 "failureType: '\(testCodeFailure\|hookFailed\|testTimeoutFailure\|cancelledByParent\)'" \
    "$work/e2e.log" | head -400
count "end-to-end (node --test)" "$e_pass" "$e_fail"

# 3. The shared contract, black-box, on both databases.
contract() {  # contract NAME DATABASE_URL
  local name=$1 url=$2 port dir log
  port=$(free_port)
  dir="$work/contract-$name"
  mkdir -p "$dir"
  "$COMPANION_BINARY" serve --listen "127.0.0.1:$port" --data-dir "$dir" ${url:+--database-url "$url"} \
    >"$dir/server.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  if ! wait_healthy "$port"; then
    tail -20 "$dir/server.log"
    count "contract ($name)" 0 1
    return
  fi
  timeout 120 ../shared/conformance/contract.sh "http://127.0.0.1:$port" >"$dir/contract.log" 2>&1
  grep '^FAIL' "$dir/contract.log"
  local line
  line=$(tail -n 1 "$dir/contract.log")
  if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    count "contract ($name)" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  else
    tail -20 "$dir/contract.log"
    count "contract ($name)" 0 1
  fi
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
echo "== contract checks"
if [[ -x ../shared/conformance/contract.sh ]] || [[ -f ../shared/conformance/contract.sh ]]; then
  contract sqlite ""
  pg_db="contract_$(date +%s%N)"
  psql "$PG_URL" -qAt -c "CREATE DATABASE $pg_db" >/dev/null
  contract postgresql "${PG_URL%/*}/$pg_db"
else
  echo "../shared/conformance/contract.sh not found"
  count "contract" 0 1
fi

# 4. OpenAPI lint.
echo "== OpenAPI lint"
if tests/tools/node_modules/.bin/redocly lint --format=stylish docs/openapi.json >"$work/redocly.log" 2>&1; then
  count "openapi lint (redocly)" 1 0
else
  tail -40 "$work/redocly.log"
  count "openapi lint (redocly)" 0 1
fi

# 5. Sanitizers and fuzzing: its own build tree, its steps counted here.
scripts/test-sanitize.sh >"$work/sanitize.log" 2>&1
while IFS= read -r line; do
  if [[ "$line" =~ ^==\ (.*[^\ ])\ +([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    count "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
  else
    # Progress lines, the fuzz targets' result lines and any failure's detail.
    [[ "$line" =~ ^[0-9]+\ passed, ]] || echo "$line"
  fi
done <"$work/sanitize.log"
grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$work/sanitize.log" || count "sanitizers (test-sanitize.sh)" 0 1

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
