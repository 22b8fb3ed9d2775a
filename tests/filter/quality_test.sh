#!/bin/sh
# quality_test.sh: the quality_classifier stage and `corpusd quality-percentiles`
# against the fastText command-line tool as the reference. A tiny supervised
# model is trained here (prose = __label__hq, word salad = __label__cc);
# metadata.quality must equal `fasttext predict-prob`'s probability, and
# percentile buckets stored in the ledger must split the documents into
# equal-count buckets.
set -u
: "${CORPUSD:=bin/corpusd}"
: "${PYTHON:=python3}"
command -v fasttext >/dev/null || { echo "skip: the fasttext CLI (Debian fasttext) is not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
$PYTHON - "$T" <<'PY'
import json, random, sys
T = sys.argv[1]
rnd = random.Random(7)
base = ("the system keeps a record of every package that is installed and it can tell you which files "
        "belong to which package so that you can remove them cleanly when you no longer need them and the "
        "manual explains how the tools work together with examples for the most common tasks").split()
def prose():
    i = rnd.randrange(0, len(base) - 20); return " ".join(base[i:i + 20]) + "."
def salad():
    w = base[:]; rnd.shuffle(w); return " ".join(w[:20])
with open(f"{T}/train.txt", "w") as f:
    for _ in range(300):
        f.write("__label__hq " + prose() + "\n"); f.write("__label__cc " + salad() + "\n")
docs = []
for i in range(40):
    # mix the two kinds so that scores spread over the whole range
    a, b = prose().split(), salad().split()
    k = i % 21
    docs.append(" ".join(a[:20 - k] + b[:k]) + f" item{i}")
with open(f"{T}/docs.txt", "w") as f:
    for d in docs: f.write(d + "\n")
with open(f"{T}/in.jsonl", "w") as f:
    for i, d in enumerate(docs): f.write(json.dumps({"id": f"d{i}", "text": d}) + "\n")
PY
fasttext supervised -input "$T/train.txt" -output "$T/m" -epoch 10 -dim 8 -minn 0 -maxn 0 -thread 1 -seed 1 -verbose 0 \
  || fail "fasttext training"
fasttext predict-prob "$T/m.bin" "$T/docs.txt" 2 > "$T/ref.txt" || fail "fasttext predict-prob"
"$CORPUSD" quality-percentiles "$T/in.jsonl" --model "$T/m.bin" --state "$T/state" --buckets 4 > "$T/pct.json" 2> "$T/err"
rc=$?
if [ $rc -ne 0 ] && grep -q "built without fastText" "$T/err"; then echo "skip: corpusd built without libfasttext-dev"; exit 77; fi
[ $rc -eq 0 ] || { cat "$T/err"; fail "quality-percentiles rc $rc"; }
cat > "$T/q.yaml" <<EOF2
stages:
  - quality_classifier: {model: "$T/m.bin", buckets: 4, state: "$T/state"}
EOF2
"$CORPUSD" filter "$T/in.jsonl" -o "$T/out.jsonl" --config "$T/q.yaml" 2> "$T/err" || { cat "$T/err"; fail "filter"; }
$PYTHON - "$T" <<'PY' || exit 1
import json, sys, collections
T = sys.argv[1]
ref = []
for line in open(f"{T}/ref.txt"):
    t = line.split(); probs = dict(zip(t[0::2], map(float, t[1::2])))
    ref.append(probs.get("__label__hq", 0.0))
out = [json.loads(l) for l in open(f"{T}/out.jsonl")]
assert len(out) == 40
for d, r in zip(out, ref):
    q = d["metadata"]["quality"]
    assert abs(q - r) <= 1e-4 + 1e-4 * r, (d["id"], q, r)
pct = json.loads(open(f"{T}/pct.json").read())
assert pct["buckets"] == 4 and pct["n"] == 40 and len(pct["thresholds"]) == 3, pct
assert pct["thresholds"] == sorted(pct["thresholds"])
scores = [d["metadata"]["quality"] for d in out]
count = collections.Counter(d["metadata"]["quality_bucket"] for d in out)
# equal-count buckets when the scores are distinct
if len(set(scores)) == len(scores):
    assert sorted(count.items()) == [(0, 10), (1, 10), (2, 10), (3, 10)], count
# buckets grow with the score
pairs = sorted((d["metadata"]["quality"], d["metadata"]["quality_bucket"]) for d in out)
assert [b for _, b in pairs] == sorted(b for _, b in pairs), pairs
print("quality ok; distinct scores:", len(set(scores)), "buckets:", dict(count))
PY
# buckets without stored percentiles is a clear error
cat > "$T/q2.yaml" <<EOF2
stages:
  - quality_classifier: {model: "$T/m.bin", buckets: 4, state: "$T/empty", percentiles_key: nope}
EOF2
"$CORPUSD" filter "$T/in.jsonl" -o "$T/o2.jsonl" --config "$T/q2.yaml" 2> "$T/err" && fail "missing percentiles accepted"
grep -q "quality-percentiles" "$T/err" || { cat "$T/err"; fail "error does not say what to run"; }
echo ok
