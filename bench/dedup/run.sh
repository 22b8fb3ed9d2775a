#!/bin/sh
# bench/dedup/run.sh: dedup benchmarks.
#  1. MinHash signing throughput per core (CPU time of one thread, so a busy
#     shared machine does not distort it) for the FineWeb and Nemotron-CC
#     presets and the code preset, each SIMD kernel, against the datatrove signing algorithm in
#     numpy (datatrove itself is on PyPI, which is not reachable here).
#  2. End-to-end `corpusd dedup` time and peak RSS (/usr/bin/time -v) on
#     DOCS synthetic documents with --memory MEM, and on BIG_DOCS to show that
#     memory stays flat as the input grows.
#  3. Accuracy per similarity bucket for both presets (ACCURACY=0 skips).
# Parameters (environment): DOCS=1000000 BIG_DOCS=4000000 (0 = skip) MEM=1G
# THREADS=2 WORK=/tmp/corpusd-bench-dedup CHECK_E2E=1 (end to end again with the exact Jaccard check)
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
PYTHON=${PYTHON:-/usr/bin/python3}
DOCS=${DOCS:-1000000}
BIG_DOCS=${BIG_DOCS:-4000000}
MEM=${MEM:-1G}
THREADS=${THREADS:-2}
WORK=${WORK:-/tmp/corpusd-bench-dedup}
mkdir -p "$WORK"
if ! "$PYTHON" -c "import xxhash, numpy" 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq python3-xxhash python3-numpy >/dev/null 2>&1 || true; fi
fi

echo "== signing throughput (one thread; per core = per CPU-second)"
[ -f "$WORK/prose/in-00.jsonl" ] || "$PYTHON" bench/dedup/../../tests/dedup/gen_neardup.py "$WORK/prose" \
  --pairs-per-bucket 1000 --files 1 >/dev/null
for preset in fineweb nemotron code; do
  for k in avx512 avx2 scalar; do
    CORPUSD_SIMD=$k "$CORPUSD" dedup-bench "$WORK/prose/in-00.jsonl" --config "configs/dedup-$preset.yaml" \
      --docs 20000 --repeat 2 | sed "s/^/  /"
  done
done
if "$PYTHON" -c "import xxhash, numpy" 2>/dev/null; then
  "$PYTHON" bench/dedup/datatrove_sign.py "$WORK/prose/in-00.jsonl" 2000 | sed "s/^/  /"
else
  echo "  peer skipped: python3-xxhash not installed (apt-get install python3-xxhash)"
fi

if [ "${ACCURACY:-1}" = 1 ]; then
  echo "== accuracy: detection per similarity bucket vs 1-(1-s^r)^b (1000 planted pairs per bucket)"
  [ -f "$WORK/accw/truth.jsonl" ] || "$PYTHON" tests/dedup/gen_neardup.py "$WORK/accw" --pairs-per-bucket 1000 --files 2
  [ -f "$WORK/accc/truth.jsonl" ] || "$PYTHON" tests/dedup/gen_neardup.py "$WORK/accc" --pairs-per-bucket 1000 --files 2 --char 24
  for p in "fineweb accw 14 8" "nemotron accc 20 13"; do
    set -- $p
    rm -rf "$WORK/acc-out"
    "$CORPUSD" dedup "$WORK/$2"/in-*.jsonl -o "$WORK/acc-out" --config "configs/dedup-$1.yaml" \
      --rejects "$WORK/acc-out/rej.jsonl" 2>/dev/null
    echo "  preset $1 ($3 bands x $4 rows):"
    "$PYTHON" tests/dedup/check_accuracy.py "$WORK/$2/truth.jsonl" "$WORK/acc-out/rej.jsonl" "$3" "$4" | sed "s/^/    /" || true
  done
  rm -rf "$WORK/acc-out"
fi

e2e() {
  n=$1 cfg=${2:-configs/dedup-fineweb.yaml}
  d="$WORK/synth-$n"
  [ -f "$d/synth-00.jsonl" ] || "$PYTHON" bench/dedup/gen_synth.py "$d" "$n" 8
  rm -rf "$WORK/out-$n"
  /usr/bin/time -v "$CORPUSD" dedup "$d"/synth-*.jsonl -o "$WORK/out-$n" --config "$cfg" \
    --memory "$MEM" --threads "$THREADS" 2>"$WORK/time-$n.txt" || { tail -20 "$WORK/time-$n.txt"; return 1; }
  mb=$(du -sm "$d" | cut -f1)
  rss=$(grep "Maximum resident set size" "$WORK/time-$n.txt" | awk '{print $NF}')
  wall=$(grep "Elapsed (wall clock)" "$WORK/time-$n.txt" | awk '{print $NF}')
  cpu=$(grep -E "User time|System time" "$WORK/time-$n.txt" | awk '{s+=$NF} END {print s}')
  grep "^corpusd dedup:\|^  sign" "$WORK/time-$n.txt" | sed "s/^/  /"
  printf "  docs=%s input_MB=%s memory=%s wall=%s cpu_s=%s peak_RSS_MB=%d\n" "$n" "$mb" "$MEM" "$wall" "$cpu" $((rss / 1024))
  rm -rf "$WORK/out-$n"
}
echo "== end to end, FineWeb preset, --memory $MEM, $THREADS threads"
e2e "$DOCS"
[ "$BIG_DOCS" -gt 0 ] && e2e "$BIG_DOCS"
if [ "${CHECK_E2E:-1}" = 1 ]; then
  # The Jaccard check's cost: the same documents with the exact check (shingle
  # sets stored in the index, candidates verified by pread).
  printf 'dedup:\n  preset: fineweb\n  jaccard_check: exact\n  jaccard_threshold: 0.7\n' > "$WORK/fw-exact.yaml"
  echo "== end to end, FineWeb preset + jaccard_check: exact, --memory $MEM, $THREADS threads"
  e2e "$DOCS" "$WORK/fw-exact.yaml"
fi
exit 0
