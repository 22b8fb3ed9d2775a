#!/bin/sh
# tests/run.sh: corpusd's test runner (called by `make test`).
#
# Runs the whole suite twice: with the release build (bin/corpusd,
# build/rel/unit-tests) and with the ASan+UBSan build (build/san/...).
# The suite is the unit-test binary plus every script tests/**/*_test.sh.
# A script passes with exit 0, is skipped with exit 77 (it must print why),
# and fails otherwise. The last line is "N passed, N failed, N skipped".
#
#   sh tests/run.sh            both modes
#   MODES=rel sh tests/run.sh  one mode
#   sh tests/run.sh --gpu      GPU tests too (make test-gpu)
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
MODES=${MODES:-"rel san"}
FILTER=${FILTER:-}
export CORPUSD_TEST_GPU=0
[ "${1:-}" = "--gpu" ] && export CORPUSD_TEST_GPU=1
# Debian's python3 (with numpy), not a pyenv shim that may lack it.
if [ -x /usr/bin/python3 ]; then export PYTHON=/usr/bin/python3; else export PYTHON=python3; fi
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if [ -d "$ROOT/../shared/data" ]; then export CORPUSD_SHARED="$ROOT/../shared/data"; fi

passed=0; failed=0; skipped=0
failures=""
LOG=$(mktemp)

for mode in $MODES; do
  if [ "$mode" = rel ]; then
    export CORPUSD="$ROOT/bin/corpusd"; unit="$ROOT/build/rel/unit-tests"
  else
    export CORPUSD="$ROOT/build/san/corpusd"; unit="$ROOT/build/san/unit-tests"
  fi
  export CORPUSD_MODE=$mode
  echo "== $mode: unit tests"
  if [ -x "$unit" ]; then
    # shellcheck disable=SC2086
    "$unit" $FILTER >"$LOG" 2>&1
    grep -a -E '^(PASS|FAIL|SKIP) ' "$LOG" | sed "s/^/[$mode] /"
    p=$(grep -a -c '^PASS ' "$LOG"); f=$(grep -a -c '^FAIL ' "$LOG"); s=$(grep -a -c '^SKIP ' "$LOG")
    if ! grep -a -q '^unit: ' "$LOG"; then
      echo "[$mode] FAIL unit-tests: runner crashed"; tail -20 "$LOG"; f=$((f + 1))
    fi
    if [ "$f" -gt 0 ]; then
      sed -n '/^    /p;/ERROR: /,/^$/p' "$LOG" | head -60
      failures="$failures $(grep -a '^FAIL ' "$LOG" | sed "s/^FAIL \([^:]*\).*/[$mode]\1/" | tr '\n' ' ')"
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  else
    echo "[$mode] FAIL unit-tests: $unit not built"; failed=$((failed + 1))
  fi
  echo "== $mode: script tests"
  for t in $(find tests -name '*_test.sh' -not -path '*/node_modules/*' | sort); do
    name=${t#tests/}
    if [ -n "$FILTER" ] && ! echo "$name" | grep -q "$FILTER"; then continue; fi
    start=$(date +%s)
    sh "$t" >"$LOG" 2>&1
    rc=$?
    dur=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then
      echo "[$mode] PASS $name (${dur}s)"; passed=$((passed + 1))
    elif [ $rc -eq 77 ]; then
      echo "[$mode] SKIP $name: $(tail -1 "$LOG")"; skipped=$((skipped + 1))
    else
      echo "[$mode] FAIL $name (exit $rc, ${dur}s)"; tail -30 "$LOG" | sed 's/^/    /'
      failed=$((failed + 1)); failures="$failures [$mode]$name"
    fi
  done
done
rm -f "$LOG"
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
