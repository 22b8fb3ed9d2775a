#!/bin/sh
# benchmark_test.sh: quality on the article-extraction-benchmark (181 pages).
# Fails when F1 in precision mode drops below 0.93 (issue #4), and checks the
# evaluator itself on cases whose scores are known by construction.
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
PYTHON=${PYTHON:-python3}
B="${CORPUSD_SHARED:-../shared/data}/article-extraction-benchmark"
if [ ! -f "$B/ground-truth.json" ]; then
  echo "skip: $B is absent (needs ../shared/data)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The evaluator: the ground truth against itself scores 1, nothing scores 0.
"$PYTHON" - "$B/ground-truth.json" "$tmp" <<'PY' || exit 1
import json, sys
gt = json.load(open(sys.argv[1]))
with open(sys.argv[2] + '/self.jsonl', 'w') as f:
    for k, v in gt.items():
        f.write(json.dumps({'id': k, 'text': v['articleBody']}) + '\n')
open(sys.argv[2] + '/none.jsonl', 'w').close()
PY
self=$("$PYTHON" bench/extract/evaluate.py "$B/ground-truth.json" "$tmp/self.jsonl" | tail -1)
none=$("$PYTHON" bench/extract/evaluate.py "$B/ground-truth.json" "$tmp/none.jsonl" | tail -1)
echo "self: $self"; echo "none: $none"
case "$self" in "precision 1.0000 recall 1.0000 f1 1.0000 pages 181") ;; *) echo "evaluator: self-score is not 1"; exit 1 ;; esac
case "$none" in *"recall 0.0000 f1 0.0000"*) ;; *) echo "evaluator: empty predictions do not score 0"; exit 1 ;; esac

"$CORPUSD" extract "$B"/html/*.html.gz --mode precision -o "$tmp/p.jsonl" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
n=$(wc -l <"$tmp/p.jsonl")
[ "$n" -ge 175 ] || { echo "only $n pages extracted"; cat "$tmp/err"; exit 1; }
line=$("$PYTHON" bench/extract/evaluate.py "$B/ground-truth.json" "$tmp/p.jsonl" | tail -1)
echo "precision mode: $line"
f1=$(echo "$line" | awk '{print $6}')
"$PYTHON" -c "import sys; sys.exit(0 if float('$f1') >= 0.93 else 1)" || { echo "FAIL: F1 $f1 < 0.93"; exit 1; }
exit 0
