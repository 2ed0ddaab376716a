# Sourced by the test scripts: the running totals behind the closing line
# "N passed, M failed", and one "== NAME  N passed, M failed" line per step.
passed=0
failed=0
count() {  # count NAME PASSED FAILED
  passed=$((passed + $2))
  failed=$((failed + $3))
  printf '== %-40s %s passed, %s failed\n' "$1" "$2" "$3"
}
