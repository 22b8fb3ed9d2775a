#!/bin/sh
# tests/fuzz/run.sh SECONDS: runs every libFuzzer target in build/fuzz for a
# few seconds each, seeded from tests/fuzz/corpus/<target>/ when present.
# Fails if any target finds a crash, leak or hang.
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${1:-15}
fail=0; n=0
for bin in build/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
  echo "== $name (${secs}s)"
  if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
    echo "FAIL $name"; tail -40 "$work.log"; fail=$((fail + 1))
    # keep the crashing input for reproduction: build/fuzz/crashes/<target>-*
    mkdir -p build/fuzz/crashes
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      [ -f "$a" ] && cp "$a" "build/fuzz/crashes/$name-$(basename "$a")" && echo "kept build/fuzz/crashes/$name-$(basename "$a")"
    done
  else
    echo "PASS $name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | tail -1 || true))"
    tail -1 "$work.log"
  fi
  n=$((n + 1))
  rm -rf "$work" "$work.log"
done
echo "fuzz: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
