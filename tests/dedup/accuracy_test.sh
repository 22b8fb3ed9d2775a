#!/bin/sh
# accuracy_test.sh: near-duplicates planted at known Jaccard similarities
# (0.50-0.99, 10 buckets of 2000 pairs) into distinct real-text documents;
# the detection rate per bucket must stay within 5 points of the LSH curve
# 1-(1-s^8)^14 (FineWeb preset). With 2000 pairs a bucket's binomial sd is at
# most 1.1 points, so 5 points is a meaningful bound. Exact copies (500, with
# case and whitespace changed) must all be found by the exact configuration,
# and no base document may be removed by either.
# With jaccard_check (threshold 0.7) the rate must follow the sharpened
# curves: exact check: P_lsh(s) for s >= 0.7 and exactly 0 below (no pair
# under the threshold is removed); signature check: P(band collision and
# >= 0.7 of the rows equal); and with 20 x 5 bands plus the exact check,
# pairs above 0.7 are removed (>= 97.5 % expected) and none below.
# Under the sanitizers (CORPUSD_MODE=san) the same checks run on 300 pairs
# per bucket with a 10-point bound (3.4 sd), to stay within the time budget;
# the full-size check runs in the release mode of the suite.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
PYTHON=${PYTHON:-python3}
[ -d /usr/share/common-licenses ] || { echo "no /usr/share/common-licenses for real prose"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PAIRS=2000 TOL=5
[ "${CORPUSD_MODE:-rel}" = san ] && PAIRS=300 TOL=10
"$PYTHON" "$ROOT/tests/dedup/gen_neardup.py" "$T/data" --pairs-per-bucket $PAIRS --exact 500 --singles 1000
"$CORPUSD" dedup "$T"/data/in-*.jsonl -o "$T/fw" --config "$ROOT/configs/dedup-fineweb.yaml" \
  --rejects "$T/fw/rejects.jsonl" --memory 256M
"$PYTHON" "$ROOT/tests/dedup/check_accuracy.py" "$T/data/truth.jsonl" "$T/fw/rejects.jsonl" 14 8 --tolerance $TOL
for chk in exact:0.7 signature:0.7 exact20x5:0.7; do
  mode=${chk%%:*} thr=${chk#*:} b=14 r=8
  [ "$mode" = exact20x5 ] && mode=exact b=20 r=5
  printf 'dedup:\n  preset: fineweb\n  bands: %s\n  rows: %s\n  jaccard_check: %s\n  jaccard_threshold: %s\n' \
    $b $r $mode $thr > "$T/chk.yaml"
  "$CORPUSD" dedup "$T"/data/in-*.jsonl -o "$T/chk" --config "$T/chk.yaml" --rejects "$T/chk/rejects.jsonl" \
    --memory 256M --index "$T/chk-idx-$b-$mode"
  echo "jaccard_check $mode, threshold $thr, $b x $r:"
  "$PYTHON" "$ROOT/tests/dedup/check_accuracy.py" "$T/data/truth.jsonl" "$T/chk/rejects.jsonl" $b $r \
    --tolerance $TOL --check $mode:$thr
  rm -rf "$T/chk"
done
# Exact only: exactly the planted copies go, nothing else.
"$CORPUSD" dedup "$T"/data/in-*.jsonl -o "$T/ex" --config "$ROOT/configs/dedup-exact.yaml" \
  --rejects "$T/ex/rejects.jsonl"
"$PYTHON" - "$T/data/truth.jsonl" "$T/ex/rejects.jsonl" <<'PY'
import json, sys
want = {json.loads(l)["b"] for l in open(sys.argv[1]) if json.loads(l)["kind"] == "exact"}
got = {json.loads(l)["id"] for l in open(sys.argv[2])}
print("exact config: %d planted copies, %d removed, %d missed, %d false removals"
      % (len(want), len(got), len(want - got), len(got - want)))
sys.exit(0 if got == want else 1)
PY
